#!/usr/bin/env bash
# The FGD paper's inflation experiment on the openb trace: allocation at 130 % arrived demand,
# seeds 42-51, on both node lists (the paper's GPU-node cluster and the full 1,523 nodes),
# and the wall time of the six paper policies x 10 seeds on the default trace.
# Usage: bench/macro/inflate_quality.sh [OUT_DIR]   (build first: scripts/build)
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${1:-out/bench}"
d=data/traces/openb
pods=""
for w in default gpushare100 multigpu50 gpuspec33 cpu250; do pods="$pods --pods $d/openb_pod_list_$w.csv"; done
for nodes in gpu_node all_node; do
  echo "== $nodes"
  build/suanwang sim inflate --nodes "$d/openb_node_list_$nodes.csv" $pods \
    --policy random,bestfit,fgd,fgd-lookahead --seeds 42-51 --out "$out/$nodes" --no-progress
done
echo "== every openb trace, fgd vs fgd-lookahead, all nodes"
all=""
for f in $d/openb_pod_list_*.csv; do all="$all --pods $f"; done
build/suanwang sim inflate --nodes "$d/openb_node_list_all_node.csv" $all --policy fgd,fgd-lookahead \
  --seeds 42-51 --out "$out/every" --no-progress
echo "== wall time: six paper policies x 10 seeds, default trace, all nodes"
for i in 1 2 3; do
  /usr/bin/time -f "%e s wall, %U s user" build/suanwang sim inflate --nodes "$d/openb_node_list_all_node.csv" \
    --pods "$d/openb_pod_list_default.csv" --policy random,dotprod,clustering,packing,bestfit,fgd \
    --seeds 42-51 --out "$out/six" --no-progress > /dev/null
done
