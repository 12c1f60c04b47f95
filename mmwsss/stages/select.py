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
   (Table 3: fixed alpha; Table 4: before / after for several methods).

Inputs are read by :class:`mmwsss.selector.inputs.SelectorInputs`. Numpy
only: no torch, no OpenMMLab.

The audit log (default ``<out>/selector_log.csv``) holds one row per image
of the split. While running, rows go to per-rank journals
``<log>.rank<r>.journal`` (appended line by line, so they survive a kill);
the final CSV is written in split order at the end. The settings are kept in
``<out>/selector_settings.json``; resuming into a folder made with other
settings is refused.
"""
import dataclasses
import json
import os
import os.path as osp
from collections import Counter
from glob import escape, glob
from typing import Optional

import numpy as np

from mmwsss.evaluation.functional import (PRED_IGNORE_POLICIES,
                                          confusion_matrix,
                                          scores_from_confusion)
from mmwsss.selector import (DEFAULT_BG_THR, DEFAULT_SAL_THR,
                             DEFAULT_SALIENT_THR, DEFAULT_T0, DEFAULT_T1,
                             DEFAULT_TAU, LOG_FIELDS, MODES, TABLE3_ALPHAS,
                             SalientObjectSelector, class_salience_norms,
                             decision_row, format_row, header_line,
                             image_salience_sample, load_norms, read_rows,
                             save_norms)
from mmwsss.selector.inputs import SelectorInputs
from mmwsss.utils.io import atomic_write, save_label_png
from mmwsss.utils.sharding import (ShardedJob, barrier, dist_initialised,
                                   file_identity,
                                   get_dist_info, map_images)

from .settings import StageSettings

SETTINGS_FILE = 'selector_settings.json'
METRICS = ('Acc', 'Acc_class', 'mIoU', 'fwIoU')
#: the selector's own settings (config section ``select``)
SELECTOR_KEYS = ('mode', 't0', 't1', 'salient_thr', 'sal_thr', 'tau',
                 'alpha', 'bg_thr')


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
    tau: float = DEFAULT_TAU
    alpha: Optional[float] = None
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
        for key in ('t0', 't1', 'salient_thr', 'sal_thr', 'tau', 'bg_thr'):
            try:
                setattr(self, key, float(getattr(self, key)))
            except (TypeError, ValueError):
                raise self.error(key, 'must be a number') from None

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
# 3. the ablations (Tables 3 and 4)
class _SweepOne:
    """Confusion matrices of every variant for one image, and the selector
    decisions."""

    def __init__(self, inputs, variants, pred_ignore):
        self.inputs, self.variants = inputs, variants
        self.pred_ignore = pred_ignore

    def __call__(self, img_id):
        inputs, variants = self.inputs, self.variants
        num = inputs.num_classes + 1
        try:
            gt = inputs.gt(img_id)
            sources = {}
            cms = np.zeros((len(variants), num, num + 1), dtype=np.int64)
            decisions = []
            for v, (_, source, selector) in enumerate(variants):
                if source not in sources:
                    path = None if source is None else \
                        osp.join(source, f'{img_id}.png')
                    sources[source] = inputs.load(img_id, with_cams=True,
                                                  label_path=path)
                label, sal, img_label, cams = sources[source]
                if label.shape != gt.shape:
                    raise ValueError(f'{inputs.gt_path(img_id)}: ground '
                                     f'truth is {gt.shape}, pseudo-label '
                                     f'{label.shape}')
                if selector is not None:
                    label, dec = selector(
                        label, sal, img_label,
                        cams=cams if selector.mode == 'soft' else None,
                        img_id=img_id)
                    decisions.append(dec['decision'])
                else:
                    decisions.append(None)
                cms[v] = confusion_matrix(gt, label, num,
                                          pred_ignore=self.pred_ignore)
        except (ValueError, KeyError) as e:
            raise RuntimeError(f'image {img_id!r}: {e}') from e
        return cms, decisions


def run_sweep(settings, baselines=(), pseudo_name=None,
              alphas=TABLE3_ALPHAS, pred_ignore='background'):
    """Table 3 (fixed alpha, alpha*, Algorithm 1 on ``pseudo_dir``) and
    Table 4 (before / after the selector for ``pseudo_dir`` and every
    ``(name, folder)`` of ``baselines``). Returns the result dict."""
    s = settings
    if pred_ignore not in PRED_IGNORE_POLICIES:
        raise ValueError(f'pred_ignore must be one of {PRED_IGNORE_POLICIES}')
    norms = load_norms(s.norms)['norms']
    alphas = [float(a) for a in alphas]
    pseudo_name = pseudo_name or osp.basename(osp.normpath(s.pseudo_dir))

    def make(mode, **kw):
        return dataclasses.replace(s, mode=mode, **kw).selector(norms)

    main_selector = make(s.mode, alpha=s.alpha)
    # (name, label folder or None for pseudo_dir, selector or None)
    variants = [(f'{a:g}', None, make('soft', alpha=a)) for a in alphas]
    variants += [(f'alpha* (soft, tau={s.tau:g})', None,
                  make('soft', alpha=None)),
                 ('Algorithm 1 (hard)', None, make('hard', alpha=None))]
    table4 = [(pseudo_name, None)] + [(n, p) for n, p in baselines]
    for name, path in table4:
        variants += [(f'{name}|before', path, None),
                     (f'{name}|after', path, main_selector)]
    inputs = s.inputs(len(norms))
    num = inputs.num_classes + 1
    total = np.zeros((len(variants), num, num + 1), dtype=np.int64)
    counts = [Counter() for _ in variants]
    for cms, decisions in map_images(
            _SweepOne(inputs, variants, pred_ignore), inputs.ids, s.nproc,
            desc='sweep'):
        total += cms
        for c, d in zip(counts, decisions):
            if d is not None:
                c[d] += 1

    def scores(v):
        sc = scores_from_confusion(total[v])
        return dict({m: sc[m] for m in METRICS}, IoU=sc['IoU'],
                    decisions=dict(counts[v]),
                    changed_images=counts[v]['replaced'] +
                    counts[v]['fused'])

    n_t3 = len(alphas) + 2
    table3 = []
    for v in range(n_t3):
        row = dict(name=variants[v][0], **scores(v))
        row['alpha'] = alphas[v] if v < len(alphas) else None
        table3.append(row)
    table4_rows = []
    for k, (name, path) in enumerate(table4):
        for j, sod in enumerate((False, True)):
            table4_rows.append(dict(
                method=name, sod=sod,
                label_dir=osp.abspath(path or s.pseudo_dir),
                **scores(n_t3 + 2 * k + j)))
    record = dict(main_selector.settings, split=s.split,
                  pred_ignore=pred_ignore,
                  cam_source=s.cam_dir or 'class region as a 0/1 map',
                  norms=norms)
    return dict(settings=record, num_images=len(inputs.ids),
                num_classes=num,
                class_names=['background'] + inputs.class_names,
                table3=table3, table4=table4_rows)


def _pct(x):
    return '-' if x is None or np.isnan(x) else f'{100 * x:.2f}%'


def build_markdown(result):
    s = result['settings']
    lines = [
        f"# Selector ablations: {s['split']} ({result['num_images']} images,"
        f" {result['num_classes']} classes incl. background)", '',
        f"Predicted 255 counted as: {s['pred_ignore']}. Selector: "
        f"t0={s['t0']}, t1={s['t1']}, salient_thr={s['salient_thr']}, "
        f"sal_thr={s['sal_thr']}, tau={s['tau']}, bg_thr={s['bg_thr']}. "
        f"Soft-mode CAM source: {s['cam_source']}.", '',
        '## Table 3: saliency weight alpha', '',
        '| Alpha | Acc | Acc_class | mIoU | fwIoU | changed images |',
        '| --- | --- | --- | --- | --- | --- |']
    for row in result['table3']:
        lines.append(f"| {row['name']} | " + ' | '.join(
            _pct(row[m]) for m in METRICS) + f" | {row['changed_images']} |")
    lines += ['', f"## Table 4: before / after the selector "
              f"({s['mode']} mode)", '',
              '| Method | SOD | Acc | Acc_class | mIoU | fwIoU |',
              '| --- | --- | --- | --- | --- | --- |']
    for row in result['table4']:
        lines.append(f"| {row['method']} | {'✓' if row['sod'] else '×'} | "
                     + ' | '.join(_pct(row[m]) for m in METRICS) + ' |')
    return '\n'.join(lines) + '\n'


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
                   help='hard: Algorithm 1; soft: the alpha* rule')
    g.add_argument('--t0', type=float)
    g.add_argument('--t1', type=float)
    g.add_argument('--salient-thr', type=float,
                   help='a class is salient when n_c >= this')
    g.add_argument('--sal-thr', type=float,
                   help='saliency binarisation threshold (in [0, 1])')
    g.add_argument('--tau', type=float,
                   help='soft mode: alpha* = (o + n_c) / 2, or 0 below tau')
    g.add_argument('--alpha', type=float,
                   help='soft mode: a fixed alpha instead of alpha*')
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
