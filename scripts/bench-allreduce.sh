#!/usr/bin/env bash
# All-reduce bandwidth, 2 ranks on this machine, side by side in one run (issue 10; not part of the tests):
# the home-made shm and tcp transports (packages/trainer/bench/allreduce.bench.ts), then Open MPI through koffi
# over shared memory (default BTLs) and over TCP (--mca btl self,tcp). Needs: apt-get install openmpi-bin libopenmpi-dev.
#   scripts/bench-allreduce.sh [sizes in MiB, default 1,4,16,64]
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES="${1:-1,4,16,64}"
MPIRUN=(mpirun --allow-run-as-root --oversubscribe --bind-to none -np 2)
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
(cd packages/trainer && npx tsx bench/allreduce.bench.ts --ranks 2 --sizes "$SIZES")
BENCH_SIZES="$SIZES" BENCH_LABEL=" shm" "${MPIRUN[@]}" -x BENCH_SIZES -x BENCH_LABEL node scripts/allreduce-mpi-rank.mjs
BENCH_SIZES="$SIZES" BENCH_LABEL=" tcp" "${MPIRUN[@]}" --mca btl self,tcp -x BENCH_SIZES -x BENCH_LABEL node scripts/allreduce-mpi-rank.mjs
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
