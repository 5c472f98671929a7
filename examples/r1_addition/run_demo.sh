#!/usr/bin/env bash
# CPU learning demo: tiny model -> cold-start SFT -> GRPO, held-out accuracy before and after RL.
# Needs the reward service (math + format, no sandbox): reward-server serve --no-sandbox &
# Usage: examples/r1_addition/run_demo.sh [RUN_DIR] [REWARD_URL]
set -euo pipefail
RUN=${1:-runs/r1-addition}
URL=${2:-http://127.0.0.1:8000}
HERE=$(dirname "$0")
start=$(date +%s)
python "$HERE/make_data.py" "$RUN/data" --train 3000 --heldout 200 --cold-start 3000
grpo-train tiny "$RUN/base" --hidden-size 64 --layers 2
common=(--config "$HERE/grpo.yaml" --reward_url "$URL" --dataset_path "$RUN/data/train.jsonl")
grpo-train sft "${common[@]}" --model_name_or_path "$RUN/base" --output_dir "$RUN/sft" \
  --data "$RUN/data/cold_start.jsonl" --out "$RUN/sft" --epochs 3 --lr 3e-3 --batch-size 32
grpo-train "${common[@]}" --model_name_or_path "$RUN/sft" --output_dir "$RUN/grpo" \
  --eval_dataset_path "$RUN/data/heldout.jsonl"
grpo-train plot "$RUN/grpo/metrics.jsonl" -o "$RUN/grpo/metrics.png"
python - "$RUN/grpo/metrics.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if '"eval/pass@1"' in l]
for r in rows:
    print(f"step {r['step']:>3}: held-out pass@1 {r['eval/pass@1']:.3f}  "
          f"pass@4 {r.get('eval/pass@4', float('nan')):.3f}  "
          f"format {r.get('eval/rewards/format/mean', float('nan')):.3f}")
PY
echo "total: $(( $(date +%s) - start )) s"
