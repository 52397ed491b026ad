// A minimal WHEP player session: POST an SDP offer, set the answer, DELETE to end.
// Receive-only video; no trickle ICE (the offer is sent once gathering ends or after 1 s).
import { authHeaders } from "./api.js";

export class WhepSession {
  constructor(url) {
    this.url = url;
    this.pc = null;
    this.resource = null;
  }

  /** Negotiate; resolves with the MediaStream once the track arrives. */
  async start(onState) {
    const pc = new RTCPeerConnection({ iceServers: [] });
    this.pc = pc;
    pc.addTransceiver("video", { direction: "recvonly" });
    const gotTrack = new Promise((resolve) => {
      pc.addEventListener("track", (ev) => resolve(ev.streams[0] || new MediaStream([ev.track])));
    });
    pc.addEventListener("connectionstatechange", () => onState?.(pc.connectionState));
    await pc.setLocalDescription(await pc.createOffer());
    await gatheringDone(pc, 1000);
    const res = await fetch(this.url, {
      method: "POST",
      headers: { "Content-Type": "application/sdp", ...authHeaders() },
      body: pc.localDescription.sdp,
    });
    if (res.status !== 201 && res.status !== 200) {
      throw new Error(`WHEP ${res.status} ${await res.text()}`);
    }
    const where = res.headers.get("Location");
    this.resource = where ? new URL(where, new URL(this.url, location.href)).href : null;
    await pc.setRemoteDescription({ type: "answer", sdp: await res.text() });
    return gotTrack;
  }

  stop() {
    if (this.resource) fetch(this.resource, { method: "DELETE", headers: authHeaders() }).catch(() => {});
    this.resource = null;
    this.pc?.close();
    this.pc = null;
  }
}

function gatheringDone(pc, timeoutMs) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      if (pc.iceGatheringState === "complete") resolve();
    };
    pc.addEventListener("icegatheringstatechange", done);
    setTimeout(resolve, timeoutMs);
  });
}
