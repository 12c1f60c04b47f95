"""Load the image-level label of an image (stage 5, online)."""
import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS

from mmwsss.datasets.voc_layout import load_cls_labels
from .load_saliency_map import image_id


@TRANSFORMS.register_module()
class LoadImageLevelLabel(BaseTransform):
    """Store the image-level label of ``results['img_path']``'s id as
    ``results['img_label']`` (float32[K], foreground classes only).

    Args:
        cls_labels_file (str): ``cls_labels.npy`` (dict id -> float[K]),
            read once per process.
    """

    def __init__(self, cls_labels_file):
        self.cls_labels_file = cls_labels_file
        self._labels = None

    def transform(self, results):
        if self._labels is None:
            self._labels = load_cls_labels(self.cls_labels_file)
        img_id = image_id(results)
        try:
            label = self._labels[img_id]
        except KeyError:
            raise KeyError(f'{self.cls_labels_file}: no image-level label '
                           f'for {img_id!r}') from None
        results['img_label'] = np.asarray(label, dtype=np.float32).copy()
        return results

    def __repr__(self):
        return (f'{self.__class__.__name__}('
                f'cls_labels_file={self.cls_labels_file!r})')
