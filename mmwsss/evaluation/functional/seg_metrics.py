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
    if (gt.dtype == np.uint8 and pred.dtype == np.uint8
            and num_classes <= ignore_index):
        return _confusion_uint8(gt, pred, num_classes, ignore_index,
                                pred_ignore)
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


def _confusion_uint8(gt, pred, num_classes, ignore_index, pred_ignore):
    """:func:`confusion_matrix` of two uint8 maps: the same matrix, with
    every pixel touched by a few uint8 passes only.

    The pixels are counted per run of one (gt, pred) pair
    (:func:`_pair_runs`); the policy and the range checks then work on
    those runs instead of on every pixel. Needs ``num_classes <=
    ignore_index`` (no class is the ignore value).
    """
    gt_val, pred_val, counts = _pair_runs(gt.reshape(-1), pred.reshape(-1))
    keep = gt_val != ignore_index
    if pred_ignore == 'ignore':
        keep &= pred_val != ignore_index
    gt_val, pred_val, counts = gt_val[keep], pred_val[keep], counts[keep]
    if gt_val.size and gt_val.max() >= num_classes:
        raise ValueError(f'gt holds class {gt_val.max()} outside 0..'
                         f'{num_classes - 1} (and != {ignore_index})')
    is_ignore = pred_val == ignore_index
    valid = pred_val[~is_ignore]
    if valid.size and valid.max() >= num_classes:
        raise ValueError(f'prediction holds class {valid.max()} '
                         f'outside 0..{num_classes - 1}')
    column = pred_val.astype(np.intp)
    column[is_ignore] = 0 if pred_ignore == 'background' else num_classes
    index = gt_val.astype(np.intp) * (num_classes + 1)
    index += column
    cm = np.bincount(index, weights=counts,
                     minlength=num_classes * (num_classes + 1))
    # float64 sums of integers below 2**53: exact
    return cm.astype(np.int64).reshape(num_classes, num_classes + 1)


def _pair_runs(gt, pred):
    """Runs of one (gt, pred) pair in two flat uint8 arrays:
    ``(gt values, pred values, lengths)`` (uint8, uint8, intp), one entry
    per run (a pair may occur in several runs).

    Label maps are piecewise constant, so the flat arrays are long runs of
    the same pair: the run starts are found with uint8 comparisons (scanned
    8 pixels per 64-bit word), and each run is then counted once with its
    length. Counting every pixel (``np.bincount``) is slow on such data
    (each increment waits for the previous one to the same bin) and needs a
    64-bit index per pixel; it is used only for maps with short runs
    (noise), where it is the faster way.
    """
    n = gt.size
    if n == 0:
        empty = np.zeros(0, np.uint8)
        return empty, empty, np.zeros(0, np.intp)
    words = -(-(n - 1) // 8)
    change = np.empty(words * 8, bool)
    change[n - 1:] = False
    np.not_equal(gt[1:], gt[:-1], out=change[:n - 1])
    change[:n - 1] |= pred[1:] != pred[:-1]
    hot = np.flatnonzero(change.view(np.uint64) != 0)  # words with a change
    if hot.size * 8 > n // 4:
        index = gt.astype(np.uint16)
        index <<= 8
        index |= pred
        counts = np.bincount(index, minlength=65536)
        pairs = np.flatnonzero(counts)
        return ((pairs >> 8).astype(np.uint8),
                (pairs & 255).astype(np.uint8), counts[pairs])
    bit = np.flatnonzero(change.reshape(words, 8)[hot])
    starts = np.empty(bit.size + 1, np.intp)
    starts[0] = 0
    np.left_shift(hot[bit >> 3], 3, out=starts[1:])
    starts[1:] += bit & 7
    starts[1:] += 1                      # a run starts after each change
    lengths = np.diff(starts, append=n)
    return gt[starts], pred[starts], lengths


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
