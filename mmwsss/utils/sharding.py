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
"""
import hashlib
import json
import os
import os.path as osp
import sys
import time
from multiprocessing import get_context

from tqdm import tqdm

#: the manifest file of an output folder
MANIFEST = '.mmwsss_manifest.json'
#: the lock file of an output folder (one writing run at a time)
LOCK = '.mmwsss.lock'
#: open lock files of this process, by folder (released at exit)
_LOCKS = {}
#: when this process started (temp files older than this are stale)
_PROCESS_START = time.time()
#: inputs above this size are identified by size + mtime, not a hash
_HASH_LIMIT = 1 << 30


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


def _run_token():
    """What the ranks of one torchrun launch share (None outside one)."""
    run_id = os.environ.get('TORCHELASTIC_RUN_ID')
    if run_id or os.environ.get('MASTER_PORT'):
        return (f'{run_id}:{os.environ.get("MASTER_ADDR")}:'
                f'{os.environ.get("MASTER_PORT")}')
    return None


def _lock_holder(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


class FolderLocked(RuntimeError):
    """Another run writes the folder."""


def lock_folder(folder, wait=30.0):
    """Hold an advisory lock (``flock`` on ``<folder>/.mmwsss.lock``) for
    the rest of this process: one run writes a folder at a time. A second
    run is refused with :class:`FolderLocked` naming the holder's pid and
    host. The ranks of one torchrun launch share the lock (rank 0 holds it,
    the others check that it is their run's); the lock goes with the
    process, even when it is killed."""
    import fcntl
    import socket
    folder = osp.abspath(folder)
    if folder in _LOCKS:
        return
    os.makedirs(folder, exist_ok=True)
    path = osp.join(folder, LOCK)
    token = _run_token()
    rank, world = get_dist_info()
    deadline = time.time() + wait
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            holder = _lock_holder(path)
            if token and holder.get('run') == token:
                return  # held by rank 0 of this launch
            if not (world > 1 and rank > 0 and time.time() < deadline):
                raise FolderLocked(
                    f'{folder} is being written by another run (pid '
                    f'{holder.get("pid", "?")} on host '
                    f'{holder.get("host", "?")}, started '
                    f'{holder.get("started", "?")}; lock {path}). Wait for it '
                    'to finish or stop it, or write to another folder.')
            time.sleep(0.2)
            continue
        if world > 1 and rank > 0:
            # rank 0 of this launch has not taken it yet: wait for it
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
            if time.time() > deadline:
                raise FolderLocked(f'{path}: rank 0 of this run did not lock '
                                   f'{folder} within {wait:.0f} s')
            time.sleep(0.2)
            continue
        record = dict(pid=os.getpid(), host=socket.gethostname(), run=token,
                      started=time.strftime('%Y-%m-%d %H:%M:%S'))
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps(record).encode())
        _LOCKS[folder] = fd
        return


def file_identity(path):
    """What identifies an input file or folder in a manifest: the sha256 of
    a file's content (size + mtime above 1 GiB), a folder's manifest (the
    settings and inputs that made it) or ``None`` for a folder without one,
    ``'missing'`` for a path that does not exist."""
    if path is None:
        return None
    if osp.isdir(path):
        man = osp.join(path, MANIFEST)
        return file_identity(man) if osp.isfile(man) else None
    if not osp.isfile(path):
        return 'missing'
    st = os.stat(path)
    if st.st_size > _HASH_LIMIT:
        return f'size={st.st_size} mtime={st.st_mtime_ns}'
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            h.update(block)
    return 'sha256:' + h.hexdigest()[:32]


def _jsonable(obj):
    return json.loads(json.dumps(obj, sort_keys=True, default=str))


def check_manifest(out_dir, settings, inputs=None, overwrite=False,
                   write=True, has_outputs=True):
    """Compare the manifest of ``out_dir`` with ``settings`` (dict) and
    ``inputs`` (dict name -> path, identified by :func:`file_identity`).

    Returns ``True`` when the folder was made with other settings and
    ``overwrite`` is set (its outputs must be recomputed); raises
    ``ValueError`` naming the differences when ``overwrite`` is not set.
    Writes the manifest (``write``, rank 0) when there is none or it was
    overwritten. ``has_outputs=False``: the folder holds no output, so its
    manifest (left by a run that failed before its first output) is
    replaced, not compared."""
    from .io import atomic_write
    record = _jsonable(dict(
        settings=settings,
        inputs={k: dict(path=osp.abspath(v) if v else None,
                        identity=file_identity(v))
                for k, v in sorted((inputs or {}).items())}))
    path = osp.join(out_dir, MANIFEST)
    stale = False
    if osp.isfile(path) and not has_outputs:
        stale = True  # a manifest alone: the folder is empty
    elif osp.isfile(path):
        try:
            with open(path) as f:
                old = json.load(f)
        except (OSError, ValueError) as e:
            old = dict(error=f'unreadable ({e})')
        if old != record:
            diff = _diff(old, record)
            if not overwrite:
                raise ValueError(
                    f'{out_dir} holds outputs made with other settings or '
                    f'inputs ({path}); changed (old -> new): {diff}. Rerun '
                    'with --overwrite to recompute them, or use another '
                    'output folder.')
            stale = True
    if write and (stale or not osp.isfile(path)):
        os.makedirs(out_dir, exist_ok=True)
        with atomic_write(path) as tmp:
            with open(tmp, 'w') as f:
                json.dump(record, f, indent=2, sort_keys=True)
    return stale


def _diff(old, new, prefix=''):
    out = []
    if isinstance(old, dict) and isinstance(new, dict):
        for k in sorted(set(old) | set(new)):
            out += _diff(old.get(k), new.get(k), f'{prefix}{k}.')
        return out if prefix else '; '.join(out[:8]) + (
            f' (+{len(out) - 8} more)' if len(out) > 8 else '')
    if old != new:
        out.append(f'{prefix[:-1]}: {old!r} -> {new!r}')
    return out


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


def barrier():
    """Wait for every rank when a process group is initialised."""
    dist = _initialised_dist()
    if dist is not None:
        dist.barrier()
