"""Run the video relay alone: ``python -m hub.video [--host H] [--port P]``.

For a deployment that splits the relay off the hub's API process, and for benchmarks that
measure the relay's own CPU. Settings from ``GRIDWALL_VIDEO_CONFIG``; viewers authenticate
with the token in the variable named by ``token_env``.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI

from hub.api import redact
from hub.video.mount import registry_from_env
from hub.video.routes import bearer_token_auth, video_router
from hub.video.settings import token_from_env


def build_app() -> FastAPI:
    registry = registry_from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await registry.start()
        try:
            yield
        finally:
            await registry.stop()

    app = FastAPI(title="Gridwall video relay", lifespan=lifespan)
    auth = bearer_token_auth(token_from_env(registry.settings.token_env))
    app.include_router(video_router(registry, auth))
    app.state.video = registry

    return app


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m hub.video", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8089)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    for noisy in ("aioice", "aiortc"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    redact.install()  # its <img>/MJPEG URLs may carry ?access_token=: never in a log
    uvicorn.run(build_app(), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
