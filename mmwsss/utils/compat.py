"""Compatibility fixes for the OpenMMLab stack on current PyTorch and on CPU.

Every fix here is applied only where it is needed, so on a GPU machine with
full ``mmcv`` (compiled ops) and an older torch this module changes nothing.
No installed package is edited; the fixes are applied when
:mod:`mmwsss.mm_components` is imported (``apply_runtime_fixes``; configs load
it through ``custom_imports``), not on ``import mmwsss``, and, for configs, by
our tools
(``adapt_config``).

Fixes, each with the condition that triggers it:

1. ``mmcv-lite`` has no compiled ops, and ``import mmseg.models`` fails on an
   unconditional ``from mmcv.ops import point_sample``.  When ``mmcv._ext``
   is missing we register a small ``mmcv.ops`` module with pure-PyTorch
   ``point_sample`` and ``sigmoid_focal_loss``.  Any other op raises
   ``ModuleNotFoundError`` with a clear message, which mmseg's own
   ``try/except ModuleNotFoundError`` guards expect.
2. Checkpoints are pickles, and unpickling runs code. mmengine's loader of
   local files is replaced by :func:`load_checkpoint_file`:
   ``weights_only=True`` with what mmengine's own checkpoints hold allowed
   (numpy arrays and scalars of ``meta``, the message hub's
   ``HistoryBuffer``; :func:`checkpoint_safe_globals`), so ``load_from``,
   inference, test and resume read them and a file carrying anything else
   is refused by name. Full unpickling only for files under a folder given
   to :func:`trust_checkpoints` (the run's own work dir under
   ``tools/train.py --resume``) or with ``--trust-checkpoint``
   (``MMWSSS_TRUST_CHECKPOINT=1``). Needs torch >= 2.5
   (``torch.serialization.safe_globals``).
3. CPU distributed training: mmengine calls ``torch.cuda.set_device`` in
   ``init_dist``; without CUDA we initialise the process group without it.
   ``adapt_config`` also switches the backend to gloo, passes
   ``device_ids=None`` to DDP and replaces SyncBN by BN.
4. One orientation convention: mmcv's cv2 readers apply an image's EXIF
   orientation, our readers and the label PNGs do not; mmcv's ``'color'``
   flag is made to ignore it (``_ignore_exif_orientation``; on every
   machine).
"""
import copy
import importlib.util
import sys
import types
import warnings

import torch

_APPLIED = set()


def has_full_mmcv():
    """True when mmcv ships its compiled ops (``mmcv._ext``)."""
    try:
        return importlib.util.find_spec('mmcv._ext') is not None
    except (ImportError, ValueError):
        return False


def torch_loads_weights_only():
    major, minor = (int(x) for x in torch.__version__.split('.')[:2])
    return (major, minor) >= (2, 6)


# --------------------------------------------------------------------------
# 1. mmcv.ops stand-in for mmcv-lite
def _point_sample(input, points, align_corners=False, **kwargs):
    """Pure-PyTorch ``mmcv.ops.point_sample``: sample ``input`` (N, C, H, W)
    at normalised ``points`` (N, P, 2) or (N, Hp, Wp, 2) in [0, 1]."""
    add_dim = False
    if points.dim() == 3:
        add_dim = True
        points = points.unsqueeze(2)
    output = torch.nn.functional.grid_sample(
        input, 2.0 * points - 1.0, align_corners=align_corners, **kwargs)
    if add_dim:
        output = output.squeeze(3)
    return output


def _sigmoid_focal_loss(pred, target, gamma=2.0, alpha=0.25, weight=None,
                        reduction='mean'):
    """Pure-PyTorch ``mmcv.ops.sigmoid_focal_loss`` (target: class indices)."""
    num_classes = pred.size(1)
    one_hot = torch.nn.functional.one_hot(target, num_classes + 1)
    one_hot = one_hot[:, :num_classes].type_as(pred)
    p = pred.sigmoid()
    pt = (1 - p) * one_hot + p * (1 - one_hot)
    focal_w = (alpha * one_hot + (1 - alpha) * (1 - one_hot)) * pt.pow(gamma)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(
        pred, one_hot, reduction='none') * focal_w
    if weight is not None:
        loss = loss * weight.view(-1, 1) if weight.dim() == 1 else loss * weight
    if reduction == 'mean':
        return loss.mean()
    if reduction == 'sum':
        return loss.sum()
    return loss


def _install_mmcv_ops_shim():
    if has_full_mmcv() or 'mmcv.ops' in sys.modules:
        return False
    # mmcv-lite warns on every import that it lacks this op; said once here.
    warnings.filterwarnings(
        'ignore', message='Fail to import ``MultiScaleDeformableAttention``')
    import mmcv
    shim = types.ModuleType('mmcv.ops')
    shim.__doc__ = ('Pure-PyTorch stand-ins installed by mmwsss.utils.compat '
                    'because mmcv-lite has no compiled ops.')
    shim.point_sample = _point_sample
    shim.sigmoid_focal_loss = _sigmoid_focal_loss
    shim.__mmwsss_shim__ = True

    def __getattr__(name):
        # mmseg guards its optional ops with ``except ModuleNotFoundError``.
        if name.startswith('__'):
            raise AttributeError(name)
        raise ModuleNotFoundError(
            f'mmcv.ops.{name} needs the compiled ops of full mmcv; this '
            'environment has mmcv-lite (see mmwsss/utils/compat.py)')

    shim.__getattr__ = __getattr__
    sys.modules['mmcv.ops'] = shim
    mmcv.ops = shim
    return True


# --------------------------------------------------------------------------
# 2. checkpoints load without running code (weights_only=True)
#: environment variable that lets every checkpoint be fully unpickled
TRUST_ENV = 'MMWSSS_TRUST_CHECKPOINT'
#: folders whose checkpoints are fully unpickled (a run's own work dir
#: under ``tools/train.py --resume``)
_TRUSTED_DIRS = []


class UntrustedCheckpoint(ValueError):
    """A checkpoint holds an object that ``weights_only`` loading refuses."""


def trust_checkpoints(folder=None):
    """Load checkpoints with full unpickling: every one (``folder=None``;
    the ``--trust-checkpoint`` flag, also passed to child processes through
    :data:`TRUST_ENV`) or those under ``folder`` (the run's own work
    dir when resuming)."""
    import os
    import os.path as osp
    if folder is None:
        os.environ[TRUST_ENV] = '1'
    else:
        _TRUSTED_DIRS.append(osp.realpath(folder))


def _trusted(filename):
    import os
    import os.path as osp
    if os.environ.get(TRUST_ENV, '') not in ('', '0'):
        return True
    real = osp.realpath(filename)
    return any(real.startswith(d + os.sep) for d in _TRUSTED_DIRS)


def _history_buffer_getattr():
    """``getattr`` restricted to what mmengine's message hub pickles: the
    statistics methods of ``HistoryBuffer`` (``min``, ``max``, ...)."""
    from mmengine.logging.history_buffer import HistoryBuffer
    names = {'min', 'max', 'current', 'mean'} | set(
        getattr(HistoryBuffer, '_statistics_methods', {}))

    def history_getattr(obj, name):
        if obj is HistoryBuffer and name in names:
            return getattr(obj, name)
        raise UntrustedCheckpoint(f'getattr({obj!r}, {name!r})')
    return history_getattr


def checkpoint_safe_globals():
    """What mmengine checkpoints legitimately hold besides tensors and
    builtins, allowed for ``weights_only`` loading: numpy arrays, dtypes and
    scalars (the ``meta`` and message hub) and the message hub's
    ``HistoryBuffer`` with its statistics methods (no other callable)."""
    import numpy as np
    from mmengine.logging.history_buffer import HistoryBuffer
    core = getattr(np, '_core', None) or np.core
    allowed = [np.ndarray, np.dtype, core.multiarray._reconstruct,
               core.multiarray.scalar, HistoryBuffer, bytes,
               (_history_buffer_getattr(), 'builtins.getattr')]
    for code in '?bBhHiIlLqQefdgFDGUSM':  # numpy 2's dtype classes
        try:
            dtype_cls = type(np.dtype(code))
        except TypeError:
            continue
        if dtype_cls is not np.dtype and dtype_cls not in allowed:
            allowed.append(dtype_cls)
    if core.__name__ != 'numpy.core':  # numpy 2 pickles under numpy._core
        # files written with numpy 1 name numpy.core.multiarray
        allowed += [(core.multiarray._reconstruct,
                     'numpy.core.multiarray._reconstruct'),
                    (core.multiarray.scalar, 'numpy.core.multiarray.scalar')]
    return allowed


def load_checkpoint_file(filename, map_location=None):
    """``torch.load`` of a local checkpoint without running code from it.

    ``weights_only=True`` with :func:`checkpoint_safe_globals` allowed: a
    file that holds any other object (a ``__reduce__`` payload, a pickled
    class) is refused with :class:`UntrustedCheckpoint` naming the file and
    the object, before anything of it runs. Full unpickling only for
    trusted files (:func:`trust_checkpoints`)."""
    import os.path as osp
    import pickle
    import re
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint not found: {filename}')
    if _trusted(filename):
        return torch.load(filename, map_location=map_location,
                          weights_only=False)
    try:
        with torch.serialization.safe_globals(checkpoint_safe_globals()):
            return torch.load(filename, map_location=map_location,
                              weights_only=True)
    except UntrustedCheckpoint as e:
        what = str(e)
    except pickle.UnpicklingError as e:
        if 'weights_only' not in str(e) and 'Weights only' not in str(e):
            raise
        m = re.search(r'(?:GLOBAL|global|function) ([\w.]+)', str(e))
        what = m.group(1) if m else str(e).splitlines()[0][:200]
    raise UntrustedCheckpoint(
        f'{filename}: refused to load, the checkpoint holds {what}, which '
        'loading weights only does not allow (nothing of it was run). If '
        'you made this file or trust where it came from, rerun with '
        '--trust-checkpoint (see docs/reliability.md)')


def _install_checkpoint_loader():
    if not hasattr(torch.serialization, 'safe_globals'):
        return False  # torch < 2.5: mmengine's own loader
    from mmengine.runner.checkpoint import CheckpointLoader

    CheckpointLoader.register_scheme(prefixes='', force=True)(
        load_checkpoint_file)
    return True


# --------------------------------------------------------------------------
# 3. distributed training without CUDA
def _install_cpu_dist_init():
    if torch.cuda.is_available():
        return False
    import os

    import torch.distributed as torch_dist
    from mmengine.dist import utils as dist_utils

    original = dist_utils._init_dist_pytorch

    def _init_dist_pytorch(backend, init_backend='torch', **kwargs):
        if backend == 'nccl':
            backend = 'gloo'
        if init_backend != 'torch':
            return original(backend, init_backend=init_backend, **kwargs)
        torch_dist.init_process_group(
            backend=backend,
            rank=int(os.environ['RANK']),
            world_size=int(os.environ['WORLD_SIZE']),
            **kwargs)

    dist_utils._init_dist_pytorch = _init_dist_pytorch
    return True


# --------------------------------------------------------------------------
# 4. one orientation convention: EXIF orientation ignored by mmcv's readers
def _ignore_exif_orientation():
    """mmcv's ``imread``/``imfrombytes`` with the default ``'color'`` flag
    (``LoadImageFromFile``) apply the EXIF orientation, the label PNGs and
    :func:`mmwsss.utils.io.read_image` do not: an image with a tag other
    than 1 would be rotated against its label. Its cv2 flag becomes
    ``IMREAD_COLOR | IMREAD_IGNORE_ORIENTATION`` (mmcv's own
    ``'color_ignore_orientation'``), as VOC's tools read images."""
    import cv2
    from mmcv.image import io as mmcv_io
    flag = cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION
    if mmcv_io.imread_flags.get('color') == flag:
        return False
    mmcv_io.imread_flags['color'] = flag
    return True


def apply_runtime_fixes():
    """Apply the fixes this machine needs; idempotent. Returns their names."""
    for name, fix in (('mmcv_ops_shim', _install_mmcv_ops_shim),
                      ('checkpoint_weights_only', _install_checkpoint_loader),
                      ('cpu_dist_init', _install_cpu_dist_init),
                      ('exif_orientation_ignored', _ignore_exif_orientation)):
        if name not in _APPLIED and fix():
            _APPLIED.add(name)
    return sorted(_APPLIED)


def _replace_syncbn(node):
    changed = False
    if isinstance(node, dict):
        if node.get('type') in ('SyncBN', 'MMSyncBN'):
            node['type'] = 'BN'
            changed = True
        for value in node.values():
            changed |= _replace_syncbn(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            changed |= _replace_syncbn(value)
    return changed


def adapt_config(cfg, distributed=False):
    """Make a config runnable on this machine (CPU fixes only; a no-op when
    CUDA is available). Modifies ``cfg`` in place and returns it.
    Pretrained checkpoints are redirected to the offline weights folder
    first (``mmwsss.utils.offline_weights``; CPU or not)."""
    from .offline_weights import localize_checkpoints
    localize_checkpoints(cfg)
    if torch.cuda.is_available():
        return cfg
    env_cfg = cfg.get('env_cfg') or {}
    dist_cfg = env_cfg.get('dist_cfg') or {}
    if dist_cfg.get('backend', 'nccl') == 'nccl':
        dist_cfg['backend'] = 'gloo'
        env_cfg['dist_cfg'] = dist_cfg
        cfg['env_cfg'] = env_cfg
    if distributed:
        if _replace_syncbn(cfg._cfg_dict if hasattr(cfg, '_cfg_dict') else cfg):
            warnings.warn('No CUDA: SyncBN replaced by BN for CPU training.')
        wrapper = copy.deepcopy(cfg.get('model_wrapper_cfg') or {})
        wrapper.setdefault('type', 'MMDistributedDataParallel')
        wrapper['device_ids'] = None
        wrapper.setdefault('broadcast_buffers', False)
        wrapper.setdefault('find_unused_parameters',
                           cfg.get('find_unused_parameters', False))
        cfg['model_wrapper_cfg'] = wrapper
    return cfg
