"""The selector's sweeps (:mod:`mmwsss.selector.sweep`) over the folders of
a split with ground truth, with Table 4's before / after for several label
folders; what ``tools/sweep_selector.py`` and the pipeline's select stage
run. Numpy only."""
import os.path as osp
from collections import Counter

import numpy as np

from .salient_object_selector import SalientObjectSelector
from .selector_core import TABLE3_ALPHAS
from .sweep import BLEND_WEIGHTS, SelectorSweep, scores


class _SweepImage:
    """One image of :func:`sweep_dirs`: the sweep rows of the main label
    folder and the before / after confusion matrices of Table 4 (reaches
    the pool workers through the fork)."""

    def __init__(self, inputs, sweep, selector, sources):
        self.inputs, self.sweep = inputs, sweep
        self.selector, self.sources = selector, sources

    def __call__(self, img_id):
        inputs, num = self.inputs, self.sweep.num_classes
        try:
            gt = inputs.gt(img_id)
            label, sal, img_label, cams = inputs.load(img_id,
                                                      with_cams=True)
            rows = self.sweep.image(label, sal, img_label, gt, cams=cams,
                                    img_id=img_id)
            t4 = np.zeros((len(self.sources), 2, num, num + 1), np.int64)
            t4_dec = []
            for k, path in enumerate(self.sources):
                if path is not None:
                    label = inputs.load(
                        img_id, label_path=osp.join(path, f'{img_id}.png'))[0]
                    if label.shape != gt.shape:
                        raise ValueError(
                            f'{inputs.gt_path(img_id)}: ground truth is '
                            f'{gt.shape}, {path}/{img_id}.png {label.shape}')
                out, dec = self.selector(
                    label, sal, img_label,
                    cams=cams if self.selector.mode == 'soft' else None,
                    img_id=img_id)
                t4[k, 0] = self.sweep._cm(gt, label)
                t4[k, 1] = self.sweep._cm(gt, out)
                t4_dec.append(dec['decision'])
        except (ValueError, KeyError) as e:
            raise RuntimeError(f'image {img_id!r}: {e}') from e
        return rows, t4, t4_dec


def sweep_dirs(inputs, norms, selector_settings=None, baselines=(),
               pseudo_name=None, alphas=TABLE3_ALPHAS, weights=BLEND_WEIGHTS,
               taus=None, pred_ignore='background', nproc=0):
    """Every sweep over a split on disk.

    Args:
        inputs (:class:`mmwsss.datasets.selector_inputs.SelectorInputs`,
            passed in by the stage): the split, its pseudo-labels (the
            sweeps' labels), saliency maps, CAMs and ground truth.
        norms: the K class salience values.
        selector_settings (dict): the selector's settings (keys of
            :class:`SalientObjectSelector`); its ``mode`` is the selector
            of Table 4, the rest set the sweeps' rules.
        baselines: ``(name, folder)`` of other methods' labels (Table 4).
        pseudo_name: Table 4's name of ``inputs``' label folder.
        nproc (int): worker processes (0 = in-process).

    Returns:
        the dict of :meth:`SelectorSweep.result` plus ``table4``,
        ``settings``, ``class_names``.
    """
    from mmwsss.utils.sharding import map_images
    settings = dict(selector_settings or {})
    settings.setdefault('mode', 'hard')
    main = SalientObjectSelector(norms, **settings)
    rule = {
        k: settings[k]
        for k in ('t0', 't1', 'salience_thr', 'sal_mask_thr', 'fuse_thr',
                  'tau', 'alpha_star') if settings.get(k) is not None
    }
    sweep = SelectorSweep(norms, inputs.num_classes + 1, alphas=alphas,
                          weights=weights, taus=taus,
                          pred_ignore=pred_ignore, **rule)
    pseudo_name = pseudo_name or osp.basename(
        osp.normpath(inputs.pseudo_dir))
    table4 = [(pseudo_name, None)] + list(baselines)
    num = sweep.num_classes
    t4_total = np.zeros((len(table4), 2, num, num + 1), np.int64)
    t4_counts = [Counter() for _ in table4]
    work = _SweepImage(inputs, sweep, main, [p for _, p in table4])
    for rows, t4, t4_dec in map_images(work, inputs.ids, nproc,
                                       desc='sweep'):
        sweep.add(rows)
        t4_total += t4
        for c, d in zip(t4_counts, t4_dec):
            c[d] += 1
    result = sweep.result()
    t4_rows = []
    for k, (name, path) in enumerate(table4):
        for j, sod in enumerate((False, True)):
            counts = t4_counts[k] if sod else Counter()
            t4_rows.append(dict(
                method=name, sod=sod,
                label_dir=osp.abspath(path or inputs.pseudo_dir),
                **scores(t4_total[k, j]), decisions=dict(counts),
                changed_images=counts['replaced'] + counts['fused']))
    result.update(
        table4=t4_rows,
        settings=dict(main.settings, split=inputs.split_file,
                      pred_ignore=pred_ignore,
                      cam_source=inputs.cam_dir or
                      'class region as a 0/1 map',
                      norms=main.norms),
        class_names=['background'] + list(inputs.class_names))
    return result
