"""Atomic writes: every output of a stage appears whole or not at all.

A writer writes a temporary file (``.tmp-*``, :data:`TMP_PREFIX`) beside
the target and renames it (``os.replace``), so an interrupted job never
leaves a half-written output under its name; the file gets the usual
permissions (``0666`` minus the umask). Stale temporary files of a killed
run are removed by :func:`mmwsss.utils.sharding.remove_stale_temps`.
"""
import contextlib
import io
import itertools
import os
import os.path as osp
import tempfile
import threading

#: prefix of the temporary files of :func:`atomic_write`
TMP_PREFIX = '.tmp-'


def current_umask():
    """The process umask (read without changing it for long)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_write(path, suffix=None):
    """Yield a temporary path in the target's folder; rename it to ``path``
    when the block ends without error, delete it otherwise. The file gets
    mode ``0666 & ~umask`` (``mkstemp`` alone would leave it ``0600``)."""
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    suffix = suffix if suffix is not None else osp.splitext(path)[1]
    fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, suffix=suffix, dir=folder)
    try:
        os.fchmod(fd, 0o666 & ~current_umask())
    finally:
        os.close(fd)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


_TMP_COUNT = itertools.count()


def write_png_atomic(path, img):
    """Write the PIL image ``img`` as a PNG at ``path``, atomically, with
    one open of the file: the PNG is encoded in memory, written to a
    temporary file beside the target (created exclusively with mode
    ``0666`` less the umask, the permissions :func:`atomic_write` gives)
    and renamed once (``os.replace``). No fsync: a crash may lose the file,
    never leave a partial one under its name. About a tenth faster than
    PIL saving to a path made by :func:`atomic_write` (measured)."""
    data = io.BytesIO()
    img.save(data, format='PNG')
    folder, name = osp.split(osp.abspath(path))
    while True:
        tmp = osp.join(folder, f'{TMP_PREFIX}{os.getpid()}-'
                       f'{threading.get_ident()}-{next(_TMP_COUNT)}-{name}')
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            break
        except FileExistsError:   # a stale temp of an older process
            continue
        except FileNotFoundError:
            os.makedirs(folder, exist_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            break
    try:
        try:
            view = data.getbuffer()
            while view.nbytes:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise
