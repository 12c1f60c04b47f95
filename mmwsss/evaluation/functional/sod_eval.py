"""Evaluate a folder of saliency maps against a folder of masks (numpy).

The maps are the uint8 grey PNGs that ``tools/run_saliency.py`` writes
(``<pred_dir>/<name>.png``), the masks any grey PNGs with the salient object
> 128 (DUTS, ECSSD, ... ``*-Mask`` folders). Both are read as the SOD
toolboxes read saved maps (:func:`prepare_sod_inputs`: the map scaled to
[0, 1] and min-max stretched, the mask binarised at > 128), so the numbers
equal those of ``pysodmetrics`` on the same files: MAE, max / mean /
adaptive F-measure (beta^2 = 0.3), S-measure (alpha = 0.5), max / mean /
adaptive E-measure.
"""
import os
import os.path as osp

from mmwsss.utils.io import load_grey_png, read_image_list

from .seg_report import write_json
from .sod_metrics import (aggregate_sod_stats, prepare_sod_inputs,
                          sod_image_stats)

#: the keys of the result, in the order they are printed
SOD_KEYS = ('MAE', 'maxFm', 'meanFm', 'adpFm', 'Sm', 'maxEm', 'meanEm',
            'adpEm')


def saliency_names(pred_dir, gt_dir, list_file=None, pred_suffix='.png',
                   gt_suffix='.png'):
    """Names to evaluate: those of ``list_file``, else every mask in
    ``gt_dir``. Every name needs a map and a mask: a missing one is an error
    naming up to five of them."""
    for folder, what in ((pred_dir, 'saliency map'), (gt_dir, 'mask')):
        if not osp.isdir(folder):
            raise FileNotFoundError(f'{what} folder not found: {folder}')
    if list_file:
        names = read_image_list(list_file)
    else:
        names = sorted(osp.splitext(f)[0] for f in os.listdir(gt_dir)
                       if f.endswith(gt_suffix) and not f.startswith('.'))
        if not names:
            raise ValueError(f'{gt_dir}: no "*{gt_suffix}" masks')
    for folder, suffix, what in ((gt_dir, gt_suffix, 'masks'),
                                 (pred_dir, pred_suffix, 'saliency maps')):
        missing = [osp.join(folder, n + suffix) for n in names
                   if not osp.isfile(osp.join(folder, n + suffix))]
        if missing:
            raise FileNotFoundError(
                f'{len(missing)} of {len(names)} {what} not found, e.g. '
                + ', '.join(missing[:5]))
    return names


class _ImageStats:
    """Per-image SOD statistics of one name (picklable for workers)."""

    def __init__(self, pred_dir, gt_dir, pred_suffix, gt_suffix, beta2,
                 alpha):
        self.pred_dir, self.gt_dir = pred_dir, gt_dir
        self.pred_suffix, self.gt_suffix = pred_suffix, gt_suffix
        self.beta2, self.alpha = beta2, alpha

    def __call__(self, name):
        pred_path = osp.join(self.pred_dir, name + self.pred_suffix)
        gt_path = osp.join(self.gt_dir, name + self.gt_suffix)
        pred = load_grey_png(pred_path)
        gt = load_grey_png(gt_path, convert=True)
        if pred.shape != gt.shape:
            raise ValueError(f'{pred_path}: size {pred.shape} differs from '
                             f'the mask {gt_path} {gt.shape}')
        return sod_image_stats(*prepare_sod_inputs(pred, gt), self.beta2,
                               self.alpha)


def evaluate_saliency(pred_dir, gt_dir, list_file=None, pred_suffix='.png',
                      gt_suffix='.png', beta2=0.3, alpha=0.5, nproc=1,
                      out_json=None, log=print):
    """SOD metrics of the maps in ``pred_dir`` against the masks in
    ``gt_dir`` (fractions); prints them, writes ``out_json`` and returns
    the dict (with ``num_images`` and the two folders)."""
    from mmwsss.utils.sharding import map_images
    names = saliency_names(pred_dir, gt_dir, list_file, pred_suffix,
                           gt_suffix)
    fn = _ImageStats(pred_dir, gt_dir, pred_suffix, gt_suffix, beta2, alpha)
    stats = list(map_images(fn, names, nproc if nproc > 1 else 0,
                            desc='sod eval', chunksize=8))
    metrics = aggregate_sod_stats(stats)
    log(f'{pred_dir} against {gt_dir} ({len(names)} images, '
        f'beta^2={beta2}, alpha={alpha}):')
    log('  ' + '  '.join(f'{k} {metrics[k]:.4f}' for k in SOD_KEYS))
    data = dict(pred_dir=pred_dir, gt_dir=gt_dir, num_images=len(names),
                beta2=beta2, alpha=alpha, **metrics)
    write_json(out_json, data)
    return data
