"""Dataset-level evaluation of the cam and expand/select stages (numpy).

* :func:`evaluate_cams`: CAMs with a background-threshold sweep (the stage
  cam's contract: the JSON holds ``best_threshold``, read by stage expand);
* :func:`evaluate_labels`: label maps (pseudo-labels) against the GT.

One confusion matrix accumulated over the whole split (not a mean over
images); GT 255 is ignored; predicted 255 pixels follow ``pred_ignore``
(default ``background``, IRN's convention).
"""
import os.path as osp

import numpy as np

from mmwsss.cam.cam_to_label import DEFAULT_BG_THRESHOLDS, cam_to_label
from mmwsss.datasets.voc_layout import (cam_label_keys, image_labels_if_any,
                                        read_split, require_files,
                                        resolve_class_names, root_path)
from mmwsss.utils.io import PixelBuffer, load_cam_npz, load_label_png
from mmwsss.utils.seg_metrics import (PRED_IGNORE_POLICIES, confusion_matrix,
                                      scores_from_confusion)

from .seg_report import (check_same_size, format_scores_table,
                         scores_to_json, sum_over_images, write_json)


def _setup(data_root, split, gt_dir, classes, num_classes):
    split_file, ids = read_split(data_root, split)
    gt_dir = root_path(data_root, gt_dir)
    if not osp.isdir(gt_dir):
        raise FileNotFoundError(f'ground-truth folder not found: {gt_dir}')
    names = resolve_class_names(classes, num_classes, data_root)
    return split_file, ids, gt_dir, names


class _LabelConfusion:
    def __init__(self, gt_dir, pred_dir, pred_suffix, num_classes,
                 pred_ignore):
        self.gt_dir, self.pred_dir = gt_dir, pred_dir
        self.pred_suffix, self.num_classes = pred_suffix, num_classes
        self.pred_ignore = pred_ignore
        # the maps of one image at a time, decoded into reused memory
        self.buffers = PixelBuffer(), PixelBuffer()

    def __call__(self, img_id):
        gt_path = osp.join(self.gt_dir, img_id + '.png')
        pred_path = osp.join(self.pred_dir, img_id + self.pred_suffix)
        gt = load_label_png(gt_path, buffer=self.buffers[0])
        pred = load_label_png(pred_path, buffer=self.buffers[1])
        check_same_size(gt, pred, gt_path, pred_path)
        try:
            return confusion_matrix(gt, pred, self.num_classes,
                                    pred_ignore=self.pred_ignore)
        except ValueError as e:
            raise ValueError(f'{pred_path} / {gt_path}: {e}') from e


def evaluate_labels(pred_dir, data_root, split='train',
                    gt_dir='SegmentationClassAug', classes=None,
                    num_classes=None, pred_ignore='background',
                    out_json=None, nproc=1, pred_suffix='.png', log=print):
    """Scores of the label maps ``<pred_dir>/<id><pred_suffix>`` of a split;
    prints the table, writes ``out_json`` and returns the dict."""
    split_file, ids, gt_dir, names = _setup(data_root, split, gt_dir,
                                            classes, num_classes)
    if not osp.isdir(pred_dir):
        raise FileNotFoundError(f'prediction folder not found: {pred_dir}')
    require_files(pred_dir, ids, pred_suffix, 'prediction', split_file)
    cm = sum_over_images(
        _LabelConfusion(gt_dir, pred_dir, pred_suffix, len(names),
                        pred_ignore), ids, nproc, desc='eval')
    scores = scores_from_confusion(cm)
    log(format_scores_table(
        scores, names, f'{pred_dir} on {osp.basename(split_file)} '
        f'({len(ids)} images), predicted 255 -> {pred_ignore}'))
    data = dict(pred_dir=pred_dir, split=split_file, num_images=len(ids),
                pred_ignore=pred_ignore, class_names=names,
                **scores_to_json(scores, names),
                confusion=np.asarray(cm).tolist())
    write_json(out_json, data)
    return data


class _CamConfusions:
    """T x C x (C + 1) confusion matrices of one image, one per
    threshold."""

    def __init__(self, gt_dir, cam_dir, num_classes, pred_ignore,
                 thresholds, labels=None):
        self.labels = labels  # image-level labels: CAM keys among them
        self.gt_dir, self.cam_dir = gt_dir, cam_dir
        self.num_classes, self.pred_ignore = num_classes, pred_ignore
        self.thresholds = thresholds
        self.buffer = PixelBuffer()  # the GT of one image at a time

    def __call__(self, img_id):
        gt_path = osp.join(self.gt_dir, img_id + '.png')
        cam_path = osp.join(self.cam_dir, img_id + '.npz')
        gt = load_label_png(gt_path, buffer=self.buffer)
        keys, cams = load_cam_npz(cam_path,
                                  *cam_label_keys(self.labels, img_id))
        if cams.shape[1:] != gt.shape:
            raise ValueError(f'{cam_path}: CAMs of size {cams.shape[1:]} but'
                             f' the ground truth {gt_path} is {gt.shape}')
        if keys.size and (keys.min() < 0
                          or keys.max() >= self.num_classes - 1):
            raise ValueError(f'{cam_path}: class index {keys.max()} outside '
                             f'0..{self.num_classes - 2} (foreground '
                             'classes)')
        return np.stack([
            confusion_matrix(gt, cam_to_label(keys, cams, t),
                             self.num_classes, pred_ignore=self.pred_ignore)
            for t in self.thresholds])


def edge_extension(thresholds, best, low=0.0, high=1.0, finest=0.005):
    """New thresholds beyond the edge of a sweep whose best value sits on
    it; ``[]`` when ``best`` is inside.

    At the lower edge: three more steps of the grid's spacing below it
    while they stay above ``low``; where the first would reach ``low``, a
    finer grid between ``low`` and the edge (0.2, 0.4, 0.6, 0.8 of the edge
    value, those above ``finest``). At the upper edge: three more steps
    while they stay below ``high``. Rounded to 4 decimals; values already in
    the sweep are left out.

    Args:
        thresholds (sequence[float]): the sweep, ascending.
        best (int): index of the best threshold.
    """
    ts = sorted(float(t) for t in thresholds)
    if len(ts) < 2 or 0 < best < len(ts) - 1:
        return []
    if best == 0:
        step = ts[1] - ts[0]
        new = [ts[0] - step * k for k in (1, 2, 3)]
        new = [t for t in new if t > low + 1e-9]
        if not new:
            new = [ts[0] * f for f in (0.2, 0.4, 0.6, 0.8)]
            new = [t for t in new if t > max(low, finest) - 1e-12]
    else:
        step = ts[-1] - ts[-2]
        new = [ts[-1] + step * k for k in (1, 2, 3)]
        new = [t for t in new if t < high - 1e-9]
    have = {round(t, 4) for t in ts}
    return sorted({round(t, 4) for t in new} - have)


def evaluate_cams(cam_dir, data_root, split='train',
                  thresholds=DEFAULT_BG_THRESHOLDS,
                  gt_dir='SegmentationClassAug', classes=None,
                  num_classes=None, pred_ignore='background', out_json=None,
                  nproc=1, log=print, extend=True, max_extensions=4):
    """Scores of the CAMs of a split at every background threshold; the
    top level holds the best threshold's scores and ``best_threshold``.

    With ``extend`` a best threshold on the edge of the grid extends it
    (:func:`edge_extension`, evaluated over the split again) until the best
    lies inside, the grid cannot grow, or after ``max_extensions`` rounds;
    the thresholds added are listed in ``grid_extended``."""
    split_file, ids, gt_dir, names = _setup(data_root, split, gt_dir,
                                            classes, num_classes)
    if not osp.isdir(cam_dir):
        raise FileNotFoundError(f'CAM folder not found: {cam_dir}')
    require_files(cam_dir, ids, '.npz', 'CAM', split_file)
    todo = sorted({float(t) for t in thresholds})
    labels = image_labels_if_any(data_root)  # CAM keys among them
    cm_of, added = {}, []

    def best_index():
        ts = sorted(cm_of)
        miou = [scores_from_confusion(cm_of[t])['mIoU'] for t in ts]
        miou = np.array([-1.0 if m is None or np.isnan(m) else m
                         for m in miou])
        return ts, int(np.argmax(miou))

    for round_ in range(max_extensions + 1):
        cms = sum_over_images(
            _CamConfusions(gt_dir, cam_dir, len(names), pred_ignore, todo,
                           labels),
            ids, nproc, desc='eval CAM')
        cm_of.update(zip(todo, cms))
        ts, best = best_index()
        todo = edge_extension(ts, best) if extend else []
        if not todo or round_ == max_extensions:
            break
        log(f'best threshold {ts[best]:.2f} is on the edge of the sweep: '
            f'adding {", ".join(f"{t:g}" for t in todo)}')
        added += todo
    thresholds = ts
    sweep = [dict(threshold=t, **scores_to_json(
        scores_from_confusion(cm_of[t]), names)) for t in thresholds]
    best_scores = scores_from_confusion(cm_of[thresholds[best]])
    lines = ['| bg threshold | mIoU (%) |', '| --- | --- |']
    for s in sweep:
        mark = ' (best)' if s is sweep[best] else ''
        lines.append(f'| {s["threshold"]:.2f} | {100 * s["mIoU"]:.2f}'
                     f'{mark} |')
    log('\n'.join(lines) + '\n')
    log(format_scores_table(
        best_scores, names,
        f'CAMs {cam_dir} on {osp.basename(split_file)} ({len(ids)} '
        f'images), best threshold {thresholds[best]:.2f}, predicted 255 -> '
        f'{pred_ignore}'))
    data = dict(cam_dir=cam_dir, split=split_file, num_images=len(ids),
                pred_ignore=pred_ignore, class_names=names,
                best_threshold=thresholds[best],
                **scores_to_json(best_scores, names),
                sweep=[{k: s[k] for k in ('threshold', 'mIoU', 'Acc',
                                          'Acc_class', 'fwIoU')}
                       for s in sweep],
                grid_extended=sorted(added))
    write_json(out_json, data)
    return data


def add_eval_args(parser, default_split='train'):
    """Flags shared by ``tools/eval_cam.py`` and ``tools/eval_labels.py``."""
    parser.add_argument('--data-root', required=True,
                        help='VOC2012-style folder')
    parser.add_argument('--split', default=default_split,
                        help='list name under ImageSets/Segmentation or a '
                        f'list file (default {default_split})')
    parser.add_argument('--gt-dir', default='SegmentationClassAug',
                        help='ground-truth folder (under --data-root if '
                        'relative)')
    parser.add_argument('--classes', default=None,
                        help="class names: 'voc', 'toy', a classes.txt or "
                        "comma-separated names (default: <data-root>/"
                        'classes.txt, else from --num-classes or the length '
                        'of cls_labels.npy)')
    parser.add_argument('--num-classes', type=int, default=None,
                        help='classes including background')
    parser.add_argument('--pred-ignore', choices=PRED_IGNORE_POLICIES,
                        default='background',
                        help='predicted 255 pixels count as background '
                        '(default, IRN), are not counted (ignore), or are '
                        'misses of their GT class (wrong)')
    parser.add_argument('--out-json', default=None, help='write scores here')
    parser.add_argument('--nproc', type=int, default=1,
                        help='worker processes')
