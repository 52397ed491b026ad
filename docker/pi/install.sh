#!/usr/bin/env bash
# Install the Gridwall edge agent on a bare Raspberry Pi OS (Debian bookworm) box and enrol it.
#
#   sudo ./install.sh --hub https://hub.example --token gwe_... [--source DIR] [--model FILE]
#
# Options:
#   --hub URL       the hub, as the box reaches it (required)
#   --token T       one-time enrolment token from the hub's fleet page (required)
#   --source DIR    the Gridwall source tree to install from (default: this script's repository)
#   --model FILE    detector model to copy in (default: <source>/models/gridwall-det-320.onnx if present)
#   --root DIR      install under DIR instead of / (for images and tests)
#   --dry-run       print every command instead of running it; files are still written under --root
# Steps: check the platform → apt packages → user → folders → venv + package → model →
# enrol (writes edge.yaml, cameras, credentials) → systemd unit → enable and start.
set -euo pipefail

HUB="" TOKEN="" ROOT="" DRY=0 MODEL=""
SOURCE="$(cd "$(dirname "$0")/../.." && pwd)"
die() { echo "install.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --hub) HUB="${2:-}"; shift 2 ;;
    --token) TOKEN="${2:-}"; shift 2 ;;
    --source) SOURCE="${2:-}"; shift 2 ;;
    --model) MODEL="${2:-}"; shift 2 ;;
    --root) ROOT="${2:-}"; shift 2 ;;
    --dry-run) DRY=1; shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done
[ -n "$HUB" ] || die "--hub URL is required"
case "$HUB" in http://*|https://*) ;; *) die "--hub '$HUB' must start with http:// or https://" ;; esac
[ -n "$TOKEN" ] || die "--token is required (ask the hub: fleet page → enrol a box)"
case "$TOKEN" in gwe_*) ;; *) die "--token '$TOKEN' is not an enrolment token (they start with gwe_)" ;; esac
[ -f "$SOURCE/pyproject.toml" ] || die "--source '$SOURCE' is not a Gridwall source tree"

PREFIX="$ROOT/opt/gridwall" ETC="$ROOT/etc/gridwall" DATA="$ROOT/var/lib/gridwall"
UNIT_DIR="$ROOT/etc/systemd/system"
[ -n "$MODEL" ] || MODEL="$SOURCE/models/gridwall-det-320.onnx"

step() { echo "==> $*"; }
run() { if [ "$DRY" = 1 ]; then echo "+ $*"; else "$@"; fi; }

step "platform"
arch="$(uname -m)"
case "$arch" in aarch64|arm64|armv7l|x86_64) ;; *) die "unsupported machine '$arch'" ;; esac
if [ "$DRY" = 0 ] && [ "$(id -u)" != 0 ]; then die "run as root (sudo)"; fi
echo "machine $arch"

step "packages"
run apt-get update
run apt-get install -y --no-install-recommends python3 python3-venv python3-pip libglib2.0-0 ca-certificates

step "user"
if ! id gridwall >/dev/null 2>&1; then
  run useradd --system --home-dir /var/lib/gridwall --shell /usr/sbin/nologin --groups video gridwall
fi

step "folders"
mkdir -p "$PREFIX" "$ETC" "$DATA/models" "$UNIT_DIR"
chmod 0750 "$ETC"

step "venv and package"
run python3 -m venv "$PREFIX/.venv"
run "$PREFIX/.venv/bin/pip" install --quiet "$SOURCE[edge]"

step "model"
if [ -f "$MODEL" ]; then
  cp "$MODEL" "$DATA/models/gridwall-det-320.onnx"
else
  echo "no model at $MODEL: copy one to $DATA/models/ before the agent can start"
fi

step "enrol"
run "$PREFIX/.venv/bin/python" -m edge enrol --hub "$HUB" --token "$TOKEN" \
  --dir "$ETC" --data-dir "$DATA" --model "$DATA/models/gridwall-det-320.onnx"

step "systemd unit"
sed -e "s|@PREFIX@|${PREFIX#"$ROOT"}|g" -e "s|@ETC_DIR@|${ETC#"$ROOT"}|g" \
    -e "s|@DATA_DIR@|${DATA#"$ROOT"}|g" \
    "$SOURCE/docker/pi/gridwall-edge.service" > "$UNIT_DIR/gridwall-edge.service"
run chown -R gridwall:gridwall "$ETC" "$DATA"
run systemctl daemon-reload
run systemctl enable --now gridwall-edge.service
step "done: journalctl -u gridwall-edge -f shows the agent; the hub's fleet page shows the box"
