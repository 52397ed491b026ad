"""paho-mqtt driven by the hub's asyncio loop: no paho thread, reads in large chunks.

MQTT 5, a persistent session (so unacknowledged messages come back after a crash), manual
acknowledgement (the hub acks only after Redis has the message) and TCP_NODELAY. paho runs
on its external-loop API: the socket is registered with the event loop (``add_reader``),
so messages arrive on the loop's thread without a hand-off per message, and ingest takes
them in batches (``take``). Two changes to paho's I/O carry the throughput: the socket is
read 64 KiB at a time (paho itself reads a packet's header byte by byte), and a batch's
PUBACKs go out as one write (``ack_many``). The broker never has more than
``receive_maximum`` unacknowledged messages out to us, so the pending list stays bounded.

Messages delivered through a subscription listed in ``wide_subscriptions`` are marked
``wide`` (MQTT 5 subscription identifier), so ingest can tell a copy that came through the
wide filter from one that came through a per-hub filter.

For the hubs' membership (``hub.services.membership``) a link may carry a retained birth
record published on every connect and a last will with a delay (the broker publishes it
when the connection is gone that long without coming back), hand the messages of one
``side`` filter to a callback instead of ingest, ``leave`` the group (unsubscribe, then
wait until everything the session still held has arrived and been acknowledged) and end
its session on ``stop``. The link subscribes again on every connect: a session resumed
after another client held it may have lost its subscriptions, and MQTT 5 replaces an
identical subscription without losing a message (``retain handling`` 1: no retained copies
again).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import socket
import ssl
import struct
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

from contracts.connection import MqttConnection
from hub.services import stage_costs

log = logging.getLogger(__name__)
READ_CHUNK = 65_536
PACKETS_PER_WAKE = 256  # then yield to the loop (ingest and correlation), come back at once
WIDE_ID = 1  # subscription identifier of the wide filters
_PUBACK = struct.Struct("!BBH")


@dataclass(frozen=True, slots=True)
class Incoming:
    topic: str
    payload: bytes
    mid: int
    qos: int
    wide: bool = False


Sink = Callable[[Incoming], None]
SESSION_TAKEN_OVER = 0x8E  # DISCONNECT reason: another connection took this client id


@dataclass(frozen=True, slots=True)
class Will:
    """A retained last will the broker publishes ``delay_s`` after the connection is lost,
    unless the session is resumed first."""

    topic: str
    payload: bytes
    delay_s: int


def session_client_id(base: str, subscriptions: list[str], wide: list[str]) -> str:
    """``base`` plus a digest of the subscriptions: a changed prefix or group is a new
    session, never a resumed one that holds other filters."""
    every = sorted(subscriptions) + [f"wide:{s}" for s in sorted(wide)]
    digest = hashlib.sha1("\n".join(every).encode()).hexdigest()[:6]
    return f"{base}-{digest}"


class _Client(mqtt.Client):
    """paho with reads served from 64 KiB chunks, a direct path for incoming QoS 0/1
    PUBLISH packets and many PUBACKs in one packet write."""

    def __init__(self, sink: Sink, **kw: Any) -> None:
        super().__init__(**kw)
        self._rbuf = b""
        self._rpos = 0
        self._sink = sink

    def _handle_publish(self) -> MQTTErrorCode:
        """Parse a QoS 0/1 PUBLISH straight into an ``Incoming`` for the sink.

        paho builds a ``Properties`` object and an ``MQTTMessage`` and matches the topic
        against its callback filters for every message (its packet decode alone took
        22–39 µs here). The direct path reads topic, packet id, the subscription identifier
        and the payload; a packet it does not take whole (QoS 2, another property, a topic
        alias, bad UTF-8) goes through paho's own handling and reaches ``on_message``.
        """
        cmd = self._in_packet["command"]
        qos = (cmd & 0x06) >> 1
        if qos > 1 or self._protocol != mqtt.MQTTv5:
            return super()._handle_publish()
        pkt = self._in_packet["packet"]
        try:
            tlen = (pkt[0] << 8) | pkt[1]
            topic = pkt[2 : 2 + tlen].decode("utf-8")
            pos = 2 + tlen
            mid = 0
            if qos:
                mid = (pkt[pos] << 8) | pkt[pos + 1]
                pos += 2
            plen = pkt[pos]  # a property block under 128 bytes: one length byte
            wide = False
            if plen:
                # only a lone subscription identifier under 128 (0x0B, one-byte varint)
                if plen != 2 or pkt[pos + 1] != 0x0B or pkt[pos + 2] & 0x80:
                    return super()._handle_publish()
                wide = pkt[pos + 2] == WIDE_ID
            payload = bytes(pkt[pos + 1 + plen :])
        except (IndexError, UnicodeDecodeError):
            return super()._handle_publish()
        if not topic:
            return super()._handle_publish()
        self._sink(Incoming(topic, payload, mid, qos, wide))
        return MQTTErrorCode.MQTT_ERR_SUCCESS

    def _sock_recv(self, bufsize: int) -> bytes:
        if self._rpos >= len(self._rbuf):
            data = super()._sock_recv(READ_CHUNK)  # raises BlockingIOError when drained
            self._rbuf, self._rpos = data, 0
            if not data:
                return data
        start = self._rpos
        self._rpos = start + bufsize
        return self._rbuf[start : self._rpos]

    def reset_buffer(self) -> None:
        self._rbuf, self._rpos = b"", 0

    @property
    def buffered(self) -> bool:
        return self._rpos < len(self._rbuf)

    def ack_many(self, mids: list[int]) -> None:
        """PUBACK (success, no properties: remaining length 2) for every mid, one write."""
        if mids:
            packet = b"".join([_PUBACK.pack(0x40, 2, mid) for mid in mids])
            self._packet_queue(mqtt.PUBACK, packet, 0, 0)


class MqttLink:
    def __init__(
        self,
        conn: MqttConnection,
        client_id: str,
        subscriptions: list[str],
        *,
        receive_maximum: int,
        wide_subscriptions: list[str] | None = None,
        session_expiry_s: int = 3600,
        exact_id: bool = False,
        will: Will | None = None,
        birth: tuple[str, bytes] | None = None,
        side: tuple[str, Callable[[str, bytes], None] | None] | None = None,
        reconnect: bool = True,
    ) -> None:
        """``client_id`` gets the subscriptions' digest (``session_client_id``) unless
        ``exact_id``. ``side``: (filter, callback) for messages the link takes itself
        (acknowledged at once, never given to ``take``; the filter is subscribed on every
        connect, unless the callback is None: then such messages are only dropped);
        ``reconnect=False``: one connection only (``closed`` is set when it ends)."""
        self.conn = conn
        self.subscriptions = subscriptions
        self.wide_subscriptions = wide_subscriptions or []
        self.receive_maximum = receive_maximum
        self.connected = asyncio.Event()
        self.closed = asyncio.Event()
        self.overflow = 0
        self.connects = 0  # accepted connections so far (reconnects show here)
        self.session_present = False  # of the last accepted connection
        self.taken_over = False  # the broker said another connection took our client id
        self.received = 0  # messages handed to ``take`` so far
        self._pending: deque[Incoming] = deque()
        self._unacked: set[int] = set()
        self._last_rx = 0.0
        self._has_data = asyncio.Event()
        self._lost = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        self._tasks: list[asyncio.Task[None]] = []
        self._sock: Any = None
        self._accepted = False
        self._reconnect = reconnect
        self._birth = birth
        self._side_filter = side[0] if side is not None else ""
        self._on_side: Callable[[str, bytes], None] | None = side[1] if side else None
        self._side_prefix = self._side_filter.rstrip("+#")
        self._unsubacks: dict[int, asyncio.Future[None]] = {}
        self.client_id = (
            client_id
            if exact_id
            else session_client_id(client_id, subscriptions, self.wide_subscriptions)
        )
        c = _Client(
            self._accept,
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            protocol=mqtt.MQTTv5,
            manual_ack=True,
        )
        self._client = c
        self._session_expiry_s = session_expiry_s
        creds = conn.credentials()
        if creds:
            c.username_pw_set(*creds)
        if conn.tls:
            c.tls_set(ca_certs=conn.ca_file, cert_reqs=ssl.CERT_REQUIRED)
        c.max_inflight_messages_set(1000)
        c.max_queued_messages_set(0)
        if will is not None:
            wprops = Properties(PacketTypes.WILLMESSAGE)  # type: ignore[no-untyped-call]
            wprops.WillDelayInterval = will.delay_s
            c.will_set(will.topic, will.payload, qos=1, retain=True, properties=wprops)
        c.on_connect = self._on_connect
        c.on_disconnect = self._on_disconnect
        c.on_unsubscribe = self._on_unsubscribe
        c.on_message = self._on_message
        c.on_socket_open = self._on_socket_open
        c.on_socket_close = self._on_socket_close
        c.on_socket_register_write = self._on_register_write
        c.on_socket_unregister_write = self._on_unregister_write

    # --- lifecycle ------------------------------------------------------------------------
    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._connect_loop(), name="mqtt-connect"),
            asyncio.create_task(self._misc_loop(), name="mqtt-misc"),
        ]

    def stop(self, *, end_session: bool = False) -> None:
        """Disconnect; with ``end_session`` the broker drops the session (DISCONNECT with
        session expiry 0): what it still held for us is gone, and so is our share."""
        for t in self._tasks:
            t.cancel()
        c = self._client
        if c.is_connected():
            props = None
            if end_session:
                props = Properties(PacketTypes.DISCONNECT)  # type: ignore[no-untyped-call]
                props.SessionExpiryInterval = 0
            c.disconnect(properties=props)
            c.loop_write()  # DISCONNECT is tiny: written now, then paho closes the socket
        self._forget_socket()
        with contextlib.suppress(OSError, AttributeError):
            c._sock_close()
        self.closed.set()

    async def _connect_loop(self) -> None:
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = self._session_expiry_s
        props.ReceiveMaximum = self.receive_maximum
        delay = 0.25
        while True:
            self._lost.clear()
            try:
                await self._loop.run_in_executor(
                    None,
                    lambda: self._client.connect(
                        self.conn.host,
                        self.conn.port,
                        keepalive=self.conn.keepalive_s,
                        clean_start=False,
                        properties=props,
                    ),
                )
            except (OSError, ValueError) as exc:
                log.warning("MQTT connect to %s:%s failed: %s", self.conn.host, self.conn.port, exc)
                await asyncio.sleep(delay)
                # once connected, a broker that is down (restarting) is retried every second
                # at most: boxes are back 1-5 s after it, and Mosquitto 2.0.11 does not keep a
                # shared subscription over a restart, so what boxes send before the hubs have
                # subscribed again is lost (docs/scale.md, "Broker at fleet size")
                delay = min(delay * 2, 1.0 if self.connects else 10.0)
                continue
            self._accepted = False
            await self._lost.wait()
            if not self._reconnect:
                self.closed.set()
                return
            if self._accepted:  # a session that worked: come back at once
                delay = 0.25
                await asyncio.sleep(0.1)
            else:  # refused (or dropped before CONNACK): back off
                log.warning("MQTT connection closed before it was accepted; retry in %.1f s", delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)

    async def _misc_loop(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            if self._sock is not None:
                self._client.loop_misc()  # keepalive pings, ping timeouts

    # --- what ingest and the case service use --------------------------------------------------
    async def take(self, max_n: int) -> list[Incoming]:
        """Wait for at least one message, then take up to ``max_n`` of those queued."""
        while not self._pending:
            self._has_data.clear()
            await self._has_data.wait()
        p = self._pending
        n = min(max_n, len(p))
        return [p.popleft() for _ in range(n)]

    def ack_batch(self, batch: list[Incoming]) -> None:
        """Acknowledge every QoS 1/2 message of a batch (after Redis has it)."""
        with stage_costs.cpu("mqtt_ack"):
            ones = [m.mid for m in batch if m.qos == 1]
            self._client.ack_many(ones)
            for m in batch:
                if m.qos == 2:
                    self._client.ack(m.mid, 2)
                if m.qos:
                    self._unacked.discard(m.mid)

    def ack(self, mid: int, qos: int) -> None:
        self._client.ack(mid, qos)
        self._unacked.discard(mid)

    def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> None:
        self._client.publish(topic, payload, qos=qos, retain=retain)

    async def publish_acked(
        self, topic: str, payload: bytes, *, retain: bool = False, timeout_s: float = 2.0
    ) -> bool:
        """Publish at QoS 1 and wait for the broker's PUBACK; False if it did not come."""
        if not self._client.is_connected():
            return False
        info = self._client.publish(topic, payload, qos=1, retain=retain)
        deadline = time.monotonic() + timeout_s
        while not info.is_published():
            if time.monotonic() > deadline or not self._client.is_connected():
                return False
            await asyncio.sleep(0.01)
        return True

    async def leave(self, filters: list[str], *, quiet_s: float, timeout_s: float) -> bool:
        """Unsubscribe ``filters``, then wait until the session has nothing more for us:
        every message taken and acknowledged, none arriving for ``quiet_s`` (the broker
        sends what it queued as soon as acknowledgements free its window, so a quiet link
        with nothing unacknowledged has had everything). False if that took longer than
        ``timeout_s`` or the connection went away."""
        deadline = time.monotonic() + timeout_s
        c = self._client
        if not c.is_connected():
            return False
        if filters:
            rc, mid = c.unsubscribe(filters)
            if rc is not MQTTErrorCode.MQTT_ERR_SUCCESS or mid is None:
                return False
            done: asyncio.Future[None] = self._loop.create_future()
            self._unsubacks[mid] = done
            try:
                await asyncio.wait_for(done, max(0.1, deadline - time.monotonic()))
            except TimeoutError:
                return False
            finally:
                self._unsubacks.pop(mid, None)
        self._last_rx = max(self._last_rx, time.monotonic())
        while True:
            if not c.is_connected():
                return False
            now = time.monotonic()
            if not self._pending and not self._unacked and now - self._last_rx >= quiet_s:
                return True
            if now > deadline:
                return False
            await asyncio.sleep(0.05)

    # --- socket callbacks: paho may call them from the connect executor thread ------------------
    def _in_loop(self, fn: Any, *args: Any) -> None:
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self._loop:
            fn(*args)
        else:
            self._loop.call_soon_threadsafe(fn, *args)

    def _on_socket_open(self, _c: object, _u: object, sock: Any) -> None:
        self._in_loop(self._attach, sock)

    def _attach(self, sock: Any) -> None:
        self._client.reset_buffer()
        self._sock = sock
        if isinstance(sock, socket.socket):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._loop.add_reader(sock, self._on_readable)

    def _on_socket_close(self, _c: object, _u: object, sock: Any) -> None:
        self._in_loop(self._forget_socket, sock)

    def _forget_socket(self, sock: Any = None) -> None:
        sock = sock if sock is not None else self._sock
        if sock is not None:
            with contextlib.suppress(ValueError, OSError):
                self._loop.remove_reader(sock)
                self._loop.remove_writer(sock)
        if sock is self._sock:
            self._sock = None

    def _on_register_write(self, _c: object, _u: object, sock: Any) -> None:
        self._in_loop(self._loop.add_writer, sock, self._on_writable)

    def _on_unregister_write(self, _c: object, _u: object, sock: Any) -> None:
        self._in_loop(self._remove_writer, sock)

    def _remove_writer(self, sock: Any) -> None:
        with contextlib.suppress(ValueError, OSError):
            self._loop.remove_writer(sock)

    def _on_readable(self) -> None:
        c = self._client
        with stage_costs.cpu("mqtt_read"):
            for _ in range(PACKETS_PER_WAKE):
                if c.loop_read() is not MQTTErrorCode.MQTT_ERR_SUCCESS or not c.buffered:
                    break
            else:
                self._loop.call_soon(self._on_readable)  # more in our buffer: after others ran
        sock = self._sock
        if isinstance(sock, ssl.SSLSocket) and sock.pending():
            self._loop.call_soon(self._on_readable)  # decrypted bytes the kernel no longer has
        if self._pending:
            self._has_data.set()

    def _on_writable(self) -> None:
        self._client.loop_write()

    # --- paho callbacks (on the loop's thread) --------------------------------------------------
    def _on_connect(
        self, client: mqtt.Client, _u: object, flags: object, rc: object, _p: object
    ) -> None:
        if getattr(rc, "is_failure", False):
            log.error("MQTT connect refused: %s", rc)
            return
        self.session_present = bool(getattr(flags, "session_present", False))
        self._unacked.clear()  # the broker sends what was unacknowledged again
        # subscribe on every connect: a resumed session may have lost its subscriptions
        # while another client held it; an identical subscription is replaced without
        # losing a message, and retain handling 1 sends no retained copies again
        opts = SubscribeOptions(qos=1, retainHandling=1)
        if self.subscriptions:
            client.subscribe([(s, opts) for s in self.subscriptions])
        if self.wide_subscriptions:
            props = Properties(PacketTypes.SUBSCRIBE)  # type: ignore[no-untyped-call]
            props.SubscriptionIdentifier = WIDE_ID
            client.subscribe([(s, opts) for s in self.wide_subscriptions], properties=props)
        if self._side_filter and self._on_side is not None:
            # every connect: the retained records are the current view of the side topic
            client.subscribe([(self._side_filter, SubscribeOptions(qos=1))])
        if self._birth is not None:
            client.publish(self._birth[0], self._birth[1], qos=1, retain=True)
        self._accepted = True
        self.connects += 1
        self.connected.set()

    def _on_disconnect(self, _c: object, _u: object, _f: object, rc: object, _p: object) -> None:
        self.connected.clear()
        self._lost.set()
        if getattr(rc, "value", None) == SESSION_TAKEN_OVER:
            self.taken_over = True
            log.warning("MQTT session %s taken over by another connection", self.client_id)
        else:
            log.warning("MQTT disconnected: %s", rc)

    def _on_unsubscribe(self, _c: object, _u: object, mid: int, _rc: object, _p: object) -> None:
        done = self._unsubacks.get(mid)
        if done is not None and not done.done():
            done.set_result(None)

    def _on_message(self, _c: object, _u: object, msg: mqtt.MQTTMessage) -> None:
        """Messages the direct path left to paho (QoS 2, unusual properties)."""
        ids = getattr(msg.properties, "SubscriptionIdentifier", None) or ()
        payload = msg.payload
        if not isinstance(payload, bytes):
            payload = bytes(payload)
        self._accept(Incoming(msg.topic, payload, msg.mid, msg.qos, WIDE_ID in ids))

    def _accept(self, item: Incoming) -> None:
        self._last_rx = time.monotonic()
        if self._side_prefix and item.topic.startswith(self._side_prefix):
            if item.qos:
                self._client.ack(item.mid, item.qos)
            if self._on_side is not None:
                self._on_side(item.topic, item.payload)
            return
        if item.qos == 0 and len(self._pending) > self.receive_maximum * 2 + 100:
            self.overflow += 1  # QoS 0 is outside the broker's flow control: shed it
            return
        if item.qos:
            self._unacked.add(item.mid)
        self.received += 1
        self._pending.append(item)
