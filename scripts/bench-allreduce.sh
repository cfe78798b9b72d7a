#!/usr/bin/env bash
# All-reduce bandwidth, 2 ranks on this machine (issue 10; not part of the tests): Open MPI through koffi over shared
# memory (default BTLs) and over TCP (--mca btl self,tcp), next to PyTorch's gloo backend. The home-made shm/tcp transports this replaced were measured
# with it before their removal (numbers in packages/trainer/src/distributed/README.md).
# Needs: apt-get install openmpi-bin libopenmpi-dev.
#   scripts/bench-allreduce.sh [sizes in MiB, default 1,4,16,64]
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES="${1:-1,4,16,64}"
MPIRUN=(mpirun --oversubscribe --bind-to none -np 2)
if [ "$(id -u)" = 0 ]; then MPIRUN+=(--allow-run-as-root); fi
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
BENCH_SIZES="$SIZES" BENCH_LABEL=" shm" "${MPIRUN[@]}" -x BENCH_SIZES -x BENCH_LABEL node scripts/allreduce-mpi-rank.mjs
BENCH_SIZES="$SIZES" BENCH_LABEL=" tcp" "${MPIRUN[@]}" --mca btl self,tcp -x BENCH_SIZES -x BENCH_LABEL node scripts/allreduce-mpi-rank.mjs
# PyTorch's torch.distributed gloo backend (TCP on loopback), side by side (Debian python3-torch).
if /usr/bin/python3 -c 'import torch' 2>/dev/null; then /usr/bin/python3 scripts/allreduce-gloo.py "$SIZES"; else echo "gloo: skipped (no python3-torch)"; fi
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
