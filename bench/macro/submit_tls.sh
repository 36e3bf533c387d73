#!/usr/bin/env bash
# Durable submits over HTTPS against plain HTTP in the same sitting: `suanwang server` (SQLite)
# with a fresh EC P-256 certificate for 127.0.0.1, then without TLS, alternately REPEAT times
# (default 3); each run is `bench submit --clients 64 --jobs JOBS` (keep-alive, so one
# handshake per client). Prints one JSON line per run and the medians and their ratio.
# Usage: bench/macro/submit_tls.sh [BIN] [JOBS] [REPEAT]
set -euo pipefail
bin="${1:-build/suanwang}"
jobs="${2:-10000}"
repeat="${3:-3}"
work="$(mktemp -d)"
trap 'kill -9 $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost \
  -addext subjectAltName=IP:127.0.0.1,DNS:localhost -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
run() {  # run tls|plain
  local home="$work/$1-$RANDOM" tls_args=()
  mkdir -p "$home"
  [ "$1" = tls ] && tls_args=(--tls-cert "$work/cert.pem" --tls-key "$work/key.pem")
  "$bin" server --listen 127.0.0.1:0 --home "$home" "${tls_args[@]}" >"$home/server.log" 2>&1 &
  local pid=$!
  for _ in $(seq 200); do [ -s "$home/url" ] && break; sleep 0.05; done
  printf '{"transport":"%s","result":' "$1"
  SUANWANG_URL="$(cat "$home/url")" SUANWANG_TOKEN="$(cat "$home/admin.token")" SUANWANG_CA="$work/cert.pem" \
    "$bin" bench submit --clients 64 --jobs "$jobs" --json | tr -d '\n'
  echo "}"
  kill -TERM "$pid"
  wait "$pid" || true
}
for _ in $(seq "$repeat"); do
  run tls
  run plain
done | tee "$work/runs.jsonl"
python3 - "$work/runs.jsonl" <<'PY'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
med = {}
for t in ("tls", "plain"):
    rs = [r["result"] for r in runs if r["transport"] == t]
    med[t] = {k: statistics.median(r[k] for r in rs) for k in ("submits_per_second", "p50_ms", "p99_ms")}
    print(f"{t:5s}: median {med[t]['submits_per_second']:.0f} submits/s, p50 {med[t]['p50_ms']:.2f} ms, "
          f"p99 {med[t]['p99_ms']:.2f} ms over {len(rs)} runs")
print(f"tls/plain: {med['tls']['submits_per_second'] / med['plain']['submits_per_second']:.3f}")
PY
