#!/usr/bin/env bash
# CPU learning demo: tiny model -> cold-start SFT -> GRPO, held-out pass@1 before and after RL.
# Needs the reward service (math + format, no sandbox): reward-server serve --no-sandbox &
# Usage: examples/r1_addition/run_demo.sh [RUN_DIR] [REWARD_URL] [SEED]
set -euo pipefail
RUN=${1:-runs/r1-addition}
URL=${2:-http://127.0.0.1:8000}
SEED=${3:-0}
HERE=$(dirname "$0")
STEPS=60        # GRPO steps; checkpoints at STEPS / 2 and STEPS are evaluated
# One thread per process: a 107k-parameter model gains nothing from a second one, the grader
# keeps a core, and a fixed thread count keeps float sums, hence the run, reproducible.
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
start=$(date +%s)
stage() { echo "== [$(( $(date +%s) - start )) s] $*"; }

stage "data and tiny model (seed $SEED)"
python "$HERE/make_data.py" "$RUN/data" --train 3000 --heldout 200 --cold-start 3000 --seed "$SEED"
grpo-train tiny "$RUN/base" --hidden-size 64 --layers 2 --seed "$SEED"
common=(--config "$HERE/grpo.yaml" --reward_url "$URL" --dataset_path "$RUN/data/train.jsonl"
        --seed "$SEED")

stage "cold-start SFT"
grpo-train sft "${common[@]}" --model_name_or_path "$RUN/base" --output_dir "$RUN/sft" \
  --data "$RUN/data/cold_start.jsonl" --out "$RUN/sft" --epochs 8 --lr 3e-3 --batch-size 32

stage "GRPO, $STEPS steps"
grpo-train "${common[@]}" --model_name_or_path "$RUN/sft" --output_dir "$RUN/grpo" \
  --max_steps "$STEPS" --save_steps $((STEPS / 2))

# Held-out pass@1 of the SFT model (step 0), the mid checkpoint and the last one: every graded
# sample is kept (for the standard errors), the summary rows go to the run's metrics.jsonl
mkdir -p "$RUN/eval"
for step in 0 $((STEPS / 2)) "$STEPS"; do
  stage "held-out evaluation, step $step"
  model="$RUN/grpo/checkpoint-$step"
  [ "$step" = 0 ] && model="$RUN/sft"
  grpo-train evaluate "${common[@]}" --output_dir "$RUN/grpo" --model "$model" \
    --data "$RUN/data/heldout.jsonl" -n 4 -k 1 4 --step "$step" \
    --samples-out "$RUN/eval/step$step.jsonl" >/dev/null
done
grpo-train plot "$RUN/grpo/metrics.jsonl" -o "$RUN/grpo/metrics.png"
python "$HERE/summary.py" "after SFT=$RUN/eval/step0.jsonl" \
  "GRPO step $((STEPS / 2))=$RUN/eval/step$((STEPS / 2)).jsonl" \
  "GRPO step $STEPS=$RUN/eval/step$STEPS.jsonl"
stage "done"
