"""Load a saliency map for the selector (stage 5, online)."""
import os.path as osp

import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS

from ..selector_inputs import load_saliency


def image_id(results):
    """The image id: the file name of ``results['img_path']`` without its
    extension."""
    path = results.get('img_path')
    if not path:
        raise KeyError('the selector transforms find their inputs by image '
                       'id and need results["img_path"]')
    return osp.splitext(osp.basename(path))[0]


@TRANSFORMS.register_module()
class LoadSaliencyMap(BaseTransform):
    """Load ``<sal_dir>/<id><suffix>`` (grey PNG, 0..255) into
    ``results['saliency']`` (uint8, H x W).

    The id is taken from ``results['img_path']``. The map must have the size
    of ``results['gt_seg_map']`` (or of the image when no label is loaded
    yet); use it before any geometric transform.

    Required keys: ``img_path``; ``gt_seg_map`` or ``img`` for the size
    check. Added keys: ``saliency``.

    Args:
        sal_dir (str): folder of the saliency maps (stage 4 output).
        suffix (str): file suffix. Default ``'.png'``.
    """

    def __init__(self, sal_dir, suffix='.png'):
        self.sal_dir = sal_dir
        self.suffix = suffix

    def transform(self, results):
        path = osp.join(self.sal_dir, image_id(results) + self.suffix)
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'saliency map not found: {path} (for image '
                f'{results["img_path"]})')
        if 'gt_seg_map' in results:
            shape, what = results['gt_seg_map'].shape[:2], 'label'
        elif 'img' in results:
            shape, what = results['img'].shape[:2], 'image'
        else:
            shape, what = None, None
        try:
            sal = load_saliency(path, shape, what)
        except ValueError as e:
            raise ValueError(f'{e}; load it before any resize/crop') from e
        results['saliency'] = np.ascontiguousarray(sal, dtype=np.uint8)
        return results

    def __repr__(self):
        return (f'{self.__class__.__name__}(sal_dir={self.sal_dir!r}, '
                f'suffix={self.suffix!r})')
