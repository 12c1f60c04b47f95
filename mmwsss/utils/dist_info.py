"""Ranks without a hard dependency on torch: the rank and world size of
a process (from an initialised process group, else torchrun's
variables), distributed mode for the tools, barriers. Never imports torch
unless it is already loaded (the numpy stages stay free of torch)."""
import os
import sys


def _initialised_dist():
    """``torch.distributed`` when a process group is initialised, else
    None. Never imports torch: without torch loaded there is no group (so
    the numpy stages stay free of torch)."""
    if 'torch' not in sys.modules:
        return None
    import torch.distributed as dist
    if dist.is_available() and dist.is_initialized():
        return dist
    return None


def dist_initialised():
    """True when a torch process group is initialised."""
    return _initialised_dist() is not None


def get_dist_info():
    """(rank, world_size) from an initialised process group, else from the
    ``RANK``/``WORLD_SIZE`` variables that torchrun sets, else (0, 1)."""
    dist = _initialised_dist()
    if dist is not None:
        return dist.get_rank(), dist.get_world_size()
    return int(os.environ.get('RANK', 0)), int(os.environ.get('WORLD_SIZE', 1))


def init_tool_dist(launcher):
    """Initialise distributed mode for a tool (gloo without CUDA)."""
    if launcher == 'none':
        return
    import torch
    from mmengine.dist import init_dist

    from .compat import apply_runtime_fixes
    apply_runtime_fixes()  # CPU process groups (gloo) without CUDA
    init_dist(launcher, backend='nccl' if torch.cuda.is_available() else 'gloo')


def close_dist():
    """Wait for every rank, then destroy the process group, if there is one.

    Called at the end of each tool that may run under ``torchrun``: leaving a
    gloo group to the interpreter's exit lets its threads be torn down while
    another rank still talks to them, which aborts the process
    ("terminate called without an active exception") under load.
    """
    dist = _initialised_dist()
    if dist is not None:
        dist.barrier()
        dist.destroy_process_group()


def barrier():
    """Wait for every rank when a process group is initialised."""
    dist = _initialised_dist()
    if dist is not None:
        dist.barrier()
