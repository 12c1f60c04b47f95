"""The selector with its settings bound (one object for the offline
fusion, the online ``SelectorFusion`` transform and the sweeps)."""
import os

from .class_salience import load_norms
from .fusion_rules import select_and_fuse
from .selector_core import (ALPHA_STAR_KINDS, DEFAULT_FUSE_THR,
                            DEFAULT_SAL_MASK_THR, DEFAULT_SALIENCE_THR,
                            DEFAULT_T0, DEFAULT_T1, DEFAULT_TAUS, MODES,
                            _valid_norm)


class SalientObjectSelector:
    """The selector with its settings bound: ``selector(label, saliency,
    img_label, cams=None, img_id=None) -> (fused_label, decision)``.

    Args:
        norms: list of K class salience values, or a path to the norms JSON
            written by ``tools/class_salience.py``.
        Other arguments: see :func:`select_and_fuse`.
    """

    def __init__(self,
                 norms,
                 mode='hard',
                 t0=DEFAULT_T0,
                 t1=DEFAULT_T1,
                 salience_thr=DEFAULT_SALIENCE_THR,
                 sal_mask_thr=DEFAULT_SAL_MASK_THR,
                 tau=None,
                 alpha=None,
                 weight=None,
                 alpha_star='mean',
                 fuse_thr=DEFAULT_FUSE_THR,
                 ignore_index=255):
        if isinstance(norms, (str, os.PathLike)):
            norms = load_norms(norms)['norms']
        if mode not in MODES:
            raise ValueError(f'mode must be one of {MODES}, got {mode!r}')
        if (alpha is None) != (mode != 'threshold'):
            raise ValueError('alpha (the selection threshold) is given '
                             'with, and only with, mode="threshold"')
        if alpha is not None and not 0.0 <= alpha <= 1.0:
            raise ValueError(f'alpha must lie in [0, 1], got {alpha}')
        if weight is not None and mode != 'soft':
            raise ValueError('a fixed blend weight needs mode="soft"')
        if weight is not None and not 0.0 <= weight <= 1.0:
            raise ValueError(f'weight must lie in [0, 1], got {weight}')
        if alpha_star not in ALPHA_STAR_KINDS:
            raise ValueError(f'alpha_star must be one of {ALPHA_STAR_KINDS}'
                             f', got {alpha_star!r}')
        if not 0.0 < sal_mask_thr <= 1.0:
            raise ValueError(
                f'sal_mask_thr must lie in (0, 1], got {sal_mask_thr}')
        if tau is None:
            tau = DEFAULT_TAUS[alpha_star]
        self.norms = [None if not _valid_norm(n) else float(n)
                      for n in norms]
        self.settings = dict(mode=mode, t0=float(t0), t1=float(t1),
                             salience_thr=float(salience_thr),
                             sal_mask_thr=float(sal_mask_thr), tau=float(tau),
                             alpha=None if alpha is None else float(alpha),
                             weight=None if weight is None else float(weight),
                             alpha_star=alpha_star, fuse_thr=float(fuse_thr),
                             ignore_index=ignore_index)

    @property
    def mode(self):
        return self.settings['mode']

    @property
    def num_classes(self):
        return len(self.norms)

    def __call__(self, label, saliency, img_label, cams=None, img_id=None):
        return select_and_fuse(label, saliency, img_label, self.norms,
                               cams=cams, img_id=img_id, **self.settings)

    def __repr__(self):
        args = ', '.join(f'{k}={v!r}' for k, v in self.settings.items())
        return f'{type(self).__name__}({args}, num_classes={len(self.norms)})'
