#!/usr/bin/env bash
# The README's main job: evaluate the three reward methods on the held-out sets of the project's
# own arithmetic models (models/, trained by tools/demo_models/train.py) and print one Markdown
# table per method. Reports (JSON) go to $REPORTS (default build/demo-reports).
#   examples/eval_demo_models.sh [path/to/rewardkit]
set -euo pipefail
cd "$(dirname "$0")/.."
rewardkit="${1:-build/bin/rewardkit}"
reports="${REPORTS:-build/demo-reports}"
mkdir -p "$reports"
data=models/arith-data
inputs=(--input "$data/pairs.jsonl" --input "$data/best_of_4.jsonl" --input "$data/best_of_n.jsonl")
common=(--device cpu --dtype float32)

"$rewardkit" eval --method bt --model models/arith-rm "${inputs[@]}" "${common[@]}" --report "$reports/bt.json"
echo
"$rewardkit" eval --method confidence --model models/arith-solver "${inputs[@]}" "${common[@]}" \
  --report "$reports/confidence.json"
echo
"$rewardkit" eval --method density-ratio --strong models/arith-strong --weak models/arith-weak "${inputs[@]}" \
  "${common[@]}" --report "$reports/density-ratio.json"
