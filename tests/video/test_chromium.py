"""Debian's Chromium, headless, plays the relay's WHEP stream and decodes its frames."""

from __future__ import annotations

import asyncio
import shutil
import time
from typing import Any

import pytest
from playwright.async_api import async_playwright

from tests.video.rig import TOKEN, video_rig, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-ui-for-media-stream",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
]

PAGE = """<!doctype html><html><body><script>
window.tiles = [];
async function play(camera, rendition, token) {
  const pc = new RTCPeerConnection();
  pc.addTransceiver('video', {direction: 'recvonly'});
  const video = document.createElement('video');
  video.muted = true; video.autoplay = true; video.playsInline = true;
  document.body.appendChild(video);
  const tile = {pc, video, painted: 0};
  window.tiles.push(tile);
  pc.ontrack = (e) => { video.srcObject = e.streams[0] || new MediaStream([e.track]); };
  const onFrame = () => { tile.painted++; video.requestVideoFrameCallback(onFrame); };
  video.requestVideoFrameCallback(onFrame);
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((done) => {
    if (pc.iceGatheringState === 'complete') return done();
    pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && done());
  });
  const res = await fetch(`/video/${camera}/whep?rendition=${rendition}`, {
    method: 'POST', body: pc.localDescription.sdp,
    headers: {'Content-Type': 'application/sdp', 'Authorization': 'Bearer ' + token}});
  if (res.status !== 201) throw new Error(`WHEP ${res.status}: ${await res.text()}`);
  tile.location = res.headers.get('Location');
  await pc.setRemoteDescription({type: 'answer', sdp: await res.text()});
  return window.tiles.length - 1;
}
async function stats(i) {
  const tile = window.tiles[i];
  let out = {painted: tile.painted, width: tile.video.videoWidth, height: tile.video.videoHeight};
  (await tile.pc.getStats()).forEach((s) => {
    if (s.type === 'inbound-rtp' && s.kind === 'video') {
      out.framesDecoded = s.framesDecoded; out.frameWidth = s.frameWidth;
      out.frameHeight = s.frameHeight; out.codecId = s.codecId;
    }
    if (s.type === 'codec') out.codecs = (out.codecs || []).concat([s.mimeType]);
  });
  return out;
}
</script></body></html>"""


async def test_chromium_decodes_frames_of_both_renditions() -> None:
    async with video_rig(page_html=PAGE) as rig, async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = await browser.new_page()
            await page.goto(f"{rig.hub_url}/test-page")
            sub = await page.evaluate("([c, r, t]) => play(c, r, t)", ["cam-01", "sub", TOKEN])
            main = await page.evaluate("([c, r, t]) => play(c, r, t)", ["cam-01", "main", TOKEN])
            got: dict[int, Any] = {}
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                got = {i: await page.evaluate("(i) => stats(i)", i) for i in (sub, main)}
                if all(s.get("framesDecoded", 0) >= 30 for s in got.values()):
                    break
                await asyncio.sleep(0.25)
            assert got[sub]["framesDecoded"] >= 30, got
            assert got[main]["framesDecoded"] >= 30, got
            assert (got[sub]["frameWidth"], got[sub]["frameHeight"]) == (320, 180)
            assert (got[main]["width"], got[main]["height"]) == (640, 360)
            assert "video/VP8" in got[sub]["codecs"]
            assert len(rig.registry.sessions) == 2
            await page.evaluate(
                "async () => { for (const t of window.tiles) {"
                " await fetch(t.location, {method: 'DELETE', headers: {Authorization: 'Bearer "
                + TOKEN
                + "'}}); t.pc.close(); } }"
            )
            await wait_until(lambda: not rig.registry.sessions, 5, "sessions ended by DELETE")
        finally:
            await browser.close()
