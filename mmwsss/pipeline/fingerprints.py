"""What the pipeline's manifest records of a stage besides its status: the
digests its fingerprint is made of (settings and commands, config files,
input data by name and file identity) and the entries of its outputs.

The fingerprint itself is taken by
:meth:`~.pipeline_runner.PipelineRunner.fingerprint`; see
:mod:`.pipeline_runner` for what a changed one does.
"""
import hashlib
import json
import os
import os.path as osp

from .stage import LazyArg


def output_counts(paths):
    """``{path: entries}`` of a stage's outputs (the files in a folder, 1
    for a file; absent paths left out), recorded when the stage finishes."""
    counts = {}
    for path in paths:
        if osp.isdir(path):
            counts[path] = sum(1 for e in os.scandir(path)
                               if not e.name.startswith('.'))
        elif osp.exists(path):
            counts[path] = 1
    return counts


def missing_outputs(entry):
    """What is gone of a finished stage's outputs (a message, or None)."""
    recorded = entry.get('output_counts')
    if recorded is None:  # a manifest of before the counts: presence only
        recorded = {p: 1 for p in entry.get('outputs', [])}
    now = output_counts(recorded)
    for path, count in sorted(recorded.items()):
        if path not in now:
            return f'{path} is missing'
        if now[path] < count:
            return f'{path} holds {now[path]} of its {count} files'
    return None


#: command flags whose value is input data (fingerprinted by its listing)
INPUT_FLAGS = ('--data-root', '--img-dir', '--list', '--split',
               '--cls-labels', '--gt-dir', '--mask-dir', '--ann-file')


def _sha(obj):
    def default(o):
        return o.key if isinstance(o, LazyArg) else str(o)

    return hashlib.sha256(json.dumps(
        obj, sort_keys=True, default=default).encode()).hexdigest()[:16]


def _stat_identity(st):
    """What identifies a file's content without reading it: size, mtime,
    ctime (which ``touch -r`` or a copy with kept times cannot set back)
    and inode (a file replaced by another)."""
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


#: version of the input digest recorded with each stage (manifests without
#: it were made with names, sizes and mtimes only)
DIGEST_VERSION = 2


def data_digest(path, legacy=False):
    """Cheap identity of input data: the relative names and
    :func:`_stat_identity` of the files under a folder (or of one file);
    ``'missing'`` when the path does not exist. ``legacy``: names, sizes
    and mtimes only (the digest of manifests before :data:`DIGEST_VERSION`
    2, to carry their finished stages over)."""
    ident = (lambda st: [st.st_size, st.st_mtime_ns]) if legacy \
        else _stat_identity
    if osp.isfile(path):
        return _sha(ident(os.stat(path)))
    if not osp.isdir(path):
        return 'missing'
    entries = []
    for root, dirs, files in os.walk(path):
        dirs.sort()
        for name in sorted(files):
            full = osp.join(root, name)
            try:
                st = os.stat(full)
            except FileNotFoundError:
                continue
            entries.append([osp.relpath(full, path), *ident(st)])
    return _sha(entries)


def file_digest(path):
    """Hash of a config file including the files it inherits from."""
    from mmengine.config import Config
    if not osp.isfile(path):
        raise RuntimeError(f'config file not found: {path} (named in the '
                           'pipeline config)')
    cfg = Config.fromfile(path, import_custom_modules=False)
    return _sha(cfg.to_dict())
