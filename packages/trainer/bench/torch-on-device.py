"""Runs a PyTorch step timer (torch_msn_step.py) unchanged, on CUDA when PyTorch sees a GPU.

Usage: python3 torch-on-device.py SCRIPT [its flags...]. The script creates its modules and tensors without a
device, so torch.set_default_device puts them on the GPU; its timer (time.perf_counter) is made to synchronise
first, so queued GPU work is counted. On a machine without CUDA it runs on the CPU as it is.
"""
import runpy
import sys
import time

import torch

script, *flags = sys.argv[1:]
if torch.cuda.is_available():
    torch.set_default_device("cuda")
    unsynchronised = time.perf_counter

    def synchronised():
        torch.cuda.synchronize()
        return unsynchronised()

    time.perf_counter = synchronised
    print(f"torch-on-device: {torch.cuda.get_device_name()}", file=sys.stderr)
else:
    print("torch-on-device: no CUDA device, running on the CPU", file=sys.stderr)
sys.argv = [script, *flags]
runpy.run_path(script, run_name="__main__")
