"""Headless Debian Chromium for the video tests: launch flags and a WHEP test page."""

from __future__ import annotations

from tests.chromium import BASE_ARGS, CHROMIUM

__all__ = ["ARGS", "CHROMIUM", "PAGE"]
ARGS = [
    *BASE_ARGS,
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
