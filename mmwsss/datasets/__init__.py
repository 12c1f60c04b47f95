"""Datasets: the VOC layout (:mod:`.voc_layout`, numpy only) and the mm
dataset classes (registered by :mod:`mmwsss.mm_components`).

The dataset classes are resolved lazily, so ``mmwsss.datasets.voc_layout``
imports neither torch nor OpenMMLab.
"""
import importlib

_WHERE = dict(PseudoLabelVOCDataset='pseudo_label_voc_dataset',
              DUTSDataset='duts_dataset',
              VOCImageLabelDataset='voc_image_label_dataset')
__all__ = sorted(_WHERE)


def __getattr__(name):
    if name == 'transforms':
        return importlib.import_module(f'{__name__}.transforms')
    if name not in _WHERE:
        raise AttributeError(f'module {__name__!r} has no attribute '
                             f'{name!r}')
    return getattr(importlib.import_module(f'{__name__}.{_WHERE[name]}'),
                   name)
