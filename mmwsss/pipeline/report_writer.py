"""The pipeline report: ``<work_dir>/report/index.html`` + ``report.json``.

What a reader wants first: did the selector help, in percent; then where
(per-class IoU before / after), how the method's knobs behave (the alpha
sweep of the paper's Table 3, the CAM background threshold), and a grid of
sample images with the reason for each decision. Timings and paths go to
``report.json`` only.

Three steps: :mod:`mmwsss.pipeline.report_data` collects the run's files
into a :class:`~mmwsss.pipeline.report_data.ReportData` (units converted
once); :class:`ReportWriter` draws its charts (matplotlib,
:mod:`mmwsss.pipeline.report_charts`) and sample tiles; the Jinja2
template ``templates/report.html.j2`` renders the page.

Inputs are an explicit dict of paths (:data:`REPORT_INPUTS`); every entry
but ``img_dir`` and ``gt_dir`` is optional and its part of the report is
left out when it is missing. The stage metrics come from the pipeline
manifest (``<work_dir>/manifest.json`` unless given).
"""
import json
import os
import os.path as osp

import cv2
import numpy as np

from mmwsss.analysis import tiles as T
from mmwsss.selector.audit_log import label_changed, read_rows
from mmwsss.selector.selector_core import cam_of_class
from mmwsss.utils.io import (atomic_write, load_cam_npz, load_grey_png,
                             load_label_png)

from . import report_charts
from .report_data import (COLUMNS, ReportData, Sample, caption,  # noqa: F401
                          collect_charts, read_json, read_selector_log)
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
_LABEL_DIRS = dict(expand='pseudo_cam_dir', select='pseudo_fused_dir',
                   gt='gt_dir', pred_expand='pred_expand_dir',
                   pred_select='pred_dir')
#: the page's template (in this package)
TEMPLATE = 'report.html.j2'


def draw_chart(chart, out_dir):
    """Draw one :class:`~mmwsss.pipeline.report_data.Chart` into
    ``out_dir``."""
    v, path = chart.values, osp.join(out_dir, chart.file)
    if chart.key == 'per_class_iou':
        report_charts.per_class_iou_chart(path, v['classes'], v['before'],
                                          v['after'])
    elif chart.key == 'alpha_sweep':
        paper = (v['paper_alphas'], v['paper_mIoU']) \
            if v.get('paper_mIoU') else None
        report_charts.alpha_sweep_chart(
            path, v['alphas'], v['mIoU'], alpha_star=v['alpha_star'],
            hard=v['hard'], paper=paper)
    elif chart.key == 'blend_sweep':
        report_charts.blend_sweep_chart(path, v['weights'], v['mIoU'])
    elif chart.key == 'cam_threshold_sweep':
        report_charts.threshold_sweep_chart(path, v['thresholds'], v['mIoU'],
                                            best=v['best_threshold'])
    else:
        raise ValueError(f'unknown chart {chart.key!r}')


def render_html(data):
    """The page of a :class:`~mmwsss.pipeline.report_data.ReportData`."""
    import jinja2
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(
            osp.join(osp.dirname(osp.abspath(__file__)), 'templates')),
        autoescape=True, trim_blocks=True, lstrip_blocks=True,
        undefined=jinja2.StrictUndefined)
    return env.get_template(TEMPLATE).render(
        data=data, columns=COLUMNS)


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
        return read_json(path) if osp.isfile(path) else {}

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
            cam = cam_of_class((keys, cams), c) if c else None
            if cam is None:  # not single-class: the max over its classes
                cam = cams.max(0) if len(cams) else np.zeros(img.shape[:2])
            tiles['cam'] = T.heat_overlay(img, cam)
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
                out[col] = T.fit(T.colorize(load_label_png(f)), s,
                                 cv2.INTER_NEAREST)
        return out

    # ------------------------------------------------------------ writing
    def collect(self, manifest=None):
        """The run's :class:`~mmwsss.pipeline.report_data.ReportData`
        (tiles and charts not written yet)."""
        manifest = self._manifest(manifest)
        stages = manifest.get('stages', {})
        return ReportData(
            info=self.info, stages=stages, class_names=self.class_names,
            charts=collect_charts(stages, self.class_names,
                                  self.paths.get('selector_sweep'),
                                  self.paths.get('cam_eval')),
            selector_per_class=read_selector_log(
                self.paths.get('selector_log')),
            inputs={k: osp.abspath(v) for k, v in self.paths.items() if v},
            ignored_inputs=self.ignored_paths, tile_size=self.tile_size)

    def write(self, manifest=None):
        """Write the report; returns the path of ``index.html``."""
        data = self.collect(manifest)
        os.makedirs(osp.join(self.out_dir, 'img'), exist_ok=True)
        for chart in data.charts:
            draw_chart(chart, self.out_dir)
        rows = self._log_rows()
        by_id = {r['id']: r for r in rows}
        for img_id in self._pick_samples(rows):
            row = by_id.get(img_id)
            files = {}
            for col, tile in self._tiles(img_id, row).items():
                name = f'img/{img_id}_{col}.png'
                with atomic_write(osp.join(self.out_dir, name)) as tmp:
                    cv2.imwrite(tmp, tile)
                files[col] = name
            data.samples.append(Sample(img_id, files, caption(row), row))
        with atomic_write(osp.join(self.out_dir, 'report.json')) as tmp:
            with open(tmp, 'w') as f:
                json.dump(data.to_json(), f, indent=2)
        with atomic_write(osp.join(self.out_dir, 'index.html')) as tmp:
            with open(tmp, 'w') as f:
                f.write(render_html(data))
        return osp.join(self.out_dir, 'index.html')


def write_report(work_dir, paths, class_names, manifest=None, num_samples=8,
                 info=None):
    """Write ``<work_dir>/report``; see :class:`ReportWriter`."""
    return ReportWriter(work_dir, paths, class_names,
                        num_samples=num_samples, info=info).write(manifest)
