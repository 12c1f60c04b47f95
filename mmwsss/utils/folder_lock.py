"""One writing run per output folder: an advisory ``flock`` on
``<folder>/.mmwsss.lock`` held for the rest of the process (the ranks of
one torchrun launch share it)."""
import json
import os
import os.path as osp
import time

from .dist_info import get_dist_info

#: the lock file of an output folder (one writing run at a time)
LOCK = '.mmwsss.lock'
#: open lock files of this process, by folder (released at exit)
_LOCKS = {}


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
