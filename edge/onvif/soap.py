"""ONVIF's SOAP 1.2 messages, built and read without I/O: envelopes with a WS-Security
UsernameToken (password digest), the few requests a box needs, and their answers parsed
into plain values. A device's answer is capped (``MAX_REPLY_BYTES``) before it is parsed.
"""

from __future__ import annotations

import base64
import hashlib
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from xml.sax.saxutils import escape

MAX_REPLY_BYTES = 256 * 1024
NS = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "wsse": "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd",
    "wsu": "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd",
    "tds": "http://www.onvif.org/ver10/device/wsdl",
    "trt": "http://www.onvif.org/ver10/media/wsdl",
    "tptz": "http://www.onvif.org/ver20/ptz/wsdl",
    "tt": "http://www.onvif.org/ver10/schema",
}
_DIGEST = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0"
    "#PasswordDigest"
)
_BASE64 = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"
)


class OnvifError(Exception):
    """A device that answered with a SOAP fault or something that is not the answer."""


@dataclass(frozen=True, slots=True)
class Profile:
    token: str
    name: str
    encoding: str | None  # H264, H265, JPEG
    resolution_wh: tuple[int, int] | None


@dataclass(frozen=True, slots=True)
class Preset:
    token: str
    name: str


def password_digest(nonce: bytes, created: str, password: str) -> str:
    """Base64(SHA-1(nonce + created + password)), as WS-Security's UsernameToken says."""
    return base64.b64encode(
        hashlib.sha1(nonce + created.encode() + password.encode()).digest()
    ).decode()


def envelope(body: str, username: str | None, password: str, nonce: bytes, created: str) -> bytes:
    """A SOAP 1.2 envelope around ``body`` (XML text using the ``NS`` prefixes)."""
    header = ""
    if username:
        header = (
            f'<s:Header><wsse:Security s:mustUnderstand="1"><wsse:UsernameToken>'
            f"<wsse:Username>{escape(username)}</wsse:Username>"
            f'<wsse:Password Type="{_DIGEST}">{password_digest(nonce, created, password)}'
            f"</wsse:Password>"
            f'<wsse:Nonce EncodingType="{_BASE64}">{base64.b64encode(nonce).decode()}</wsse:Nonce>'
            f"<wsu:Created>{created}</wsu:Created></wsse:UsernameToken></wsse:Security></s:Header>"
        )
    names = " ".join(f'xmlns:{k}="{v}"' for k, v in NS.items())
    return f'<?xml version="1.0" encoding="UTF-8"?><s:Envelope {names}>{header}<s:Body>{body}</s:Body></s:Envelope>'.encode()


def get_capabilities() -> str:
    return "<tds:GetCapabilities><tds:Category>All</tds:Category></tds:GetCapabilities>"


def get_profiles() -> str:
    return "<trt:GetProfiles/>"


def get_stream_uri(profile: str, protocol: str = "RTSP") -> str:
    return (
        "<trt:GetStreamUri><trt:StreamSetup><tt:Stream>RTP-Unicast</tt:Stream>"
        f"<tt:Transport><tt:Protocol>{escape(protocol)}</tt:Protocol></tt:Transport>"
        f"</trt:StreamSetup><trt:ProfileToken>{escape(profile)}</trt:ProfileToken></trt:GetStreamUri>"
    )


def get_snapshot_uri(profile: str) -> str:
    return f"<trt:GetSnapshotUri><trt:ProfileToken>{escape(profile)}</trt:ProfileToken></trt:GetSnapshotUri>"


def get_presets(profile: str) -> str:
    return f"<tptz:GetPresets><tptz:ProfileToken>{escape(profile)}</tptz:ProfileToken></tptz:GetPresets>"


def goto_preset(profile: str, preset: str) -> str:
    return (
        f"<tptz:GotoPreset><tptz:ProfileToken>{escape(profile)}</tptz:ProfileToken>"
        f"<tptz:PresetToken>{escape(preset)}</tptz:PresetToken></tptz:GotoPreset>"
    )


def body_of(reply: bytes, answer: str) -> ET.Element:
    """The ``answer`` element (``prefix:Name``) of a reply; OnvifError for a fault or else."""
    if len(reply) > MAX_REPLY_BYTES:
        raise OnvifError(f"reply of {len(reply)} bytes exceeds {MAX_REPLY_BYTES}")
    try:
        root = ET.fromstring(reply)
    except ET.ParseError as exc:
        raise OnvifError(f"reply is not XML: {exc}") from None
    fault = root.find("s:Body/s:Fault", NS)
    if fault is not None:
        code = " / ".join(v.text or "" for v in fault.iterfind(".//s:Value", NS))
        reason = fault.findtext("s:Reason/s:Text", "", NS)
        raise OnvifError(f"SOAP fault {code}: {reason}".strip())
    found = root.find(f"s:Body/{answer}", NS)
    if found is None:
        raise OnvifError(f"reply holds no {answer}")
    return found


def service_urls(reply: bytes) -> dict[str, str]:
    """GetCapabilities → {"media": url, "ptz": url, ...} for the services the device has."""
    caps = body_of(reply, "tds:GetCapabilitiesResponse")
    out = {}
    for name in ("Device", "Media", "PTZ", "Events", "Imaging"):
        url = caps.findtext(f"tds:Capabilities/tt:{name}/tt:XAddr", None, NS)
        if url:
            out[name.lower()] = url.strip()
    return out


def profiles(reply: bytes) -> list[Profile]:
    found = []
    for p in body_of(reply, "trt:GetProfilesResponse").iterfind("trt:Profiles", NS):
        enc = p.find("tt:VideoEncoderConfiguration", NS)
        wh = None
        if enc is not None and enc.find("tt:Resolution", NS) is not None:
            wh = (
                int(enc.findtext("tt:Resolution/tt:Width", "0", NS)),
                int(enc.findtext("tt:Resolution/tt:Height", "0", NS)),
            )
        found.append(
            Profile(
                p.get("token", ""),
                p.findtext("tt:Name", "", NS),
                enc.findtext("tt:Encoding", None, NS) if enc is not None else None,
                wh,
            )
        )
    return found


def media_uri(reply: bytes, answer: str) -> str:
    uri = body_of(reply, answer).findtext("trt:MediaUri/tt:Uri", "", NS).strip()
    if not uri:
        raise OnvifError(f"{answer} holds no MediaUri/Uri")
    return uri


def presets(reply: bytes) -> list[Preset]:
    return [
        Preset(p.get("token", ""), p.findtext("tt:Name", "", NS))
        for p in body_of(reply, "tptz:GetPresetsResponse").iterfind("tptz:Preset", NS)
    ]
