"""WS-Discovery: find the ONVIF cameras on the box's network.

A Probe for ``NetworkVideoTransmitter`` goes to the multicast group 239.255.255.250:3702 (or
to one address, ``target``); every ProbeMatch that answers within ``timeout_s`` and relates
to our probe is a camera: its endpoint, device service URLs (XAddrs) and scopes. Answers
that are not XML, too large or about another probe are skipped, never fatal.
"""

from __future__ import annotations

import socket
import time
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass

MULTICAST = ("239.255.255.250", 3702)
MAX_DATAGRAM = 65_535
_NS = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "a": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
    "d": "http://schemas.xmlsoap.org/ws/2005/04/discovery",
}


@dataclass(frozen=True, slots=True)
class Found:
    endpoint: str  # urn:uuid:... of the device
    xaddrs: tuple[str, ...]  # device service URLs
    scopes: tuple[str, ...]  # onvif://www.onvif.org/name/..., /hardware/..., /location/...
    types: tuple[str, ...]

    def scope(self, kind: str) -> str | None:
        """The value of scope ``onvif://www.onvif.org/{kind}/VALUE``, if any."""
        prefix = f"onvif://www.onvif.org/{kind}/"
        return next((s[len(prefix) :] for s in self.scopes if s.startswith(prefix)), None)


def probe_message(message_id: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<s:Envelope xmlns:s="{_NS["s"]}" xmlns:a="{_NS["a"]}" xmlns:d="{_NS["d"]}" '
        'xmlns:dn="http://www.onvif.org/ver10/network/wsdl"><s:Header>'
        f'<a:Action s:mustUnderstand="1">{_NS["d"]}/Probe</a:Action>'
        f"<a:MessageID>{message_id}</a:MessageID>"
        f"<a:ReplyTo><a:Address>{_NS['a']}/role/anonymous</a:Address></a:ReplyTo>"
        '<a:To s:mustUnderstand="1">urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To>'
        "</s:Header><s:Body><d:Probe><d:Types>dn:NetworkVideoTransmitter</d:Types></d:Probe>"
        "</s:Body></s:Envelope>"
    ).encode()


def parse_matches(datagram: bytes, message_id: str) -> list[Found]:
    """The cameras in one ProbeMatches answer to ``message_id``; [] for anything else."""
    try:
        root = ET.fromstring(datagram)
    except ET.ParseError:
        return []
    if root.findtext("s:Header/a:RelatesTo", "", _NS).strip() != message_id:
        return []
    found = []
    for match in root.iterfind("s:Body/d:ProbeMatches/d:ProbeMatch", _NS):
        found.append(
            Found(
                match.findtext("a:EndpointReference/a:Address", "", _NS).strip(),
                tuple(match.findtext("d:XAddrs", "", _NS).split()),
                tuple(match.findtext("d:Scopes", "", _NS).split()),
                tuple(match.findtext("d:Types", "", _NS).split()),
            )
        )
    return [f for f in found if f.xaddrs]


def discover(timeout_s: float = 3.0, target: tuple[str, int] = MULTICAST) -> list[Found]:
    """Probe and collect answers for ``timeout_s``; one entry per device endpoint."""
    message_id = f"urn:uuid:{uuid.uuid4()}"
    seen: dict[str, Found] = {}
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP) as sock:
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 2)
        sock.bind(("", 0))
        sock.sendto(probe_message(message_id), target)
        deadline = time.monotonic() + timeout_s
        while (left := deadline - time.monotonic()) > 0:
            sock.settimeout(left)
            try:
                datagram, _ = sock.recvfrom(MAX_DATAGRAM)
            except TimeoutError:
                break
            for found in parse_matches(datagram, message_id):
                seen.setdefault(found.endpoint or found.xaddrs[0], found)
    return list(seen.values())
