// The wall's live stream (Server-Sent Events). Each "state" event carries the whole wall,
// so a reconnect (EventSource retries by itself, sending Last-Event-ID) is back in sync.
// ``url`` is a function: a stream closed for good (its ticket expired) reopens on a fresh URL.
export function subscribe(url, handlers) {
  let source = null;
  let retry = 1000;
  const open = () => {
    source = new EventSource(typeof url === "function" ? url() : url);
    source.addEventListener("open", () => {
      retry = 1000;
      handlers.connected?.(true);
    });
    for (const [name, fn] of Object.entries(handlers)) {
      if (name === "connected") continue;
      source.addEventListener(name, (ev) => fn(JSON.parse(ev.data), ev.lastEventId));
    }
    source.addEventListener("error", () => {
      handlers.connected?.(false);
      if (source.readyState === EventSource.CLOSED) {
        setTimeout(open, retry);
        retry = Math.min(retry * 2, 15000);
      }
    });
  };
  open();
  return () => source?.close();
}
