#!/usr/bin/env bash
# Multi-GPU (DDP) training on one node: train.py with trainer=ddp trainer.devices=NUM_GPUS.
# Usage:
#   bash multi_gpu_train.sh [NUM_GPUS] [hydra overrides...]
#   bash multi_gpu_train.sh 4 data=endovis18 data.root=/data/endovis18 model.checkpoint_path=/ckpt/sam2.1_hiera_tiny.pt
# NUM_GPUS defaults to the GPUs nvidia-smi lists. Lightning spawns one process per GPU; the batch
# size is per GPU. Without a GPU: python train.py trainer=cpu ...  (exit status 2 on bad input).
set -euo pipefail
cd "$(dirname "$0")"

case "${1:-}" in
  -h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac

if [[ "${1:-}" =~ ^[0-9]+$ ]]; then
  NUM_GPUS="$1"
  shift
elif command -v nvidia-smi >/dev/null 2>&1; then
  NUM_GPUS="$(nvidia-smi -L 2>/dev/null | grep -c '^GPU' || true)"
else
  NUM_GPUS=0
fi
if [ "${NUM_GPUS}" -lt 1 ]; then
  echo "multi_gpu_train.sh: no GPU found (nvidia-smi missing or lists none); pass the number of GPUs as the" \
       "first argument, or train on the CPU with: python train.py trainer=cpu ..." >&2
  exit 2
fi
PYTHON="${PYTHON:-.venv/bin/python}"
exec "${PYTHON}" train.py trainer=ddp trainer.devices="${NUM_GPUS}" "$@"
