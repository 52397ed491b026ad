// The hub's API as the responder app uses it. The token comes from ?access_token= once and
// lives in localStorage; every call sends it as a bearer token.
const KEY = "gw-responder-token";

export function token() {
  const fromUrl = new URLSearchParams(location.search).get("access_token");
  if (fromUrl) localStorage.setItem(KEY, fromUrl);
  return localStorage.getItem(KEY) || "";
}

export function signOut() {
  localStorage.removeItem(KEY);
}

export class HttpError extends Error {
  constructor(status, detail) {
    super(typeof detail === "string" ? detail : JSON.stringify(detail));
    this.status = status;
  }
}

export async function api(path, options = {}) {
  const headers = { Authorization: `Bearer ${token()}`, ...(options.headers || {}) };
  const resp = await fetch(path, { ...options, headers });
  if (!resp.ok) {
    let detail = resp.statusText;
    try { detail = (await resp.json()).detail ?? detail; } catch { /* not JSON */ }
    throw new HttpError(resp.status, detail);
  }
  return resp.status === 204 ? null : resp.json();
}

export const withToken = (url) => `${url}${url.includes("?") ? "&" : "?"}access_token=${encodeURIComponent(token())}`;
