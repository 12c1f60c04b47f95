#!/usr/bin/env bash
# GPU check of the VOC recipes (benchmarks/gpu_check.py): a few training
# iterations per config at the real crop size on synthetic data, with and
# without AMP; prints it/s and peak GPU memory. Exits 0 with a message on a
# machine without CUDA. Arguments go to the script (--iters, --amp, --only).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON="${PYTHON:-python}"
cd "$ROOT"
PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" exec "$PYTHON" benchmarks/gpu_check.py "$@"
