#!/usr/bin/env bash
# vLLM path on one GPU, offline, in a few minutes (budget: under 8): log-prob agreement before
# the first update, weight sync changing generations, a few GRPO steps with sleep mode.
# Needs: pip install -e '.[train,vllm]'. Usage: scripts/gpu_check.sh [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 VLLM_ENABLE_V1_MULTIPROCESSING=0
exec timeout 480 python scripts/gpu_check.py "${1:-/tmp/gpu_check}"
