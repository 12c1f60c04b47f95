"""The one per-image parallel map: ranks + worker pool + resume.

A job is a list of image ids and a function that writes the outputs of one
id (atomically, see :mod:`mmwsss.utils.io`). Resume is checked, not trusted:

* the output folder holds a manifest (:data:`MANIFEST`): the settings and
  the identity of the inputs (list, label file, checkpoint: sha256 of the
  content; an upstream stage folder: its manifest) that made it. A rerun
  with other settings or inputs is refused, naming what changed, unless
  ``overwrite`` (then the outputs of the job's ids are recomputed);
* an existing output is skipped only when it decodes
  (:func:`mmwsss.utils.io.verify_output`); a truncated or empty one (from a
  crash) is reported by name and recomputed;
* temporary files (``.tmp-*``) older than this process, left by a killed
  run, are removed at start;
* one run writes a folder at a time: an advisory lock
  (``<out>/.mmwsss.lock``, :func:`lock_folder`) is held for the whole run; a
  second run is refused naming the holder's pid and host;
* a folder holding a manifest and no output (a run that failed before its
  first output) is empty: its manifest is replaced, not compared.

Ids whose outputs are all good are skipped, so running a killed job again
finishes it; under ``torchrun`` each rank takes every ``world_size``-th id;
within a rank :func:`map_images` spreads the ids over forked worker
processes.

The per-image function may be any callable, e.g. an object holding the
stage's settings and readers: it reaches the workers through the fork (the
pool's initializer), never pickled and never through a module global of the
stage.

The ranks (:mod:`mmwsss.utils.dist_info`), the folder lock
(:mod:`mmwsss.utils.folder_lock`) and the manifest
(:mod:`mmwsss.utils.folder_manifest`) have their own modules; their names
are importable from here too.
"""
import os
import os.path as osp
import sys
import time
from multiprocessing import get_context

from tqdm import tqdm

from .dist_info import (_initialised_dist, barrier,  # noqa: F401
                        close_dist, dist_initialised, get_dist_info,
                        init_tool_dist)
from .folder_lock import LOCK, _LOCKS, FolderLocked, lock_folder  # noqa: F401
from .folder_manifest import (MANIFEST, check_manifest,  # noqa: F401
                              file_identity)

#: when this process started (temp files older than this are stale)
_PROCESS_START = time.time()


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
    order of ``ids`` (``ordered=False``: as they finish). Freed memory
    is kept for the next image (:func:`mmwsss.utils.memory.
    reuse_freed_memory`)."""
    from .memory import reuse_freed_memory
    reuse_freed_memory()
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


def remove_stale_temps(folder, before=None):
    """Remove ``.tmp-*`` files of :func:`mmwsss.utils.io.atomic_write` in
    ``folder`` last modified before ``before`` (default: the start of this
    process, so the temps of other ranks of this run are kept). Returns
    their paths."""
    from .io import TMP_PREFIX
    before = _PROCESS_START if before is None else before
    removed = []
    if not osp.isdir(folder):
        return removed
    for entry in os.scandir(folder):
        if entry.name.startswith(TMP_PREFIX) and entry.is_file():
            try:
                if entry.stat().st_mtime < before:
                    os.remove(entry.path)
                    removed.append(entry.path)
            except FileNotFoundError:  # another rank removed it
                pass
    return removed


class ShardedJob:
    """Ids of this rank that still need work (see the module docstring).

    Args:
        ids (list[str]): all image ids of the split.
        outputs (callable): id -> list of output paths of that id.
        rank, world_size (int, optional): default from :func:`get_dist_info`.
        out_dir (str, optional): the output folder: its stale temp files are
            removed and, with ``settings``, its manifest is checked.
        settings (dict, optional): what determines the outputs.
        inputs (dict, optional): name -> input path (list, labels,
            checkpoint, upstream folder), identified in the manifest.
        overwrite (bool): recompute outputs made with other settings
            instead of refusing.
        verify (callable or False): path -> raises when an existing output
            is unusable (default :func:`mmwsss.utils.io.verify_output`);
            ``False``: existence is enough.
        log (callable): where the notes on removed / bad files go.
    """

    def __init__(self, ids, outputs, rank=None, world_size=None,
                 out_dir=None, settings=None, inputs=None, overwrite=False,
                 verify=None, log=None):
        if rank is None or world_size is None:
            rank, world_size = get_dist_info()
        self.rank, self.world_size = rank, world_size
        self.ids = list(ids)[rank::world_size]
        self.outputs = outputs
        self.log = log or (lambda m: print(m, file=sys.stderr))
        if verify is None:
            from .io import verify_output
            verify = verify_output
        self.verify = verify
        self.bad = []
        self._manifest = None
        #: the folder was made with other settings (``overwrite``)
        self.stale = False
        if out_dir is not None:
            os.makedirs(out_dir, exist_ok=True)
            lock_folder(out_dir)  # one writing run at a time
            removed = remove_stale_temps(out_dir)
            if removed:
                self.log(f'removed {len(removed)} temporary file(s) of an '
                         f'interrupted run from {out_dir}')
            if settings is not None:
                # checked now, written when the first output is (run): a
                # run that fails before (bad checkpoint) leaves no record
                has_outputs = any(osp.exists(p) for i in ids
                                  for p in self.outputs(i))
                stale = check_manifest(out_dir, settings, inputs, overwrite,
                                       write=False, has_outputs=has_outputs)
                self._manifest = (out_dir, settings, inputs, rank == 0)
                self.stale = stale and has_outputs
                if stale and has_outputs:
                    self.log(f'{out_dir}: made with other settings; '
                             '--overwrite: recomputing its outputs')
                    for img_id in self.ids:
                        for p in self.outputs(img_id):
                            if osp.isfile(p):
                                os.remove(p)
        self.todo = [i for i in self.ids if not self.done(i)]
        if self.bad:
            self.log(f'{len(self.bad)} existing output(s) are unreadable and '
                     'will be recomputed: ' + '; '.join(self.bad[:5]))

    def done(self, img_id):
        for p in self.outputs(img_id):
            if not osp.isfile(p):
                return False
            if self.verify:
                try:
                    self.verify(p)
                except ValueError as e:
                    self.bad.append(str(e))
                    os.remove(p)
                    return False
        return True

    def run(self, fn, num_workers=0, desc='images', chunksize=4):
        """Call ``fn(id)`` for every id to do (see :func:`map_images`).
        Returns the results in the order of ``self.todo``."""
        if self._manifest is not None and self._manifest[3] and self.todo:
            out_dir, settings, inputs, _ = self._manifest
            check_manifest(out_dir, settings, inputs, overwrite=True)
        return list(map_images(
            fn, self.todo, num_workers, chunksize=chunksize,
            desc=f'{desc} [rank {self.rank}/{self.world_size}]',
            initial=len(self.ids) - len(self.todo), total=len(self.ids)))
