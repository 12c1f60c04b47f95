"""Dataset-level segmentation metrics from one confusion matrix.

The project's yardstick for CAMs and pseudo-labels (paper Tables 3-4):
accumulate one ``C x C`` confusion matrix over a whole split (rows = ground
truth, columns = prediction), then read Acc, Acc_class, mIoU, fwIoU and the
per-class IoU off it. Pure numpy.
"""
import numpy as np

#: how predicted-255 (ignore) pixels are counted, see ``confusion_matrix``
PRED_IGNORE_POLICIES = ('background', 'ignore', 'wrong')


def confusion_matrix(gt, pred, num_classes=21, ignore_index=255,
                     pred_ignore='background'):
    """Confusion matrix of one image: ``C x (C + 1)``, rows = gt, columns =
    prediction, the last column = pixels counted as misses (``pred_ignore=
    "wrong"``; zero otherwise). Sum these over a split, then call
    :func:`scores_from_confusion`.

    Args:
        gt, pred: integer label maps of the same shape.
        ignore_index: gt pixels with this value are not counted.
        pred_ignore: what a predicted ``ignore_index`` pixel counts as:
            ``'background'`` (class 0, IRN's convention, the default),
            ``'ignore'`` (the pixel is not counted) or ``'wrong'`` (counted
            as a miss of its gt class: it adds to the gt class's pixels and
            to no predicted class).
    """
    gt = np.asarray(gt)
    pred = np.asarray(pred)
    if gt.shape != pred.shape:
        raise ValueError(f'gt {gt.shape} and prediction {pred.shape} differ '
                         'in shape')
    if pred_ignore not in PRED_IGNORE_POLICIES:
        raise ValueError(f'pred_ignore must be one of {PRED_IGNORE_POLICIES},'
                         f' got {pred_ignore!r}')
    gt = gt.reshape(-1).astype(np.int64)
    pred = pred.reshape(-1).astype(np.int64)
    keep = gt != ignore_index
    pred_is_ignore = pred == ignore_index
    if pred_ignore == 'background':
        pred = np.where(pred_is_ignore, 0, pred)
    elif pred_ignore == 'ignore':
        keep &= ~pred_is_ignore
    gt, pred = gt[keep], pred[keep]
    if gt.size and (gt.max() >= num_classes or gt.min() < 0):
        raise ValueError(f'gt holds class {gt.max()} outside 0..'
                         f'{num_classes - 1} (and != {ignore_index})')
    valid_pred = pred != ignore_index
    if pred[valid_pred].size and (pred[valid_pred].max() >= num_classes
                                  or pred[valid_pred].min() < 0):
        raise ValueError(f'prediction holds class {pred[valid_pred].max()} '
                         f'outside 0..{num_classes - 1}')
    # pred_ignore == 'wrong': an extra column collects the misses
    index = gt * (num_classes + 1) + np.where(valid_pred, pred, num_classes)
    cm = np.bincount(index, minlength=num_classes * (num_classes + 1))
    cm = cm.reshape(num_classes, num_classes + 1)
    return cm


def scores_from_confusion(cm):
    """Acc, Acc_class, mIoU, fwIoU and per-class IoU from a confusion matrix
    ``C x C`` (or ``C x (C+1)`` with a last column of unassigned pixels).

    Classes absent from both gt and prediction get IoU NaN and are left out
    of the means (as mmseg's ``IoUMetric`` does). Values are fractions.
    """
    cm = np.asarray(cm, dtype=np.float64)
    n = cm.shape[0]
    tp = np.diag(cm[:, :n])
    gt_count = cm.sum(1)            # includes unassigned pixels
    pred_count = cm[:, :n].sum(0)
    total = gt_count.sum()
    with np.errstate(divide='ignore', invalid='ignore'):
        acc_cls = tp / gt_count
        iou = tp / (gt_count + pred_count - tp)
    freq = gt_count / total if total else np.zeros(n)
    valid = ~np.isnan(iou)
    return dict(
        Acc=float(tp.sum() / total) if total else float('nan'),
        Acc_class=float(np.nanmean(acc_cls)) if np.any(~np.isnan(acc_cls))
        else float('nan'),
        mIoU=float(np.nanmean(iou)) if valid.any() else float('nan'),
        fwIoU=float((freq[valid] * iou[valid]).sum()),
        IoU=iou.tolist(),
    )
