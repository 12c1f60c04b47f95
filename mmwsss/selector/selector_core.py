"""The Salient Object Selector (paper Sec. 3.4, Algorithm 1), as plain numpy.

One implementation, used by the offline tool (``tools/run_select.py``), the
online transform (``SelectorFusion``) and the ablation sweep
(``tools/sweep_selector.py``); it imports no OpenMMLab package. This module
holds the conventions, the defaults and the elementary pieces; the rules
are in :mod:`mmwsss.selector.fusion_rules` (:func:`~mmwsss.selector.
fusion_rules.select_and_fuse`), the class salience ``n_c`` in
:mod:`mmwsss.selector.class_salience`, the selector with its settings bound
in :mod:`mmwsss.selector.salient_object_selector`.

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
  :func:`~mmwsss.selector.class_salience.class_salience_norms`.

The rules (the paper's Algorithm 1 and its alpha* rule) and the choices made
where the paper leaves one (also in ``docs/selector.md``):

* Only images whose image-level label holds exactly one foreground class are
  touched; every other image passes through unchanged.
* ``P_S = saliency >= sal_mask_thr`` (``sal_mask_thr`` default 0.5). An
  empty ``P_S`` leaves the label unchanged (Algorithm 1, line 4).
* ``o = IoU(P_CAM, P_S)`` is computed over the pixels the pseudo-label
  decided: pixels that are ``ignore_index`` in the input label are left out
  of both the intersection and the union (an undecided pixel is no evidence
  of disagreement). ``o = 0`` when that union is empty.
* Hard mode: ``P_CAM = (label == c)``. The class-c region is replaced by
  ``P_S`` when ``n_c >= salience_thr and o > t0`` or ``n_c < salience_thr and
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
  fuse_thr`` as the mask. The weight alpha* comes from ``o`` and ``n_c`` (a
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
  class-c region is ``(1 - w) * P_CAM + w * S >= fuse_thr`` (the foreground
  score thresholded at the background threshold), composed with the label
  as in hard mode.
* Defaults: ``t0 = 0.4, t1 = 0.2`` (paper); ``salience_thr = 0.6`` and
  ``tau = 0.5`` (mean), chosen together so the two modes agree at the hard
  thresholds: soft mode acts when ``o >= 1 - n_c``, i.e. a class at the
  salient threshold (``n_c = 0.6``) needs ``o >= 0.4 = t0`` and a class at
  ``n_c = 0.4`` needs ``o >= 0.6 = t0 + t1``, with a continuous trade-off
  in between. Where it acts, alpha* runs from 0.5 (barely past the gate)
  to 1 (full overlap with the most salient class).
  ``fuse_thr = 0.5`` (the midpoint of a 0/1 region map, and equal to
  ``sal_mask_thr`` so that a weight of 1 gives exactly ``P_S``); with a real
  CAM, pass the stage-3 background threshold.
"""
import functools
import math

import numpy as np

#: every value of ``decision['decision']``
DECISIONS = ('no-class', 'multi-class', 'empty-saliency', 'kept', 'replaced',
             'fused')
MODES = ('hard', 'soft', 'threshold')
#: how soft mode's alpha* combines o and n_c (see :func:`soft_alpha`)
ALPHA_STAR_KINDS = ('mean', 'paper')

DEFAULT_T0 = 0.4
DEFAULT_T1 = 0.2
DEFAULT_SALIENCE_THR = 0.6
DEFAULT_SAL_MASK_THR = 0.5
DEFAULT_TAU = 0.5
#: the default gate of each alpha* kind: both let an image through when
#: ``o + n_c >= 1``
DEFAULT_TAUS = dict(mean=DEFAULT_TAU, paper=1.0)
DEFAULT_FUSE_THR = 0.5
#: former names of the selector's settings -> their names now
RENAMED_SETTINGS = dict(bg_thr='fuse_thr', sal_thr='sal_mask_thr',
                        salient_thr='salience_thr')

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


def binarize_saliency(saliency, sal_mask_thr=DEFAULT_SAL_MASK_THR):
    """``P_S``: pixels whose saliency (in [0, 1]) is at least ``sal_mask_thr``.

    A uint8 map is compared in uint8 with the smallest value whose float
    saliency (:func:`saliency_to_float`, the same float32 operation) passes
    the threshold: the same mask, without a float32 copy of the map."""
    if not 0.0 < sal_mask_thr <= 1.0:
        raise ValueError(
            f'sal_mask_thr must lie in (0, 1], got {sal_mask_thr}')
    sal = np.asarray(saliency)
    if sal.dtype == np.uint8 and sal.ndim == 2:
        k = _uint8_threshold(float(sal_mask_thr))
        return sal >= k if k is not None else np.zeros(sal.shape, bool)
    return saliency_to_float(saliency) >= np.float32(sal_mask_thr)


@functools.lru_cache(maxsize=64)
def _uint8_threshold(sal_mask_thr):
    """The smallest uint8 saliency that passes ``sal_mask_thr`` (``None``
    when none does): float32 ``v * (1/255)`` grows with ``v``, so the
    passing values are ``v >= k``. Found once per threshold."""
    passes = saliency_to_float(np.arange(256, dtype=np.uint8)[None]
                               )[0] >= np.float32(sal_mask_thr)
    return int(np.argmax(passes)) if passes.any() else None


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


def compose_label(label, c, new_region, ignore_index=255):
    """Replace the class-c region of ``label`` by ``new_region``.

    Pixel-wise: ``new_region`` -> ``c``; outside it, ``c`` -> 0 (background),
    ``ignore_index`` stays ``ignore_index`` (the pseudo-label is undecided
    and the saliency says background: the two sources disagree), anything
    else (background, another class) is kept.
    """
    label = np.asarray(label)
    return _compose(label, c, label == c, new_region)


def _compose(label, c, region, new_region):
    """:func:`compose_label` with the class-c region ``label == c`` given
    (found once per image).

    A uint8 label is composed with bitwise operations on 0x00 / 0xFF byte
    masks made from the boolean masks (``region - 1``, ``-new_region``,
    wrapping in uint8): ``out = label & ~region``, then ``out ^= (out ^ c)
    & new_region``. The same bytes as the masked assignments, a fifth of
    their time (``putmask`` is not vectorised)."""
    new_region = np.asarray(new_region, dtype=bool)
    if new_region.shape != label.shape:
        raise ValueError(f'the new region {new_region.shape} and the label '
                         f'{label.shape} differ in shape')
    if label.dtype != np.uint8 or not 0 <= c <= 255:
        out = label.copy()
        np.putmask(out, region, 0)
        np.putmask(out, new_region, c)
        return out
    # 0x00 in the region, 0xFF elsewhere; then the label outside the region
    out = np.subtract(region.view(np.uint8), np.uint8(1))
    np.bitwise_and(label, out, out=out)
    # (out ^ c) inside the new region, 0 elsewhere; xor-ed in: c inside
    flip = np.bitwise_xor(out, np.uint8(c))
    np.bitwise_and(flip, np.negative(new_region.view(np.uint8)), out=flip)
    np.bitwise_xor(out, flip, out=out)
    return out


def region_overlap(label, c, sal_mask, n_sal=None, ignore_index=255):
    """What the rules need of one single-class image, in few passes over
    its pixels: ``(region, o, changed)``.

    ``region`` is ``label == c``; ``o`` is :func:`class_iou` of ``region``
    and ``sal_mask`` over the decided pixels (``label != ignore_index``),
    the same number; ``changed`` is the count of pixels that
    :func:`compose_label` with ``new_region = sal_mask`` changes. Counting
    avoids the masked copies ``class_iou`` makes: ``region`` holds no
    ignore pixel (``c`` is a class), so its intersection with ``P_S`` needs
    no mask, and the union is ``|region| + |P_S| - |P_S on ignore pixels|
    - |region & P_S|``. ``n_sal``: ``count_nonzero(sal_mask)``, when
    known."""
    region = label == c
    if c == ignore_index:  # not a class: the general formulas
        o = class_iou(region, sal_mask, valid=label != ignore_index)
        changed = int(np.count_nonzero(
            _compose(label, c, region, sal_mask) != label))
        return region, o, changed
    n_region = np.count_nonzero(region)
    if n_sal is None:
        n_sal = np.count_nonzero(sal_mask)
    inter = np.count_nonzero(region & sal_mask)
    sal_ignored = np.count_nonzero(sal_mask & (label == ignore_index))
    union = n_region + n_sal - sal_ignored - inter
    o = 0.0 if union == 0 else float(inter / union)
    # inside P_S every pixel becomes c (changed unless it was c); outside,
    # c becomes background and everything else is kept
    changed = int(n_sal - inter) + int(n_region - inter)
    return region, o, changed


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


def cam_of_class(cams, c):
    """The CAM of label value ``c`` from ``(keys, cams)`` as written by
    stage 2 (``keys`` 0-based foreground indices). ``None`` if absent."""
    keys, maps = cams
    hit = np.flatnonzero(np.asarray(keys).reshape(-1) == c - 1)
    return None if hit.size == 0 else np.asarray(maps[hit[0]])
