#!/usr/bin/env bash
# Starts the real app under Xvfb on the bundled sample, takes a screenshot, checks it is not
# blank. Usage: window-smoke.sh OUT.png [extra app args…]
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-/tmp/appxview-window.png}"; shift || true
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/root/.cache/appxview-main-target}"
cargo build --locked -q
bin="$CARGO_TARGET_DIR/debug/appxview"
export DISPLAY=:97
unset WAYLAND_DISPLAY
mkdir -p /tmp/xdg-appxview && chmod 700 /tmp/xdg-appxview && export XDG_RUNTIME_DIR=/tmp/xdg-appxview
Xvfb :97 -screen 0 1600x900x24 -nolisten tcp >/dev/null 2>&1 & xpid=$!
trap 'kill $apid $xpid 2>/dev/null || true' EXIT
sleep 1.5
"$bin" assets/samples/appx-demo-synthetic.evtx "$@" >/tmp/appxview-window.log 2>&1 & apid=$!
sleep 8
kill -0 "$apid" || { echo "the app exited:"; cat /tmp/appxview-window.log; exit 1; }
import -window root "$out"
sd=$(convert "$out" -format '%[fx:standard_deviation]' info:)
echo "screenshot $out, standard deviation $sd"
awk -v sd="$sd" 'BEGIN { exit !(sd > 0.01) }' || { echo "blank screenshot"; exit 1; }
