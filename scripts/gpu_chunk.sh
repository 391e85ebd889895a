#!/usr/bin/env bash
# One chunk of a long GPU training run, for machines that allow ~10-minute sessions.
#
#   bash scripts/gpu_chunk.sh RUN_DIR MODEL [SECONDS]
#
# Builds CIFAR-10 locally if needed, resumes (or starts) the run in RUN_DIR on the GPU with the
# paper's full recipe, stops cleanly with a checkpoint after SECONDS (default 480), and, when the
# environment variable OUT is set, copies the run folder there so it can travel back. Repeat with
# the returned folder in place until result.json appears. See docs/gpu.md.
set -euo pipefail
run_dir=${1:?usage: gpu_chunk.sh RUN_DIR MODEL [SECONDS]}
model=${2:?usage: gpu_chunk.sh RUN_DIR MODEL [SECONDS]}
seconds=${3:-480}
data=${MINIRES_DATA:-/tmp/cifar10}

if [ ! -f "$data/cifar-10-batches-py/test_batch" ]; then
  python ../shared/data/build_cifar10.py "$data" > /dev/null
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
status=0
python -m minires train --model "$model" --device cuda --data "$data" --out "$run_dir" --resume \
  --time-limit "$seconds" || status=$?
if [ -n "${OUT:-}" ]; then
  mkdir -p "$OUT/$(basename "$run_dir")"
  cp "$run_dir"/* "$OUT/$(basename "$run_dir")/"
fi
exit "$status"
