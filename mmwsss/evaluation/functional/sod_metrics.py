"""Salient object detection (SOD) metrics, plain numpy.

The definitions follow the ``pysodmetrics`` package (PySODMetrics 1.6), which
reproduces the MATLAB toolboxes used by the SOD literature:

* MAE: mean absolute error between the [0, 1] map and the binary mask.
* F-measure (beta^2 = 0.3): precision/recall at the 256 thresholds
  255..0 of the map quantised to uint8 (``pred >= t``); *max* and *mean* are
  taken over thresholds of the curve averaged over images; *adaptive* uses
  the threshold ``min(2 * mean(pred), 1)`` per image.
* S-measure (alpha = 0.5): object-aware + region-aware structural
  similarity (Fan et al., ICCV 2017).
* E-measure: enhanced alignment (Fan et al., IJCAI 2018) at the same 256
  thresholds; *mean* E-measure is the mean over thresholds of the averaged
  curve, plus *max* and *adaptive*.

A per-image pass (:func:`sod_image_stats`) returns everything the dataset
averages need, so a distributed evaluator only gathers small dicts;
:func:`aggregate_sod_stats` turns a list of them into the final numbers.
Inputs are ``pred`` float in [0, 1] and ``gt`` bool, both H x W;
:func:`prepare_sod_inputs` converts uint8 maps the way the toolboxes do.
"""
import numpy as np

EPS = np.spacing(1)  # MATLAB's eps, as in the reference implementations
NUM_THRESHOLDS = 256


def prepare_sod_inputs(pred, gt, normalize=True):
    """Check shapes and return ``(pred float64 in [0, 1], gt bool)``.

    With ``normalize`` (the toolbox protocol for saved maps), ``pred`` is a
    uint8 map (0..255) that is scaled to [0, 1] and then min-max stretched
    when not constant, and ``gt`` a uint8 mask binarised at ``> 128``.
    Without it, ``pred`` must already be float in [0, 1] and ``gt`` bool.
    """
    pred = np.asarray(pred)
    gt = np.asarray(gt)
    if pred.shape != gt.shape or pred.ndim != 2:
        raise ValueError(f'pred and gt must be two H x W maps of one shape, '
                         f'got {pred.shape} and {gt.shape}')
    if normalize:
        gt = gt > 128
        pred = pred / 255.0
        lo, hi = pred.min(), pred.max()
        if hi != lo:
            pred = (pred - lo) / (hi - lo)
        return pred.astype(np.float64), gt
    if gt.dtype != bool:
        raise TypeError(f'gt must be bool when normalize=False, got {gt.dtype}')
    pred = pred.astype(np.float64)
    if pred.size and (pred.min() < 0 or pred.max() > 1):
        raise ValueError('pred must lie in [0, 1] when normalize=False, got '
                         f'[{pred.min()}, {pred.max()}]')
    return pred, gt


def mae(pred, gt):
    """Mean absolute error."""
    return float(np.mean(np.abs(pred - gt)))


def _adaptive_threshold(pred):
    return min(2 * float(pred.mean()), 1.0)


def _cumulative_counts(pred, gt):
    """Numbers of gt-foreground and gt-background pixels with
    ``uint8(pred * 255) >= t`` for t = 255, 254, ..., 0."""
    quant = (pred * 255).astype(np.uint8)
    fg_hist = np.bincount(quant[gt], minlength=256)
    bg_hist = np.bincount(quant[~gt], minlength=256)
    return (np.cumsum(fg_hist[::-1]).astype(np.float64),
            np.cumsum(bg_hist[::-1]).astype(np.float64))


def _f_from_pr(precision, recall, beta2):
    num = (1 + beta2) * precision * recall
    den = np.where(num == 0, 1, beta2 * precision + recall)
    return num / den


def fmeasure_curve(pred, gt, beta2=0.3):
    """Precision, recall and F-measure at thresholds 255..0 (256 each)."""
    tp, fp = _cumulative_counts(pred, gt)
    positives = tp + fp
    positives[positives == 0] = 1
    precision = tp / positives
    recall = tp / max(np.count_nonzero(gt), 1)
    return precision, recall, _f_from_pr(precision, recall, beta2)


def adaptive_fmeasure(pred, gt, beta2=0.3):
    """F-measure of ``pred >= min(2 * mean(pred), 1)``."""
    binary = pred >= _adaptive_threshold(pred)
    inter = np.count_nonzero(binary & gt)
    if inter == 0:
        return 0.0
    precision = inter / np.count_nonzero(binary)
    recall = inter / np.count_nonzero(gt)
    return float((1 + beta2) * precision * recall /
                 (beta2 * precision + recall))


def _ssim(pred, gt):
    """The region SSIM of the S-measure (gt as float)."""
    n = pred.size
    x, y = pred.mean(), gt.mean()
    sigma_x = np.sum((pred - x) ** 2) / (n - 1 + EPS)
    sigma_y = np.sum((gt - y) ** 2) / (n - 1 + EPS)
    sigma_xy = np.sum((pred - x) * (gt - y)) / (n - 1 + EPS)
    alpha = 4 * x * y * sigma_xy
    beta = (x ** 2 + y ** 2) * (sigma_x + sigma_y)
    if alpha != 0:
        return alpha / (beta + EPS)
    return 1.0 if beta == 0 else 0.0


def _s_object(values):
    mean = np.mean(values)
    std = np.std(values, ddof=1) if values.size > 1 else 0.0
    return 2 * mean / (mean ** 2 + 1 + std + EPS)


def smeasure(pred, gt, alpha=0.5):
    """Structure measure: ``alpha * object + (1 - alpha) * region``."""
    y = np.mean(gt)
    if y == 0:
        return float(1 - np.mean(pred))
    if y == 1:
        return float(np.mean(pred))
    # object-aware term
    obj = (_s_object(pred[gt]) * y + _s_object((1 - pred)[~gt]) * (1 - y))
    # region-aware term: split at the (1-based, MATLAB) foreground centroid
    h, w = gt.shape
    cy, cx = np.argwhere(gt).mean(axis=0).round()
    cy, cx = int(cy) + 1, int(cx) + 1
    area = h * w
    w_lt = cx * cy / area
    w_rt = cy * (w - cx) / area
    w_lb = (h - cy) * cx / area
    w_rb = 1 - w_lt - w_rt - w_lb
    gtf = gt.astype(np.float64)
    region = (_ssim(pred[:cy, :cx], gtf[:cy, :cx]) * w_lt +
              _ssim(pred[:cy, cx:], gtf[:cy, cx:]) * w_rt +
              _ssim(pred[cy:, :cx], gtf[cy:, :cx]) * w_lb +
              _ssim(pred[cy:, cx:], gtf[cy:, cx:]) * w_rb)
    return float(max(0.0, alpha * obj + (1 - alpha) * region))


def _enhanced_alignment(fg_fg, fg_bg, gt_fg, size):
    """E-measure from the counts of predicted-foreground pixels on gt
    foreground (``fg_fg``) and gt background (``fg_bg``); arrays or scalars
    (one value per threshold)."""
    pred_fg = fg_fg + fg_bg
    pred_bg = size - pred_fg
    if gt_fg == 0:
        total = pred_bg
    elif gt_fg == size:
        total = pred_fg
    else:
        bg_fg = gt_fg - fg_fg
        bg_bg = pred_bg - bg_fg
        mean_pred = pred_fg / size
        mean_gt = gt_fg / size
        total = 0
        for numel, p, g in ((fg_fg, 1 - mean_pred, 1 - mean_gt),
                            (fg_bg, 1 - mean_pred, -mean_gt),
                            (bg_fg, -mean_pred, 1 - mean_gt),
                            (bg_bg, -mean_pred, -mean_gt)):
            align = 2 * p * g / (p ** 2 + g ** 2 + EPS)
            total = total + (align + 1) ** 2 / 4 * numel
    return total / (size - 1 + EPS)


def emeasure_curve(pred, gt):
    """E-measure at thresholds 255..0 (256 values)."""
    fg_fg, fg_bg = _cumulative_counts(pred, gt)
    return _enhanced_alignment(fg_fg, fg_bg, np.count_nonzero(gt), gt.size)


def adaptive_emeasure(pred, gt):
    """E-measure of ``pred >= min(2 * mean(pred), 1)``."""
    binary = pred >= _adaptive_threshold(pred)
    fg_fg = np.count_nonzero(binary & gt)
    fg_bg = np.count_nonzero(binary & ~gt)
    return float(_enhanced_alignment(fg_fg, fg_bg, np.count_nonzero(gt),
                                     gt.size))


def sod_image_stats(pred, gt, beta2=0.3, alpha=0.5):
    """Everything one image contributes to the dataset metrics.

    Args:
        pred (np.ndarray): float map in [0, 1] (see :func:`prepare_sod_inputs`).
        gt (np.ndarray): bool mask of the same shape.
    """
    _, _, fm = fmeasure_curve(pred, gt, beta2)
    return dict(
        mae=mae(pred, gt),
        fm_curve=fm,
        adp_fm=adaptive_fmeasure(pred, gt, beta2),
        sm=smeasure(pred, gt, alpha),
        em_curve=emeasure_curve(pred, gt),
        adp_em=adaptive_emeasure(pred, gt))


def aggregate_sod_stats(stats):
    """Dataset metrics (fractions in [0, 1]) from per-image stats:
    ``MAE, maxFm, meanFm, adpFm, Sm, maxEm, meanEm, adpEm``."""
    if not stats:
        raise ValueError('no images to evaluate')
    fm = np.mean([s['fm_curve'] for s in stats], axis=0)
    em = np.mean([s['em_curve'] for s in stats], axis=0)
    return dict(
        MAE=float(np.mean([s['mae'] for s in stats])),
        maxFm=float(fm.max()),
        meanFm=float(fm.mean()),
        adpFm=float(np.mean([s['adp_fm'] for s in stats])),
        Sm=float(np.mean([s['sm'] for s in stats])),
        maxEm=float(em.max()),
        meanEm=float(em.mean()),
        adpEm=float(np.mean([s['adp_em'] for s in stats])))


def sod_metrics(preds, gts, normalize=True, beta2=0.3, alpha=0.5):
    """Convenience: metrics of lists of maps (uint8 maps with ``normalize``,
    else float [0, 1] maps and bool masks)."""
    stats = [sod_image_stats(*prepare_sod_inputs(p, g, normalize), beta2,
                             alpha) for p, g in zip(preds, gts)]
    return aggregate_sod_stats(stats)
