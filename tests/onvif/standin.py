"""A small ONVIF camera stand-in for the tests (no ONVIF camera is here): it answers the real
SOAP 1.2 messages of the device, media (Profile S) and PTZ services over HTTP, checks the
WS-Security password digest, and answers WS-Discovery probes over UDP.

It is written from the ONVIF and WS-Discovery message formats, not from a camera's code; it
knows one media profile, two PTZ presets and a snapshot, and records the presets it is sent
to (``moves``).
"""

from __future__ import annotations

import base64
import hashlib
import socket
import threading
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

S = "http://www.w3.org/2003/05/soap-envelope"
NS = {
    "s": S,
    "wsse": "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd",
    "wsu": "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd",
    "a": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
    "d": "http://schemas.xmlsoap.org/ws/2005/04/discovery",
}
HEAD = (
    f'<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="{S}" '
    'xmlns:tds="http://www.onvif.org/ver10/device/wsdl" '
    'xmlns:trt="http://www.onvif.org/ver10/media/wsdl" '
    'xmlns:tptz="http://www.onvif.org/ver20/ptz/wsdl" '
    'xmlns:tt="http://www.onvif.org/ver10/schema" '
    'xmlns:ter="http://www.onvif.org/ver10/error"><s:Body>'
)
TAIL = "</s:Body></s:Envelope>"
JPEG = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffd9")


class OnvifStandIn:
    def __init__(self, stream_uri: str, username: str = "admin", password: str = "s3cret") -> None:
        self.stream_uri = stream_uri
        self.username = username
        self.password = password
        self.presets = {"1": "home", "2": "gate"}
        self.moves: list[str] = []
        self.endpoint = "urn:uuid:6d1f4b60-0000-4000-8000-00000000c0de"
        self.http = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.base = f"http://127.0.0.1:{self.http.server_address[1]}"
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        self.discovery_port = int(self.udp.getsockname()[1])
        self._threads = [
            threading.Thread(target=self.http.serve_forever, daemon=True),
            threading.Thread(target=self._answer_probes, daemon=True),
        ]

    def start(self) -> OnvifStandIn:
        for t in self._threads:
            t.start()
        return self

    def stop(self) -> None:
        self.http.shutdown()
        self.http.server_close()
        self.udp.close()

    # --- WS-Discovery -----------------------------------------------------------------
    def _answer_probes(self) -> None:
        while True:
            try:
                datagram, peer = self.udp.recvfrom(65535)
            except OSError:
                return  # closed
            try:
                root = ET.fromstring(datagram)
            except ET.ParseError:
                continue
            if root.find("s:Body/d:Probe", NS) is None:
                continue
            relates = root.findtext("s:Header/a:MessageID", "", NS)
            self.udp.sendto(self._probe_match(relates), peer)

    def _probe_match(self, relates_to: str) -> bytes:
        d, a = NS["d"], NS["a"]
        scopes = (
            "onvif://www.onvif.org/type/video_encoder onvif://www.onvif.org/name/StandIn-PTZ "
            "onvif://www.onvif.org/location/gate-3 onvif://www.onvif.org/Profile/Streaming"
        )
        return (
            f'<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="{S}" xmlns:a="{a}" '
            f'xmlns:d="{d}" xmlns:dn="http://www.onvif.org/ver10/network/wsdl"><s:Header>'
            f"<a:MessageID>urn:uuid:{hashlib.md5(relates_to.encode()).hexdigest()}</a:MessageID>"
            f"<a:RelatesTo>{relates_to}</a:RelatesTo><a:To>{a}/role/anonymous</a:To>"
            f"<a:Action>{d}/ProbeMatches</a:Action></s:Header><s:Body><d:ProbeMatches>"
            f"<d:ProbeMatch><a:EndpointReference><a:Address>{self.endpoint}</a:Address>"
            "</a:EndpointReference><d:Types>dn:NetworkVideoTransmitter</d:Types>"
            f"<d:Scopes>{scopes}</d:Scopes><d:XAddrs>{self.base}/onvif/device_service</d:XAddrs>"
            "<d:MetadataVersion>1</d:MetadataVersion></d:ProbeMatch></d:ProbeMatches>"
            "</s:Body></s:Envelope>"
        ).encode()

    # --- SOAP -------------------------------------------------------------------------
    def authorised(self, root: ET.Element) -> bool:
        token = root.find("s:Header/wsse:Security/wsse:UsernameToken", NS)
        if token is None:
            return False
        nonce = base64.b64decode(token.findtext("wsse:Nonce", "", NS))
        created = token.findtext("wsu:Created", "", NS)
        want = base64.b64encode(
            hashlib.sha1(nonce + created.encode() + self.password.encode()).digest()
        ).decode()
        return (
            token.findtext("wsse:Username", "", NS) == self.username
            and token.findtext("wsse:Password", "", NS) == want
        )

    def answer(self, body: bytes) -> tuple[int, str]:
        root = ET.fromstring(body)
        body_element = root.find("s:Body", NS)
        request = body_element[0] if body_element is not None and len(body_element) else None
        if request is None:
            return 400, fault("s:Sender", "ter:InvalidArgVal", "empty body")
        if not self.authorised(root):
            return 400, fault("s:Sender", "ter:NotAuthorized", "Sender not authorized")
        name = request.tag.rsplit("}", 1)[-1]
        text = {c.tag.rsplit("}", 1)[-1]: (c.text or "") for c in request.iter()}
        if name == "GetCapabilities":
            return 200, HEAD + self._capabilities() + TAIL
        if name == "GetProfiles":
            return 200, HEAD + PROFILES + TAIL
        if text.get("ProfileToken") not in (None, "main"):
            return 400, fault("s:Sender", "ter:NoProfile", "no such profile")
        if name == "GetStreamUri":
            return 200, HEAD + media_uri("GetStreamUriResponse", self.stream_uri) + TAIL
        if name == "GetSnapshotUri":
            uri = f"{self.base}/snapshot.jpg"
            return 200, HEAD + media_uri("GetSnapshotUriResponse", uri) + TAIL
        if name == "GetPresets":
            items = "".join(
                f'<tptz:Preset token="{t}"><tt:Name>{n}</tt:Name></tptz:Preset>'
                for t, n in self.presets.items()
            )
            return 200, f"{HEAD}<tptz:GetPresetsResponse>{items}</tptz:GetPresetsResponse>{TAIL}"
        if name == "GotoPreset":
            if text.get("PresetToken") not in self.presets:
                return 400, fault("s:Sender", "ter:NoToken", "no such preset")
            self.moves.append(text["PresetToken"])
            return 200, f"{HEAD}<tptz:GotoPresetResponse/>{TAIL}"
        return 400, fault("s:Receiver", "ter:ActionNotSupported", f"{name} is not supported")

    def _capabilities(self) -> str:
        services = "".join(
            f"<tt:{n}><tt:XAddr>{self.base}/onvif/{p}</tt:XAddr></tt:{n}>"
            for n, p in (
                ("Device", "device_service"),
                ("Media", "media_service"),
                ("PTZ", "ptz_service"),
            )
        )
        return f"<tds:GetCapabilitiesResponse><tds:Capabilities>{services}</tds:Capabilities></tds:GetCapabilitiesResponse>"


PROFILES = (
    '<trt:GetProfilesResponse><trt:Profiles token="main" fixed="true"><tt:Name>MainStream</tt:Name>'
    '<tt:VideoEncoderConfiguration token="enc0"><tt:Name>enc0</tt:Name><tt:UseCount>1</tt:UseCount>'
    "<tt:Encoding>H264</tt:Encoding><tt:Resolution><tt:Width>640</tt:Width>"
    "<tt:Height>360</tt:Height></tt:Resolution></tt:VideoEncoderConfiguration>"
    '<tt:PTZConfiguration token="ptz0"><tt:Name>ptz0</tt:Name></tt:PTZConfiguration>'
    "</trt:Profiles></trt:GetProfilesResponse>"
)


def media_uri(answer: str, uri: str) -> str:
    return (
        f"<trt:{answer}><trt:MediaUri><tt:Uri>{uri}</tt:Uri><tt:InvalidAfterConnect>false"
        "</tt:InvalidAfterConnect><tt:InvalidAfterReboot>false</tt:InvalidAfterReboot>"
        f"<tt:Timeout>PT0S</tt:Timeout></trt:MediaUri></trt:{answer}>"
    )


def fault(code: str, subcode: str, reason: str) -> str:
    return (
        f"{HEAD}<s:Fault><s:Code><s:Value>{code}</s:Value><s:Subcode><s:Value>{subcode}"
        f'</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang="en">{reason}</s:Text>'
        f"</s:Reason></s:Fault>{TAIL}"
    )


def _handler(device: OnvifStandIn) -> Any:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return None

        def do_GET(self) -> None:
            if self.path != "/snapshot.jpg":
                self.send_error(404)
                return
            self._send(200, "image/jpeg", JPEG)

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            status, reply = device.answer(body)
            self._send(status, "application/soap+xml; charset=utf-8", reply.encode())

        def _send(self, status: int, kind: str, data: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler
