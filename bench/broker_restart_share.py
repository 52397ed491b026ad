"""Does the broker keep a subscription over a restart? A shared one (``$share/g/...``, as the
hubs hold) against a plain one, on a Mosquitto of the bench's own with persistence.

    .venv/bin/python bench/broker_restart_share.py

Per kind: a subscriber with a persistent session (MQTT 5, session expiry 1 h) subscribes;
2 messages are published; the broker is stopped cleanly (it saves its sessions) and started
again; 3 messages are published *before* the subscriber is back; it reconnects with its
session (and subscribes again, as the hubs do). Prints how many distinct messages of the 5
it got, and the PUBACK reason codes the (MQTT 5) publisher got for the 3: 16, "no matching
subscribers", says the message reached nobody. The last line is one JSON object.
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


def publish(port: int, n: int, start_at: int) -> list[int]:
    """Publish QoS 1 as an MQTT 5 client; the PUBACK reason codes (16: no matching
    subscribers, which MQTT 3.1.1 cannot report)."""
    codes: dict[int, int] = {}
    c = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    c.on_publish = lambda _c, _u, mid, rc, _p: codes.__setitem__(mid, int(rc.value))
    c.connect(HOST, port)
    c.loop_start()
    mids = []
    for i in range(start_at, start_at + n):
        info = c.publish("t/x", str(i).encode(), qos=1)
        info.wait_for_publish(5)
        mids.append(info.mid)
    deadline = time.monotonic() + 5
    while len(codes) < len(mids) and time.monotonic() < deadline:
        time.sleep(0.01)
    c.disconnect()
    c.loop_stop()
    return [codes.get(m, -1) for m in mids]


def one(kind: str, folder: Path) -> tuple[int, list[int]]:
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
        codes = publish(port, 3, 2)
        deadline = time.monotonic() + 8
        while len(got) < 5 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        sub.loop_stop()
        broker.terminate()
        broker.wait(10)
    return len(got), codes


def main() -> None:
    version = subprocess.run(["mosquitto", "-h"], capture_output=True, text=True, check=False)
    out: dict[str, object] = {"mosquitto": version.stdout.splitlines()[0]}
    with tempfile.TemporaryDirectory(prefix="restart-share-") as tmp:
        for kind in ("plain", "shared"):
            n, codes = one(kind, Path(tmp))
            print(f"{kind}: {n} of 5; PUBACK reasons after the restart {codes}", flush=True)
            out[f"{kind}_received_of_5"] = n
            out[f"{kind}_puback_reasons_after_restart"] = codes
    print(json.dumps(out))


if __name__ == "__main__":
    main()
