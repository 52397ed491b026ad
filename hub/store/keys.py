"""Every Redis key the hub uses, under one root (tests give each run its own prefix).

The root is ``{key_prefix}:{{county code}}``, e.g. ``gw:{339901}``: the braces are a Redis
Cluster hash tag, so every key of one district hashes to the same slot and the hub's Lua
scripts, transactions and pipelines, which touch several keys at once, run on a cluster
(docs/hub.md "Redis Cluster"). ``key_root`` is the one place the tag is made.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TAG = re.compile(r"\{[^{}]+\}")


def key_root(key_prefix: str, county_code: str) -> str:
    """The root of one district's keys: the prefix and the county code as hash tag."""
    if not county_code or "{" in county_code or "}" in county_code:
        raise ValueError(f"county code {county_code!r} cannot be a hash tag")
    return f"{key_prefix}:{{{county_code}}}"


@dataclass(frozen=True)
class Keys:
    prefix: str
    """The root every key starts with; it holds the district's hash tag (``key_root``)."""

    def __post_init__(self) -> None:
        # Redis Cluster hashes only the first {...} of a key: one in the root, and nothing
        # before it, or keys of one district would land in different slots
        first = _TAG.search(self.prefix)
        if first is None or "{" in self.prefix[: first.start()]:
            raise ValueError(f"key root {self.prefix!r} has no hash tag; build it with key_root")

    @classmethod
    def for_district(cls, key_prefix: str, county_code: str) -> Keys:
        return cls(key_root(key_prefix, county_code))

    @property
    def inbox(self) -> str:
        """Stream of accepted messages, written before the broker is acknowledged."""
        return f"{self.prefix}:inbox"

    @property
    def dead(self) -> str:
        return f"{self.prefix}:dead"

    @property
    def changes(self) -> str:
        """Stream of change events the wall and consoles follow (SSE, resumable)."""
        return f"{self.prefix}:changes"

    @property
    def audit(self) -> str:
        return f"{self.prefix}:audit"

    @property
    def timers(self) -> str:
        return f"{self.prefix}:timers"

    @property
    def alarms(self) -> str:
        return f"{self.prefix}:alarms"

    @property
    def vqueue(self) -> str:
        return f"{self.prefix}:vqueue"

    @property
    def cases(self) -> str:
        return f"{self.prefix}:cases"

    @property
    def followups(self) -> str:
        """Hash of follow-ups the batch script asked for and no worker finished yet."""
        return f"{self.prefix}:followups"

    @property
    def edges(self) -> str:
        return f"{self.prefix}:edges"

    def alarm(self, key: str) -> str:
        return f"{self.prefix}:alarm:{key}"

    def case(self, case_no: str) -> str:
        return f"{self.prefix}:case:{case_no}"

    def case_events(self, case_no: str) -> str:
        return f"{self.prefix}:case:{case_no}:events"

    def open_cases(self, grid: str, category: str) -> str:
        return f"{self.prefix}:opencases:{grid}:{category}"

    def recent(self, alarm_key: str) -> str:
        return f"{self.prefix}:recent:{alarm_key}"

    def edge(self, box_id: str) -> str:
        return f"{self.prefix}:edge:{box_id}"

    def snapshot(self, snapshot_id: str) -> str:
        return f"{self.prefix}:snap:{snapshot_id}"

    def verify(self, request_id: str) -> str:
        return f"{self.prefix}:verify:{request_id}"

    @property
    def triage(self) -> str:
        """Sorted set of cases from citizens waiting for an operator (hub.intake)."""
        return f"{self.prefix}:triage"

    def department_queue(self, department: str) -> str:
        """Sorted set of the open cases a department owns (hub.domain.owners)."""
        return f"{self.prefix}:deptq:{department}"

    def intake_ref(self, source: str, ref: str) -> str:
        """The case a source's report (its id or external reference) went into."""
        return f"{self.prefix}:intake:ref:{source}:{ref}"

    def verify_checks(self, case_no: str) -> str:
        """List of the clear checks in a row a resolved case has had so far."""
        return f"{self.prefix}:case:{case_no}:verify_checks"

    def case_seq(self, day_key: str) -> str:
        """The per-county, per-day case counter (``county:YYYYMMDD``)."""
        return f"{self.prefix}:caseseq:{day_key}"


def text(x: object) -> str:
    """A Redis reply (bytes) as text."""
    return x.decode() if isinstance(x, bytes) else str(x)


def text_map(raw: dict[bytes, bytes] | dict[str, str] | object) -> dict[str, str]:
    return {text(k): text(v) for k, v in raw.items()} if isinstance(raw, dict) else {}
