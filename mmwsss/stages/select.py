"""Stage select: the Salient Object Selector over a split (offline).

Three steps on the pseudo-labels of stage expand (or any method's labels:
RS+EPM, L2G, SEAM, ...) and the maps of stage saliency:

1. :func:`run_class_salience`: the class salience ``n_c`` of every class
   (:mod:`mmwsss.selector.class_salience`), written as JSON;
2. :func:`run_select`: fuse every label with its saliency map
   (:mod:`mmwsss.selector.offline_fusion`: the same function as the online
   ``SelectorFusion`` transform, on a ``ShardedJob`` like the other
   stages), write ``<out>/<id>.png`` and the audit log
   (:mod:`mmwsss.selector.audit_log`);
3. :func:`run_sweep`: the paper's ablations on a split with ground truth
   (Table 3: the selection threshold alpha, with the blend-weight and tau
   sweeps; Table 4: before / after for several methods), computed by
   :mod:`mmwsss.selector.sweep`.

Inputs are read by :class:`mmwsss.datasets.selector_inputs.SelectorInputs`
and passed in to the selector's functions. Numpy only: no torch, no
OpenMMLab. Bad settings raise ``ValueError`` naming the
key (as in every stage); the fused folder's manifest refuses a rerun with
other settings or inputs unless ``overwrite``.

    python -m mmwsss.stages.select SETTINGS.json

runs one step (see :mod:`mmwsss.stages.entry`): ``salience``
(:func:`run_class_salience`), ``fuse`` (:func:`run_select`), ``eval`` (the
fused labels' scores, :mod:`mmwsss.stages.evaluate`) or ``sweep``
(:func:`write_sweep`). By hand: ``tools/class_salience.py``,
``tools/run_select.py``, ``tools/sweep_selector.py`` (their flags:
:mod:`mmwsss.stages.select_cli`).
"""
import dataclasses
import json
import os
import os.path as osp
from typing import Optional

from mmwsss.selector import (ALPHA_STAR_KINDS, DEFAULT_FUSE_THR,
                             DEFAULT_SAL_MASK_THR, DEFAULT_SALIENCE_THR,
                             DEFAULT_T0, DEFAULT_T1, MODES, RENAMED_SETTINGS,
                             TABLE3_ALPHAS, SalientObjectSelector, load_norms)
from mmwsss.selector.class_salience import compute_class_salience
from mmwsss.datasets.selector_inputs import SelectorInputs
from mmwsss.selector.offline_fusion import fuse_split
from mmwsss.selector.sweep import BLEND_WEIGHTS
from mmwsss.selector.sweep_folders import sweep_dirs
from mmwsss.selector.sweep_tables import format_markdown
from mmwsss.utils.io import atomic_write

from .entry import Step, run_step_file
from .evaluate import LabelEvalSettings, run_eval
from .settings import StageSettings

#: the selector's own settings (config section ``select``)
SELECTOR_KEYS = ('mode', 't0', 't1', 'salience_thr', 'sal_mask_thr', 'tau',
                 'alpha', 'weight', 'alpha_star', 'fuse_thr')


@dataclasses.dataclass
class SelectSettings(StageSettings):
    """Settings of the select stage (config section ``select``, e.g.
    ``select = dict(mode='hard', t0=0.4, t1=0.2)``) plus its paths."""
    section = 'select'
    #: former keys (``bg_thr`` had four meanings across the stages)
    renamed = RENAMED_SETTINGS
    # selector
    #: 'hard' (the paper's Algorithm 1), 'soft' (its alpha* rule) or
    #: 'threshold' (its Table 3: replace when ``o >= alpha``)
    mode: str = 'hard'
    #: the paper's t0: a salient class's region is replaced by the saliency
    #: mask when their IoU ``o > t0`` (Algorithm 1)
    t0: float = DEFAULT_T0
    #: the paper's t1: a non-salient class needs ``o > t0 + t1``
    t1: float = DEFAULT_T1
    #: a class is salient when its class salience ``n_c >= salience_thr``
    salience_thr: float = DEFAULT_SALIENCE_THR
    #: the saliency mask ``P_S = saliency >= sal_mask_thr`` (in (0, 1])
    sal_mask_thr: float = DEFAULT_SAL_MASK_THR
    #: the paper's tau: soft mode's alpha* is 0 below it (None: 0.5 for
    #: alpha_star 'mean', 1.0 for 'paper')
    tau: Optional[float] = None
    #: the paper's alpha of Table 3, a selection threshold on ``o``
    #: (mode 'threshold' only)
    alpha: Optional[float] = None
    #: soft mode: one fixed blend weight instead of alpha* (the blend sweep)
    weight: Optional[float] = None
    #: soft mode's alpha*: 'mean' ``(o + n_c) / 2`` or 'paper' ``o + n_c``
    alpha_star: str = 'mean'
    #: soft mode: the new class region is ``(1 - w) * CAM + w * S >=
    #: fuse_thr`` (the pipeline's default: the CAM sweep's best threshold)
    fuse_thr: float = DEFAULT_FUSE_THR
    # inputs
    data_root: str = None
    split: str = None
    pseudo_dir: str = None
    sal_dir: str = None
    sal_suffix: str = '.png'
    cam_dir: Optional[str] = None
    cls_labels: Optional[str] = None
    labels_from_gt: bool = False
    gt_dir: Optional[str] = None
    num_classes: Optional[int] = None
    # outputs
    norms: Optional[str] = None     # class salience JSON
    out: Optional[str] = None       # fused labels
    log: Optional[str] = None       # default <out>/selector_log.csv
    nproc: int = min(8, os.cpu_count() or 1)
    overwrite: bool = False

    def validate(self):
        for key in ('data_root', 'split', 'pseudo_dir', 'sal_dir'):
            if not getattr(self, key):
                raise self.error(key, 'is required')
        if self.mode not in MODES:
            raise self.error('mode', f'is not one of {MODES}')
        if self.alpha_star not in ALPHA_STAR_KINDS:
            raise self.error('alpha_star', f'is not one of {ALPHA_STAR_KINDS}')
        for key in ('t0', 't1', 'salience_thr', 'sal_mask_thr', 'tau',
                    'fuse_thr', 'alpha', 'weight'):
            if getattr(self, key) is None and key in ('tau', 'alpha',
                                                      'weight'):
                continue
            try:
                setattr(self, key, float(getattr(self, key)))
            except (TypeError, ValueError):
                raise self.error(key, 'must be a number') from None
        if self.mode == 'threshold' and self.alpha is None:
            raise self.error('alpha', 'is required by mode="threshold" (the '
                             'selection threshold in [0, 1])')

    def selector(self, norms=None):
        """The selector with these settings (norms default: the JSON)."""
        if norms is None:
            norms = load_norms(self.norms)['norms']
        return SalientObjectSelector(
            norms, **{k: getattr(self, k) for k in SELECTOR_KEYS})

    def inputs(self, num_classes=None):
        return SelectorInputs(
            self.data_root, self.split, self.pseudo_dir, self.sal_dir,
            cam_dir=self.cam_dir, gt_dir=self.gt_dir,
            cls_labels=self.cls_labels, labels_from_gt=self.labels_from_gt,
            num_classes=num_classes or self.num_classes,
            sal_suffix=self.sal_suffix)


def run_class_salience(settings):
    """Write the class salience JSON ``settings.norms``; returns
    ``(data, num_single_class_images)``."""
    s = settings
    if s.labels_from_gt and s.num_classes is None:
        default_cls = s.cls_labels or osp.join(s.data_root, 'cls_labels.npy')
        if not osp.isfile(default_cls):
            raise ValueError('labels_from_gt needs num_classes (no '
                             f'{default_cls} to read it from)')
        from mmwsss.datasets.voc_layout import load_cls_labels
        s = dataclasses.replace(s, num_classes=next(iter(
            load_cls_labels(default_cls).values())).size)
    return compute_class_salience(s.inputs(), s.norms, split=s.split,
                                  nproc=s.nproc)


def run_select(settings, log=print):
    """Fuse the split into ``settings.out``
    (:func:`mmwsss.selector.offline_fusion.fuse_split`); returns a summary
    dict with the log path (``None`` on ranks other than 0)."""
    s = settings
    selector = s.selector()
    inputs = s.inputs(selector.num_classes)
    if s.mode == 'soft' and s.cam_dir is None:
        log('soft mode without cam_dir: the class region of each '
            'pseudo-label is used as a 0/1 CAM map')
    record = dict(selector.settings, stage='select', norms=selector.norms,
                  labels_from_gt=bool(s.labels_from_gt),
                  sal_suffix=s.sal_suffix)
    paths = dict(list=inputs.split_file, pseudo=s.pseudo_dir, sal=s.sal_dir,
                 cams=s.cam_dir, cls_labels=inputs.cls_labels_file,
                 gt=inputs.gt_dir if s.labels_from_gt else None)
    return fuse_split(inputs, selector, s.out, s.log, s.nproc,
                      settings=record, input_paths=paths,
                      overwrite=s.overwrite, log=log)


def run_sweep(settings, baselines=(), pseudo_name=None,
              alphas=TABLE3_ALPHAS, pred_ignore='background',
              weights=BLEND_WEIGHTS, taus=None):
    """Every selector sweep on ``settings.pseudo_dir`` (Table 3's selection
    threshold, the alpha* and Algorithm 1 rules, the blend weights, the tau
    gate) and Table 4 (before / after the selector of ``settings`` for
    ``pseudo_dir`` and every ``(name, folder)`` of ``baselines``), by
    :func:`mmwsss.selector.sweep_folders.sweep_dirs`. Returns its result
    dict."""
    s = settings
    norms = load_norms(s.norms)['norms']
    selector = {k: getattr(s, k) for k in SELECTOR_KEYS}
    return sweep_dirs(s.inputs(len(norms)), norms, selector, baselines,
                      pseudo_name, alphas=alphas, weights=weights, taus=taus,
                      pred_ignore=pred_ignore, nproc=s.nproc)


def write_sweep(settings, out_md, out_json, baselines=(), pseudo_name=None,
                alphas=TABLE3_ALPHAS, pred_ignore='background',
                weights=BLEND_WEIGHTS, taus=None):
    """:func:`run_sweep`, written as Markdown (``out_md``) and JSON
    (``out_json``); returns the result dict."""
    result = run_sweep(settings, baselines, pseudo_name, alphas, pred_ignore,
                       weights=weights, taus=taus)
    for path, text in ((out_md, format_markdown(result)),
                       (out_json, json.dumps(result, indent=2))):
        with atomic_write(path) as tmp:
            with open(tmp, 'w') as f:
                f.write(text)
    return result


#: the steps of ``python -m mmwsss.stages.select SETTINGS.json``
STEPS = dict(salience=Step(SelectSettings, run_class_salience),
             fuse=Step(SelectSettings, run_select),
             eval=Step(LabelEvalSettings, run_eval),
             sweep=Step(SelectSettings, write_sweep))

if __name__ == '__main__':
    run_step_file('select', STEPS)
