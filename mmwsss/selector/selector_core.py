"""The Salient Object Selector (paper Sec. 3.4, Algorithm 1), as plain numpy.

This module is the single implementation used by the offline tool
(``tools/run_select.py``), the online transform (``SelectorFusion``)
and the ablation sweep (``tools/sweep_selector.py``); it imports no
OpenMMLab package.

Conventions
-----------
* ``label``: H x W integer pseudo-label, 0 = background, ``c`` in 1..K the
  foreground classes, ``ignore_index`` (255) = undecided.
* ``saliency``: H x W saliency map, uint8 0..255 (scaled by 1/255) or float
  in [0, 1].
* ``img_label``: multi-hot vector of the K foreground classes (no
  background), as in ``cls_labels.npy``; class ``c`` of the label map is
  entry ``c - 1``.
* ``norms``: the class salience ``n_c`` of the K foreground classes
  (``None``/NaN for a class never seen alone); see
  :func:`class_salience_norms`.

The rules (the paper's Algorithm 1 and its alpha* rule) and the choices made
where the paper leaves one (also in ``docs/selector.md``):

* Only images whose image-level label holds exactly one foreground class are
  touched; every other image passes through unchanged.
* ``P_S = saliency >= sal_thr`` (``sal_thr`` default 0.5). An empty ``P_S``
  leaves the label unchanged (Algorithm 1, line 4).
* ``o = IoU(P_CAM, P_S)`` is computed over the pixels the pseudo-label
  decided: pixels that are ``ignore_index`` in the input label are left out
  of both the intersection and the union (an undecided pixel is no evidence
  of disagreement). ``o = 0`` when that union is empty.
* Hard mode: ``P_CAM = (label == c)``. The class-c region is replaced by
  ``P_S`` when ``n_c >= salient_thr and o > t0`` or ``n_c < salient_thr and
  o > t0 + t1``. A class without a norm (``None``/NaN) is not salient.
* Ignore pixels, pixel-wise: every pixel of the new region becomes ``c``
  (never 255); an input-255 pixel outside the new region stays 255 (there the
  pseudo-label is undecided and the saliency says background: the sources
  disagree); an input-``c`` pixel outside the new region becomes background;
  every other pixel keeps its value. See :func:`compose_label`.
* Threshold mode (the paper's Table 3 alpha, a *selection threshold*):
  ``P_CAM = (label == c)`` and the class-c region is replaced by ``P_S``
  when ``o >= alpha``. ``alpha = 1`` is the selector switched off: the
  labels come back byte for byte (an IoU of exactly 1 would otherwise
  still turn the 255 pixels inside ``P_S`` into ``c``); ``alpha = 0``
  replaces every single-class region whose ``P_S`` is not empty. Hard mode
  is this rule with the threshold chosen per class by its salience (and
  strict comparisons, as Algorithm 1 writes them).
* Soft mode: ``P_CAM`` is the CAM of class c (``cam``; when no CAM is given,
  the class-c region of the label as a 0/1 map). ``o`` uses ``P_CAM >=
  bg_thr`` as the mask. The weight alpha* comes from ``o`` and ``n_c`` (a
  missing ``n_c`` counts as 0), gated by ``tau``:

  - ``alpha_star='mean'`` (default): ``alpha* = (o + n_c) / 2`` when that
    reaches ``tau`` (default 0.5), else 0. The mean of the two pieces of
    evidence lies in [0, 1] without a clip, takes values inside (0, 1)
    whenever the two do not both equal 1, and grows with ``o`` and ``n_c``.
  - ``alpha_star='paper'``: the paper's formula, the sum ``o + n_c`` (in
    [0, 2]) gated by ``tau`` (default 1.0, the same gate as the mean's
    0.5), then clipped to [0, 1] to serve as a blend weight. Where the
    gate passes, the sum is at least ``tau``; with ``tau >= 1`` the clip
    makes every weight 1, i.e. a replace rule.

  A fixed blend ``weight`` replaces alpha* when given (the blend-weight
  sweep). With a weight of 0 the label is left unchanged. Otherwise the new
  class-c region is ``(1 - w) * P_CAM + w * S >= bg_thr`` (the foreground
  score thresholded at the background threshold), composed with the label
  as in hard mode.
* Defaults: ``t0 = 0.4, t1 = 0.2`` (paper); ``salient_thr = 0.6`` and
  ``tau = 0.5`` (mean), chosen together so the two modes agree at the hard
  thresholds: soft mode acts when ``o >= 1 - n_c``, i.e. a class at the
  salient threshold (``n_c = 0.6``) needs ``o >= 0.4 = t0`` and a class at
  ``n_c = 0.4`` needs ``o >= 0.6 = t0 + t1``, with a continuous trade-off
  in between. Where it acts, alpha* runs from 0.5 (barely past the gate)
  to 1 (full overlap with the most salient class).
  ``bg_thr = 0.5`` (the midpoint of a 0/1 region map, and equal to
  ``sal_thr`` so that a weight of 1 gives exactly ``P_S``); with a real
  CAM, pass the stage-3 background threshold.
"""
import json
import math
import os
import os.path as osp

import numpy as np

#: every value of ``decision['decision']``
DECISIONS = ('no-class', 'multi-class', 'empty-saliency', 'kept', 'replaced',
             'fused')
MODES = ('hard', 'soft', 'threshold')
#: how soft mode's alpha* combines o and n_c (see :func:`soft_alpha`)
ALPHA_STAR_KINDS = ('mean', 'paper')

DEFAULT_T0 = 0.4
DEFAULT_T1 = 0.2
DEFAULT_SALIENT_THR = 0.6
DEFAULT_SAL_THR = 0.5
DEFAULT_TAU = 0.5
#: the default gate of each alpha* kind: both let an image through when
#: ``o + n_c >= 1``
DEFAULT_TAUS = dict(mean=DEFAULT_TAU, paper=1.0)
DEFAULT_BG_THR = 0.5

#: the selection thresholds of the paper's Table 3
TABLE3_ALPHAS = (0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9,
                 1.0)


# --------------------------------------------------------------------------
# elementary pieces
def single_foreground_class(img_label):
    """The label value ``c`` (1..K) of the only foreground class of an
    image-level label, or ``None`` when it holds zero or several classes."""
    present = np.flatnonzero(np.asarray(img_label).reshape(-1) > 0.5)
    return int(present[0]) + 1 if present.size == 1 else None


def saliency_to_float(saliency):
    """Saliency as float32 in [0, 1]: uint8 maps are divided by 255, float
    maps must already lie in [0, 1]."""
    sal = np.asarray(saliency)
    if sal.ndim != 2:
        raise ValueError(f'a saliency map must be 2-D, got {sal.shape}')
    if sal.dtype == np.uint8:
        return sal.astype(np.float32) * np.float32(1.0 / 255.0)
    sal = sal.astype(np.float32)
    if sal.size and (sal.min() < 0.0 or sal.max() > 1.0):
        raise ValueError('a float saliency map must lie in [0, 1], got '
                         f'[{sal.min():.3g}, {sal.max():.3g}]')
    return sal


def binarize_saliency(saliency, sal_thr=DEFAULT_SAL_THR):
    """``P_S``: pixels whose saliency (in [0, 1]) is at least ``sal_thr``."""
    if not 0.0 < sal_thr <= 1.0:
        raise ValueError(f'sal_thr must lie in (0, 1], got {sal_thr}')
    return saliency_to_float(saliency) >= np.float32(sal_thr)


def class_iou(region, sal_mask, valid=None):
    """IoU of two boolean masks, counted over ``valid`` pixels only (all
    when ``None``). Returns 0.0 when the union is empty."""
    region = np.asarray(region, dtype=bool)
    sal_mask = np.asarray(sal_mask, dtype=bool)
    if region.shape != sal_mask.shape:
        raise ValueError(f'masks differ in shape: {region.shape} vs '
                         f'{sal_mask.shape}')
    if valid is not None:
        valid = np.asarray(valid, dtype=bool)
        region = region & valid
        sal_mask = sal_mask & valid
    union = np.count_nonzero(region | sal_mask)
    if union == 0:
        return 0.0
    return float(np.count_nonzero(region & sal_mask) / union)


def class_rms_saliency(region, saliency):
    """Root-mean-square saliency (in [0, 1]) inside a boolean region; NaN
    for an empty region."""
    region = np.asarray(region, dtype=bool)
    sal = saliency_to_float(saliency)
    if region.shape != sal.shape:
        raise ValueError(f'region {region.shape} and saliency {sal.shape} '
                         'differ in shape')
    values = sal[region]
    if values.size == 0:
        return float('nan')
    return float(np.sqrt(np.mean(np.square(values, dtype=np.float64))))


def image_salience_sample(label, saliency, img_label, ignore_index=255):
    """The contribution of one image to the class salience: ``(c, rms)``
    for a single-class image whose class-c region is not empty, else
    ``None``. ``rms`` is :func:`class_rms_saliency` inside ``label == c``."""
    c = single_foreground_class(img_label)
    if c is None:
        return None
    label = np.asarray(label)
    _check_same_shape(label, saliency)
    rms = class_rms_saliency(label == c, saliency)
    if math.isnan(rms):
        return None
    return c, rms


def class_salience_norms(classes, rms_values, num_classes):
    """Class salience ``n_c`` from per-image samples.

    Args:
        classes: label values ``c`` (1..num_classes) of the samples.
        rms_values: their RMS saliency inside the class region.
        num_classes (int): K, the number of foreground classes.

    Returns:
        dict with ``norms`` (list of K floats in [0, 1], ``None`` for a
        class without samples): the mean RMS of each class divided by the
        largest mean over the classes; ``mean_rms`` (list, ``None`` where
        no samples) and ``image_count`` (list of int).
    """
    classes = np.asarray(classes, dtype=np.int64).reshape(-1)
    rms_values = np.asarray(rms_values, dtype=np.float64).reshape(-1)
    if classes.shape != rms_values.shape:
        raise ValueError('classes and rms_values differ in length')
    if classes.size and (classes.min() < 1 or classes.max() > num_classes):
        raise ValueError(f'class values must lie in 1..{num_classes}')
    count = np.bincount(classes - 1, minlength=num_classes) \
        if classes.size else np.zeros(num_classes, np.int64)
    total = np.bincount(classes - 1, weights=rms_values,
                        minlength=num_classes) \
        if classes.size else np.zeros(num_classes)
    seen = count > 0
    mean = np.where(seen, total / np.maximum(count, 1), np.nan)
    top = mean[seen].max() if seen.any() else 0.0
    norms = mean / top if top > 0 else np.where(seen, 0.0, np.nan)
    as_list = lambda a: [None if np.isnan(v) else float(v) for v in a]  # noqa
    return dict(norms=as_list(norms), mean_rms=as_list(mean),
                image_count=[int(n) for n in count])


def compose_label(label, c, new_region, ignore_index=255):
    """Replace the class-c region of ``label`` by ``new_region``.

    Pixel-wise: ``new_region`` -> ``c``; outside it, ``c`` -> 0 (background),
    ``ignore_index`` stays ``ignore_index`` (the pseudo-label is undecided
    and the saliency says background: the two sources disagree), anything
    else (background, another class) is kept.
    """
    label = np.asarray(label)
    out = np.where(label == c, 0, label).astype(label.dtype, copy=False)
    out[np.asarray(new_region, dtype=bool)] = c
    return out


def _check_same_shape(label, other, what='saliency'):
    shape = np.shape(other)
    if np.shape(label) != shape:
        raise ValueError(f'pseudo-label {np.shape(label)} and {what} {shape} '
                         'differ in shape')


def _valid_norm(n_c):
    """True for a usable norm (not ``None``, not NaN)."""
    if n_c is None:
        return False
    try:
        return not math.isnan(float(n_c))
    except (TypeError, ValueError):
        return False


# --------------------------------------------------------------------------
# the two modes
def fuse_hard(label, c, saliency, n_c, t0=DEFAULT_T0, t1=DEFAULT_T1,
              salient_thr=DEFAULT_SALIENT_THR, sal_thr=DEFAULT_SAL_THR,
              ignore_index=255):
    """Algorithm 1 on one single-class image.

    Returns ``(new_label, info)``, ``info`` a dict with ``iou``, ``salient``,
    ``decision`` ('empty-saliency', 'kept' or 'replaced').
    """
    label = np.asarray(label)
    _check_same_shape(label, saliency)
    sal_mask = binarize_saliency(saliency, sal_thr)
    salient = _valid_norm(n_c) and n_c >= salient_thr
    if not sal_mask.any():
        return label, dict(iou=float('nan'), salient=salient,
                           decision='empty-saliency')
    o = class_iou(label == c, sal_mask, valid=label != ignore_index)
    replace = o > t0 if salient else o > t0 + t1
    if not replace:
        return label, dict(iou=o, salient=salient, decision='kept')
    return (compose_label(label, c, sal_mask, ignore_index),
            dict(iou=o, salient=salient, decision='replaced'))


def fuse_threshold(label, c, saliency, alpha, sal_thr=DEFAULT_SAL_THR,
                   ignore_index=255):
    """The paper's Table 3 rule on one single-class image: replace the
    class-c region by ``P_S`` when ``o = IoU(label == c, P_S) >= alpha``.

    ``alpha = 1`` leaves the label unchanged whatever ``o`` (the selector
    switched off); ``alpha = 0`` replaces the region whenever ``P_S`` is
    not empty.

    Returns ``(new_label, info)``, ``info`` a dict with ``iou`` and
    ``decision`` ('empty-saliency', 'kept' or 'replaced').
    """
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f'alpha (a selection threshold) must lie in '
                         f'[0, 1], got {alpha}')
    label = np.asarray(label)
    _check_same_shape(label, saliency)
    sal_mask = binarize_saliency(saliency, sal_thr)
    if not sal_mask.any():
        return label, dict(iou=float('nan'), decision='empty-saliency')
    o = class_iou(label == c, sal_mask, valid=label != ignore_index)
    if not threshold_selects(o, alpha):
        return label, dict(iou=o, decision='kept')
    return (compose_label(label, c, sal_mask, ignore_index),
            dict(iou=o, decision='replaced'))


def threshold_selects(o, alpha):
    """True when an agreement ``o`` reaches the selection threshold
    ``alpha`` (never for ``alpha >= 1``: that endpoint is the baseline)."""
    return alpha < 1.0 and o >= alpha


def alpha_star_score(o, n_c, alpha_star='mean'):
    """The ungated, unclipped alpha* score: ``(o + n_c) / 2`` ('mean') or
    ``o + n_c`` ('paper'). A missing ``n_c`` (``None``/NaN) counts as 0."""
    if alpha_star not in ALPHA_STAR_KINDS:
        raise ValueError(f'alpha_star must be one of {ALPHA_STAR_KINDS}, '
                         f'got {alpha_star!r}')
    if not 0.0 <= o <= 1.0:
        raise ValueError(f'o (an IoU) must lie in [0, 1], got {o}')
    total = o + (float(n_c) if _valid_norm(n_c) else 0.0)
    return float(0.5 * total if alpha_star == 'mean' else total)


def soft_alpha(o, n_c, tau=None, alpha_star='mean'):
    """The blend weight alpha* of soft mode, 0 below the gate ``tau``.

    * ``alpha_star='mean'``: ``(o + n_c) / 2`` when it reaches ``tau``
      (default 0.5), else 0. ``o`` (the IoU of the CAM and saliency masks)
      and ``n_c`` (the class salience) both lie in [0, 1], so alpha* does
      too, strictly inside (0, 1) unless both are 0 or both are 1.
    * ``alpha_star='paper'``: the paper's ``(o + n_c)_tau``, the sum gated
      at ``tau`` (default 1.0), clipped to [0, 1] to blend.

    A missing ``n_c`` (``None``/NaN: a class never seen alone) counts as 0.
    """
    if tau is None:
        tau = DEFAULT_TAUS.get(alpha_star, DEFAULT_TAU)
    a = alpha_star_score(o, n_c, alpha_star)
    return float(min(a, 1.0)) if a >= tau else 0.0


def fuse_soft(label, c, saliency, n_c, cam=None, tau=None, weight=None,
              bg_thr=DEFAULT_BG_THR, sal_thr=DEFAULT_SAL_THR,
              salient_thr=DEFAULT_SALIENT_THR, ignore_index=255,
              alpha_star='mean'):
    """The alpha* rule on one single-class image.

    Args:
        cam: H x W CAM of class c in [0, 1]; ``None`` uses ``label == c``
            as a 0/1 map.
        tau: the gate of alpha* (``None``: the default of ``alpha_star``).
        weight: a fixed blend weight in [0, 1] replacing alpha* (the
            blend-weight sweep).
        alpha_star: 'mean' or 'paper', see :func:`soft_alpha`.

    Returns ``(new_label, info)``, ``info`` with ``iou``, ``alpha`` (the
    weight applied), ``salient`` and ``decision`` ('empty-saliency',
    'kept' or 'fused').
    """
    label = np.asarray(label)
    _check_same_shape(label, saliency)
    if cam is None:
        cam = (label == c).astype(np.float32)
    else:
        cam = np.asarray(cam, dtype=np.float32)
        _check_same_shape(label, cam, what=f'CAM of class {c}')
    if weight is not None and not 0.0 <= weight <= 1.0:
        raise ValueError(f'weight must lie in [0, 1], got {weight}')
    sal = saliency_to_float(saliency)
    sal_mask = binarize_saliency(sal, sal_thr)
    salient = _valid_norm(n_c) and n_c >= salient_thr
    if not sal_mask.any():
        return label, dict(iou=float('nan'), alpha=0.0, salient=salient,
                           decision='empty-saliency')
    o = class_iou(cam >= bg_thr, sal_mask, valid=label != ignore_index)
    a = float(weight) if weight is not None else \
        soft_alpha(o, n_c, tau, alpha_star)
    if a <= 0.0:
        return label, dict(iou=o, alpha=0.0, salient=salient,
                           decision='kept')
    return (blend_label(label, c, cam, sal, a, bg_thr, ignore_index),
            dict(iou=o, alpha=a, salient=salient, decision='fused'))


def blend_label(label, c, cam, sal, weight, bg_thr=DEFAULT_BG_THR,
                ignore_index=255):
    """``label`` with its class-c region replaced by ``(1 - weight) * cam +
    weight * sal >= bg_thr`` (``cam`` and ``sal`` float maps in [0, 1])."""
    score = (1.0 - weight) * cam + weight * sal
    return compose_label(label, c, score >= bg_thr, ignore_index)


def cam_of_class(cams, c):
    """The CAM of label value ``c`` from ``(keys, cams)`` as written by
    stage 2 (``keys`` 0-based foreground indices). ``None`` if absent."""
    keys, maps = cams
    hit = np.flatnonzero(np.asarray(keys).reshape(-1) == c - 1)
    return None if hit.size == 0 else np.asarray(maps[hit[0]])


def select_and_fuse(label, saliency, img_label, norms, mode='hard', cams=None,
                    t0=DEFAULT_T0, t1=DEFAULT_T1,
                    salient_thr=DEFAULT_SALIENT_THR, sal_thr=DEFAULT_SAL_THR,
                    tau=None, alpha=None, weight=None, alpha_star='mean',
                    bg_thr=DEFAULT_BG_THR, ignore_index=255, img_id=None):
    """Apply the selector to one image.

    Args:
        label: H x W pseudo-label (not modified).
        saliency: H x W saliency map (uint8 or float in [0, 1]).
        img_label: multi-hot vector of the K foreground classes.
        norms: sequence of K class salience values (``None``/NaN allowed).
        mode: 'hard' (Algorithm 1), 'soft' (alpha*) or 'threshold' (the
            paper's Table 3: replace when ``o >= alpha``).
        cams: ``(keys, cams)`` of the image (soft mode only, optional).
        alpha: the selection threshold of threshold mode (required there).
        weight: soft mode: a fixed blend weight instead of alpha*.
        alpha_star: soft mode: 'mean' or 'paper' (:func:`soft_alpha`).
        tau: soft mode's gate (``None``: the default of ``alpha_star``).

    Returns:
        ``(fused_label, decision)``; ``decision`` is a dict with ``id``,
        ``class`` (label value c, -1 when untouched for lack of a single
        class), ``iou``, ``n_c``, ``salient``, ``alpha`` (the saliency weight
        applied: alpha* or the fixed weight in soft mode, 1.0 / 0.0 for
        replaced / kept in hard and threshold mode, NaN when not
        evaluated), ``decision``
        (one of :data:`DECISIONS`) and ``changed`` (pixels changed).
    """
    if mode not in MODES:
        raise ValueError(f'mode must be one of {MODES}, got {mode!r}')
    if alpha is not None and mode != 'threshold':
        raise ValueError('alpha is the selection threshold of mode='
                         '"threshold"; soft mode\'s fixed blend weight is '
                         '`weight`')
    label = np.asarray(label)
    if label.ndim != 2:
        raise ValueError(f'a pseudo-label must be 2-D, got {label.shape}')
    img_label = np.asarray(img_label).reshape(-1)
    if len(norms) != img_label.size:
        raise ValueError(f'the norms cover {len(norms)} classes but the '
                         f'image-level label has {img_label.size}')
    _check_same_shape(label, saliency)
    nan = float('nan')
    decision = dict(id=img_id, **{'class': -1}, iou=nan, n_c=nan,
                    salient=None, alpha=nan, decision=None, changed=0)
    c = single_foreground_class(img_label)
    if c is None:
        n_present = int(np.count_nonzero(img_label > 0.5))
        decision['decision'] = 'no-class' if n_present == 0 else 'multi-class'
        return label, decision
    n_c = norms[c - 1]
    n_c = float(n_c) if _valid_norm(n_c) else nan
    decision.update({'class': c, 'n_c': n_c})
    if mode == 'hard':
        out, info = fuse_hard(label, c, saliency, n_c, t0=t0, t1=t1,
                              salient_thr=salient_thr, sal_thr=sal_thr,
                              ignore_index=ignore_index)
        info['alpha'] = {'replaced': 1.0, 'kept': 0.0}.get(
            info['decision'], nan)
    elif mode == 'threshold':
        if alpha is None:
            raise ValueError('threshold mode needs alpha (the selection '
                             'threshold in [0, 1])')
        out, info = fuse_threshold(label, c, saliency, alpha,
                                   sal_thr=sal_thr,
                                   ignore_index=ignore_index)
        info['salient'] = _valid_norm(n_c) and n_c >= salient_thr
        info['alpha'] = {'replaced': 1.0, 'kept': 0.0}.get(
            info['decision'], nan)
    else:
        cam = None
        if cams is not None:
            cam = cam_of_class(cams, c)
            if cam is None:
                raise ValueError(f'{img_id}: the CAMs hold no map of class '
                                 f'{c} (keys {list(np.asarray(cams[0]))})')
        out, info = fuse_soft(label, c, saliency, n_c, cam=cam, tau=tau,
                              weight=weight, bg_thr=bg_thr, sal_thr=sal_thr,
                              salient_thr=salient_thr,
                              ignore_index=ignore_index,
                              alpha_star=alpha_star)
    decision.update(info)
    decision['changed'] = int(np.count_nonzero(out != label))
    return out, decision


class SalientObjectSelector:
    """The selector with its settings bound: ``selector(label, saliency,
    img_label, cams=None, img_id=None) -> (fused_label, decision)``.

    Args:
        norms: list of K class salience values, or a path to the norms JSON
            written by ``tools/class_salience.py``.
        Other arguments: see :func:`select_and_fuse`.
    """

    def __init__(self, norms, mode='hard', t0=DEFAULT_T0, t1=DEFAULT_T1,
                 salient_thr=DEFAULT_SALIENT_THR, sal_thr=DEFAULT_SAL_THR,
                 tau=None, alpha=None, weight=None, alpha_star='mean',
                 bg_thr=DEFAULT_BG_THR, ignore_index=255):
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
        if not 0.0 < sal_thr <= 1.0:
            raise ValueError(f'sal_thr must lie in (0, 1], got {sal_thr}')
        if tau is None:
            tau = DEFAULT_TAUS[alpha_star]
        self.norms = [None if not _valid_norm(n) else float(n)
                      for n in norms]
        self.settings = dict(mode=mode, t0=float(t0), t1=float(t1),
                             salient_thr=float(salient_thr),
                             sal_thr=float(sal_thr), tau=float(tau),
                             alpha=None if alpha is None else float(alpha),
                             weight=None if weight is None else float(weight),
                             alpha_star=alpha_star, bg_thr=float(bg_thr),
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


# --------------------------------------------------------------------------
# the norms file
def save_norms(path, stats, class_names=None, **meta):
    """Write the class salience JSON (atomically): ``stats`` as returned by
    :func:`class_salience_norms`, optional class names and metadata."""
    num = len(stats['norms'])
    if class_names is not None and len(class_names) != num:
        raise ValueError(f'{len(class_names)} class names for {num} classes')
    data = dict(num_classes=num, class_names=list(class_names)
                if class_names is not None else None,
                norms=stats['norms'], mean_rms=stats['mean_rms'],
                image_count=stats['image_count'], **meta)
    from mmwsss.utils.io import atomic_write  # 0666 & ~umask, not 0600
    with atomic_write(path) as tmp:
        with open(tmp, 'w') as f:
            json.dump(data, f, indent=2)
    return data


def load_norms(path):
    """Read the class salience JSON; checks its shape and values."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'class salience (norms) file not found: '
                                f'{path}')
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        raise ValueError(f'{path}: not a JSON norms file ({e})') from e
    norms = data.get('norms') if isinstance(data, dict) else None
    if not isinstance(norms, list) or not norms:
        raise ValueError(f'{path}: expected a JSON object with a non-empty '
                         '"norms" list (written by tools/class_salience.py)')
    for i, n in enumerate(norms):
        if n is not None and (not isinstance(n, (int, float)) or
                              not 0.0 <= n <= 1.0):
            raise ValueError(f'{path}: norms[{i}] = {n!r} is not a number '
                             'in [0, 1] or null')
    return data
