from .compat import adapt_config, apply_runtime_fixes
from .io import (TOY_CLASSES, VOC_CLASSES, VOC_PALETTE, atomic_write, load_cam_npz,
                 load_grey_png, save_grey_png,
                 load_label_png, read_image_list, save_cam_npz,
                 save_label_png)
from .labels import labels_from_mask, load_cls_labels
from .sharding import ShardedJob, close_dist, get_dist_info, init_tool_dist

__all__ = [
    'adapt_config', 'apply_runtime_fixes', 'TOY_CLASSES', 'VOC_CLASSES', 'VOC_PALETTE',
    'atomic_write', 'load_cam_npz', 'load_grey_png', 'save_grey_png', 'load_label_png', 'read_image_list',
    'save_cam_npz', 'save_label_png', 'ShardedJob', 'get_dist_info',
    'init_tool_dist', 'close_dist', 'labels_from_mask', 'load_cls_labels'
]
