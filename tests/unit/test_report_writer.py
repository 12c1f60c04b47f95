"""The pipeline report on a tiny fake work dir: where it came from,
headline in percent, readable metric names with one precision, charts with
a sentence each, one captioned row of equal tiles per sample, the colour
legend and the CAM colour bar, timings and paths only in report.json."""
import html
import json
import re

import cv2
import numpy as np
import pytest

from mmwsss.pipeline import report_charts
from mmwsss.pipeline.report_writer import (COLUMNS, ReportWriter, caption,
                                           write_report)
from mmwsss.selector.audit_log import decision_row, format_row, header_line
from mmwsss.utils.io import (VOC_PALETTE, save_cam_npz, save_grey_png,
                             save_label_png)

NAMES = ('background', 'ball', 'box')
H, W = 24, 32


def _decisions():
    return [
        dict(id='a', **{'class': 1}, iou=0.625, n_c=0.8125, salient=True,
             alpha=0.71875, decision='fused', changed=40),
        dict(id='b', **{'class': 2}, iou=0.1, n_c=0.5, salient=False,
             alpha=0.0, decision='kept', changed=0),
        dict(id='c', **{'class': 2}, iou=0.7, n_c=0.5, salient=False,
             alpha=1.0, decision='replaced', changed=12),
        dict(id='d', **{'class': -1}, decision='multi-class', changed=0),
        dict(id='e', **{'class': 1}, iou=0.9, n_c=0.8125, salient=True,
             alpha=0.85, decision='fused', changed=3),   # no prediction
    ]


def _table3():
    rows = [dict(name=f'{a:g}', alpha=a, mIoU=m, paper=dict(mIoU=p)) for
            a, m, p in ((0.0, 0.30, 0.7757), (0.5, 0.36, 0.7915),
                        (1.0, 0.29, 0.7813))]
    rows += [dict(name='alpha* (soft, tau=0.5)', alpha=None, mIoU=0.345),
             dict(name='Algorithm 1 (hard)', alpha=None, mIoU=0.333)]
    return rows


def _manifest(old_names=False):
    iou_before = dict(background=0.8, ball=0.2, box=None)
    iou_after = dict(background=0.85, ball=0.25, box=0.1)
    sweep = [dict(threshold=t, mIoU=m) for t, m in
             ((0.05, 0.20), (0.10, 0.254), (0.15, 0.22))]
    names = dict(saliency='sod', select='fuse',
                 segment_expand='segment_cam',
                 segment_select='segment_fused') if old_names else {}
    stages = dict(
        data=dict(metrics={}),
        classify=dict(metrics={'multi-label/mAP': 87.3}),
        cam=dict(metrics=dict(mIoU=0.254, best_threshold=0.10, sweep=sweep,
                              IoU=iou_before)),
        expand=dict(metrics=dict(mIoU=0.30, Acc=0.777, IoU=iou_before)),
        saliency=dict(metrics=dict(MAE=0.036)),
        select=dict(metrics=dict(mIoU=0.333, Acc=0.79, IoU=iou_after)),
        segment_expand=dict(metrics=dict(mIoU=28.56, aAcc=80.1)),
        segment_select=dict(metrics=dict(mIoU=30.12, aAcc=81.0)))
    out = {}
    for k, v in stages.items():
        out[names.get(k, k)] = dict(v, seconds=123.4, status='done',
                                    outputs=[f'/w/{k}_out'])
    return dict(stages=out)


@pytest.fixture
def fake(tmp_path):
    """A work dir with five images, their stage outputs and logs."""
    rng = np.random.default_rng(0)
    d = {k: tmp_path / k for k in (
        'img', 'gt', 'cams', 'sal', 'expand', 'fused', 'pred', 'pred_exp')}
    for p in d.values():
        p.mkdir()
    for img_id in 'abcde':
        cv2.imwrite(str(d['img'] / f'{img_id}.jpg'),
                    rng.integers(0, 255, (H, W, 3), dtype=np.uint8))
        label = np.zeros((H, W), np.uint8)
        label[6:18, 8:24] = 1
        for key in ('gt', 'expand', 'fused'):
            save_label_png(str(d[key] / f'{img_id}.png'), label)
        save_grey_png(str(d['sal'] / f'{img_id}.png'), label * 255)
        save_cam_npz(str(d['cams'] / f'{img_id}.npz'), np.array([0, 1]),
                     rng.random((2, H, W), dtype=np.float32))
        if img_id != 'e':
            save_label_png(str(d['pred'] / f'{img_id}.png'), label)
            save_label_png(str(d['pred_exp'] / f'{img_id}.png'), label * 2)
    log = tmp_path / 'fused' / 'selector_log.csv'
    log.write_text(header_line() + ''.join(
        format_row(decision_row(x, NAMES[1:])) for x in _decisions()))
    sweep = tmp_path / 'selector_sweep.json'
    sweep.write_text(json.dumps(dict(table3=_table3(), blend=[
        dict(name=f'{w:g}', weight=w, mIoU=m) for w, m in
        ((0.0, 0.29), (0.5, 0.33), (1.0, 0.35))])))
    paths = dict(img_dir=str(d['img']), gt_dir=str(d['gt']),
                 cam_dir=str(d['cams']), sal_dir=str(d['sal']),
                 pseudo_cam_dir=str(d['expand']),
                 pseudo_fused_dir=str(d['fused']), selector_log=str(log),
                 pred_dir=str(d['pred']), pred_expand_dir=str(d['pred_exp']),
                 selector_sweep=str(sweep))
    return tmp_path, paths


def _is_png(path, min_side=50):
    img = cv2.imread(str(path))
    assert img is not None, f'{path}: not an image'
    assert min(img.shape[:2]) >= min_side
    assert img.std() > 0, f'{path}: blank'
    return img


def test_report_headline_charts_grid_and_json(fake):
    work, paths = fake
    index = write_report(str(work), paths, NAMES, manifest=_manifest(),
                         num_samples=8, info=dict(
                             config='configs/pipelines/x.py',
                             seed=dict(data=3, training=3),
                             pred_split='train'))
    rep = work / 'report'
    assert index == str(rep / 'index.html')
    page = open(index).read()
    data = json.load(open(rep / 'report.json'))

    # headline in percent: expanded 0.30 -> fused 0.333, segmenter 28.56
    # (mmseg, already percent) -> 30.12
    assert data['headline'] == dict(
        pseudo_label_mIoU=dict(without_selector=30.0, with_selector=33.3,
                               change_points=3.3),
        segmenter_mIoU=dict(without_selector=28.56, with_selector=30.12,
                            change_points=1.56))
    for text in ('30.0 %', '33.3 %', '+3.3 points', '28.6 %',
                 '30.1 %', '+1.6 points'):
        assert text in page, text
    # where it came from: config, seed, commit, machine, date
    info = data['info']
    assert info['config'] == 'configs/pipelines/x.py' and info['date']
    for text in ('config <code>configs/pipelines/x.py</code>',
                 'seed <code>data 3, training 3</code>',
                 f'date <code>{info["date"]}</code>',
                 f'machine <code>{info["machine"]}</code>', 'commit <code>'):
        assert text in page, text
    assert page.index('class="info"') < page.index('Did the selector')
    # metric names as a person reads them, percent with one decimal
    assert 'multi-label/' not in page and 'aAcc' not in page
    for text in ('mAP 87.3 %', 'pixel accuracy 77.7 %', 'mIoU 25.4 %',
                 'best background threshold 0.10', 'MAE 3.6 %',
                 'pixel accuracy 80.1 %', '123 s'):
        assert text in page, text
    assert not re.search(r'\d\.\d\d %', page)
    # each stage's headline metrics first
    assert '<td>mIoU 25.4 %, best background threshold 0.10</td>' in page
    assert '<td>mAP 87.3 %</td>' in page
    assert page.index('Did the selector help?') < page.index('<h2>Stages')

    # one entry per stage with its metrics; mIoU for the label/segmenter ones
    assert list(data['stages']) == ['data', 'classify', 'cam', 'expand',
                                    'saliency', 'select', 'segment_expand',
                                    'segment_select']
    for s in ('expand', 'select', 'segment_expand', 'segment_select'):
        assert 'mIoU' in data['stages'][s]['metrics']
    # timings and paths in the JSON only
    assert data['stages']['cam']['seconds'] == 123.4
    assert data['inputs']['img_dir'] == paths['img_dir']
    assert data['stages']['cam']['outputs'] == ['/w/cam_out']
    assert '123.4' not in page and str(work) not in page
    assert '/w/' not in page

    # charts: files exist, are drawn, are referenced, and hold the numbers
    for name in ('per_class_iou.png', 'alpha_sweep.png', 'blend_sweep.png',
                 'cam_threshold_sweep.png'):
        _is_png(rep / name)
        assert f'src="{name}"' in page
    charts = data['charts']
    assert charts['per_class_iou']['classes'] == list(NAMES)
    assert charts['per_class_iou']['before'] == [0.8, 0.2, None]
    assert charts['per_class_iou']['after'] == [0.85, 0.25, 0.1]
    assert charts['alpha_sweep']['alphas'] == [0.0, 0.5, 1.0]
    assert charts['alpha_sweep']['alpha_star'] == 0.345
    assert charts['alpha_sweep']['hard'] == 0.333
    assert charts['alpha_sweep']['paper_mIoU'] == [0.7757, 0.7915, 0.7813]
    assert charts['blend_sweep']['weights'] == [0.0, 0.5, 1.0]
    assert charts['blend_sweep']['mIoU'] == [0.29, 0.33, 0.35]
    assert charts['cam_threshold_sweep']['best_threshold'] == 0.10
    # a sentence under each chart, from its numbers
    notes = {k: c['note'] for k, c in charts.items()}
    assert notes['per_class_iou'].startswith(
        'The selector raised the IoU of 2 of 2 classes and lowered it for 0')
    assert notes['alpha_sweep'].startswith(
        'Best fixed threshold α = 0.5: 36.0 %; the expanded labels (α = 1): '
        '29.0 %; α* rule 34.5 %, hard rule 33.3 %. A fixed threshold beats '
        'both rules here, by 1.5 points over the α* rule.')
    assert notes['blend_sweep'] == ('Best blend weight w = 1: 35.0 %; w = 0 '
                                    '(the expanded labels): 29.0 %.')
    assert notes['cam_threshold_sweep'] == (
        'Best background threshold 0.10: CAM mIoU 25.4 %; swept 0.05 to '
        '0.15. The best value lies inside the sweep.')
    assert page.count('<p class="note">') == 4
    for note in notes.values():
        assert html.escape(note) in page

    # the grid: images with predictions only (not e), changed ones first,
    # one captioned row per sample, every column a tile
    ids = [s['id'] for s in data['samples']]
    assert sorted(ids) == ['a', 'b', 'c', 'd']
    assert set(ids[:2]) == {'a', 'c'}
    assert page.count('<tr class="sample">') == 4
    assert page.count('class="cap"') == 4
    for s in data['samples']:
        assert list(s['tiles']) == [k for k, _ in COLUMNS]
        for name in s['images']:  # equal square tiles
            tile = cv2.imread(str(rep / name))
            assert tile.shape[:2] == (128, 128)
        assert page.count('width="128" height="128"') == \
            sum(len(s['images']) for s in data['samples'])
    cap = {s['id']: s['caption'] for s in data['samples']}
    assert cap['a'] == 'ball: o = 0.62, n_c = 0.81, α* = 0.72 → fused'
    assert cap['c'] == 'box: o = 0.70, n_c = 0.50, α* = 1.00 → replaced'
    assert cap['d'] == 'multi-class: not single-class, untouched'
    for text in cap.values():
        assert text in page
    for key, header in COLUMNS:
        assert f'<th>{header}' in page
        if key.startswith('pred'):  # the segmenter tiles say their split
            assert f'<th>{header} (train image)</th>' in page
    # the CAM column's colour bar, 0 to 1
    cam_head = page[page.index('<th>CAM of the class'):]
    cam_head = cam_head[:cam_head.index('</th>')]
    assert '<i class="cbar"></i>' in cam_head and '<span>1</span>' in \
        cam_head
    assert 'predictions on these train images' in page
    # the colour legend: every class and the ignore value, palette colours
    legend = page[page.index('class="legend"'):]
    legend = legend[:legend.index('</p>')]
    for i, name in enumerate(NAMES):
        r, g, b = VOC_PALETTE[i]
        assert f'rgb({r},{g},{b})"></i>{name}</span>' in legend
    assert 'ignore (255)' in legend
    # the fused-label tile is the palette colour of class 1
    tile = cv2.imread(str(rep / 'img' / 'a_select.png'))
    assert tuple(tile[64, 64][::-1]) == tuple(VOC_PALETTE[1])
    # selector decisions per class, in counts and percent
    assert data['selector_per_class'] == {
        'ball': dict(single=2, replaced=2), 'box': dict(single=2,
                                                        replaced=1)}
    assert '1 (50 %)' in page


def test_report_reads_old_stage_names_and_missing_inputs(fake):
    """A manifest with the stages' former names (fuse, segment_fused, ...)
    gives the same headline; without the optional inputs the report leaves
    their parts out."""
    work, paths = fake
    (work / 'manifest.json').write_text(json.dumps(_manifest(True)))
    minimal = dict(img_dir=paths['img_dir'], gt_dir=paths['gt_dir'],
                   selector_log=paths['selector_log'], sod_dir='/w/sod')
    ReportWriter(str(work), minimal, NAMES, num_samples=2).write()
    rep = work / 'report'
    data = json.load(open(rep / 'report.json'))
    assert data['headline']['segmenter_mIoU']['change_points'] == 1.56
    assert 'segment_fused' in data['stages']
    assert data['ignored_inputs'] == ['sod_dir']
    assert not (rep / 'alpha_sweep.png').exists()
    # the CAM sweep comes from the manifest's cam metrics
    assert (rep / 'cam_threshold_sweep.png').is_file()
    assert len(data['samples']) == 2
    page = open(rep / 'index.html').read()
    assert 'not available' in page      # no saliency, CAM, labels
    with pytest.raises(ValueError, match='gt_dir'):
        ReportWriter(str(work), dict(img_dir='x'), NAMES)


def test_caption_of_each_decision():
    def row(**kw):
        base = dict(id='x', **{'class': '1'}, class_name='ball', iou='0.5000',
                    n_c='0.7000', salient='1', alpha='0.6000',
                    decision='fused', changed='3')
        base.update(kw)
        return base

    assert caption(row()) == 'ball: o = 0.50, n_c = 0.70, α* = 0.60 → fused'
    assert caption(row(n_c='', alpha='0.0000', decision='kept')) == \
        'ball: o = 0.50, n_c = –, α* = 0.00 → kept'
    assert caption(row(decision='empty-saliency', iou='')) == \
        'ball: empty saliency map, untouched'
    assert caption(None) == 'not in the selector log'


def test_charts_validate_their_inputs(tmp_path):
    path = str(tmp_path / 'c.png')
    with pytest.raises(ValueError, match='2 classes but 1'):
        report_charts.per_class_iou_chart(path, ['a', 'b'], [0.1], [0.2])
    with pytest.raises(ValueError, match='alphas'):
        report_charts.alpha_sweep_chart(path, [0, 1], [0.3])
    with pytest.raises(ValueError, match='thresholds'):
        report_charts.threshold_sweep_chart(path, [], [])
    report_charts.threshold_sweep_chart(path, [0.1, 0.2], [0.3, 0.4],
                                        best=0.2)
    _is_png(path)


def test_pipeline_seed_from_options_then_config_files():
    from mmengine.config import Config

    from mmwsss.pipeline.run_info import pipeline_seed

    # the toy CAM config sets randomness = dict(seed=0) itself
    cam_cfg = 'configs/cam/cam_r18-w16-s16_1xb8-60e_toy-160x160.py'
    cfg = Config(dict(
        data=dict(toy=dict(seed=4)), classify=dict(config=cam_cfg),
        saliency=dict(config=cam_cfg, cfg_options={'randomness.seed': 7}),
        segment=dict(config='no/such.py',
                     cfg_options=dict(randomness=dict(seed=5)))))
    assert pipeline_seed(cfg) == {'toy data': 4, 'classify': 0,
                                  'saliency': 7, 'segment': 5}
    cfg.segment.cfg_options = None   # a config that does not load
    assert pipeline_seed(cfg)['segment'] == 'not set'
