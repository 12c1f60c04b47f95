"""Dataset-level segmentation metrics from one confusion matrix.

The project's yardstick for CAMs and pseudo-labels (paper Tables 3-4):
accumulate one ``C x C`` confusion matrix over a whole split (rows = ground
truth, columns = prediction), then read Acc, Acc_class, mIoU, fwIoU and the
per-class IoU off it. Pure numpy, at the package's floor: the evaluation
drivers (:mod:`mmwsss.evaluation.functional`) and the selector's sweeps
(:mod:`mmwsss.selector.sweep`) both count with it.
"""
import threading

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
    (:func:`_pair_runs`); each run's cell comes from two 256-entry tables
    (:func:`_cell_tables`: the ignore value and the policy, the range
    checks as cells of their own), so the runs go through one weighted
    ``np.bincount``. Needs ``num_classes <= ignore_index`` (no class is the
    ignore value).
    """
    gt_val, pred_val, counts = _pair_runs(gt.reshape(-1), pred.reshape(-1))
    row_of, col_of = _cell_tables(num_classes, ignore_index, pred_ignore)
    index = row_of[gt_val]
    index += col_of[pred_val]
    n = num_classes
    cells = np.bincount(index, weights=counts,
                        minlength=(n + 2) * (n + 3)).reshape(n + 2, n + 3)
    # row n: gt ignored; row n + 1: gt out of range; column n + 1: pred
    # ignored (policy 'ignore'); column n + 2: pred out of range
    bad_gt = cells[n + 1].sum() - (cells[n + 1, n + 1]
                                   if pred_ignore == 'ignore' else 0)
    if bad_gt:
        bad = (gt_val != ignore_index) & (gt_val >= n)
        if pred_ignore == 'ignore':
            bad &= pred_val != ignore_index
        raise ValueError(f'gt holds class {gt_val[bad].max()} outside 0..'
                         f'{n - 1} (and != {ignore_index})')
    if cells[:n, n + 2].any():
        keep = gt_val < n
        bad = pred_val[keep]
        bad = bad[bad != ignore_index]
        raise ValueError(f'prediction holds class {bad.max()} '
                         f'outside 0..{n - 1}')
    # float64 sums of integers below 2**53: exact
    return cells[:n, :n + 1].astype(np.int64)


_TABLES = {}


def _cell_tables(num_classes, ignore_index, pred_ignore):
    """``(row_of, col_of)``: the cell ``row_of[gt] + col_of[pred]`` of a
    (gt, pred) pair in an ``(n + 2) x (n + 3)`` table (``n`` classes) whose
    first ``n`` rows and ``n + 1`` columns are the confusion matrix;
    cached."""
    key = (num_classes, ignore_index, pred_ignore)
    if key not in _TABLES:
        n, cols = num_classes, num_classes + 3
        row_of = np.full(256, (n + 1) * cols, np.intp)
        row_of[:n] = np.arange(n) * cols
        row_of[ignore_index] = n * cols
        col_of = np.full(256, n + 2, np.intp)
        col_of[:n] = np.arange(n)
        col_of[ignore_index] = dict(background=0, wrong=n,
                                    ignore=n + 1)[pred_ignore]
        _TABLES[key] = row_of, col_of
    return _TABLES[key]


_scratch = threading.local()


def _change_buffers(n):
    """Two reusable ``n - 1`` long bool buffers for :func:`_pair_runs`
    (views of a per-thread buffer that only grows). Fresh 180 KB
    temporaries for every image cost more than the counting itself: the
    allocator gives their pages back to the system between images and
    every page faults again (about 150 page faults per VOC-size image pair,
    measured)."""
    buf = getattr(_scratch, 'buf', None)
    if buf is None or buf.size < 2 * (n - 1):
        buf = _scratch.buf = np.empty(2 * (n - 1), bool)
    return buf[:n - 1], buf[n - 1:2 * (n - 1)]


def _pair_runs(gt, pred):
    """Runs of one (gt, pred) pair in two flat uint8 arrays:
    ``(gt values, pred values, lengths)`` (uint8, uint8, intp), one entry
    per run (a pair may occur in several runs).

    Label maps are piecewise constant, so the flat arrays are long runs of
    the same pair: the run starts are found with two uint8 comparisons of
    neighbours and one ``flatnonzero``, and each run is then counted once
    with its length. Counting every pixel (``np.bincount``) is slow on such
    data (each increment waits for the previous one to the same bin) and
    needs a 64-bit index per pixel; it is used only for maps with short
    runs (noise), where it is the faster way.
    """
    n = gt.size
    if n < 2:
        return gt.copy(), pred.copy(), np.ones(n, np.intp)
    change, other = _change_buffers(n)
    np.not_equal(gt[1:], gt[:-1], out=change)
    np.not_equal(pred[1:], pred[:-1], out=other)
    change |= other
    if np.count_nonzero(change) > n // 4:
        index = gt.astype(np.uint16)
        index <<= 8
        index |= pred
        counts = np.bincount(index, minlength=65536)
        pairs = np.flatnonzero(counts)
        return ((pairs >> 8).astype(np.uint8),
                (pairs & 255).astype(np.uint8), counts[pairs])
    last = np.flatnonzero(change)        # a run ends at each change
    starts = np.empty(last.size + 1, np.intp)
    starts[0] = 0
    np.add(last, 1, out=starts[1:])
    lengths = np.empty_like(starts)
    np.subtract(starts[1:], starts[:-1], out=lengths[:-1])
    lengths[-1] = n - starts[-1]
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
