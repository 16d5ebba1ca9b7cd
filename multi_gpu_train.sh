#!/usr/bin/env bash
# Multi-GPU (DDP) training on one node. Usage:
#   bash multi_gpu_train.sh [NUM_GPUS] [hydra overrides...]
#   bash multi_gpu_train.sh 4 data=endovis18 data.root=/data/endovis18 model.checkpoint_path=/ckpt/sam2.1_hiera_tiny.pt
# Lightning spawns one process per GPU; the batch size is per GPU.
set -euo pipefail
cd "$(dirname "$0")"
NUM_GPUS="${1:-$(nvidia-smi -L 2>/dev/null | wc -l)}"
shift || true
if [ "${NUM_GPUS}" -lt 1 ]; then
  echo "multi_gpu_train.sh: no GPU found; pass the number of GPUs as the first argument" >&2
  exit 2
fi
PYTHON="${PYTHON:-.venv/bin/python}"
exec "${PYTHON}" train.py trainer=ddp trainer.devices="${NUM_GPUS}" "$@"
