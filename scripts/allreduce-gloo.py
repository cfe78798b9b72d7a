"""The PyTorch half of scripts/bench-allreduce.sh: in-place float32 all-reduce over torch.distributed's gloo backend,
2 processes on this machine, the same sizes and iteration counts as the MPI half (rank 0 prints one line per size).
Needs Debian's python3-torch; run with /usr/bin/python3."""
import os
import sys
import tempfile
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp


def rank_main(rank: int, world_size: int, init_file: str, sizes: list[int]) -> None:
    dist.init_process_group('gloo', init_method=f'file://{init_file}', rank=rank, world_size=world_size)
    show = print if rank == 0 else (lambda *_, **__: None)
    scalar = torch.zeros(1)
    for _ in range(50):
        dist.all_reduce(scalar)
    start = time.perf_counter()
    for _ in range(500):
        dist.all_reduce(scalar)
    show(f'gloo: 4-byte all-reduce {(time.perf_counter() - start) * 1e6 / 500:.1f} µs', flush=True)
    for size_mib in sizes:
        values = torch.full(((size_mib << 20) // 4,), float(rank + 1))
        iterations = max(3, round(64 / size_mib))
        dist.all_reduce(values)
        dist.barrier()
        start = time.perf_counter()
        for _ in range(iterations):
            dist.all_reduce(values)
        milliseconds = (time.perf_counter() - start) * 1000 / iterations
        show(f'gloo {size_mib} MiB in place {milliseconds:.2f} ms algbw {(size_mib << 20) / milliseconds / 1e6:.3f} GB/s', flush=True)
    dist.destroy_process_group()


if __name__ == '__main__':
    torch.set_num_threads(1)
    sizes = [int(size) for size in (sys.argv[1] if len(sys.argv) > 1 else '1,4,16,64').split(',')]
    with tempfile.TemporaryDirectory() as folder:
        mp.spawn(rank_main, args=(2, os.path.join(folder, 'rendezvous'), sizes), nprocs=2)
