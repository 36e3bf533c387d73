#!/usr/bin/env bash
# Submit -> running latency on the embedded default (`suanwang up`: server, SQLite, three local
# agents), jobs submitted one after another at random moments and each followed until its task
# runs. Runs the default agents (long poll: the server holds a fetch up to 100 ms and answers as
# soon as a dispatch commits) and, as the baseline in the same sitting, agents polling plainly
# every 20 ms (--agent-wait-ms 0), REPEAT times each (default 3), one JSON line per run. `up`
# serves HTTPS (its local CA) by default; the long-poll runs are repeated over plain HTTP
# (--insecure-http) as the baseline of what TLS costs.
# Usage: bench/macro/submit_to_running.sh [BIN] [JOBS] [REPEAT]
set -euo pipefail
bin="${1:-build/suanwang}"
jobs="${2:-200}"
repeat="${3:-3}"
run() {  # run POLL_MS WAIT_MS [--insecure-http]
  local home
  home="$(mktemp -d)"
  "$bin" up --home "$home" --listen 127.0.0.1:0 --agent-poll-ms "$1" --agent-wait-ms "$2" ${3:-} >"$home/up.log" 2>&1 &
  local up_pid=$!
  for _ in $(seq 100); do [ -s "$home/url" ] && break; sleep 0.05; done
  sleep 1  # the agents' first heartbeats
  printf '{"agent_poll_ms":%s,"agent_wait_ms":%s,"transport":"%s","result":' "$1" "$2" \
    "$(sed 's|:.*||' "$home/url")"
  SUANWANG_URL="$(cat "$home/url")" SUANWANG_TOKEN="$(cat "$home/admin.token")" SUANWANG_CA="$home/ca.pem" \
    "$bin" bench running --jobs "$jobs" --json | tr -d '\n'
  echo "}"
  kill -INT "$up_pid"
  wait "$up_pid" || true
  rm -rf "$home"
}
for _ in $(seq "$repeat"); do
  run 5 100
  run 5 100 --insecure-http
  run 20 0
done
