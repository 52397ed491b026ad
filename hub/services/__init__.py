"""The hub's I/O services: MQTT ingest, correlation worker, case actions, timers."""
