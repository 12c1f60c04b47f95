"""The tau sweep of the soft rule: pseudo-label quality against the gate.

Soft mode fuses a single-class image with weight ``alpha* = (o + n_c) / 2``
when that reaches ``tau`` (:func:`~mmwsss.selector.selector_core.soft_alpha`).
``tau`` only gates: it never changes the weight of an image that passes. So
each image is fused once with the gate open (``tau = 0``), and for every
``tau`` of the sweep it contributes either its fused label (``alpha* >=
tau``) or its input label. One confusion matrix per ``tau`` is accumulated
over the split; each row holds Acc, Acc_class, mIoU, fwIoU, per-class IoU,
how many images were fused and the weights they got.

Plain functions on arrays (:func:`sweep_tau`) and on folders
(:func:`sweep_tau_dirs`); the metrics are
:mod:`mmwsss.evaluation.functional.seg_metrics` (imported when called, so
``mmwsss.selector`` stays free of OpenMMLab).
"""
import numpy as np

from .selector_core import (DEFAULT_BG_THR, DEFAULT_SAL_THR,
                            DEFAULT_SALIENT_THR, select_and_fuse)

#: the default grid; 0.5 is the default gate (``o + n_c >= 1``)
DEFAULT_TAUS = (0.0, 0.3, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.8, 0.9,
                1.0)
METRICS = ('Acc', 'Acc_class', 'mIoU', 'fwIoU')


def _metrics():
    from mmwsss.evaluation.functional.seg_metrics import (
        confusion_matrix, scores_from_confusion)
    return confusion_matrix, scores_from_confusion


def sweep_tau(samples, norms, num_classes, taus=DEFAULT_TAUS,
              bg_thr=DEFAULT_BG_THR, sal_thr=DEFAULT_SAL_THR,
              salient_thr=DEFAULT_SALIENT_THR, pred_ignore='background',
              ignore_index=255):
    """Soft-mode pseudo-label quality for every ``tau``.

    Args:
        samples: iterable of ``(img_id, label, saliency, img_label, cams,
            gt)``; ``cams`` is ``(keys, maps)`` as written by stage 2 or
            ``None`` (the class region as a 0/1 map); ``gt`` the H x W
            ground truth.
        norms: the K class salience values (``None`` allowed).
        num_classes (int): classes including background (K + 1).
        taus: the gates to evaluate.
        Other arguments: see :func:`select_and_fuse`.

    Returns:
        dict with ``baseline`` (the input labels' scores), ``rows`` (one per
        tau: ``tau``, the four scores, ``IoU`` list, ``fused_images``,
        ``fractional_images`` (0 < alpha* < 1), ``mean_alpha`` over the
        fused images or None), ``single_class_images``, ``num_images``
        and ``alphas`` (the ungated alpha* of every single-class image,
        for a histogram).
    """
    confusion_matrix, scores_from_confusion = _metrics()
    taus = [float(t) for t in taus]
    shape = (num_classes, num_classes + 1)
    base = np.zeros(shape, np.int64)
    gain = np.zeros((len(taus), ) + shape, np.int64)  # fused - input
    alphas, n_images = [], 0
    for img_id, label, sal, img_label, cams, gt in samples:
        n_images += 1
        label = np.asarray(label)
        if label.shape != np.shape(gt):
            raise ValueError(f'{img_id}: pseudo-label {label.shape} and '
                             f'ground truth {np.shape(gt)} differ in shape')
        cm_in = confusion_matrix(gt, label, num_classes,
                                 pred_ignore=pred_ignore)
        base += cm_in
        fused, dec = select_and_fuse(
            label, sal, img_label, norms, mode='soft', cams=cams, tau=0.0,
            bg_thr=bg_thr, sal_thr=sal_thr, salient_thr=salient_thr,
            ignore_index=ignore_index, img_id=img_id)
        if dec['decision'] not in ('fused', 'kept'):
            continue  # not single-class, or an empty saliency map
        a = float(dec['alpha'])
        alphas.append(a)
        if dec['decision'] != 'fused':
            continue
        delta = confusion_matrix(gt, fused, num_classes,
                                 pred_ignore=pred_ignore) - cm_in
        for k, t in enumerate(taus):
            if a >= t:
                gain[k] += delta
    alphas = np.asarray(alphas, np.float64)

    def scores(cm):
        sc = scores_from_confusion(cm)
        out = {m: float(sc[m]) for m in METRICS}
        out['IoU'] = [None if np.isnan(v) else float(v)
                      for v in np.asarray(sc['IoU'], np.float64)]
        return out

    rows = []
    for k, t in enumerate(taus):
        used = alphas[(alphas > 0) & (alphas >= t)]
        rows.append(dict(
            tau=t, **scores(base + gain[k]), fused_images=int(used.size),
            fractional_images=int(np.count_nonzero(used < 1)),
            mean_alpha=float(used.mean()) if used.size else None))
    return dict(baseline=scores(base), rows=rows, num_images=n_images,
                single_class_images=int(alphas.size),
                alphas=[float(a) for a in alphas])


def sweep_tau_dirs(data_root, split, pseudo_dir, sal_dir, norms,
                   cam_dir=None, gt_dir=None, taus=DEFAULT_TAUS, **kwargs):
    """:func:`sweep_tau` over a split on disk: pseudo-labels, saliency maps
    (and CAMs) as written by stages 2-4, the image-level labels of
    ``<data_root>/cls_labels.npy`` and the ground truth of ``gt_dir``
    (default ``<data_root>/SegmentationClassAug``). ``norms`` is a list or
    the class salience JSON."""
    from mmwsss.utils.selector_inputs import SelectorInputs

    from .selector_core import load_norms
    if not isinstance(norms, (list, tuple)):
        norms = load_norms(norms)['norms']
    inputs = SelectorInputs(data_root, split, pseudo_dir, sal_dir,
                            cam_dir=cam_dir, gt_dir=gt_dir,
                            num_classes=len(norms))

    def samples():
        for img_id in inputs.ids:
            label, sal, img_label, cams = inputs.load(img_id,
                                                      with_cams=True)
            yield img_id, label, sal, img_label, cams, inputs.gt(img_id)

    result = sweep_tau(samples(), norms, inputs.num_classes + 1, taus=taus,
                       **kwargs)
    result['class_names'] = ['background'] + list(inputs.class_names)
    return result


def format_tau_table(result):
    """The sweep as a Markdown table (percent)."""
    lines = ['| tau | Acc | Acc_class | mIoU | fwIoU | fused images | '
             '0 < alpha* < 1 | mean alpha* |',
             '| --- | --- | --- | --- | --- | --- | --- | --- |']
    b = result['baseline']
    lines.append('| no selector | ' + ' | '.join(
        f'{100 * b[m]:.2f}' for m in METRICS) + ' | 0 | 0 | - |')
    for r in result['rows']:
        mean = '-' if r['mean_alpha'] is None else f"{r['mean_alpha']:.3f}"
        lines.append(f"| {r['tau']:g} | " + ' | '.join(
            f'{100 * r[m]:.2f}' for m in METRICS) +
            f" | {r['fused_images']} | {r['fractional_images']} | {mean} |")
    return '\n'.join(lines)
