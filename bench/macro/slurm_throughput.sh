#!/usr/bin/env bash
# 1,000 trivial jobs into a local Slurm cluster: directly with sbatch (the baseline) and through
# suanwang (server + `agent --executor slurm`), in the same run, each timed from the first
# submission until Slurm has run every job (and, through suanwang, every job is `succeeded`).
# Each half gets a freshly started cluster (finished jobs stay in slurmctld's memory for
# MinJobAge and slow down whatever runs after them).
# Usage: bench/macro/slurm_throughput.sh [BIN] [JOBS]
set -euo pipefail
cd "$(dirname "$0")/../.."
bin="${1:-build/suanwang}"
n="${2:-1000}"
export SUANWANG_SLURM_DIR=/tmp/suanwang-slurm-bench SUANWANG_SLURM_PORT=17117
home="$(mktemp -d)"
cleanup() { kill $(jobs -p) 2>/dev/null || true; scripts/slurm-stop; rm -rf "$home"; }
trap cleanup EXIT
eval "$(scripts/slurm-start 2>/dev/null)"
now() { date +%s.%N; }
wait_slurm_idle() { while [ -n "$(squeue -h -t PD,R,CG,CF -o %i | head -1)" ]; do sleep 0.2; done; }

# Baseline: sbatch directly.
mkdir -p "$home/direct"
t0=$(now)
for i in $(seq "$n"); do sbatch --parsable --no-requeue --job-name="direct-$i" --chdir="$home/direct" \
  --output=/dev/null --ntasks=1 --cpus-per-task=1 --mem=64 --wrap true >/dev/null; done
t_submitted=$(now)
wait_slurm_idle
t1=$(now)
direct_submit=$(awk -v a="$t0" -v b="$t_submitted" 'BEGIN{print b-a}')
direct_total=$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')

# Through suanwang, on a fresh cluster.
scripts/slurm-stop
eval "$(scripts/slurm-start 2>/dev/null)"
"$bin" server --home "$home" --listen 127.0.0.1:0 --sites zw-1 >"$home/server.log" 2>&1 &
for _ in $(seq 100); do [ -s "$home/url" ] && break; sleep 0.05; done
"$bin" agent --site zw-1 --home "$home" --executor slurm >"$home/agent.log" 2>&1 &
export SUANWANG_URL="$(cat "$home/url")" SUANWANG_TOKEN="$(cat "$home/admin.token")"
until "$bin" sites -o json | grep -q '"up": true'; do sleep 0.1; done
t0=$(now)
"$bin" bench submit --clients 8 --jobs "$n" --json >"$home/submit.json"
t_submitted=$(now)
until [ "$("$bin" jobs --all --state succeeded -o json | grep -c '"id"')" -ge "$n" ]; do sleep 0.2; done
t1=$(now)
sw_submit=$(awk -v a="$t0" -v b="$t_submitted" 'BEGIN{print b-a}')
sw_total=$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')
ratio=$(awk -v a="$sw_total" -v b="$direct_total" 'BEGIN{printf "%.3f", a/b}')
printf '{"jobs":%d,"sbatch_submit_s":%.2f,"sbatch_total_s":%.2f,"suanwang_submit_s":%.2f,"suanwang_total_s":%.2f,"ratio_total":%s}\n' \
  "$n" "$direct_submit" "$direct_total" "$sw_submit" "$sw_total" "$ratio"
