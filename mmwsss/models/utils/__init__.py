from .patm import PATM, PATMBlock

__all__ = ['PATM', 'PATMBlock']
