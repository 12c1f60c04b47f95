"""The pipeline report: ``<work_dir>/report/index.html`` + ``report.json``.

One table per stage with its metrics, the selector's decisions per class,
and a picture grid for sample images (image, CAM heatmap, saliency,
pseudo-label before and after the selector, ground truth, final prediction).
"""
import html
import json
import os
import os.path as osp

import cv2
import numpy as np

from mmwsss.selector.audit_log import label_changed, read_rows
from mmwsss.utils.io import (VOC_PALETTE, atomic_write, load_cam_npz,
                             load_grey_png, load_label_png)

COLUMNS = ('image', 'CAM', 'saliency', 'pseudo (CAM)', 'pseudo (fused)',
           'ground truth', 'prediction (fused)')


def _fmt(v):
    if isinstance(v, float):
        return f'{v:.4f}'
    return html.escape(str(v))


def _table(rows, header):
    out = ['<table><tr>' + ''.join(f'<th>{html.escape(h)}</th>'
                                   for h in header) + '</tr>']
    for row in rows:
        out.append('<tr>' + ''.join(f'<td>{_fmt(v)}</td>' for v in row)
                   + '</tr>')
    out.append('</table>')
    return '\n'.join(out)


def _colorize(label):
    return VOC_PALETTE[label][..., ::-1]  # RGB palette -> BGR for cv2


def _heatmap(cam):
    cam8 = (np.clip(cam, 0, 1) * 255).astype(np.uint8)
    return cv2.applyColorMap(cam8, cv2.COLORMAP_JET)


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


class ReportWriter:
    """Write the report of one pipeline run.

    Args:
        work_dir (str): the pipeline work dir (holds ``manifest.json``).
        paths (dict): folders of the stage outputs: ``img_dir``, ``gt_dir``,
            ``cam_dir``, ``sal_dir``, ``pseudo_cam_dir``, ``pseudo_fused_dir``,
            ``pred_dir`` (predictions of the segmenter on the samples),
            ``selector_log``.
        class_names (sequence[str]): names, background first.
    """

    def __init__(self, work_dir, paths, class_names, num_samples=8):
        self.work_dir = work_dir
        self.paths = paths
        self.class_names = list(class_names)
        self.num_samples = num_samples
        self.out_dir = osp.join(work_dir, 'report')

    def _pick_samples(self):
        """Replaced single-class images first, then kept ones, then others
        (so the grid shows where the selector acted and where it did not)."""
        log = self.paths.get('selector_log')
        replaced, kept = [], []
        if log and osp.isfile(log):
            for row in read_rows(log):
                if row['class']:
                    (replaced if label_changed(row) else kept).append(
                        row['id'])
        gt_dir = self.paths.get('gt_dir')
        # only images the segmenter predicted (the GT split), when it did
        pred_dir = self.paths.get('pred_dir')
        predicted = {osp.splitext(f)[0] for f in os.listdir(pred_dir)} \
            if pred_dir and osp.isdir(pred_dir) else set()
        if predicted:
            replaced = [i for i in replaced if i in predicted]
            kept = [i for i in kept if i in predicted]
        pool = [i for i in replaced[: self.num_samples * 2 // 3] + kept
                if osp.isfile(osp.join(self.paths['pseudo_fused_dir'],
                                       i + '.png'))]
        seen, out = set(), []
        for i in pool:
            if i not in seen and osp.isfile(osp.join(gt_dir, i + '.png')):
                seen.add(i)
                out.append(i)
        return out[:self.num_samples]

    def _tiles(self, img_id, size=128):
        p = self.paths
        img = cv2.imread(osp.join(p['img_dir'], img_id + '.jpg'))
        h, w = img.shape[:2]
        blank = np.full((h, w, 3), 255, np.uint8)
        tiles = [img]
        cam_file = osp.join(p['cam_dir'], img_id + '.npz')
        if osp.isfile(cam_file):
            _, cams = load_cam_npz(cam_file)
            cam = cams.max(0) if len(cams) else np.zeros((h, w))
            tiles.append(cv2.addWeighted(img, 0.4, _heatmap(cam), 0.6, 0))
        else:
            tiles.append(blank)
        sal_file = osp.join(p['sal_dir'], img_id + '.png')
        tiles.append(cv2.cvtColor(load_grey_png(sal_file), cv2.COLOR_GRAY2BGR)
                     if osp.isfile(sal_file) else blank)
        for key in ('pseudo_cam_dir', 'pseudo_fused_dir', 'gt_dir', 'pred_dir'):
            f = osp.join(p.get(key) or '', img_id + '.png')
            tiles.append(_colorize(load_label_png(f)) if osp.isfile(f)
                         else blank)
        scale = size / max(h, w)
        return [cv2.resize(t, (int(w * scale), int(h * scale)),
                           interpolation=cv2.INTER_NEAREST) for t in tiles]

    def write(self, manifest):
        os.makedirs(osp.join(self.out_dir, 'img'), exist_ok=True)
        stages = manifest.get('stages', {})
        selector = read_selector_log(self.paths.get('selector_log'))
        samples = self._pick_samples()
        grid = []
        for img_id in samples:
            names = []
            for col, tile in zip(COLUMNS, self._tiles(img_id)):
                name = f'img/{img_id}_{col.split()[0]}' \
                       f'{"_fused" if "fused" in col else ""}.png'
                with atomic_write(osp.join(self.out_dir, name)) as tmp:
                    cv2.imwrite(tmp, tile)
                names.append(name)
            grid.append(dict(id=img_id, images=names))
        data = dict(stages={k: dict(metrics=v.get('metrics', {}),
                                    seconds=v.get('seconds'),
                                    status=v.get('status'))
                            for k, v in stages.items()},
                    selector_per_class=selector, samples=grid,
                    class_names=self.class_names)
        with atomic_write(osp.join(self.out_dir, 'report.json')) as tmp:
            with open(tmp, 'w') as f:
                json.dump(data, f, indent=2)
        with atomic_write(osp.join(self.out_dir, 'index.html')) as tmp:
            with open(tmp, 'w') as f:
                f.write(self._html(data))
        return osp.join(self.out_dir, 'index.html')

    def _html(self, data):
        parts = ['<!doctype html><html><head><meta charset="utf-8">',
                 '<title>mmwsss pipeline report</title><style>',
                 'body{font-family:sans-serif;margin:2em}',
                 'table{border-collapse:collapse;margin:1em 0}',
                 'td,th{border:1px solid #ccc;padding:4px 8px;'
                 'text-align:right}',
                 '.good{color:#070;font-weight:bold}'
                 '.bad{color:#a00;font-weight:bold}',
                 '</style></head><body><h1>mmwsss pipeline report</h1>']
        parts.append(self._headline(data))
        for name, entry in data['stages'].items():
            metrics = {k: v for k, v in (entry['metrics'] or {}).items()
                       if not isinstance(v, (list, dict))}
            parts.append(f'<h2>{html.escape(name)}</h2><p>status: '
                         f'{entry["status"]}, {entry["seconds"]} s</p>')
            if metrics:
                parts.append(_table(sorted(metrics.items()),
                                    ('metric', 'value')))
        if data['selector_per_class']:
            rows = [(c, v['single'], v['replaced'],
                     v['replaced'] / max(v['single'], 1))
                    for c, v in sorted(data['selector_per_class'].items())]
            parts.append('<h2>Selector decisions (single-class images)</h2>')
            parts.append(_table(rows, ('class', 'single-class images',
                                       'replaced by saliency',
                                       'fraction')))
        if data['samples']:
            parts.append('<h2>Samples</h2><table><tr><th>id</th>' +
                         ''.join(f'<th>{c}</th>' for c in COLUMNS) + '</tr>')
            for s in data['samples']:
                parts.append(f'<tr><td>{html.escape(s["id"])}</td>' + ''.join(
                    f'<td><img src="{n}"></td>' for n in s['images']) +
                    '</tr>')
            parts.append('</table>')
        parts.append('</body></html>')
        return '\n'.join(parts)

    @staticmethod
    def _headline(data):
        st = data['stages']

        def metric(stage, key):
            return (st.get(stage, {}).get('metrics') or {}).get(key)

        rows = []
        for label, a, b in (
                ('pseudo-label mIoU (train)', ('expand', 'mIoU'),
                 ('select', 'mIoU')),
                ('segmenter val mIoU', ('segment_expand', 'mIoU'),
                 ('segment_select', 'mIoU'))):
            va, vb = metric(*a), metric(*b)
            if va is None or vb is None:
                continue
            cls = 'good' if vb > va else 'bad'
            rows.append(f'<tr><td>{label}</td><td>{va:.4f}</td>'
                        f'<td class="{cls}">{vb:.4f}</td>'
                        f'<td class="{cls}">{vb - va:+.4f}</td></tr>')
        if not rows:
            return ''
        return ('<h2>Did the selector help?</h2><table><tr><th></th>'
                '<th>CAM only</th><th>with selector</th><th>change</th></tr>'
                + ''.join(rows) + '</table>')
