#!/usr/bin/env bash
# One clean submit run (64 keep-alive clients, 10,000 jobs) with server and client from BIN, for
# A/B comparisons of two builds in one sitting. Usage: bench/macro/submit_ab.sh BIN
set -euo pipefail
bin="$1"
home="$(mktemp -d)"
trap 'kill -9 $(jobs -p) 2>/dev/null || true; rm -rf "$home"' EXIT
"$bin" server --listen 127.0.0.1:0 --home "$home" >"$home/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do [ -f "$home/url" ] && break; sleep 0.05; done
SUANWANG_URL="$(cat "$home/url")" SUANWANG_TOKEN="$(cat "$home/admin.token")" \
  "$bin" bench submit --clients 64 --jobs 10000 --json
kill -TERM "$server_pid"
wait "$server_pid" || true
