"""The one per-image parallel map: ranks + worker pool + resume.

A job is a list of image ids and a function that writes the outputs of one
id (atomically, see :mod:`mmwsss.utils.io`). Ids whose outputs all exist are
skipped, so running a killed job again finishes it; under ``torchrun`` each
rank takes every ``world_size``-th id; within a rank :func:`map_images`
spreads the ids over forked worker processes.

The per-image function may be any callable, e.g. an object holding the
stage's settings and readers: it reaches the workers through the fork (the
pool's initializer), never pickled and never through a module global of the
stage.
"""
import os
import os.path as osp
import sys
from multiprocessing import get_context

from tqdm import tqdm


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


class _Worker:
    """The function of a forked pool worker (set once by the initializer,
    inherited through the fork, so it is never pickled)."""
    fn = None

    @classmethod
    def init(cls, fn):
        cls.fn = fn

    @classmethod
    def call(cls, item):
        return cls.fn(item)


def map_images(fn, ids, num_workers=0, desc='images', chunksize=4,
               ordered=True, initial=0, total=None):
    """Yield ``fn(id)`` for every id, with a progress bar; with
    ``num_workers > 0`` in that many forked processes. Results come in the
    order of ``ids`` (``ordered=False``: as they finish)."""
    ids = list(ids)
    bar = tqdm(total=total if total is not None else len(ids),
               initial=initial, desc=desc, disable=None, dynamic_ncols=True)
    try:
        if num_workers and num_workers > 0 and len(ids) > 1:
            ctx = get_context('fork')
            with ctx.Pool(num_workers, initializer=_Worker.init,
                          initargs=(fn, )) as pool:
                imap = pool.imap if ordered else pool.imap_unordered
                for res in imap(_Worker.call, ids, chunksize=chunksize):
                    bar.update(1)
                    yield res
        else:
            for img_id in ids:
                res = fn(img_id)
                bar.update(1)
                yield res
    finally:
        bar.close()


class ShardedJob:
    """Ids of this rank that still need work.

    Args:
        ids (list[str]): all image ids of the split.
        outputs (callable): id -> list of output paths of that id.
        rank, world_size (int, optional): default from :func:`get_dist_info`.
    """

    def __init__(self, ids, outputs, rank=None, world_size=None):
        if rank is None or world_size is None:
            rank, world_size = get_dist_info()
        self.rank, self.world_size = rank, world_size
        self.ids = list(ids)[rank::world_size]
        self.outputs = outputs
        self.todo = [i for i in self.ids if not self.done(i)]

    def done(self, img_id):
        return all(osp.isfile(p) for p in self.outputs(img_id))

    def run(self, fn, num_workers=0, desc='images', chunksize=4):
        """Call ``fn(id)`` for every id to do (see :func:`map_images`).
        Returns the results in the order of ``self.todo``."""
        return list(map_images(
            fn, self.todo, num_workers, chunksize=chunksize,
            desc=f'{desc} [rank {self.rank}/{self.world_size}]',
            initial=len(self.ids) - len(self.todo), total=len(self.ids)))


def barrier():
    """Wait for every rank when a process group is initialised."""
    dist = _initialised_dist()
    if dist is not None:
        dist.barrier()
