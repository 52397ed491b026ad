"""Pure domain logic of the hub: no I/O, no FastAPI, Redis, paho or aiortc imports."""
