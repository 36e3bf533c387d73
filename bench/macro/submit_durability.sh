#!/usr/bin/env bash
# kill -9 of the server during concurrent submissions, then restart: every acknowledged job
# must be there, and no task may have been dispatched twice (one signed "run" per task across
# the kill and the recovery). Also prints the submit rate of a clean run.
# Usage: bench/macro/submit_durability.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
home="$(mktemp -d)"
trap 'kill -9 $(jobs -p) 2>/dev/null || true; rm -rf "$home"' EXIT
start_server() {
  rm -f "$home/url"
  build/suanwang server --listen 127.0.0.1:0 --home "$home" >>"$home/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 100); do [ -f "$home/url" ] && break; sleep 0.05; done
  export SUANWANG_URL="$(cat "$home/url")"
  export SUANWANG_TOKEN="$(cat "$home/admin.token")"
}

start_server
echo "== clean run, 64 clients"
build/suanwang bench submit --clients 64 --jobs 10000 --json
kill -TERM "$server_pid"; wait "$server_pid" || true
rm -f "$home"/suanwang.db* "$home"/admin.token

start_server
echo "== kill -9 during 10,000 submissions from 64 clients"
build/suanwang bench submit --clients 64 --jobs 10000 --ids-out "$home/acked.txt" --json >"$home/bench.json" 2>&1 &
bench_pid=$!
sleep 0.8
kill -9 "$server_pid"
wait "$bench_pid" || true
acked=$(wc -l <"$home/acked.txt")
start_server
sleep 3  # the engine takes the recovered jobs back and places the queued ones
python3 - "$SUANWANG_URL" "$home/acked.txt" <<'PY'
import collections, json, os, sys, urllib.request
url, acked_file = sys.argv[1], sys.argv[2]
def get(path):
    req = urllib.request.Request(url + path, headers={"Authorization": "Bearer " + os.environ["SUANWANG_TOKEN"]})
    return json.load(urllib.request.urlopen(req))
acked = {int(l) for l in open(acked_file) if l.strip()}
stored, after = set(), 0
while True:
    page = get(f"/v1/jobs?limit=1000&after={after}")
    stored |= {j["id"] for j in page["jobs"]}
    if page["next_after"] is None: break
    after = page["next_after"]
missing = acked - stored
runs = collections.Counter()
for site in get("/v1/sites")["sites"]:
    after = 0
    while True:
        page = get(f"/v1/sites/{site['id']}/dispatches?after={after}&limit=1000")
        for d in page["dispatches"]:
            command = json.loads(d["payload"])
            if command["op"] == "run": runs[(command["job"], command["task"])] += 1
        if not page["dispatches"]: break
        after = page["next_after"]
twice = [k for k, n in runs.items() if n > 1]
print(f"acknowledged before the kill: {len(acked)}, stored after restart: {len(stored)}, "
      f"acknowledged but missing: {len(missing)}; tasks dispatched: {len(runs)}, dispatched twice: {len(twice)}")
sys.exit(1 if missing or twice else 0)
PY
