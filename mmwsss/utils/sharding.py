"""Split a per-image job across ranks and worker processes, resumably.

A job is a list of image ids and a function that writes the outputs of one
id (atomically, see :mod:`mmwsss.utils.io`). Ids whose outputs all exist are
skipped, so running a killed job again finishes it; under ``torchrun`` each
rank takes every ``world_size``-th id.
"""
import os
import os.path as osp
from multiprocessing import get_context

from tqdm import tqdm


def get_dist_info():
    """(rank, world_size) from an initialised process group, else from the
    ``RANK``/``WORLD_SIZE`` variables that torchrun sets, else (0, 1)."""
    try:
        import torch.distributed as dist
        if dist.is_available() and dist.is_initialized():
            return dist.get_rank(), dist.get_world_size()
    except ImportError:
        pass
    return int(os.environ.get('RANK', 0)), int(os.environ.get('WORLD_SIZE', 1))


def init_tool_dist(launcher):
    """Initialise distributed mode for a tool (gloo without CUDA)."""
    if launcher == 'none':
        return
    import torch
    from mmengine.dist import init_dist
    init_dist(launcher, backend='nccl' if torch.cuda.is_available() else 'gloo')


def close_dist():
    """Wait for every rank, then destroy the process group, if there is one.

    Called at the end of each tool that may run under ``torchrun``: leaving a
    gloo group to the interpreter's exit lets its threads be torn down while
    another rank still talks to them, which aborts the process
    ("terminate called without an active exception") under load.
    """
    try:
        import torch.distributed as dist
    except ImportError:
        return
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


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
        """Call ``fn(id)`` for every id to do, with a progress bar; with
        ``num_workers > 0`` in that many processes. Returns the results in
        the order of ``self.todo``."""
        bar = tqdm(total=len(self.ids), initial=len(self.ids) - len(self.todo),
                   desc=f'{desc} [rank {self.rank}/{self.world_size}]',
                   disable=None, dynamic_ncols=True)
        results = []
        try:
            if num_workers and num_workers > 0 and len(self.todo) > 1:
                with get_context('fork').Pool(num_workers) as pool:
                    for res in pool.imap(fn, self.todo, chunksize=chunksize):
                        results.append(res)
                        bar.update(1)
            else:
                for img_id in self.todo:
                    results.append(fn(img_id))
                    bar.update(1)
        finally:
            bar.close()
        return results
