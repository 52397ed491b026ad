"""The hub's one settings model, loaded from ``configs/hub.yaml``.

Unknown keys are errors. The broker and Redis URLs may be overridden from the environment
(``GRIDWALL_MQTT_URL``, ``GRIDWALL_REDIS_URL``, ``GRIDWALL_REDIS_PREFIX``,
``GRIDWALL_TOPIC_PREFIX``) so tests and a
demo never share state; ``GRIDWALL_REDIS_SENTINELS`` and ``GRIDWALL_REDIS_MASTER`` put Redis
behind Sentinel, ``GRIDWALL_REDIS_CLUSTER`` on a Redis Cluster; ``GRIDWALL_DATABASE_URL``
turns the case history in PostgreSQL on.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlparse

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from contracts.config_problems import ConfigError, parse_yaml, problem, problems_from_validation
from contracts.connection import MqttConnection
from hub.enrol.settings import EnrolSettings
from hub.fleet.settings import FleetSettings
from hub.intake.settings import IntakeSettings
from hub.push.settings import PushSettings


class Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RedisSettings(Strict):
    url: str = "redis://127.0.0.1:6379/0"
    key_prefix: Annotated[str, Field(pattern=r"^[A-Za-z0-9_:-]{1,40}$")] = "gw"
    # Redis behind Sentinel (docs/hub.md "Redis that fails over"): host:port of each
    # sentinel (GRIDWALL_REDIS_SENTINELS, comma-separated); the hub asks them for the primary
    # of ``sentinel_master`` and follows a failover. ``url`` then gives only the database,
    # user and password (its host and port are not used).
    sentinels: list[str] = []
    sentinel_master: Annotated[str, Field(pattern=r"^[A-Za-z0-9._-]{1,64}$")] = "gridwall"
    # Redis Cluster (docs/hub.md "Redis Cluster"): host:port of some of its nodes
    # (GRIDWALL_REDIS_CLUSTER, comma-separated); the hub asks them for the slot map. ``url``
    # then gives only the user, password and TLS; a cluster has database 0 only.
    cluster: list[str] = []

    @field_validator("url")
    @classmethod
    def _url(cls, url: str) -> str:
        if not url.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(f"Redis URL {url!r} must start with redis://, rediss:// or unix://")
        return url

    @field_validator("sentinels", "cluster", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, str):  # from the environment: "host:port,host:port"
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("sentinels", "cluster")
    @classmethod
    def _addresses(cls, value: list[str], info: ValidationInfo) -> list[str]:
        what = "sentinel" if info.field_name == "sentinels" else "cluster node"
        for addr in value:
            host, _, port = addr.rpartition(":")
            if not host or not port.isdigit() or not 0 < int(port) < 65536:
                raise ValueError(f"{what} {addr!r} must be host:port with a port 1-65535")
        if len(set(value)) != len(value):
            raise ValueError(f"{info.field_name} {value!r} name one twice")
        return value

    @model_validator(mode="after")
    def _sentinel_url(self) -> RedisSettings:
        for name, given in (("sentinels", self.sentinels), ("cluster", self.cluster)):
            if given and self.url.startswith("unix://"):
                raise ValueError(f"with {name} the Redis URL {self.url!r} cannot be unix://")
        if self.sentinels and self.cluster:
            raise ValueError("Redis is either behind sentinels or a cluster, not both")
        if self.cluster and urlparse(self.url).path.strip("/") not in ("", "0"):
            raise ValueError(f"a Redis Cluster has database 0 only, not {self.url!r}")
        return self


class HttpSettings(Strict):
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=0, le=65535)] = 8080
    # request bodies are refused (413) past these, before anything reads them; the resolve
    # route takes push.photos_max x push.photo_max_bytes more (hub/api/body_limit.py)
    max_body_bytes: Annotated[int, Field(ge=4096, le=64 * 2**20)] = 2**20
    anonymous_body_bytes: Annotated[int, Field(ge=1024, le=2**20)] = 64 * 1024


class HubMqtt(MqttConnection):
    shared_group: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,40}$")] = "hub"
    # the MQTT session's name (docs/hub.md "Several hubs"): a pinned client id, else
    # hub-{instance}, else hub-{host}-{n} with n the lowest number free on this host
    client_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")] | None = None
    instance: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,40}$")] | None = None
    # how long the broker keeps a session (and queues for it) while its hub is away
    session_expiry_s: Annotated[int, Field(ge=60, le=7 * 86_400)] = 3600
    # a hub gone this long without coming back is dead: a live hub takes over its session,
    # moves what it holds into Redis and ends it (its share of the group with it)
    sweep_after_s: Annotated[int, Field(ge=1, le=3600)] = 5

    @model_validator(mode="after")
    def _sweep_before_expiry(self) -> HubMqtt:
        if self.sweep_after_s >= self.session_expiry_s:
            raise ValueError(
                f"sweep_after_s {self.sweep_after_s} must be shorter than "
                f"session_expiry_s {self.session_expiry_s}"
            )
        return self


class CorrelationSettings(Strict):
    """Alarm → case rules (see docs/data-model.md)."""

    merge_radius_m: Annotated[float, Field(ge=0, le=5000)] = 60.0
    recurrence_days: Annotated[float, Field(ge=0, le=365)] = 7.0
    clear_after_min: Annotated[float, Field(ge=0, le=1440)] = 10.0
    rearm_min: Annotated[float, Field(ge=0, le=1440)] = 5.0
    joint_categories: list[Annotated[str, Field(pattern=r"^[0-9]{5}$")]] = []
    # 1+1+X: every named unit should acknowledge the joint command within this (turnout)
    joint_turnout_min: Annotated[float, Field(gt=0, le=1440)] = 10.0
    # an inbox entry a worker took this long ago and never acknowledged is claimed by another
    claim_idle_s: Annotated[float, Field(ge=1, le=3600)] = 30.0


class IngestSettings(Strict):
    batch_max: Annotated[int, Field(ge=1, le=5000)] = 500
    receive_maximum: Annotated[int, Field(ge=10, le=65535)] = 4000
    rate_per_box_per_s: Annotated[float, Field(gt=0, le=1_000_000)] = 2000.0
    rate_burst: Annotated[int, Field(ge=1, le=1_000_000)] = 4000
    dead_letter_max: Annotated[int, Field(ge=100, le=10_000_000)] = 10_000
    dead_letter_raw_bytes: Annotated[int, Field(ge=0, le=65536)] = 4096
    inbox_max: Annotated[int, Field(ge=1000, le=100_000_000)] = 2_000_000
    changes_max: Annotated[int, Field(ge=1000, le=10_000_000)] = 200_000


class VerificationSettings(Strict):
    clear_checks: Annotated[int, Field(ge=1, le=10)] = 3
    # no answer from the box this long after a request: the case goes to a human
    timeout_s: Annotated[float, Field(ge=5, le=86_400)] = 300.0
    # the frames behind a verification (each check's after frame, the alarm frame it was
    # compared with) are kept this long, so a camera-verified close can be audited
    evidence_days: Annotated[int, Field(ge=7, le=3650)] = 180


class AuthSettings(Strict):
    tokens_env: Annotated[str, Field(pattern=r"^[A-Z_][A-Z0-9_]*$")] = "GRIDWALL_HUB_TOKENS"
    tokens_file: Path | None = None
    # this many wrong credentials from one client (or against one identity) within the
    # window, and every credential from there is refused (429) until the window has passed
    failures_allowed: Annotated[int, Field(ge=1, le=10_000)] = 10
    failure_window_s: Annotated[float, Field(ge=1, le=86_400)] = 60.0


class S3Settings(Strict):
    """An S3-compatible bucket for evidence media (``records.media_store: s3``); the keys
    come from the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)."""

    endpoint_url: str | None = None  # None: AWS itself; else e.g. https://minio.example:9000
    region: str = "us-east-1"
    bucket: Annotated[str, Field(min_length=3, max_length=63, pattern=r"^[a-z0-9][a-z0-9.-]+$")]
    prefix: Annotated[str, Field(max_length=200)] = "evidence/"


class RecordsSettings(Strict):
    """Case history in PostgreSQL (``hub/records``); off while ``database_url`` is unset."""

    # postgresql://user:password@host:port/database (GRIDWALL_DATABASE_URL overrides)
    database_url: str | None = None
    # change-stream entries copied per PostgreSQL transaction
    batch_max: Annotated[int, Field(ge=1, le=10_000)] = 500
    # Ed25519 key that signs evidence bundles (``python -m hub records keygen`` makes it)
    signing_key_file: Path = Path("var/hub/evidence-signing.key")
    # how long a case's evidence is kept after its last event, by default and per category
    # code (the media store's sweep and the bundle's keep_until)
    retention_days: Annotated[int, Field(ge=1, le=36_500)] = 730
    retention_days_by_category: dict[str, Annotated[int, Field(ge=1, le=36_500)]] = {}
    # the object store of evidence media (content-addressed by SHA-256; hub.records.objects):
    # a directory (media_dir), or an S3-compatible bucket (s3)
    media_store: Literal["directory", "s3"] = "directory"
    media_dir: Path = Path("var/hub/media")
    s3: S3Settings | None = None
    # a closed camera case's recorded clip, fetched once from its box (hub/clipfetch): the
    # first retry's wait (doubling up to the max), and how long after the close to keep
    # trying while the box is silent (its keep_after_close_h; once it answers, its own
    # protected_until decides)
    clip_retry_s: Annotated[float, Field(ge=0.01, le=3600)] = 10.0
    clip_retry_max_s: Annotated[float, Field(ge=0.01, le=86_400)] = 900.0
    clip_give_up_h: Annotated[float, Field(gt=0, le=24 * 3660)] = 72.0
    # CJK TrueType font the PDF assessment report is set in (its first face when a .ttc)
    pdf_font_file: Path = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")

    @model_validator(mode="after")
    def _store(self) -> RecordsSettings:
        if self.media_store == "s3" and self.s3 is None:
            raise ValueError("media_store is 's3' but records.s3 (endpoint_url, bucket) is not set")
        return self

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, url: str | None) -> str | None:
        if url is not None and not url.startswith(
            ("postgresql://", "postgres://", "postgresql+psycopg://")
        ):
            raise ValueError(
                f"database URL {url.split('@')[-1]!r} must start with postgresql:// "
                "(or postgres://, postgresql+psycopg://)"
            )
        return url


class SupervisionSettings(Strict):
    """Supervision (督办) colours by the share of an open case's time limit used
    (``hub.domain.supervision``); red cases get a notice."""

    yellow_at: Annotated[float, Field(gt=0, le=10)] = 0.5
    red_at: Annotated[float, Field(gt=0, le=10)] = 0.8
    # how often one hub looks over the open cases for ones that turned red
    scan_interval_s: Annotated[float, Field(ge=1, le=3600)] = 30.0

    @model_validator(mode="after")
    def _rising(self) -> SupervisionSettings:
        if self.yellow_at >= self.red_at:
            raise ValueError(f"yellow_at {self.yellow_at} must be below red_at {self.red_at}")
        return self


class EvaluationSettings(Strict):
    """Ratings of closed cases (``hub.domain.evaluation``)."""

    # a score below this (1-5) lets the case be reopened on that rating
    reopen_below: Annotated[int, Field(ge=1, le=6)] = 3


class WallSettings(Strict):
    """The wall at county size (docs/wall.md "The wall at county size"): the storm rule
    (``hub.domain.wall_storm``), the map's pins, how often a monitor gets a new state."""

    # automatic alarm takeovers per alarm monitor per minute; the rest wait in the queue
    takeovers_per_min: Annotated[int, Field(ge=1, le=600)] = 6
    urgent_reserve: Annotated[int, Field(ge=0, le=599)] = 2  # of those, kept for urgent alarms
    coalesce_per_grid: bool = True  # one alarm tile per grid; the grid's others are counted
    map_max_pins: Annotated[int, Field(ge=10, le=5000)] = 400  # more in view: clusters
    push_interval_s: Annotated[float, Field(ge=0, le=5)] = 0.25  # a monitor's states, at most

    @model_validator(mode="after")
    def _reserve(self) -> WallSettings:
        if self.urgent_reserve >= self.takeovers_per_min:
            raise ValueError(
                f"urgent_reserve {self.urgent_reserve} must be below takeovers_per_min "
                f"{self.takeovers_per_min}"
            )
        return self


class HubSettings(Strict):
    district_dir: Path
    mqtt: HubMqtt = HubMqtt()
    redis: RedisSettings = RedisSettings()
    http: HttpSettings = HttpSettings()
    correlation: CorrelationSettings = CorrelationSettings()
    ingest: IngestSettings = IngestSettings()
    verification: VerificationSettings = VerificationSettings()
    auth: AuthSettings = AuthSettings()
    push: PushSettings = PushSettings()
    enrol: EnrolSettings = EnrolSettings()
    fleet: FleetSettings = FleetSettings()
    records: RecordsSettings = RecordsSettings()
    supervision: SupervisionSettings = SupervisionSettings()
    evaluation: EvaluationSettings = EvaluationSettings()
    intake: IntakeSettings = IntakeSettings()
    wall: WallSettings = WallSettings()
    demo_mode: bool = False


ENV_OVERRIDES = {
    "GRIDWALL_MQTT_URL": ("mqtt", "url"),
    "GRIDWALL_TOPIC_PREFIX": ("mqtt", "topic_prefix"),
    "GRIDWALL_REDIS_URL": ("redis", "url"),
    "GRIDWALL_REDIS_PREFIX": ("redis", "key_prefix"),
    "GRIDWALL_REDIS_SENTINELS": ("redis", "sentinels"),
    "GRIDWALL_REDIS_MASTER": ("redis", "sentinel_master"),
    "GRIDWALL_REDIS_CLUSTER": ("redis", "cluster"),
    "GRIDWALL_MQTT_CLIENT_ID": ("mqtt", "client_id"),
    "GRIDWALL_HUB_INSTANCE": ("mqtt", "instance"),
    "GRIDWALL_HTTP_PORT": ("http", "port"),
    "GRIDWALL_DATABASE_URL": ("records", "database_url"),
}


def load_hub_settings(path: Path, env: dict[str, str] | None = None) -> HubSettings:
    """Read and validate hub settings; ``district_dir`` is resolved against the file's folder."""
    env = dict(os.environ) if env is None else env
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([problem(name, "", f"cannot read: {exc.strerror or exc}")]) from None
    data: Any = parse_yaml(text, name)
    if not isinstance(data, dict):
        raise ConfigError([problem(name, "", "must be a mapping of keys", data)])
    for var, (section, key) in ENV_OVERRIDES.items():
        if env.get(var):
            block = data.setdefault(section, {})
            if isinstance(block, dict):
                block[key] = env[var]
    try:
        settings = HubSettings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(problems_from_validation(exc, name, data)) from None
    root = settings.district_dir
    if not root.is_absolute():
        root = (path.parent / root).resolve()
    return settings.model_copy(update={"district_dir": root})
