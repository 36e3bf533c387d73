#!/usr/bin/env bash
# Placement decisions per second on one core: median of REPEATS runs of `suanwang bench
# placement` per (policy, cluster size), with bestfit's plain scan as the same-run baseline.
# Usage: bench/macro/placement_speed.sh [REPEATS]   (build first: scripts/build)
set -euo pipefail
cd "$(dirname "$0")/../.."
repeats="${1:-5}"
bin=build/suanwang
median() { sort -n | awk '{a[NR]=$1} END{print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
run() {  # label, args...
  local label="$1"; shift
  local values=()
  for _ in $(seq "$repeats"); do
    values+=("$("$bin" bench placement "$@" --json | sed 's/.*"decisions_per_second":\([0-9.]*\).*/\1/')")
  done
  printf '%-38s %12.0f decisions/s (median of %s; runs: %s)\n' "$label" \
    "$(printf '%s\n' "${values[@]}" | median)" "$repeats" "$(printf '%.0f ' "${values[@]}")"
}
for n in 1000 10000 100000; do
  run "bestfit, $n nodes" --policy bestfit --nodes "$n"
  [ "$n" -le 10000 ] && run "bestfit-scan (baseline), $n nodes" --policy bestfit-scan --nodes "$n"
done
for p in fgd fgd-lookahead; do
  run "$p, openb cluster (1,523 nodes)" --policy "$p" --cluster data/traces/openb/openb_node_list_all_node.csv
  run "$p, openb cluster, from empty" --policy "$p" --cluster data/traces/openb/openb_node_list_all_node.csv --prefill 0 --seconds 30
  run "$p, 10000 nodes" --policy "$p" --nodes 10000
done
