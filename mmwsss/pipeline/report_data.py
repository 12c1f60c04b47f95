"""The pipeline report's data model, collected once from a run's files.

:func:`collect_report` reads the manifest's stage metrics, the selector's
audit log and sweep, and the CAM sweep, and converts every number to the
unit the reader sees once (:func:`mmwsss.pipeline.metric_names.
display_value`: scores in percent, thresholds as they are). The result, a
:class:`ReportData`, is what ``report.json`` holds and what the template
(``mmwsss/pipeline/templates/report.html.j2``) renders; nothing is
computed in the template.

Metric scales in the manifest: the label stages (``cam``, ``expand``,
``select``) are fractions in [0, 1] (``mmwsss.evaluation.functional``), the
segmenter stages percent (mmseg's ``IoUMetric``), the SOD measures
fractions.
"""
import dataclasses
import json
import os.path as osp
from typing import Dict, List, Optional

from mmwsss.selector.audit_log import label_changed, read_rows
from mmwsss.utils.io import VOC_PALETTE

from .chart_notes import (alpha_sweep_note, blend_sweep_note,
                          cam_sweep_note, per_class_note)
from .metric_names import (ALIASES, HEADLINE, NOT_METRICS, display_value,
                           format_metric, is_metric)

#: the stages in pipeline order
STAGE_ORDER = ('data', 'classify', 'cam', 'expand', 'saliency', 'select',
               'segment_expand', 'segment_select')
#: the sample grid's columns: (key, header)
COLUMNS = (('image', 'image'), ('cam', 'CAM of the class'),
           ('saliency', 'saliency'), ('expand', 'expanded label'),
           ('select', 'fused label'), ('gt', 'ground truth'),
           ('pred_expand', 'segmenter on expanded labels'),
           ('pred_select', 'segmenter on fused labels'))
#: chart key -> title, in the order of the page
CHART_TITLES = dict(
    per_class_iou='Per-class IoU of the pseudo-labels, before (expanded) '
    'and after (fused) the selector',
    alpha_sweep='Selection threshold α (paper Table 3): pseudo-label mIoU, '
    'the paper\'s beside',
    blend_sweep='Fixed blend weight (soft mode; not the paper\'s Table 3): '
    'pseudo-label mIoU',
    cam_threshold_sweep='CAM background threshold: CAM mIoU')
#: the before / after rows of the headline: (key, label, before, after)
HEADLINE_ROWS = (
    ('segmenter_mIoU', 'Segmenter, val mIoU', 'segment_expand',
     'segment_select'),
    ('pseudo_label_mIoU', 'Pseudo-labels, mIoU on the labelled split',
     'expand', 'select'))


def canonical_stage(name):
    """The current name of a stage (``fuse`` -> ``select``, ...)."""
    return ALIASES.get(name, name)


def stage_entry(stages, name):
    """The manifest entry of stage ``name`` (under its current or a former
    name), or None."""
    for key, entry in stages.items():
        if canonical_stage(key) == name:
            return entry
    return None


def stage_metrics(stages, name):
    return (stage_entry(stages, name) or {}).get('metrics') or {}


def stage_miou_percent(stages, name):
    """mIoU of a label or segmenter stage in percent, or None."""
    value = stage_metrics(stages, name).get('mIoU')
    return None if value is None else display_value(name, 'mIoU', value)[0]


def read_selector_log(path):
    """Per-class counts of single-class images: how many, how many changed
    by the selector."""
    per_class = {}
    if not path or not osp.isfile(path):
        return per_class
    for row in read_rows(path):
        cls = row['class_name'] or row['class']
        if not cls:
            continue  # multi-class / no-class images: not touched
        entry = per_class.setdefault(cls, dict(single=0, replaced=0))
        entry['single'] += 1
        entry['replaced'] += int(label_changed(row))
    return per_class


def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        raise ValueError(f'{path}: cannot read the JSON ({e})') from e


def _num(text, digits=2):
    """A log field ('0.6250' or '') as text for a caption."""
    if text in (None, ''):
        return '–'
    return f'{float(text):.{digits}f}'


def caption(row):
    """The reason for one image's decision, from its selector log row."""
    if row is None:
        return 'not in the selector log'
    d = row['decision']
    if not row['class']:
        return f'{d}: not single-class, untouched'
    name = row['class_name'] or row['class']
    if d == 'empty-saliency':
        return f'{name}: empty saliency map, untouched'
    return (f'{name}: o = {_num(row["iou"])}, n_c = {_num(row["n_c"])}, '
            f'α* = {_num(row["alpha"])} → {d}')


@dataclasses.dataclass
class Chart:
    """One chart: its PNG, the numbers drawn (fractions, as the JSON keeps
    them) and the sentence under it."""
    key: str
    file: str
    values: dict
    note: str = ''

    @property
    def title(self):
        return CHART_TITLES[self.key]


@dataclasses.dataclass
class Sample:
    """One row of the sample grid."""
    id: str
    tiles: Dict[str, str]          # column key -> tile file
    caption: str
    row: Optional[dict] = None     # the selector log row


@dataclasses.dataclass
class ReportData:
    """Everything the report shows, in the reader's units."""
    info: dict
    stages: dict                   # the manifest's entries, raw
    class_names: List[str]
    charts: List[Chart] = dataclasses.field(default_factory=list)
    selector_per_class: dict = dataclasses.field(default_factory=dict)
    samples: List[Sample] = dataclasses.field(default_factory=list)
    inputs: dict = dataclasses.field(default_factory=dict)
    ignored_inputs: list = dataclasses.field(default_factory=list)
    tile_size: int = 128

    # ------------------------------------------------ converted once
    @property
    def headline(self):
        """Before / after the selector, in percent."""
        out = {}
        for key, _, before, after in reversed(HEADLINE_ROWS):
            va = stage_miou_percent(self.stages, before)
            vb = stage_miou_percent(self.stages, after)
            if va is not None and vb is not None:
                out[key] = dict(without_selector=round(va, 2),
                                with_selector=round(vb, 2),
                                change_points=round(vb - va, 2))
        return out

    @property
    def headline_rows(self):
        """``(label, before, after, change, css class)`` texts."""
        rows = []
        for key, label, _, _ in HEADLINE_ROWS:
            h = self.headline.get(key)
            if h is None:
                continue
            d = h['change_points']
            rows.append((label, f'{h["without_selector"]:.1f} %',
                         f'{h["with_selector"]:.1f} %', f'{d:+.1f} points',
                         'good' if d > 0 else 'bad' if d < 0 else 'same'))
        return rows

    @property
    def stage_rows(self):
        """``(name, status, time, metrics)`` texts, in pipeline order; each
        stage's headline metrics first."""
        rank = {n: i for i, n in enumerate(STAGE_ORDER)}
        rows = []
        for name, entry in sorted(self.stages.items(), key=lambda kv: rank.get(
                canonical_stage(kv[0]), len(STAGE_ORDER))):
            metrics = entry.get('metrics') or {}
            canon = canonical_stage(name)
            first = [k for k in HEADLINE.get(canon, ()) if k in metrics]
            keys = first + [k for k in metrics if k not in first]
            shown = [format_metric(canon, k, metrics[k]) for k in keys
                     if is_metric(k, metrics[k]) and k not in NOT_METRICS]
            if isinstance(metrics.get('method'), str):  # expand: irn, par
                name = f'{name} ({metrics["method"]})'
            secs = entry.get('seconds')
            rows.append((name, str(entry.get('status')),
                         '–' if secs is None else f'{secs:.0f} s',
                         ', '.join(shown) or '–'))
        return rows

    @property
    def info_items(self):
        """``(label, text)`` of where the run came from."""
        items = []
        for key in ('config', 'seed', 'commit', 'machine', 'date',
                    'command'):
            v = self.info.get(key)
            if v in (None, '', {}):
                v = 'not recorded' if key in ('commit', 'seed') else None
            if v is None:
                continue
            if isinstance(v, dict):
                v = ', '.join(f'{k} {x}' for k, x in v.items())
            items.append((key, str(v)))
        if self.info.get('threads'):
            items.append(('OMP_NUM_THREADS', str(self.info['threads'])))
        return items

    @property
    def selector_rows(self):
        """``(class, single-class images, changed, percent changed)``."""
        return [(c, v['single'], v['replaced'],
                 f'{100.0 * v["replaced"] / max(v["single"], 1):.0f}')
                for c, v in sorted(self.selector_per_class.items())]

    @property
    def legend(self):
        """``(css rgb, name)`` of every class and the ignore value."""
        out = [('rgb({},{},{})'.format(*VOC_PALETTE[i]), name)
               for i, name in enumerate(self.class_names)]
        return out + [('rgb({},{},{})'.format(*VOC_PALETTE[255]),
                       'ignore (255)')]

    @property
    def pred_split(self):
        return self.info.get('pred_split') or 'train'

    def to_json(self):
        """``report.json``: every number raw as the stages wrote it, plus
        the headline in percent."""
        samples = []
        for s in self.samples:
            r = s.row or {}
            samples.append(dict(
                id=s.id, images=[s.tiles[k] for k, _ in COLUMNS
                                 if k in s.tiles],
                tiles=s.tiles, caption=s.caption,
                decision=r.get('decision'), iou=r.get('iou'),
                n_c=r.get('n_c'), alpha=r.get('alpha')))
        return dict(
            headline=self.headline,
            stages={k: dict(metrics=v.get('metrics', {}),
                            seconds=v.get('seconds'), status=v.get('status'),
                            outputs=v.get('outputs'))
                    for k, v in self.stages.items()},
            charts={c.key: dict(file=c.file, **c.values, note=c.note)
                    for c in self.charts},
            selector_per_class=self.selector_per_class, samples=samples,
            class_names=self.class_names, inputs=self.inputs,
            ignored_inputs=self.ignored_inputs, info=self.info)


# ------------------------------------------------------------ collection
def collect_charts(stages, class_names, selector_sweep=None, cam_eval=None):
    """The charts whose inputs exist, as :class:`Chart` (files not drawn
    yet: :func:`mmwsss.pipeline.report_writer.draw_chart`)."""
    charts = []
    before, after = stage_metrics(stages, 'expand'), \
        stage_metrics(stages, 'select')
    if isinstance(before.get('IoU'), dict) and \
            isinstance(after.get('IoU'), dict):
        classes = [n for n in class_names
                   if n in before['IoU'] or n in after['IoU']]
        b = [before['IoU'].get(n) for n in classes]
        a = [after['IoU'].get(n) for n in classes]
        charts.append(Chart('per_class_iou', 'per_class_iou.png',
                            dict(classes=classes, before=b, after=a),
                            per_class_note(classes, b, a)))
    table3 = blend = None
    if selector_sweep and osp.isfile(selector_sweep):  # partial run
        sweep_json = read_json(selector_sweep)
        table3, blend = sweep_json.get('table3'), sweep_json.get('blend')
    if table3 is None:
        table3 = after.get('table3')
    if table3:
        fixed = [r for r in table3 if r.get('alpha') is not None]
        star = [r['mIoU'] for r in table3 if r.get('alpha') is None and
                str(r.get('name', '')).startswith('alpha*')]
        hard = [r['mIoU'] for r in table3 if r.get('alpha') is None and
                'hard' in str(r.get('name', ''))]
        paper = [r for r in fixed if r.get('paper')]
        if fixed:
            alphas, miou = [r['alpha'] for r in fixed], \
                [r['mIoU'] for r in fixed]
            star, hard = (star or [None])[0], (hard or [None])[0]
            charts.append(Chart(
                'alpha_sweep', 'alpha_sweep.png', dict(
                    alphas=alphas, mIoU=miou, alpha_star=star, hard=hard,
                    paper_alphas=[r['alpha'] for r in paper] or None,
                    paper_mIoU=[r['paper']['mIoU'] for r in paper] or None),
                alpha_sweep_note(alphas, miou, star, hard)))
    if blend:
        weights, miou = [r['weight'] for r in blend], \
            [r['mIoU'] for r in blend]
        charts.append(Chart('blend_sweep', 'blend_sweep.png',
                            dict(weights=weights, mIoU=miou),
                            blend_sweep_note(weights, miou)))
    cam = read_json(cam_eval) if cam_eval and osp.isfile(cam_eval) \
        else stage_metrics(stages, 'cam')
    sweep = cam.get('sweep')
    if sweep:
        thr = [s['threshold'] for s in sweep]
        miou = [s['mIoU'] for s in sweep]
        charts.append(Chart(
            'cam_threshold_sweep', 'cam_threshold_sweep.png',
            dict(thresholds=thr, mIoU=miou,
                 best_threshold=cam.get('best_threshold')),
            cam_sweep_note(thr, miou, cam.get('best_threshold'),
                           cam.get('grid_extended'))))
    order = list(CHART_TITLES)
    return sorted(charts, key=lambda c: order.index(c.key))
