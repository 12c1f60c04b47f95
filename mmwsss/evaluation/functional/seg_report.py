"""Class names, printed tables and JSON of the dataset-level
evaluators (``tools/eval_cam.py``, ``tools/eval_labels.py``). Pure
numpy (no OpenMMLab import)."""
import json

import numpy as np

from mmwsss.datasets.voc_layout import (CLASS_SETS,  # noqa: F401
                                        resolve_class_names,
                                        split_list_path)
from mmwsss.utils.io import atomic_write

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
    """``sum(fn(id) for id in ids)`` (numpy arrays, e.g. confusion
    matrices) over ``nproc`` processes (:func:`mmwsss.utils.sharding.
    map_images`)."""
    from mmwsss.utils.sharding import map_images
    total = None
    for res in map_images(fn, ids, nproc if nproc > 1 else 0, desc=desc,
                          chunksize=8, ordered=False):
        total = res if total is None else total + res
    return total


def write_json(path, data):
    if path:
        with atomic_write(path) as tmp:
            with open(tmp, 'w') as f:
                json.dump(data, f, indent=2)


def check_same_size(gt, pred, gt_path, pred_path):
    if gt.shape != pred.shape:
        raise ValueError(f'{pred_path}: size {pred.shape} differs from the '
                         f'ground truth {gt_path} {gt.shape}')
