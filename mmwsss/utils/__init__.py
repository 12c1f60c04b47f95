"""Shared utilities: file formats (:mod:`.io`), the per-image parallel map
(:mod:`.sharding`), the OpenMMLab compatibility fixes (:mod:`.compat`, loaded
only by :mod:`mmwsss.mm_components` and the training tools).

Names are resolved lazily, so ``from mmwsss.utils import load_label_png``
imports neither torch nor OpenMMLab.
"""
from .lazy import lazy_getattr

_NAMES = {
    'io': ('VOC_PALETTE', 'atomic_write', 'load_cam_npz', 'load_grey_png',
           'save_grey_png', 'load_label_png', 'read_image_list',
           'save_cam_npz', 'save_label_png'),
    'sharding': ('ShardedJob', 'map_images', 'get_dist_info',
                 'init_tool_dist', 'close_dist'),
    'compat': ('adapt_config', 'apply_runtime_fixes'),
}
_WHERE = {n: m for m, names in _NAMES.items() for n in names}
_WHERE.update(labels_from_mask='mmwsss.datasets.voc_layout',
              load_cls_labels='mmwsss.datasets.voc_layout')

__all__ = sorted(_WHERE)

__getattr__ = lazy_getattr(__name__, _WHERE)
