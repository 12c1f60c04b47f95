"""An output folder's manifest: the settings and the identity of the
inputs that made its outputs (:data:`MANIFEST`), compared on every rerun so
that a folder is never silently mixed from two settings."""
import hashlib
import json
import os
import os.path as osp

#: the manifest file of an output folder
MANIFEST = '.mmwsss_manifest.json'
#: inputs above this size are identified by size + mtime, not a hash
_HASH_LIMIT = 1 << 30


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
