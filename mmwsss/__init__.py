"""mmwsss: weakly supervised semantic segmentation for OpenMMLab.

``import mmwsss`` is light: it imports neither torch nor OpenMMLab, so the
numpy core (:mod:`mmwsss.selector`, :mod:`mmwsss.evaluation.functional`,
:mod:`mmwsss.utils.io`, :mod:`mmwsss.datasets.voc_layout`) starts fast.
The OpenMMLab components are registered, and the compatibility fixes
(:mod:`mmwsss.utils.compat`) applied, by :mod:`mmwsss.mm_components`, which
configs load with ``custom_imports = dict(imports=['mmwsss.mm_components'])``
(``configs/_base_/mmwsss_runtime.py``).
"""
from .version import __version__

__all__ = ['__version__']
