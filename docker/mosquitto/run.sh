#!/bin/sh
# Run Mosquitto and reload its passwd/acl (SIGHUP) whenever the hub rewrites them.
set -eu
AUTH=/mosquitto/auth
mosquitto -c /mosquitto/config/mosquitto.conf &
pid=$!
trap 'kill -TERM "$pid"; wait "$pid"; exit 0' TERM INT
stamp() { stat -c %Y "$AUTH/passwd" "$AUTH/acl" 2>/dev/null | tr '\n' ' '; }
last=$(stamp)
while kill -0 "$pid" 2>/dev/null; do
  sleep 2
  now=$(stamp)
  if [ "$now" != "$last" ]; then
    kill -HUP "$pid"
    last=$now
  fi
done
wait "$pid"
