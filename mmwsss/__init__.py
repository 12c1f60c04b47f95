"""mmwsss: weakly supervised semantic segmentation for OpenMMLab.

Importing the package applies the compatibility fixes this machine needs
(:mod:`mmwsss.utils.compat`) and registers every component into the mmseg
and mmpretrain registries.  Configs load it with
``custom_imports = dict(imports=['mmwsss'], allow_failed_imports=False)``.
"""
from .utils.compat import apply_runtime_fixes
from .version import __version__

apply_runtime_fixes()

from . import datasets, evaluation, models  # noqa: E402,F401

__all__ = ['__version__', 'apply_runtime_fixes']
