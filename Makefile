# Gridwall: the two commands.
#   make demo   the whole system on the sample district with synthetic cameras
#   make test   the test suite against a real Mosquitto broker and Redis server (and Chromium, GStreamer's RTSP server)
.PHONY: demo test check bootstrap services

bootstrap:
	@scripts/bootstrap

services:
	@scripts/services

demo: bootstrap
	@scripts/services --no-broker
	@DEMO_BOXES="$(DEMO_BOXES)" .venv/bin/python scripts/demo.py

test: bootstrap
	@scripts/services --browser --rtsp
	@.venv/bin/python -m pytest $(PYTEST_ARGS)

check: bootstrap
	@scripts/check
