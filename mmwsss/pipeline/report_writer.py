"""The pipeline report: ``<work_dir>/report/index.html`` + ``report.json``.

What a reader wants first: did the selector help, in percent; then where
(per-class IoU before / after), how the method's knobs behave (the alpha
sweep of the paper's Table 3, the CAM background threshold), and a grid of
sample images with the reason for each decision. Timings and paths go to
``report.json`` only.

Inputs are an explicit dict of paths (:data:`REPORT_INPUTS`); every entry
but ``img_dir`` and ``gt_dir`` is optional and its part of the report is
left out when it is missing. The stage metrics come from the pipeline
manifest (``<work_dir>/manifest.json`` unless given).

Metric scales: the label stages (``cam``, ``expand``, ``select``) are
evaluated by ``mmwsss.evaluation.functional`` as fractions in [0, 1]; the
segmenter stages by mmseg's ``IoUMetric``, already in percent. The report
shows both in percent.
"""
import html
import json
import os
import os.path as osp

import cv2
import numpy as np

from mmwsss.analysis import tiles as T
from mmwsss.selector.audit_log import label_changed, read_rows
from mmwsss.utils.io import (VOC_PALETTE, atomic_write, load_cam_npz,
                             load_grey_png, load_label_png)

from . import report_charts
from .chart_notes import (alpha_sweep_note, blend_sweep_note,
                          cam_sweep_note, per_class_note)
from .metric_names import HEADLINE, format_metric, is_metric
from .run_info import run_info

#: the keys of the ``paths`` dict, and what each one is
REPORT_INPUTS = dict(
    img_dir='folder of <id>.jpg images (required)',
    gt_dir='folder of <id>.png ground truth (required)',
    cam_dir='stage cam: <id>.npz CAMs',
    sal_dir='stage saliency: <id>.png saliency maps',
    pseudo_cam_dir='stage expand: <id>.png expanded pseudo-labels',
    pseudo_fused_dir='stage select: <id>.png fused pseudo-labels',
    selector_log='stage select: selector_log.csv (audit log)',
    pred_dir='stage segment_select: <id>.png predictions of the segmenter '
    'trained on fused labels',
    pred_expand_dir='stage segment_expand: <id>.png predictions of the '
    'segmenter trained on expanded labels',
    cam_eval='cam_eval.json with the threshold sweep (default: the cam '
    'stage metrics of the manifest)',
    selector_sweep='JSON of the selector sweep with a "table3" list (the '
    'alpha sweep; default: a "table3" in the select stage metrics)',
    manifest='the pipeline manifest (default <work_dir>/manifest.json)')

#: stage names, and the names they had before (read from old manifests)
STAGE_ALIASES = dict(saliency=('saliency', 'sod'), select=('select', 'fuse'),
                     segment_expand=('segment_expand', 'segment_cam'),
                     segment_select=('segment_select', 'segment_fused'))
#: stages whose metrics are fractions in [0, 1]
FRACTION_STAGES = ('cam', 'expand', 'select')
#: stages whose metrics are percent (mmseg IoUMetric)
SEGMENT_STAGES = ('segment_expand', 'segment_select')

#: the sample grid's columns: (key, header)
COLUMNS = (('image', 'image'), ('cam', 'CAM of the class'),
           ('saliency', 'saliency'), ('expand', 'expanded label'),
           ('select', 'fused label'), ('gt', 'ground truth'),
           ('pred_expand', 'segmenter on expanded labels'),
           ('pred_select', 'segmenter on fused labels'))
_LABEL_DIRS = dict(expand='pseudo_cam_dir', select='pseudo_fused_dir',
                   gt='gt_dir', pred_expand='pred_expand_dir',
                   pred_select='pred_dir')

#: metrics that are bookkeeping, not results
_NOT_METRICS = ('data_time', 'time', 'step', 'num_images')


def canonical_stage(name):
    """The current name of a stage (``fuse`` -> ``select``, ...)."""
    for new, names in STAGE_ALIASES.items():
        if name in names:
            return new
    return name


def _stage_entry(stages, name):
    for alias in STAGE_ALIASES.get(name, (name, )):
        if alias in stages:
            return stages[alias]
    return None


def stage_miou_percent(stages, name):
    """mIoU of a label or segmenter stage in percent, or None."""
    entry = _stage_entry(stages, name)
    value = ((entry or {}).get('metrics') or {}).get('mIoU')
    if value is None:
        return None
    return 100.0 * value if name in FRACTION_STAGES else float(value)


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


def _read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        raise ValueError(f'{path}: cannot read the JSON ({e})') from e


_colorize = T.colorize
_heatmap = T.heat_overlay


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


class ReportWriter:
    """Write the report of one pipeline run.

    Args:
        work_dir (str): the pipeline work dir; the report goes to
            ``<work_dir>/report``.
        paths (dict): the inputs, keyed as in :data:`REPORT_INPUTS`.
        class_names (sequence[str]): names, background first.
        num_samples (int): rows of the sample grid.
        tile_size (int): side of the square grid tiles, in pixels.
        info (dict, optional): where the run came from, shown at the top:
            ``config``, ``seed`` (str or dict), ``command``, ``pred_split``
            (the split of the segmenter tiles); the machine, date and
            commit are added (:func:`run_info`).
    """

    def __init__(self, work_dir, paths, class_names, num_samples=8,
                 tile_size=128, info=None):
        for key in ('img_dir', 'gt_dir'):
            if not paths.get(key):
                raise ValueError(f'the report needs paths[{key!r}] '
                                 f'({REPORT_INPUTS[key]})')
        unknown = sorted(set(paths) - set(REPORT_INPUTS))
        self.work_dir = work_dir
        self.paths = {k: v for k, v in paths.items() if k in REPORT_INPUTS}
        self.ignored_paths = unknown
        self.class_names = list(class_names)
        self.num_samples = num_samples
        self.tile_size = tile_size
        self.info = dict(run_info(), **(info or {}))
        self.out_dir = osp.join(work_dir, 'report')

    @classmethod
    def for_work_dir(cls, wd, img_dir, gt_dir, class_names, **kwargs):
        """The report of a pipeline run: its :class:`~mmwsss.pipeline.
        work_dir.WorkDir` ``wd``, the images and the ground truth."""
        return cls(wd.root, dict(
            img_dir=img_dir, gt_dir=gt_dir, cam_dir=wd.cam,
            sal_dir=wd.saliency, pseudo_cam_dir=wd.expand,
            pseudo_fused_dir=wd.select, selector_log=wd.select_log,
            pred_dir=wd.segment_select_pred,
            pred_expand_dir=wd.segment_expand_pred, cam_eval=wd.cam_eval,
            selector_sweep=wd.select_sweep, manifest=wd.manifest),
            class_names, **kwargs)

    # ------------------------------------------------------------ inputs
    def _manifest(self, manifest):
        if manifest is not None:
            return manifest
        path = self.paths.get('manifest') or osp.join(self.work_dir,
                                                      'manifest.json')
        return _read_json(path) if osp.isfile(path) else {}

    def _log_rows(self):
        log = self.paths.get('selector_log')
        return read_rows(log) if log and osp.isfile(log) else []

    def _file(self, key, img_id, ext='.png'):
        folder = self.paths.get(key)
        if not folder:
            return None
        path = osp.join(folder, img_id + ext)
        return path if osp.isfile(path) else None

    def _pick_samples(self, rows):
        """Changed single-class images first (up to 2/3 of the grid), then
        kept ones, then the others, among the images with ground truth (and
        predictions, when the segmenter wrote any)."""
        pred_ids = None
        for key in ('pred_dir', 'pred_expand_dir'):
            folder = self.paths.get(key)
            if folder and osp.isdir(folder):
                ids = {osp.splitext(f)[0] for f in os.listdir(folder)
                       if f.endswith('.png')}
                pred_ids = ids if pred_ids is None else pred_ids & ids
        changed = [r['id'] for r in rows if r['class'] and label_changed(r)]
        kept = [r['id'] for r in rows if r['class'] and not label_changed(r)]
        other = [r['id'] for r in rows if not r['class']]

        def usable(i):
            return (self._file('gt_dir', i) and self._file(
                'img_dir', i, '.jpg') and (pred_ids is None or i in pred_ids))

        changed, kept, other = ([i for i in ids if usable(i)]
                                for ids in (changed, kept, other))
        n = self.num_samples
        picked = changed[:max(1, 2 * n // 3)]
        for pool in (kept, changed, other):
            picked += [i for i in pool if i not in picked][:n - len(picked)]
        return picked[:n]

    def _tiles(self, img_id, row):
        """BGR tiles of one sample, keyed as :data:`COLUMNS`; None where the
        input is missing."""
        img = cv2.imread(self._file('img_dir', img_id, '.jpg'),
                         cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION)
        tiles = dict(image=img)
        cam_file = self._file('cam_dir', img_id, '.npz')
        if cam_file:
            keys, cams = load_cam_npz(cam_file)
            c = int(row['class']) if row and row['class'] else None
            hit = np.flatnonzero(keys == c - 1) if c else []
            cam = cams[hit[0]] if len(hit) else (
                cams.max(0) if len(cams) else np.zeros(img.shape[:2]))
            tiles['cam'] = _heatmap(img, cam)
        sal_file = self._file('sal_dir', img_id)
        if sal_file:
            tiles['saliency'] = T.grey(load_grey_png(sal_file))
        s = self.tile_size
        # every tile the same square: pictures resampled by area, label
        # maps (whatever their size, e.g. a segmenter's output) by nearest
        out = {k: T.fit(t, s) for k, t in tiles.items() if t is not None}
        for col, key in _LABEL_DIRS.items():
            f = self._file(key, img_id)
            if f:
                out[col] = T.fit(_colorize(load_label_png(f)), s,
                                 cv2.INTER_NEAREST)
        return out

    # ------------------------------------------------------------ charts
    def _charts(self, stages):
        """Draw every chart whose inputs exist; returns {name: info}."""
        charts = {}
        names = self.class_names
        before = (_stage_entry(stages, 'expand') or {}).get('metrics') or {}
        after = (_stage_entry(stages, 'select') or {}).get('metrics') or {}
        if isinstance(before.get('IoU'), dict) and \
                isinstance(after.get('IoU'), dict):
            classes = [n for n in names
                       if n in before['IoU'] or n in after['IoU']]
            b = [before['IoU'].get(n) for n in classes]
            a = [after['IoU'].get(n) for n in classes]
            report_charts.per_class_iou_chart(
                osp.join(self.out_dir, 'per_class_iou.png'), classes, b, a)
            charts['per_class_iou'] = dict(
                file='per_class_iou.png', classes=classes, before=b, after=a,
                note=per_class_note(classes, b, a))

        table3 = blend = None
        if self.paths.get('selector_sweep') and \
                osp.isfile(self.paths['selector_sweep']):  # partial run
            sweep_json = _read_json(self.paths['selector_sweep'])
            table3, blend = sweep_json.get('table3'), sweep_json.get('blend')
        if table3 is None:
            table3 = after.get('table3')
        if blend:
            report_charts.blend_sweep_chart(
                osp.join(self.out_dir, 'blend_sweep.png'),
                [r['weight'] for r in blend], [r['mIoU'] for r in blend])
            charts['blend_sweep'] = dict(
                file='blend_sweep.png', weights=[r['weight'] for r in blend],
                mIoU=[r['mIoU'] for r in blend],
                note=blend_sweep_note([r['weight'] for r in blend],
                                      [r['mIoU'] for r in blend]))
        if table3:
            fixed = [r for r in table3 if r.get('alpha') is not None]
            star = [r for r in table3 if r.get('alpha') is None and
                    str(r.get('name', '')).startswith('alpha*')]
            hard = [r for r in table3 if r.get('alpha') is None and
                    'hard' in str(r.get('name', ''))]
            paper = [r for r in fixed if r.get('paper')]
            paper = ([r['alpha'] for r in paper],
                     [r['paper']['mIoU'] for r in paper]) if paper else None
            if fixed:
                report_charts.alpha_sweep_chart(
                    osp.join(self.out_dir, 'alpha_sweep.png'),
                    [r['alpha'] for r in fixed], [r['mIoU'] for r in fixed],
                    alpha_star=star[0]['mIoU'] if star else None,
                    hard=hard[0]['mIoU'] if hard else None, paper=paper)
                charts['alpha_sweep'] = dict(
                    file='alpha_sweep.png',
                    alphas=[r['alpha'] for r in fixed],
                    mIoU=[r['mIoU'] for r in fixed],
                    alpha_star=star[0]['mIoU'] if star else None,
                    hard=hard[0]['mIoU'] if hard else None,
                    paper_mIoU=paper[1] if paper else None,
                    note=alpha_sweep_note(
                        [r['alpha'] for r in fixed],
                        [r['mIoU'] for r in fixed],
                        star[0]['mIoU'] if star else None,
                        hard[0]['mIoU'] if hard else None))

        cam = _read_json(self.paths['cam_eval']) \
            if self.paths.get('cam_eval') and \
            osp.isfile(self.paths['cam_eval']) else \
            ((_stage_entry(stages, 'cam') or {}).get('metrics') or {})
        sweep = cam.get('sweep')
        if sweep:
            thr = [s['threshold'] for s in sweep]
            miou = [s['mIoU'] for s in sweep]
            report_charts.threshold_sweep_chart(
                osp.join(self.out_dir, 'cam_threshold_sweep.png'), thr, miou,
                best=cam.get('best_threshold'))
            charts['cam_threshold_sweep'] = dict(
                file='cam_threshold_sweep.png', thresholds=thr, mIoU=miou,
                best_threshold=cam.get('best_threshold'),
                note=cam_sweep_note(thr, miou, cam.get('best_threshold'),
                                    cam.get('grid_extended')))
        return charts

    # ------------------------------------------------------------ writing
    def write(self, manifest=None):
        """Write the report; returns the path of ``index.html``."""
        manifest = self._manifest(manifest)
        stages = manifest.get('stages', {})
        os.makedirs(osp.join(self.out_dir, 'img'), exist_ok=True)
        rows = self._log_rows()
        by_id = {r['id']: r for r in rows}
        samples = []
        for img_id in self._pick_samples(rows):
            row = by_id.get(img_id)
            files = {}
            for col, tile in self._tiles(img_id, row).items():
                name = f'img/{img_id}_{col}.png'
                with atomic_write(osp.join(self.out_dir, name)) as tmp:
                    cv2.imwrite(tmp, tile)
                files[col] = name
            samples.append(dict(
                id=img_id, images=[files[k] for k, _ in COLUMNS
                                   if k in files],
                tiles=files, caption=caption(row),
                decision=row['decision'] if row else None,
                iou=row['iou'] if row else None,
                n_c=row['n_c'] if row else None,
                alpha=row['alpha'] if row else None))
        data = dict(
            headline=self._headline(stages),
            stages={k: dict(metrics=v.get('metrics', {}),
                            seconds=v.get('seconds'), status=v.get('status'),
                            outputs=v.get('outputs'))
                    for k, v in stages.items()},
            charts=self._charts(stages),
            selector_per_class=read_selector_log(
                self.paths.get('selector_log')),
            samples=samples, class_names=self.class_names,
            inputs={k: osp.abspath(v) for k, v in self.paths.items() if v},
            ignored_inputs=self.ignored_paths, info=self.info)
        with atomic_write(osp.join(self.out_dir, 'report.json')) as tmp:
            with open(tmp, 'w') as f:
                json.dump(data, f, indent=2)
        with atomic_write(osp.join(self.out_dir, 'index.html')) as tmp:
            with open(tmp, 'w') as f:
                f.write(self._html(data))
        return osp.join(self.out_dir, 'index.html')

    @staticmethod
    def _headline(stages):
        """Before / after the selector, in percent."""
        out = {}
        for key, a, b in (('pseudo_label_mIoU', 'expand', 'select'),
                          ('segmenter_mIoU', 'segment_expand',
                           'segment_select')):
            va, vb = stage_miou_percent(stages, a), \
                stage_miou_percent(stages, b)
            if va is not None and vb is not None:
                out[key] = dict(without_selector=round(va, 2),
                                with_selector=round(vb, 2),
                                change_points=round(vb - va, 2))
        return out

    # ------------------------------------------------------------ html
    def _html(self, data):
        e = html.escape
        parts = [
            '<!doctype html><html><head><meta charset="utf-8">',
            '<title>mmwsss pipeline report</title><style>',
            'body{font-family:sans-serif;margin:2em;max-width:1400px}',
            'table{border-collapse:collapse;margin:0.5em 0 1.5em}',
            'td,th{border:1px solid #ccc;padding:4px 8px}',
            'td.n{text-align:right;white-space:nowrap}',
            '.good{color:#070;font-weight:bold}',
            '.bad{color:#a00;font-weight:bold}',
            '.headline{font-size:1.3em}',
            '.grid td{padding:2px;text-align:center;vertical-align:top}',
            '.grid .cap{text-align:left;font-size:0.9em;background:#f6f6f6}',
            '.legend span{display:inline-block;margin:0 1em 0.3em 0}',
            '.sw{display:inline-block;width:1em;height:1em;'
            'border:1px solid #555;vertical-align:middle;margin-right:0.3em}',
            '.na{color:#999;font-size:0.8em}',
            '.note{max-width:60em;margin-top:0.2em}',
            '.info{color:#444;font-size:0.9em}',
            '.info code{background:#f3f3f3;padding:0 0.2em}',
            '.grid{table-layout:fixed}',
            f'.grid th{{width:{self.tile_size + 4}px;font-size:0.85em;'
            'font-weight:normal;vertical-align:bottom}',
            '.grid th.cap{width:auto}',
            '.cbar{display:block;margin:3px auto 0;width:90%;height:8px;'
            'background:linear-gradient(to right,rgb(0,0,128) 0%,'
            'rgb(0,0,255) 12.5%,rgb(0,255,255) 37.5%,rgb(255,255,0) 62.5%,'
            'rgb(255,0,0) 87.5%,rgb(128,0,0) 100%)}',
            '.cbar-l{display:flex;justify-content:space-between;'
            'font-size:0.75em;width:90%;margin:0 auto}',
            '</style></head><body><h1>mmwsss pipeline report</h1>']
        parts.append(self._info_html(data.get('info') or {}))
        parts.append(self._headline_html(data['headline']))
        parts.append(self._stages_html(data['stages']))
        charts = data['charts']
        titles = dict(
            per_class_iou='Per-class IoU of the pseudo-labels, before '
            '(expanded) and after (fused) the selector',
            alpha_sweep='Selection threshold α (paper Table 3): '
            'pseudo-label mIoU, the paper\'s beside',
            blend_sweep='Fixed blend weight (soft mode; not the paper\'s '
            'Table 3): pseudo-label mIoU',
            cam_threshold_sweep='CAM background threshold: CAM mIoU')
        for key, title in titles.items():
            if key in charts:
                parts.append(f'<h2>{e(title)}</h2><img src="'
                             f'{charts[key]["file"]}" alt="{e(title)}">')
                if charts[key].get('note'):
                    parts.append(f'<p class="note">'
                                 f'{e(charts[key]["note"])}</p>')
        if data['selector_per_class']:
            parts.append('<h2>Selector decisions (single-class images)</h2>'
                         '<table><tr><th>class</th><th>single-class images'
                         '</th><th>changed by the selector</th></tr>')
            for c, v in sorted(data['selector_per_class'].items()):
                pct = 100.0 * v['replaced'] / max(v['single'], 1)
                parts.append(f'<tr><td>{e(c)}</td><td class="n">'
                             f'{v["single"]}</td><td class="n">'
                             f'{v["replaced"]} ({pct:.0f} %)</td></tr>')
            parts.append('</table>')
        if data['samples']:
            parts.append(self._samples_html(data['samples']))
        parts.append('<p class="na">Timings, input paths and every metric: '
                     '<a href="report.json">report.json</a>.</p>')
        parts.append('</body></html>')
        return '\n'.join(parts)

    @staticmethod
    def _headline_html(headline):
        if not headline:
            return ('<p class="headline">No before/after numbers: the '
                    'expand/select or segmenter stages have no mIoU.</p>')
        labels = dict(
            segmenter_mIoU='Segmenter, val mIoU',
            pseudo_label_mIoU='Pseudo-labels, mIoU on the labelled split')
        rows = []
        for key in ('segmenter_mIoU', 'pseudo_label_mIoU'):
            if key not in headline:
                continue
            h = headline[key]
            d = h['change_points']
            cls = 'good' if d > 0 else 'bad' if d < 0 else 'same'
            rows.append(f'<tr><td>{labels[key]}</td><td class="n">'
                        f'{h["without_selector"]:.1f} %</td>'
                        f'<td class="n {cls}">{h["with_selector"]:.1f} %</td>'
                        f'<td class="n {cls}">{d:+.1f} points</td></tr>')
        return ('<h2 class="headline">Did the selector help?</h2><table>'
                '<tr><th></th><th>without selector (expanded labels)</th>'
                '<th>with selector (fused labels)</th><th>change</th></tr>'
                + ''.join(rows) + '</table>')

    @staticmethod
    def _stages_html(stages):
        rows = []
        order = ('data', 'classify', 'cam', 'expand', 'saliency', 'select',
                 'segment_expand', 'segment_select')
        rank = {n: i for i, n in enumerate(order)}
        for name, entry in sorted(stages.items(), key=lambda kv: rank.get(
                canonical_stage(kv[0]), len(order))):
            metrics = entry.get('metrics') or {}
            canon = canonical_stage(name)
            first = [k for k in HEADLINE.get(canon, ()) if k in metrics]
            keys = first + [k for k in metrics if k not in first]
            shown = [format_metric(canon, k, metrics[k]) for k in keys
                     if is_metric(k, metrics[k]) and k not in _NOT_METRICS]
            if isinstance(metrics.get('method'), str):  # expand: irn, par
                name = f'{name} ({metrics["method"]})'
            secs = entry.get('seconds')
            rows.append(f'<tr><td>{html.escape(name)}</td><td>'
                        f'{html.escape(str(entry.get("status")))}</td>'
                        f'<td class="n">'
                        f'{"–" if secs is None else f"{secs:.0f} s"}</td><td>'
                        f'{html.escape(", ".join(shown)) or "–"}</td></tr>')
        if not rows:
            return ''
        return ('<h2>Stages</h2><table><tr><th>stage</th><th>status</th>'
                '<th>time</th><th>metrics (label stages on the split with '
                'ground truth, segmenters on val)</th></tr>'
                + ''.join(rows) + '</table>')

    @staticmethod
    def _info_html(info):
        """Where the run came from: config, seed, command, commit, machine,
        date."""
        e = html.escape
        items = []
        for key, label in (('config', 'config'), ('seed', 'seed'),
                           ('commit', 'commit'), ('machine', 'machine'),
                           ('date', 'date'), ('command', 'command')):
            v = info.get(key)
            if v in (None, '', {}):
                v = 'not recorded' if key in ('commit', 'seed') else None
            if v is None:
                continue
            if isinstance(v, dict):
                v = ', '.join(f'{k} {x}' for k, x in v.items())
            items.append(f'{label} <code>{e(str(v))}</code>')
        if info.get('threads'):
            items.append(f'OMP_NUM_THREADS <code>{e(str(info["threads"]))}'
                         '</code>')
        return '<p class="info">' + ' · '.join(items) + '</p>' \
            if items else ''


    def _legend_html(self):
        items = []
        for i, name in enumerate(self.class_names):
            r, g, b = VOC_PALETTE[i]
            items.append(f'<span><i class="sw" style="background:rgb('
                         f'{r},{g},{b})"></i>{html.escape(name)}</span>')
        r, g, b = VOC_PALETTE[255]
        items.append(f'<span><i class="sw" style="background:rgb({r},{g},'
                     f'{b})"></i>ignore (255)</span>')
        split = self.info.get('pred_split') or 'train'
        return ('<p class="legend">' + ''.join(items) + '</p><p class="na">'
                'CAM: the class\'s CAM over the image, normalised to [0, 1] '
                '(colour bar under its header). Saliency: white = salient. '
                'o: IoU of the CAM region and the saliency mask; n_c: class '
                'salience; α*: the weight of the saliency (α = 1 / 0 for '
                'the hard rule\'s replace / keep). The segmenter columns '
                f'are its predictions on these {html.escape(split)} images: '
                'the pseudo-labels come from this split, so the segmenters '
                'were trained on these images (with pseudo-labels, not the '
                'ground truth); their val mIoU is in the table above.</p>')

    def _samples_html(self, samples):
        e = html.escape
        ncol = len(COLUMNS)
        split = self.info.get('pred_split') or 'train'
        heads = []
        for key, h in COLUMNS:
            if key.startswith('pred'):
                h = f'{h} ({split} image)'
            if key == 'cam':
                h = e(h) + ('<i class="cbar"></i><span class="cbar-l">'
                            '<span>0</span><span>0.5</span><span>1</span>'
                            '</span>')
            else:
                h = e(h)
            heads.append(f'<th>{h}</th>')
        parts = ['<h2>Samples</h2>', self._legend_html(),
                 '<table class="grid"><tr>' + ''.join(heads) + '</tr>']
        for s in samples:
            parts.append(f'<tr><td class="cap" colspan="{ncol}"><b>'
                         f'{e(s["id"])}</b> — {e(s["caption"])}</td></tr>')
            cells = []
            for key, header in COLUMNS:
                name = s['tiles'].get(key)
                t = self.tile_size
                cells.append(f'<td><img src="{name}" alt="{e(header)}" '
                             f'width="{t}" height="{t}"></td>'
                             if name else '<td class="na">not available</td>')
            parts.append('<tr class="sample">' + ''.join(cells) + '</tr>')
        parts.append('</table>')
        return '\n'.join(parts)


def write_report(work_dir, paths, class_names, manifest=None, num_samples=8,
                 info=None):
    """Write ``<work_dir>/report``; see :class:`ReportWriter`."""
    return ReportWriter(work_dir, paths, class_names,
                        num_samples=num_samples, info=info).write(manifest)
