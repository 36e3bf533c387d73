#!/usr/bin/env bash
# Issue 5's figures in one go: the green scenario's policy comparison (carbon per GPU-hour, JCT,
# tier compliance, deadlines), its contracted-green sensitivity, and the cost of the carbon
# terms per network placement decision (median of ROUNDS alternating rounds, same run).
# Usage: bench/macro/green_placement.sh [ROUNDS]   (build first: scripts/build)
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds="${1:-5}"
out="${OUT:-/tmp/suanwang-green}"
build/suanwang sim replay --scenario data/scenarios/green-gaia-pai.yaml --out "$out/location-based" --no-progress
build/suanwang sim replay --scenario data/scenarios/green-gaia-pai-contracted.yaml --out "$out/contracted" --no-progress
build/suanwang bench placement --scenario data/scenarios/green-gaia-pai.yaml --max-jobs 100000 --rounds "$rounds"
