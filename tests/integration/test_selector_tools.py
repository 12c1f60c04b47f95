"""Stage 5 through its real tools and transforms, on the toy dataset with
SYNTHETIC stage 1-4 stand-ins (``selector_synthetic.py``): class salience,
offline fusion (parallel, torchrun, resume, audit log), the online
``SelectorFusion`` pipeline (identical labels), the ablation sweep."""
import argparse
import copy
import csv
import os
import os.path as osp
import shutil
import socket

import numpy as np
import pytest

from conftest import REPO, run_tool
from selector_synthetic import make_standins
from mmwsss.evaluation.functional import (confusion_matrix,
                                          scores_from_confusion)
from mmwsss.selector import (CHANGING_DECISIONS, class_salience_norms,
                             image_salience_sample, load_norms)
from mmwsss.selector.class_salience import format_table
from mmwsss.stages.select import run_class_salience, run_select
from mmwsss.stages.select_cli import add_cli_args, settings_from_args
from mmwsss.datasets.voc_layout import TOY_CLASSES, load_cls_labels
from mmwsss.utils.io import (load_grey_png, load_label_png, read_image_list,
                             save_grey_png)

SPLIT = 'train_aug'
NUM = len(TOY_CLASSES)


def select_main(argv, salience=False, **extra):
    """What ``tools/run_select.py`` (or, with ``salience``,
    ``tools/class_salience.py``) does with ``argv``, through the package:
    the flags of :func:`mmwsss.stages.select_cli.add_cli_args` -> settings ->
    stage function."""
    parser = argparse.ArgumentParser()
    add_cli_args(parser)
    parser.add_argument('--norms')
    parser.add_argument('--out', required=True)
    parser.add_argument('--log')
    args = parser.parse_args([str(a) for a in argv])
    if salience:
        data, _ = run_class_salience(settings_from_args(args, norms=args.out))
        print(format_table(data, 0.6))
        return data
    return run_select(settings_from_args(args, norms=args.norms,
                                         out=args.out, log=args.log,
                                         **extra))


def read_log(path):
    with open(path, newline='') as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope='module')
def stage(toy_root, tmp_path_factory):
    """Stand-in stage 1-4 outputs, the norms (via the real tool) and the
    offline hard-mode fusion (via the real tool, 2 worker processes)."""
    voc = osp.join(toy_root, 'VOC2012')
    work = str(tmp_path_factory.mktemp('selector'))
    cams, pseudo, sal = make_standins(voc, SPLIT, work, TOY_CLASSES[1:])
    norms = osp.join(work, 'class_salience.json')
    import contextlib
    import io
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        select_main(['--data-root', voc, '--split', SPLIT,
                     '--pseudo-dir', pseudo, '--sal-dir', sal,
                     '--out', norms, '--nproc', 2], salience=True)
    hard = osp.join(work, 'pseudo_fused')
    run_tool('tools/run_select.py', '--data-root', voc, '--split',
             SPLIT, '--pseudo-dir', pseudo, '--sal-dir', sal, '--norms',
             norms, '--out', hard, '--nproc', 2)
    ids = read_image_list(osp.join(voc, 'ImageSets', 'Segmentation',
                                   f'{SPLIT}.txt'))
    return dict(voc=voc,
                work=work,
                cams=cams,
                pseudo=pseudo,
                sal=sal,
                norms=norms,
                hard=hard,
                ids=ids,
                salience_stdout=buf.getvalue())


def common_args(stage):
    return ['--data-root', stage['voc'], '--split', SPLIT, '--pseudo-dir',
            stage['pseudo'], '--sal-dir', stage['sal'], '--norms',
            stage['norms']]


def test_class_salience_tool_matches_core(stage):
    cls = load_cls_labels(osp.join(stage['voc'], 'cls_labels.npy'))
    samples = []
    for img_id in stage['ids']:
        s = image_salience_sample(
            load_label_png(osp.join(stage['pseudo'], f'{img_id}.png')),
            load_grey_png(osp.join(stage['sal'], f'{img_id}.png')),
            cls[img_id])
        if s is not None:
            samples.append(s)
    ref = class_salience_norms([s[0] for s in samples],
                               [s[1] for s in samples], NUM - 1)
    data = load_norms(stage['norms'])
    assert data['class_names'] == list(TOY_CLASSES[1:])
    assert data['image_count'] == ref['image_count']
    assert sum(ref['image_count']) == len(samples) > 5
    np.testing.assert_allclose(
        [np.nan if n is None else n for n in data['norms']],
        [np.nan if n is None else n for n in ref['norms']], rtol=1e-9)
    assert max(n for n in data['norms'] if n is not None) == 1.0
    # the printed table: one row per class with n_c and salient or not
    for name in TOY_CLASSES[1:]:
        assert f'| {name} |' in stage['salience_stdout']


def _online_labels(stage, pseudo_dir, **fusion):
    """Labels after the online pipeline of the stage-6 base config, cut
    right after SelectorFusion (before any geometric augmentation)."""
    import mmwsss.mm_components  # noqa: F401  (registers, compat fixes)
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmseg.registry import DATASETS
    cfg = Config.fromfile(osp.join(
        REPO, 'configs', '_base_', 'datasets',
        'voc12aug_pseudo_fused_online.py'))
    ds = copy.deepcopy(cfg.train_dataloader.dataset)
    ds.data_root = stage['voc']
    ds.ann_file = f'ImageSets/Segmentation/{SPLIT}.txt'
    ds.data_prefix.seg_map_path = pseudo_dir
    ds.metainfo = dict(classes=TOY_CLASSES)
    pipeline = []
    for t in ds.pipeline:
        if t['type'] == 'LoadSaliencyMap':
            t['sal_dir'] = stage['sal']
        elif t['type'] == 'LoadImageLevelLabel':
            t['cls_labels_file'] = osp.join(stage['voc'], 'cls_labels.npy')
        elif t['type'] == 'SelectorFusion':
            t['norms_file'] = stage['norms']
            t.update(fusion)
        pipeline.append(t)
        if t['type'] == 'SelectorFusion':
            break
    assert [t['type'] for t in pipeline][-3:] == [
        'LoadSaliencyMap', 'LoadImageLevelLabel', 'SelectorFusion']
    ds.pipeline = pipeline
    init_default_scope('mmseg')
    dataset = DATASETS.build(ds)
    out = {}
    for i in range(len(dataset)):
        res = dataset[i]
        img_id = osp.splitext(osp.basename(res['img_path']))[0]
        out[img_id] = (res['gt_seg_map'], res['selector_decision'])
    return out


def _check_same(stage, out_dir, online, log_path):
    rows = {r['id']: r for r in read_log(log_path)}
    assert list(rows) == stage['ids']                # split order, complete
    assert sorted(online) == sorted(stage['ids'])
    changed = 0
    for img_id in stage['ids']:
        offline = load_label_png(osp.join(out_dir, f'{img_id}.png'))
        label, decision = online[img_id]
        np.testing.assert_array_equal(offline, label, err_msg=img_id)
        row = rows[img_id]
        assert row['decision'] == decision['decision']
        if decision['class'] > 0:
            assert row['class_name'] == TOY_CLASSES[decision['class']]
            if not np.isnan(decision['iou']):
                assert float(row['iou']) == pytest.approx(decision['iou'],
                                                          abs=1e-4)
        changed += decision['decision'] in ('replaced', 'fused')
    decisions = {r['decision'] for r in rows.values()}
    # not vacuous: labels changed, multi-class passed through, and some
    # single-class image the rule looked at was left unchanged
    assert changed > 0 and 'multi-class' in decisions
    assert any(r['class'] and r['decision'] not in CHANGING_DECISIONS
               for r in rows.values())


def test_offline_equals_online_hard(stage):
    online = _online_labels(stage, stage['pseudo'], mode='hard')
    _check_same(stage, stage['hard'], online,
                osp.join(stage['hard'], 'selector_log.csv'))


def test_offline_equals_online_threshold_mode(stage, tmp_path):
    """mode threshold (the paper's Table 3 alpha): the tool and the
    transform agree, and a region is replaced exactly when o >= alpha."""
    out, log = str(tmp_path / 'thr'), str(tmp_path / 'thr_log.csv')
    select_main(common_args(stage) + [
        '--out', out, '--log', log, '--mode', 'threshold', '--alpha', 0.5,
        '--nproc', 0])
    online = _online_labels(stage, stage['pseudo'], mode='threshold',
                            alpha=0.5)
    _check_same(stage, out, online, log)
    for img_id, (_, d) in online.items():
        if d['decision'] in ('kept', 'replaced'):
            assert (d['decision'] == 'replaced') == (d['iou'] >= 0.5)


def test_offline_equals_online_soft_with_cams(stage, tmp_path):
    out = str(tmp_path / 'soft')
    log = str(tmp_path / 'soft_log.csv')
    select_main(common_args(stage) + [
        '--out', out, '--log', log, '--mode', 'soft', '--cam-dir',
        stage['cams'], '--fuse-thr', 0.3, '--tau', 0.45, '--nproc', 0])
    online = _online_labels(stage, stage['pseudo'], mode='soft',
                            cam_dir=stage['cams'], fuse_thr=0.3, tau=0.45)
    _check_same(stage, out, online, log)
    # every weight is the alpha* rule re-derived here from that image's o and
    # n_c: (o + n_c) / 2 where it reaches tau = 0.45, else 0; the rule both
    # blended (0 < alpha < 1) and kept (alpha = 0) images
    alphas = []
    for img_id, (_, d) in online.items():
        if d['decision'] in ('kept', 'fused'):
            mean = (d['iou'] + d['n_c']) / 2
            expected = mean if mean >= 0.45 else 0.0
            assert d['alpha'] == pytest.approx(expected), img_id
            alphas.append(d['alpha'])
    assert any(0 < a < 1 for a in alphas) and any(a == 0 for a in alphas)
    rows = {r['id']: r for r in read_log(log)}
    for img_id, (_, d) in online.items():
        if d['decision'] in ('kept', 'fused'):
            assert float(rows[img_id]['alpha']) == pytest.approx(
                d['alpha'], abs=1e-3)


def test_fuse_resume_log_and_settings_guard(stage, tmp_path):
    out = str(tmp_path / 'fused')
    args = common_args(stage) + ['--out', out, '--nproc', 0]
    select_main(args)
    log = osp.join(out, 'selector_log.csv')
    first_log = open(log).read()
    first = {i: load_label_png(osp.join(out, f'{i}.png'))
             for i in stage['ids']}
    for i in stage['ids']:
        np.testing.assert_array_equal(
            first[i], load_label_png(osp.join(stage['hard'], f'{i}.png')))
    # simulate a kill: 3 outputs missing, the final log not written, a
    # journal holding the rows of only some finished images
    lines = first_log.splitlines(keepends=True)
    os.remove(log)
    with open(log + '.rank0.journal', 'w') as f:
        f.writelines(lines[1:6])
        f.write('toy_x,1,ba')                  # a row cut mid-write
    for i in stage['ids'][-3:]:
        os.remove(osp.join(out, f'{i}.png'))
    stamp = os.stat(osp.join(out, f'{stage["ids"][0]}.png')).st_mtime_ns
    select_main(args)
    assert os.stat(osp.join(out, f'{stage["ids"][0]}.png')).st_mtime_ns == \
        stamp                                  # done images are skipped
    for i in stage['ids']:
        np.testing.assert_array_equal(
            first[i], load_label_png(osp.join(out, f'{i}.png')))
    assert open(log).read() == first_log
    assert not [p for p in os.listdir(out) if p.endswith('.journal')
                or p.startswith('.tmp-')]
    # other settings into the same folder are refused (the manifest of
    # ShardedJob, a ValueError like every stage's), naming the change
    with pytest.raises(ValueError, match=r'other settings.*t0: 0\.4 -> 0\.3'):
        select_main(args + ['--t0', 0.3])
    assert open(log).read() == first_log
    # ... unless overwrite: every label and the whole log are recomputed
    other = ['--mode', 'threshold', '--alpha', 0]
    res = select_main(args + other, overwrite=True)
    assert res['recomputed'] == 0
    new_log = read_log(log)
    assert [r['id'] for r in new_log] == stage['ids']
    assert new_log != read_log(osp.join(stage['hard'], 'selector_log.csv'))
    assert [r['decision'] for r in new_log] != [
        r['decision'] for r in read_log(osp.join(stage['hard'],
                                                 'selector_log.csv'))]
    select_main(args + other)                  # the new settings resume


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_fuse_torchrun_two_ranks(stage, tmp_path):
    out = str(tmp_path / 'dist')
    run_tool('-m', 'torch.distributed.run', '--nproc_per_node', 2,
             '--master_port', _free_port(), 'tools/run_select.py',
             *common_args(stage), '--out', out, '--workers', 0,
             '--launcher', 'pytorch')
    for i in stage['ids']:
        np.testing.assert_array_equal(
            load_label_png(osp.join(out, f'{i}.png')),
            load_label_png(osp.join(stage['hard'], f'{i}.png')))
    assert open(osp.join(out, 'selector_log.csv')).read() == open(
        osp.join(stage['hard'], 'selector_log.csv')).read()


def test_bad_inputs_name_the_file(stage, tmp_path):
    sal = str(tmp_path / 'sal')
    shutil.copytree(stage['sal'], sal)
    victim, small = stage['ids'][1], stage['ids'][2]
    os.remove(osp.join(sal, f'{victim}.png'))
    args = ['--data-root', stage['voc'], '--split', SPLIT, '--pseudo-dir',
            stage['pseudo'], '--sal-dir', sal, '--norms', stage['norms'],
            '--nproc', 0]
    with pytest.raises(FileNotFoundError, match=f'{victim}.png'):
        select_main(args + ['--out', tmp_path / 'a'])
    shutil.copy(osp.join(stage['sal'], f'{victim}.png'), sal)
    save_grey_png(osp.join(sal, f'{small}.png'), np.zeros((5, 7), np.uint8))
    with pytest.raises(RuntimeError, match=rf'{small}.png.*7x5'):
        select_main(args + ['--out', tmp_path / 'b'])

    # the online transforms
    import mmwsss.mm_components  # noqa: F401  (registers components, compat fixes)
    from mmseg.registry import TRANSFORMS
    label = load_label_png(osp.join(stage['pseudo'], f'{small}.png'))
    res = dict(img_path=f'/x/JPEGImages/{small}.jpg', gt_seg_map=label)
    load = TRANSFORMS.build(dict(type='LoadSaliencyMap', sal_dir=sal))
    with pytest.raises(ValueError, match=rf'{small}.png.*7x5'):
        load(dict(res))
    res['img_path'] = '/x/JPEGImages/nope.jpg'
    with pytest.raises(FileNotFoundError, match='nope.png'):
        load(dict(res))
    fusion = TRANSFORMS.build(dict(type='SelectorFusion',
                                   norms_file=stage['norms']))
    with pytest.raises(KeyError, match='LoadSaliencyMap'):
        fusion(dict(res))
    cls = TRANSFORMS.build(dict(type='LoadImageLevelLabel',
                                cls_labels_file=osp.join(stage['voc'],
                                                         'cls_labels.npy')))
    with pytest.raises(KeyError, match="'nope'"):
        cls(dict(res))


def _scores_of(stage, label_dir):
    cm = 0
    for i in stage['ids']:
        cm = cm + confusion_matrix(
            load_label_png(osp.join(stage['voc'], 'SegmentationClassAug',
                                    f'{i}.png')),
            load_label_png(osp.join(label_dir, f'{i}.png')), NUM)
    return scores_from_confusion(cm)


def _mmseg_miou(stage, label_dir):
    """mmseg's IoUMetric on the same files (predicted 255 -> background,
    the project's default policy)."""
    import torch
    from mmseg.evaluation import IoUMetric
    metric = IoUMetric(iou_metrics=['mIoU'])
    metric.dataset_meta = dict(classes=TOY_CLASSES)
    for i in stage['ids']:
        gt = load_label_png(osp.join(stage['voc'], 'SegmentationClassAug',
                                     f'{i}.png'))
        pred = load_label_png(osp.join(label_dir, f'{i}.png')).astype(
            np.int64)
        pred[pred == 255] = 0
        metric.process([], [
            dict(pred_sem_seg=dict(data=torch.from_numpy(pred)[None]),
                 gt_sem_seg=dict(
                     data=torch.from_numpy(gt.astype(np.int64))[None]))
        ])
    return metric.compute_metrics(metric.results)['mIoU'] / 100


def test_sweep_tables(stage, tmp_path):
    # a second "method": the ground truth shrunk by 2 px (any folder works)
    from scipy import ndimage
    other = str(tmp_path / 'eroded')
    os.makedirs(other)
    from PIL import Image
    for i in stage['ids']:
        gt = load_label_png(osp.join(stage['voc'], 'SegmentationClassAug',
                                     f'{i}.png'))
        fg = ndimage.binary_erosion((gt > 0) & (gt < 255), iterations=2)
        # another method's labels, saved as grey (not palette) PNGs
        Image.fromarray(np.where(fg, gt, 0).astype(np.uint8), mode='L').save(
            osp.join(other, f'{i}.png'))
    md, js = str(tmp_path / 'sweep.md'), str(tmp_path / 'sweep.json')
    run_tool('tools/sweep_selector.py', *common_args(stage), '--cam-dir',
             stage['cams'], '--fuse-thr', 0.3, '--baseline-dir',
             f'eroded={other}', '--out-md', md, '--out-json', js,
             '--nproc', 2)
    import json
    result = json.load(open(js))
    t3 = {r['name']: r for r in result['table3']}
    t4 = {(r['method'], r['sod']): r for r in result['table4']}
    assert [r['alpha'] for r in result['table3'][:12]] == [
        0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]
    base = _scores_of(stage, stage['pseudo'])
    hard = _scores_of(stage, stage['hard'])
    for key in ('Acc', 'Acc_class', 'mIoU', 'fwIoU'):
        assert t3['1'][key] == pytest.approx(base[key])
        assert result['blend'][0][key] == pytest.approx(base[key])
        assert t4[('pseudo_cam', False)][key] == pytest.approx(base[key])
        assert t3['Algorithm 1 (hard)'][key] == pytest.approx(hard[key])
        assert t4[('pseudo_cam', True)][key] == pytest.approx(hard[key])
    assert t4[('eroded', False)]['mIoU'] == pytest.approx(
        _scores_of(stage, other)['mIoU'])
    # trusted reference for the metric itself
    assert base['mIoU'] == pytest.approx(_mmseg_miou(stage, stage['pseudo']),
                                         abs=1e-4)
    # alpha is a selection threshold: 1 keeps every label, 0 replaces every
    # single-class region with non-empty saliency
    assert t3['1']['changed_images'] == 0 and t3['0']['changed_images'] > 0
    assert t3['0']['changed_images'] == t3['0']['decisions']['replaced']
    assert 'kept' not in t3['0']['decisions']
    assert t3['0.3']['paper']['mIoU'] == pytest.approx(0.7944)
    # on these (synthetic) inputs the selector improves the CAM labels
    assert t4[('pseudo_cam', True)]['mIoU'] > t4[('pseudo_cam', False)][
        'mIoU']
    text = open(md).read()
    assert '## Table 3 analogue: selection threshold' in text
    assert '## Blend weight' in text and '## Table 4' in text
    assert text.count('\n| ') >= 2 + 14 + 14 + 14 + 1 + 4
