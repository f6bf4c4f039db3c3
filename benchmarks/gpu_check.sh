#!/usr/bin/env bash
# GPU check for lic_gpu.vectors.store (issue 3): the CUDA tests, then the GPU benchmark
# (3M x 300, 10k queries, fp32 / TF32 / bf16, achieved TFLOP/s against a plain matmul).
#
#   bash benchmarks/gpu_check.sh      # output in $OUT if set, else benchmarks/results/gpu/
#
# Sized to finish in well under 10 minutes on one H100; exits non-zero if either step fails.
set -u -o pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out_dir="${OUT:-benchmarks/results/gpu}"
mkdir -p "$out_dir"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"

{
  date -u
  nvidia-smi --query-gpu=name,memory.total,memory.used,driver_version --format=csv || true
  lscpu | grep -E '^(Model name|CPU\(s\))' || true
  python -c 'import torch; print("torch", torch.__version__, "CUDA", torch.version.cuda,
             "available", torch.cuda.is_available(),
             torch.cuda.get_device_name(0) if torch.cuda.is_available() else "")'
} 2>&1 | tee "$out_dir/machine.txt"

if ! python -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)'; then
  echo "torch sees no CUDA device: nothing to check" | tee "$out_dir/summary.txt"
  exit 2
fi

timeout 240 python -m pytest tests -m cuda -q -rs -p no:cacheprovider 2>&1 \
  | tee "$out_dir/pytest_cuda.txt"
tests_rc=${PIPESTATUS[0]}

timeout 330 python benchmarks/bench_embeddings.py --device cuda --glove-gensim-queries 300 \
  --out "$out_dir/embeddings_gpu.md" 2>&1 | tee "$out_dir/bench_gpu.log"
bench_rc=${PIPESTATUS[0]}

echo "cuda tests rc=$tests_rc, benchmark rc=$bench_rc" | tee "$out_dir/summary.txt"
[ "$tests_rc" -eq 0 ] && [ "$bench_rc" -eq 0 ]
