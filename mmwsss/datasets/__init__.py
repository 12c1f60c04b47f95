"""Datasets: the VOC layout (:mod:`.voc_layout`, numpy only) and the mm
dataset classes (registered by :mod:`mmwsss.mm_components`).

The dataset classes are resolved lazily, so ``mmwsss.datasets.voc_layout``
imports neither torch nor OpenMMLab.
"""
from mmwsss.utils.lazy import lazy_getattr

_WHERE = dict(PseudoLabelVOCDataset='pseudo_label_voc_dataset',
              DUTSDataset='duts_dataset',
              VOCImageLabelDataset='voc_image_label_dataset')
__all__ = sorted(_WHERE)
_WHERE.update(transforms='transforms')

__getattr__ = lazy_getattr(__name__, _WHERE)
