"""Command line, class names, printed tables and JSON of the dataset-level
evaluators (``tools/eval_cam.py``, ``tools/eval_pseudo_labels.py``). Pure
numpy (no OpenMMLab import)."""
import json
import os.path as osp

import numpy as np

from mmwsss.utils.io import (TOY_CLASSES, VOC_CLASSES, atomic_write,
                             read_image_list)
from mmwsss.utils.labels import load_cls_labels

from .seg_metrics import PRED_IGNORE_POLICIES

#: named class sets (background first)
CLASS_SETS = dict(voc=VOC_CLASSES, toy=TOY_CLASSES)


def resolve_class_names(classes=None, num_classes=None, data_root=None):
    """Class names, background first.

    ``classes`` (``'voc'``/``'toy'``) wins; else ``num_classes`` (with
    background) picks VOC's or the toy set's names when the count matches
    (else ``class1..``); else the length of ``<data_root>/cls_labels.npy``
    plus one; else VOC's 21.
    """
    if classes is not None:
        if classes not in CLASS_SETS:
            raise ValueError(f'unknown class set {classes!r}; choose from '
                             f'{sorted(CLASS_SETS)}')
        names = CLASS_SETS[classes]
        if num_classes is not None and num_classes != len(names):
            raise ValueError(f'--classes {classes} has {len(names)} classes '
                             f'but --num-classes is {num_classes}')
        return list(names)
    if num_classes is None and data_root is not None:
        path = osp.join(data_root, 'cls_labels.npy')
        if osp.isfile(path):
            sizes = {v.size for v in load_cls_labels(path).values()}
            if len(sizes) != 1:
                raise ValueError(f'{path}: labels of different lengths '
                                 f'{sorted(sizes)}')
            num_classes = sizes.pop() + 1
    if num_classes is None:
        return list(VOC_CLASSES)
    for names in CLASS_SETS.values():
        if len(names) == num_classes:
            return list(names)
    return ['background'] + [f'class{i}' for i in range(1, num_classes)]


def format_scores_table(scores, class_names, title=None):
    """Per-class IoU and the summary scores as a Markdown table (%)."""
    lines = [title, ''] if title else []
    lines += ['| class | IoU (%) |', '| --- | --- |']
    for name, iou in zip(class_names, scores['IoU']):
        value = '-' if iou is None or np.isnan(iou) else f'{100 * iou:.2f}'
        lines.append(f'| {name} | {value} |')
    lines += ['', '| Acc | Acc_class | mIoU | fwIoU |',
              '| --- | --- | --- | --- |',
              '| ' + ' | '.join(f'{100 * scores[k]:.2f}' for k in (
                  'Acc', 'Acc_class', 'mIoU', 'fwIoU')) + ' |']
    return '\n'.join(lines)


def scores_to_json(scores, class_names):
    """Scores dict with per-class IoU keyed by class name (NaN -> None)."""
    def clean(v):
        return None if v is None or np.isnan(v) else float(v)

    out = {k: clean(scores[k]) for k in ('Acc', 'Acc_class', 'mIoU',
                                         'fwIoU')}
    out['IoU'] = {n: clean(v) for n, v in zip(class_names, scores['IoU'])}
    return out


def sum_over_images(fn, ids, nproc=1, desc='images'):
    """``sum(fn(id) for id in ids)`` with a progress bar, in ``nproc``
    processes (fork) when ``nproc > 1``. ``fn`` returns numpy arrays
    (confusion matrices); must be a module-level function with ``nproc>1``.
    """
    from multiprocessing import get_context

    from tqdm import tqdm
    total = None
    bar = tqdm(total=len(ids), desc=desc, disable=None, dynamic_ncols=True)
    try:
        if nproc > 1 and len(ids) > 1:
            with get_context('fork').Pool(nproc) as pool:
                for res in pool.imap_unordered(fn, ids, chunksize=8):
                    total = res if total is None else total + res
                    bar.update(1)
        else:
            for img_id in ids:
                res = fn(img_id)
                total = res if total is None else total + res
                bar.update(1)
    finally:
        bar.close()
    return total


def split_list_path(data_root, split):
    """A split name (``train``) -> ``<root>/ImageSets/Segmentation/
    train.txt``; an existing list file (absolute, or relative to the cwd or
    to ``data_root``) is returned as is."""
    if osp.isfile(split):
        return split
    if data_root and osp.isfile(osp.join(data_root, split)):
        return osp.join(data_root, split)
    name = split if split.endswith('.txt') else f'{split}.txt'
    return osp.join(data_root or '', 'ImageSets', 'Segmentation', name)


def add_eval_args(parser, default_split='train'):
    """Arguments shared by ``tools/eval_cam.py`` and
    ``tools/eval_pseudo_labels.py``."""
    parser.add_argument('--data-root', required=True,
                        help='VOC2012-style folder')
    parser.add_argument('--split', default=default_split,
                        help='list name under ImageSets/Segmentation or a '
                        f'list file (default {default_split})')
    parser.add_argument('--gt-dir', default='SegmentationClassAug',
                        help='ground-truth folder (under --data-root if '
                        'relative)')
    parser.add_argument('--classes', choices=['voc', 'toy'], default=None,
                        help='class names (default: from --num-classes or '
                        'the length of cls_labels.npy)')
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


def setup_eval(args):
    """Split ids, GT folder and class names from the common arguments."""
    split_file = split_list_path(args.data_root, args.split)
    ids = read_image_list(split_file)
    gt_dir = args.gt_dir if osp.isabs(args.gt_dir) else osp.join(
        args.data_root, args.gt_dir)
    if not osp.isdir(gt_dir):
        raise FileNotFoundError(f'ground-truth folder not found: {gt_dir}')
    names = resolve_class_names(args.classes, args.num_classes,
                                args.data_root)
    return split_file, ids, gt_dir, names


def write_json(path, data):
    if path:
        with atomic_write(path) as tmp:
            with open(tmp, 'w') as f:
                json.dump(data, f, indent=2)


def check_same_size(gt, pred, gt_path, pred_path):
    if gt.shape != pred.shape:
        raise ValueError(f'{pred_path}: size {pred.shape} differs from the '
                         f'ground truth {gt_path} {gt.shape}')
