"""One ONVIF camera (Profile S): its services, media profiles, stream and snapshot URIs, and
PTZ presets. Plain HTTP POSTs of the SOAP messages in ``soap.py`` (urllib, with a timeout),
credentials sent as a WS-Security password digest, never in clear.
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime

from edge.onvif import soap
from edge.onvif.soap import OnvifError, Preset, Profile

_ACTIONS = {
    "tds": "http://www.onvif.org/ver10/device/wsdl",
    "trt": "http://www.onvif.org/ver10/media/wsdl",
    "tptz": "http://www.onvif.org/ver20/ptz/wsdl",
}


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class OnvifDevice:
    def __init__(
        self,
        device_url: str,
        username: str | None = None,
        password: str = "",
        *,
        timeout_s: float = 5.0,
        nonce: Callable[[], bytes] = lambda: os.urandom(16),
        created: Callable[[], str] = _now,
    ) -> None:
        self.device_url = device_url
        self._username = username
        self._password = password
        self._timeout_s = timeout_s
        self._nonce = nonce
        self._created = created
        self._services: dict[str, str] | None = None

    def call(self, url: str, body: str, action: str) -> bytes:
        """POST one request; the raw reply (a SOAP fault's too), or OnvifError."""
        prefix, _, name = action.partition(":")
        data = soap.envelope(body, self._username, self._password, self._nonce(), self._created())
        request = urllib.request.Request(
            url,
            data=data,
            headers={
                "Content-Type": (
                    f'application/soap+xml; charset=utf-8; action="{_ACTIONS[prefix]}/{name}"'
                )
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self._timeout_s) as answer:
                return bytes(answer.read(soap.MAX_REPLY_BYTES + 1))
        except urllib.error.HTTPError as exc:  # faults come with 400/500: read them
            return bytes(exc.read(soap.MAX_REPLY_BYTES + 1))
        except (urllib.error.URLError, OSError) as exc:
            raise OnvifError(f"{url}: {getattr(exc, 'reason', exc)}") from None

    def services(self) -> dict[str, str]:
        if self._services is None:
            reply = self.call(self.device_url, soap.get_capabilities(), "tds:GetCapabilities")
            self._services = soap.service_urls(reply)
        return self._services

    def _service(self, name: str) -> str:
        url = self.services().get(name)
        if url is None:
            raise OnvifError(f"{self.device_url} offers no {name} service")
        return url

    def profiles(self) -> list[Profile]:
        reply = self.call(self._service("media"), soap.get_profiles(), "trt:GetProfiles")
        return soap.profiles(reply)

    def stream_uri(self, profile: str) -> str:
        reply = self.call(self._service("media"), soap.get_stream_uri(profile), "trt:GetStreamUri")
        return soap.media_uri(reply, "trt:GetStreamUriResponse")

    def snapshot_uri(self, profile: str) -> str:
        body = soap.get_snapshot_uri(profile)
        reply = self.call(self._service("media"), body, "trt:GetSnapshotUri")
        return soap.media_uri(reply, "trt:GetSnapshotUriResponse")

    def presets(self, profile: str) -> list[Preset]:
        reply = self.call(self._service("ptz"), soap.get_presets(profile), "tptz:GetPresets")
        return soap.presets(reply)

    def goto_preset(self, profile: str, preset: str) -> None:
        body = soap.goto_preset(profile, preset)
        soap.body_of(
            self.call(self._service("ptz"), body, "tptz:GotoPreset"), "tptz:GotoPresetResponse"
        )
