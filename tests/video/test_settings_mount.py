"""Strict video settings, and the hub app's way of taking the relay in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI, Header, HTTPException
from pydantic import ValidationError

from edge.video.settings import EdgeVideoSettings
from hub.video.mount import mount_video, registry_from_env, with_video
from hub.video.settings import VideoSettings


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"camras": {}}, "camras"),
        ({"cameras": {"cam 1": {"url": "http://x"}}}, "cam 1"),
        ({"cameras": {"c1": {"url": "ftp://x"}}}, "'ftp://x' must start with"),
        ({"ice_servers": [{"urls": ["http://stun"]}]}, "'http://stun' must start with stun:"),
        ({"prebuffer_s": 0}, "prebuffer_s"),
        ({"viewer_queue_packets": 1}, "viewer_queue_packets"),
    ],
)
def test_hub_video_settings_refuse(raw: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        VideoSettings.model_validate(raw)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"codec": "vp9"}, "codec"),
        (
            {"renditions": {"sub": {"width": 321, "height": 180, "fps": 10, "bitrate_bps": 1e5}}},
            "multiple of 2",
        ),
        ({"renditions": {}}, "at least one rendition"),
        ({"listen": 1}, "listen"),
    ],
)
def test_edge_video_settings_refuse(raw: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        EdgeVideoSettings.model_validate(raw)


def test_registry_from_env_needs_the_edge_token(tmp_path: Path) -> None:
    path = tmp_path / "hub.yaml"
    path.write_text("video:\n  cameras:\n    cam-01: {url: 'http://10.0.0.5:8554'}\n")
    with pytest.raises(ValueError, match="GRIDWALL_VIDEO_TOKEN holds no video token"):
        registry_from_env({"GRIDWALL_VIDEO_CONFIG": str(path)})
    registry = registry_from_env(
        {"GRIDWALL_VIDEO_CONFIG": str(path), "GRIDWALL_VIDEO_TOKEN": "s3cret"}
    )
    assert list(registry.settings.cameras) == ["cam-01"]
    assert registry_from_env({}).settings.cameras == {}


async def test_mounted_router_uses_the_apps_auth_and_lifespan() -> None:
    events: list[str] = []

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        events.append("app up")
        yield
        events.append("app down")

    def auth(authorization: str | None = Header(None)) -> None:
        if authorization != "Bearer hub-token":
            raise HTTPException(401, "no")

    app = FastAPI(lifespan=with_video(lifespan))
    registry = mount_video(app, auth)
    assert app.state.video is registry
    async with app.router.lifespan_context(app):
        events.append("serving")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub") as c:
            assert (await c.get("/video/config")).status_code == 401
            r = await c.get("/video/config", headers={"Authorization": "Bearer hub-token"})
            assert r.status_code == 200 and r.json()["cameras"] == []
    assert events == ["app up", "serving", "app down"]


async def test_ice_servers_reach_the_peer_connections_and_the_wall() -> None:
    from hub.video.registry import VideoRegistry
    from hub.video.routes import bearer_token_auth, video_router

    settings = VideoSettings.model_validate(
        {
            "public_base_url": "https://media.example.org:8889",
            "ice_servers": [
                {"urls": ["stun:stun.example.org:3478"]},
                {
                    "urls": ["turn:turn.example.org:3478"],
                    "username": "gw",
                    "credential_env": "TURN_PW",
                },
            ],
        }
    )
    registry = VideoRegistry(settings, env={"TURN_PW": "pw-from-env"})
    config = registry._ice()
    assert [s.urls for s in config.iceServers or []] == [
        ["stun:stun.example.org:3478"],
        ["turn:turn.example.org:3478"],
    ]
    assert [s.credential for s in config.iceServers or []] == [None, "pw-from-env"]
    app = FastAPI()
    app.include_router(video_router(registry, bearer_token_auth("tok")))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub") as c:
        r = await c.get("/video/config", headers={"Authorization": "Bearer tok"})
    assert r.json()["base_url"] == "https://media.example.org:8889"  # a media server in front
    assert r.json()["ice_servers"][1] == {
        "urls": ["turn:turn.example.org:3478"],
        "username": "gw",
        "credential": "pw-from-env",
    }
