"""Does the broker keep a subscription over a restart? A shared one (``$share/g/...``, as the
hubs hold) against a plain one, on a Mosquitto of the bench's own with persistence.

    .venv/bin/python bench/broker_restart_share.py

Per kind: a subscriber with a persistent session (MQTT 5, session expiry 1 h) subscribes;
2 messages are published; the broker is stopped cleanly (it saves its sessions) and started
again; 3 messages are published *before* the subscriber is back; it reconnects with its
session (and subscribes again, as the hubs do). Prints how many distinct messages of the 5
it got; the last line is one JSON object.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

import paho.mqtt.client as mqtt
from county_rig import HOST, free_port, wait_port
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties


def start(conf: Path, port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(["mosquitto", "-c", str(conf)], stderr=subprocess.DEVNULL)
    wait_port(port, proc, "mosquitto")
    return proc


def publish(port: int, n: int, start_at: int) -> None:
    c = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311)
    c.connect(HOST, port)
    c.loop_start()
    for i in range(start_at, start_at + n):
        c.publish("t/x", str(i).encode(), qos=1).wait_for_publish(5)
    c.disconnect()
    c.loop_stop()


def one(kind: str, folder: Path) -> int:
    port = free_port()
    conf = folder / f"{kind}.conf"
    root = "user root\n" if os.geteuid() == 0 else ""
    conf.write_text(
        f"listener {port} {HOST}\nallow_anonymous true\npersistence true\n"
        f"persistence_location {folder}/{kind}/\n{root}"
    )
    (folder / kind).mkdir()
    topic = "$share/g/t/#" if kind == "shared" else "t/#"
    got: set[bytes] = set()  # distinct: QoS 1 may deliver one twice
    sub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"sub-{kind}", protocol=mqtt.MQTTv5)
    props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    props.SessionExpiryInterval = 3600
    sub.on_message = lambda _c, _u, m: got.add(bytes(m.payload))
    sub.reconnect_delay_set(2, 2)  # back 2 s after the restart, after the 3 are published
    broker = start(conf, port)
    try:
        sub.connect(HOST, port, clean_start=False, properties=props)
        sub.on_connect = lambda c, *_a: c.subscribe(topic, qos=1)
        sub.loop_start()
        time.sleep(0.3)
        publish(port, 2, 0)
        broker.terminate()
        broker.wait(10)
        broker = start(conf, port)
        publish(port, 3, 2)
        deadline = time.monotonic() + 8
        while len(got) < 5 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        sub.loop_stop()
        broker.terminate()
        broker.wait(10)
    return len(got)


def main() -> None:
    version = subprocess.run(["mosquitto", "-h"], capture_output=True, text=True, check=False)
    out: dict[str, object] = {"mosquitto": version.stdout.splitlines()[0]}
    with tempfile.TemporaryDirectory(prefix="restart-share-") as tmp:
        for kind in ("plain", "shared"):
            n = one(kind, Path(tmp))
            print(f"{kind}: {n} of 5", flush=True)
            out[f"{kind}_received_of_5"] = n
    print(json.dumps(out))


if __name__ == "__main__":
    main()
