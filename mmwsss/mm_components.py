"""Register every mmwsss component into the mmseg / mmpretrain registries.

Importing this module first applies the compatibility fixes this machine
needs (:func:`mmwsss.utils.compat.apply_runtime_fixes`), then imports the
datasets, transforms, metrics and models, whose decorators register them.
Configs load it through ``configs/_base_/mmwsss_runtime.py``::

    custom_imports = dict(imports=['mmwsss.mm_components'],
                          allow_failed_imports=False)
"""
from mmwsss.utils.compat import apply_runtime_fixes

apply_runtime_fixes()

from mmwsss.datasets import (duts_dataset, pseudo_label_voc_dataset,  # noqa
                             transforms, voc_image_label_dataset)
from mmwsss.evaluation import metrics  # noqa: E402,F401
from mmwsss import models  # noqa: E402,F401

__all__ = ['apply_runtime_fixes']
