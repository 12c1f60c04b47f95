"""Stage select: the Salient Object Selector over a split (offline).

Three steps on the pseudo-labels of stage expand (or any method's labels:
RS+EPM, L2G, SEAM, ...) and the maps of stage saliency:

1. :func:`run_class_salience`: the class salience ``n_c`` of every class
   (root mean square saliency inside the class region of single-class
   images, divided by the largest class mean), written as JSON;
2. :func:`run_select`: fuse every label with its saliency map
   (:class:`mmwsss.selector.SalientObjectSelector`, the same function as the
   online ``SelectorFusion`` transform), write ``<out>/<id>.png`` and the
   audit log;
3. :func:`run_sweep`: the paper's ablations on a split with ground truth
   (Table 3: the selection threshold alpha, with the blend-weight and tau
   sweeps; Table 4: before / after for several methods), computed by
   :mod:`mmwsss.selector.sweep`.

Inputs are read by :class:`mmwsss.selector.inputs.SelectorInputs`. Numpy
only: no torch, no OpenMMLab.

The audit log (default ``<out>/selector_log.csv``) holds one row per image
of the split. While running, rows go to per-rank journals
``<log>.rank<r>.journal`` (appended line by line, so they survive a kill);
the final CSV is written in split order at the end. The settings are kept in
``<out>/selector_settings.json``; resuming into a folder made with other
settings is refused.

    python -m mmwsss.stages.select SETTINGS.json

runs one step (see :mod:`mmwsss.stages.entry`): ``salience``
(:func:`run_class_salience`), ``fuse`` (:func:`run_select`), ``eval`` (the
fused labels' scores, :mod:`mmwsss.stages.evaluate`) or ``sweep``
(:func:`write_sweep`). By hand: ``tools/class_salience.py``,
``tools/run_select.py``, ``tools/sweep_selector.py``.
"""
import dataclasses
import json
import os
import os.path as osp
from glob import escape, glob
from typing import Optional

import numpy as np

from mmwsss.selector import (ALPHA_STAR_KINDS, DEFAULT_BG_THR,
                             DEFAULT_SAL_THR, DEFAULT_SALIENT_THR, DEFAULT_T0,
                             DEFAULT_T1, LOG_FIELDS, MODES, TABLE3_ALPHAS,
                             SalientObjectSelector, class_salience_norms,
                             decision_row, format_row, header_line,
                             image_salience_sample, load_norms, read_rows,
                             save_norms)
from mmwsss.selector.inputs import SelectorInputs
from mmwsss.selector.sweep import BLEND_WEIGHTS, format_markdown, sweep_dirs
from mmwsss.utils.io import atomic_write, save_label_png
from mmwsss.utils.sharding import (ShardedJob, barrier, dist_initialised,
                                   file_identity,
                                   get_dist_info, map_images)

from .entry import Step, run_step_file
from .evaluate import LabelEvalSettings, run_eval
from .settings import StageSettings

SETTINGS_FILE = 'selector_settings.json'
METRICS = ('Acc', 'Acc_class', 'mIoU', 'fwIoU')
#: the selector's own settings (config section ``select``)
SELECTOR_KEYS = ('mode', 't0', 't1', 'salient_thr', 'sal_thr', 'tau',
                 'alpha', 'weight', 'alpha_star', 'bg_thr')


@dataclasses.dataclass
class SelectSettings(StageSettings):
    """Settings of the select stage (config section ``select``, e.g.
    ``select = dict(mode='hard', t0=0.4, t1=0.2)``) plus its paths."""
    section = 'select'
    # selector
    mode: str = 'hard'
    t0: float = DEFAULT_T0
    t1: float = DEFAULT_T1
    salient_thr: float = DEFAULT_SALIENT_THR
    sal_thr: float = DEFAULT_SAL_THR
    tau: Optional[float] = None     # None: 0.5 (mean) / 1.0 (paper)
    alpha: Optional[float] = None   # threshold mode's selection threshold
    weight: Optional[float] = None  # soft mode's fixed blend weight
    alpha_star: str = 'mean'
    bg_thr: float = DEFAULT_BG_THR
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

    def validate(self):
        for key in ('data_root', 'split', 'pseudo_dir', 'sal_dir'):
            if not getattr(self, key):
                raise self.error(key, 'is required')
        if self.mode not in MODES:
            raise self.error('mode', f'is not one of {MODES}')
        if self.alpha_star not in ALPHA_STAR_KINDS:
            raise self.error('alpha_star', f'is not one of {ALPHA_STAR_KINDS}')
        for key in ('t0', 't1', 'salient_thr', 'sal_thr', 'tau', 'bg_thr',
                    'alpha', 'weight'):
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


# --------------------------------------------------------------------------
# 1. class salience
class _SalienceSample:
    def __init__(self, inputs):
        self.inputs = inputs

    def __call__(self, img_id):
        inputs = self.inputs
        try:
            label, sal, img_label, _ = inputs.load(img_id)
            return image_salience_sample(label, sal, img_label)
        except (ValueError, KeyError) as e:
            raise RuntimeError(f'image {img_id!r}: {e}') from e


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
    inputs = s.inputs()
    samples = [x for x in map_images(_SalienceSample(inputs), inputs.ids,
                                     s.nproc, desc='class salience',
                                     chunksize=8)
               if x is not None]
    classes = np.array([x[0] for x in samples], dtype=np.int64)
    rms = np.array([x[1] for x in samples], dtype=np.float64)
    stats = class_salience_norms(classes, rms, inputs.num_classes)
    data = save_norms(s.norms, stats, class_names=inputs.class_names,
                      split=s.split, num_images=len(inputs.ids),
                      num_single_class=len(samples),
                      pseudo_dir=osp.abspath(s.pseudo_dir),
                      sal_dir=osp.abspath(s.sal_dir))
    return data, len(samples)


def format_table(data, salient_thr):
    lines = ['| class | n_c | salient | images | mean RMS |',
             '| --- | --- | --- | --- | --- |']
    names = data.get('class_names') or [
        str(i + 1) for i in range(data['num_classes'])]
    for name, n, rms, cnt in zip(names, data['norms'], data['mean_rms'],
                                 data['image_count']):
        lines.append(
            f'| {name} | {"-" if n is None else f"{n:.3f}"} | '
            f'{"yes" if n is not None and n >= salient_thr else "no"} | '
            f'{cnt} | {"-" if rms is None else f"{rms:.3f}"} |')
    return '\n'.join(lines)


# --------------------------------------------------------------------------
# 2. fusion with the audit journal
class FuseOne:
    """Fuse one image, write its label and append its log row to the
    rank's journal (reaches the pool workers through the fork)."""

    def __init__(self, inputs, selector, out, journal):
        self.inputs, self.selector = inputs, selector
        self.out, self.journal = out, journal

    def decide(self, img_id, write=True):
        try:
            label, sal, img_label, cams = self.inputs.load(
                img_id, with_cams=self.selector.mode == 'soft')
            fused, decision = self.selector(label, sal, img_label, cams=cams,
                                            img_id=img_id)
        except (ValueError, KeyError) as e:
            raise RuntimeError(f'image {img_id!r}: {e}') from e
        if write:
            save_label_png(osp.join(self.out, f'{img_id}.png'), fused)
        return decision

    def __call__(self, img_id):
        decision = self.decide(img_id)
        row = format_row(decision_row(decision, self.inputs.class_names))
        # one write per row on an O_APPEND descriptor: lines of parallel
        # workers do not interleave, and finished rows survive a kill
        fd = os.open(self.journal, os.O_WRONLY | os.O_APPEND | os.O_CREAT,
                     0o644)
        try:
            os.write(fd, row.encode())
        finally:
            os.close(fd)
        return decision['decision']


def check_settings(out_dir, settings):
    """Record the settings of a fused folder; refuse other settings."""
    path = osp.join(out_dir, SETTINGS_FILE)
    if osp.isfile(path):
        with open(path) as f:
            old = json.load(f)
        if old != settings:
            diff = {k: (old.get(k), settings.get(k))
                    for k in set(old) | set(settings)
                    if old.get(k) != settings.get(k)}
            raise SystemExit(
                f'{out_dir} holds labels fused with other settings '
                f'(old, new): {diff}. Use another --out or delete it.')
    else:
        with atomic_write(path) as tmp:
            with open(tmp, 'w') as f:
                json.dump(settings, f, indent=2)


def write_log(log_path, ids, journals, fuse_one):
    """Merge journals (and a previous log) into the final CSV, in split
    order; decisions missing from both are recomputed without writing.
    Returns the number of recomputed decisions."""
    rows = {}
    sources = ([(log_path, True)] if osp.isfile(log_path) else []) + \
        [(j, False) for j in journals]
    for path, has_header in sources:
        for r in read_rows(path, has_header=has_header):
            rows[r['id']] = [r[k] for k in LOG_FIELDS]
    missing = [i for i in ids if i not in rows]
    for img_id in missing:
        rows[img_id] = decision_row(fuse_one.decide(img_id, write=False),
                                    fuse_one.inputs.class_names)
    with atomic_write(log_path) as tmp:
        with open(tmp, 'w') as f:
            f.write(header_line())
            for img_id in ids:
                f.write(format_row(rows[img_id]))
    for j in journals:
        os.remove(j)
    return len(missing)


def run_select(settings, log=print):
    """Fuse the split into ``settings.out``; returns a summary dict with
    the log path (``None`` on ranks other than 0)."""
    s = settings
    rank, world_size = get_dist_info()
    selector = s.selector()
    inputs = s.inputs(selector.num_classes)
    if s.mode == 'soft' and s.cam_dir is None:
        log('soft mode without cam_dir: the class region of each '
            'pseudo-label is used as a 0/1 CAM map')
    log_path = s.log or osp.join(s.out, 'selector_log.csv')
    os.makedirs(s.out, exist_ok=True)
    record = dict(selector.settings, norms=selector.norms,
                  pseudo_dir=osp.abspath(s.pseudo_dir),
                  sal_dir=osp.abspath(s.sal_dir),
                  cam_dir=osp.abspath(s.cam_dir) if s.cam_dir else None,
                  split=osp.abspath(inputs.split_file),
                  split_identity=file_identity(inputs.split_file),
                  cls_labels=inputs.cls_labels_file and osp.abspath(
                      inputs.cls_labels_file),
                  cls_labels_identity=file_identity(inputs.cls_labels_file),
                  labels_from_gt=bool(s.labels_from_gt),
                  gt_dir=osp.abspath(inputs.gt_dir) if s.labels_from_gt
                  else None)
    if rank == 0:
        check_settings(s.out, record)
    journal = f'{log_path}.rank{rank}.journal'
    fuse_one = FuseOne(inputs, selector, s.out, journal)
    job = ShardedJob(inputs.ids, lambda i: [osp.join(s.out, f'{i}.png')],
                     out_dir=s.out)
    log(f'{selector!r}\n{len(job.ids)} images on rank {rank}, '
        f'{len(job.todo)} to fuse -> {s.out}')
    job.run(fuse_one, num_workers=s.nproc, desc='select')
    if world_size > 1:
        if dist_initialised():
            barrier()
        else:
            # no process group to wait on: each rank logs its own shard
            log_path = f'{osp.splitext(log_path)[0]}.rank{rank}.csv'
            write_log(log_path, job.ids, [journal] if osp.isfile(journal)
                      else [], fuse_one)
            return dict(log=None, rank=rank)
    if rank != 0:
        return dict(log=None, rank=rank)
    journals = sorted(glob(f'{escape(log_path)}.rank*.journal'))
    recomputed = write_log(log_path, inputs.ids, journals, fuse_one)
    return dict(log=log_path, rank=rank, recomputed=recomputed)


# --------------------------------------------------------------------------
# 3. the ablations (Tables 3 and 4): mmwsss.selector.sweep
def run_sweep(settings, baselines=(), pseudo_name=None,
              alphas=TABLE3_ALPHAS, pred_ignore='background',
              weights=BLEND_WEIGHTS, taus=None):
    """Every selector sweep on ``settings.pseudo_dir`` (Table 3's selection
    threshold, the alpha* and Algorithm 1 rules, the blend weights, the tau
    gate) and Table 4 (before / after the selector of ``settings`` for
    ``pseudo_dir`` and every ``(name, folder)`` of ``baselines``), by
    :func:`mmwsss.selector.sweep.sweep_dirs`. Returns its result dict."""
    s = settings
    norms = load_norms(s.norms)['norms']
    selector = {k: getattr(s, k) for k in SELECTOR_KEYS}
    return sweep_dirs(s.inputs(len(norms)), norms, selector, baselines,
                      pseudo_name, alphas=alphas, weights=weights, taus=taus,
                      pred_ignore=pred_ignore, nproc=s.nproc)


#: the sweep tables as Markdown (kept under this name for its callers)
build_markdown = format_markdown


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


# --------------------------------------------------------------------------
# command-line pieces of the select tools (run_select, class_salience,
# sweep_selector); every default is None so the config section can fill it
def add_cli_args(parser, selector=True):
    """Inputs (and selector settings) as flags."""
    parser.add_argument('--data-root', required=True,
                        help='VOC-style root (ImageSets, cls_labels.npy)')
    parser.add_argument('--split', required=True,
                        help='split name (ImageSets/Segmentation/<split>.txt)'
                        ' or a list file')
    parser.add_argument('--pseudo-dir', required=True,
                        help='pseudo-labels, <id>.png (any method)')
    parser.add_argument('--sal-dir', required=True,
                        help='saliency maps, <id>.png (uint8)')
    parser.add_argument('--sal-suffix')
    parser.add_argument('--cam-dir', help='stage-cam CAMs <id>.npz (soft '
                        'mode; without them the class region is a 0/1 map)')
    parser.add_argument('--cls-labels', help='image-level labels (default '
                        '<data-root>/cls_labels.npy)')
    parser.add_argument('--labels-from-gt', action='store_true',
                        help='derive image-level labels from the GT masks')
    parser.add_argument('--gt-dir', help='GT masks (default <data-root>/'
                        'SegmentationClassAug)')
    parser.add_argument('--num-classes', type=int,
                        help='foreground classes (with --labels-from-gt '
                        'when there is no cls_labels.npy)')
    parser.add_argument('--nproc', '--workers', dest='nproc', type=int,
                        help='worker processes per rank (0 = in-process); '
                        'under torchrun spell it --workers')
    parser.add_argument('--stage-config', help='config file with a '
                        '`select` section (e.g. a pipeline config)')
    if not selector:
        return
    g = parser.add_argument_group('selector (defaults: the `select` '
                                  'section, else mmwsss.selector)')
    g.add_argument('--mode', choices=list(MODES),
                   help='hard: Algorithm 1; soft: the alpha* rule; '
                   'threshold: replace when the IoU reaches --alpha (the '
                   'paper\'s Table 3)')
    g.add_argument('--t0', type=float)
    g.add_argument('--t1', type=float)
    g.add_argument('--salient-thr', type=float,
                   help='a class is salient when n_c >= this')
    g.add_argument('--sal-thr', type=float,
                   help='saliency binarisation threshold (in [0, 1])')
    g.add_argument('--tau', type=float,
                   help='soft mode: alpha* is 0 when its score is below tau '
                   '(default 0.5 for mean, 1.0 for paper)')
    g.add_argument('--alpha-star', choices=list(ALPHA_STAR_KINDS),
                   help='soft mode: mean (o + n_c) / 2 (default) or paper '
                   '(o + n_c, clipped to [0, 1] to blend)')
    g.add_argument('--alpha', type=float,
                   help='threshold mode: the selection threshold in [0, 1]')
    g.add_argument('--weight', type=float,
                   help='soft mode: a fixed blend weight instead of alpha*')
    g.add_argument('--bg-thr', type=float,
                   help='soft mode: foreground threshold of the fused score')


def settings_from_args(args, **extra):
    """:class:`SelectSettings` from the ``select`` section of
    ``--stage-config`` and the flags of :func:`add_cli_args`."""
    section = None
    if getattr(args, 'stage_config', None):
        from .settings import load_section
        section = load_section(args.stage_config, 'select')
    keys = ('data_root', 'split', 'pseudo_dir', 'sal_dir', 'sal_suffix',
            'cam_dir', 'cls_labels', 'gt_dir', 'num_classes', 'nproc',
            *SELECTOR_KEYS)
    values = {k: getattr(args, k, None) for k in keys}
    values['labels_from_gt'] = getattr(args, 'labels_from_gt', None) or None
    values.update(extra)
    return SelectSettings.from_config(section, **values)


#: the steps of ``python -m mmwsss.stages.select SETTINGS.json``
STEPS = dict(salience=Step(SelectSettings, run_class_salience),
             fuse=Step(SelectSettings, run_select),
             eval=Step(LabelEvalSettings, run_eval),
             sweep=Step(SelectSettings, write_sweep))

if __name__ == '__main__':
    run_step_file('select', STEPS)
