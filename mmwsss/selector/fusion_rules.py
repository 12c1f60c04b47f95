"""The selector's rules on one image (paper Sec. 3.4): Algorithm 1 (hard),
the selection threshold of Table 3 (threshold), the alpha* blend (soft),
and :func:`select_and_fuse`, which picks the rule. Conventions and the
choices made where the paper leaves one: :mod:`mmwsss.selector.selector_core`.
Numpy only."""
import numpy as np

from .selector_core import (
    ALPHA_STAR_KINDS, DEFAULT_FUSE_THR, DEFAULT_SAL_MASK_THR,
    DEFAULT_SALIENCE_THR, DEFAULT_T0, DEFAULT_T1, DEFAULT_TAU, DEFAULT_TAUS,
    MODES, _check_same_shape, _compose, _valid_norm, binarize_saliency,
    cam_of_class, class_iou, compose_label, region_overlap, saliency_to_float,
    single_foreground_class)


def fuse_hard(label,
              c,
              saliency,
              n_c,
              t0=DEFAULT_T0,
              t1=DEFAULT_T1,
              salience_thr=DEFAULT_SALIENCE_THR,
              sal_mask_thr=DEFAULT_SAL_MASK_THR,
              ignore_index=255):
    """Algorithm 1 on one single-class image.

    Returns ``(new_label, info)``, ``info`` a dict with ``iou``, ``salient``,
    ``decision`` ('empty-saliency', 'kept' or 'replaced').
    """
    return _fuse_hard(label, c, saliency, n_c, t0, t1, salience_thr,
                      sal_mask_thr, ignore_index)[:2]


def _fuse_hard(label, c, saliency, n_c, t0, t1, salience_thr, sal_mask_thr,
               ignore_index):
    """:func:`fuse_hard` and the count of changed pixels."""
    label = np.asarray(label)
    _check_same_shape(label, saliency)
    sal_mask = binarize_saliency(saliency, sal_mask_thr)
    salient = _valid_norm(n_c) and n_c >= salience_thr
    n_sal = np.count_nonzero(sal_mask)
    if n_sal == 0:
        return label, dict(iou=float('nan'), salient=salient,
                           decision='empty-saliency'), 0
    region, o, changed = region_overlap(label, c, sal_mask, n_sal,
                                        ignore_index)
    replace = o > t0 if salient else o > t0 + t1
    if not replace:
        return label, dict(iou=o, salient=salient, decision='kept'), 0
    return (_compose(label, c, region, sal_mask),
            dict(iou=o, salient=salient, decision='replaced'), changed)


def fuse_threshold(label,
                   c,
                   saliency,
                   alpha,
                   sal_mask_thr=DEFAULT_SAL_MASK_THR,
                   ignore_index=255):
    """The paper's Table 3 rule on one single-class image: replace the
    class-c region by ``P_S`` when ``o = IoU(label == c, P_S) >= alpha``.

    ``alpha = 1`` leaves the label unchanged whatever ``o`` (the selector
    switched off); ``alpha = 0`` replaces the region whenever ``P_S`` is
    not empty.

    Returns ``(new_label, info)``, ``info`` a dict with ``iou`` and
    ``decision`` ('empty-saliency', 'kept' or 'replaced').
    """
    return _fuse_threshold(label, c, saliency, alpha, sal_mask_thr,
                           ignore_index)[:2]


def _fuse_threshold(label, c, saliency, alpha, sal_mask_thr, ignore_index):
    """:func:`fuse_threshold` and the count of changed pixels."""
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f'alpha (a selection threshold) must lie in '
                         f'[0, 1], got {alpha}')
    label = np.asarray(label)
    _check_same_shape(label, saliency)
    sal_mask = binarize_saliency(saliency, sal_mask_thr)
    n_sal = np.count_nonzero(sal_mask)
    if n_sal == 0:
        return label, dict(iou=float('nan'), decision='empty-saliency'), 0
    region, o, changed = region_overlap(label, c, sal_mask, n_sal,
                                        ignore_index)
    if not threshold_selects(o, alpha):
        return label, dict(iou=o, decision='kept'), 0
    return (_compose(label, c, region, sal_mask),
            dict(iou=o, decision='replaced'), changed)


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
              fuse_thr=DEFAULT_FUSE_THR, sal_mask_thr=DEFAULT_SAL_MASK_THR,
              salience_thr=DEFAULT_SALIENCE_THR, ignore_index=255,
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
    sal_mask = binarize_saliency(sal, sal_mask_thr)
    salient = _valid_norm(n_c) and n_c >= salience_thr
    if not sal_mask.any():
        return label, dict(iou=float('nan'), alpha=0.0, salient=salient,
                           decision='empty-saliency')
    o = class_iou(cam >= fuse_thr, sal_mask, valid=label != ignore_index)
    a = float(weight) if weight is not None else \
        soft_alpha(o, n_c, tau, alpha_star)
    if a <= 0.0:
        return label, dict(iou=o, alpha=0.0, salient=salient,
                           decision='kept')
    return (blend_label(label, c, cam, sal, a, fuse_thr, ignore_index),
            dict(iou=o, alpha=a, salient=salient, decision='fused'))


def blend_label(label, c, cam, sal, weight, fuse_thr=DEFAULT_FUSE_THR,
                ignore_index=255):
    """``label`` with its class-c region replaced by ``(1 - weight) * cam +
    weight * sal >= fuse_thr`` (``cam`` and ``sal`` float maps in [0, 1])."""
    score = (1.0 - weight) * cam + weight * sal
    return compose_label(label, c, score >= fuse_thr, ignore_index)


def select_and_fuse(label,
                    saliency,
                    img_label,
                    norms,
                    mode='hard',
                    cams=None,
                    t0=DEFAULT_T0,
                    t1=DEFAULT_T1,
                    salience_thr=DEFAULT_SALIENCE_THR,
                    sal_mask_thr=DEFAULT_SAL_MASK_THR,
                    tau=None,
                    alpha=None,
                    weight=None,
                    alpha_star='mean',
                    fuse_thr=DEFAULT_FUSE_THR,
                    ignore_index=255,
                    img_id=None):
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
        out, info, changed = _fuse_hard(label, c, saliency, n_c, t0, t1,
                                        salience_thr, sal_mask_thr,
                                        ignore_index)
        info['alpha'] = {'replaced': 1.0, 'kept': 0.0}.get(
            info['decision'], nan)
    elif mode == 'threshold':
        if alpha is None:
            raise ValueError('threshold mode needs alpha (the selection '
                             'threshold in [0, 1])')
        out, info, changed = _fuse_threshold(label, c, saliency, alpha,
                                             sal_mask_thr, ignore_index)
        info['salient'] = _valid_norm(n_c) and n_c >= salience_thr
        info['alpha'] = {'replaced': 1.0, 'kept': 0.0}.get(
            info['decision'], nan)
    else:
        cam = None
        if cams is not None:
            cam = cam_of_class(cams, c)
            if cam is None:
                raise ValueError(f'{img_id}: the CAMs hold no map of class '
                                 f'{c} (keys {list(np.asarray(cams[0]))})')
        out, info = fuse_soft(label,
                              c,
                              saliency,
                              n_c,
                              cam=cam,
                              tau=tau,
                              weight=weight,
                              fuse_thr=fuse_thr,
                              sal_mask_thr=sal_mask_thr,
                              salience_thr=salience_thr,
                              ignore_index=ignore_index,
                              alpha_star=alpha_star)
        changed = 0 if out is label else int(np.count_nonzero(out != label))
    decision.update(info)
    decision['changed'] = changed
    return out, decision
