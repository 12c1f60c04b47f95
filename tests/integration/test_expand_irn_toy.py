"""IRN's expansion end to end on tiny toy data: relation labels from CAMs,
a few iterations of the toy relation network with tools/train.py, random
walk of the CAMs -> pseudo-labels (files, values, resume); the same as the
expand stage of a pipeline (``expand.method='irn'``)."""
import glob
import json
import re
import os.path as osp

import cv2
import numpy as np
import pytest

from mmwsss.expand import (RandomWalkSettings, RelationLabelSettings,
                           make_relation_labels, propagate_cams)
from mmwsss.utils import load_label_png, read_image_list, save_cam_npz

from conftest import REPO, run_tool

CONFIG = osp.join(REPO, 'configs/irn/irn_r18-w16_1xb8-10e_toy-160x160.py')


def _fake_cams(voc, ids, out):
    """CAM-like maps from the masks: each present class blurred and eroded
    (a seed smaller and softer than the object), peak 1."""
    for img_id in ids:
        gt = load_label_png(osp.join(voc, 'SegmentationClassAug',
                                     img_id + '.png'))
        keys = np.array([c - 1 for c in np.unique(gt) if 0 < c < 255])
        cams = []
        for k in keys:
            m = (gt == k + 1).astype(np.float32)
            m = cv2.erode(m, np.ones((5, 5), np.uint8))
            m = cv2.GaussianBlur(m, (0, 0), 4)
            cams.append(m / max(m.max(), 1e-5))
        cams = np.stack(cams) if cams else np.zeros((0, ) + gt.shape)
        save_cam_npz(osp.join(out, img_id + '.npz'), keys, cams)


def test_irn_stage_on_toy(toy_root, tmp_path):
    voc = osp.join(toy_root, 'VOC2012')
    img_dir = osp.join(voc, 'JPEGImages')
    seg = osp.join(voc, 'ImageSets', 'Segmentation')
    train_aug = read_image_list(osp.join(seg, 'train_aug.txt'))
    train = read_image_list(osp.join(seg, 'train.txt'))
    cam_dir, rel_dir = str(tmp_path / 'cams'), str(tmp_path / 'ir_labels')
    _fake_cams(voc, train_aug, cam_dir)

    # 1. relation labels (with PAR), one file per image, settings recorded
    res = make_relation_labels(train_aug, cam_dir, img_dir, rel_dir,
                               RelationLabelSettings(refine='par',
                                                     par_iters=3))
    assert res['num_images'] == len(train_aug) and res['done'] == 0
    assert len(glob.glob(osp.join(rel_dir, '*.png'))) == len(train_aug)
    with open(osp.join(rel_dir, 'expand_settings.json')) as f:
        assert json.load(f)['settings']['relation_fg_thr'] == 0.30
    agree = total = 0
    for img_id in train_aug:
        rel = load_label_png(osp.join(rel_dir, img_id + '.png'))
        gt = load_label_png(osp.join(voc, 'SegmentationClassAug',
                                     img_id + '.png'))
        known = (rel != 255) & (gt != 255)
        agree += int((rel[known] == gt[known]).sum())
        total += int(known.sum())
        assert set(np.unique(rel)) <= set(np.unique(gt)) | {255}
    assert total > 0 and agree / total > 0.9      # confident pixels right

    # 2. the relation network, a few iterations through tools/train.py
    work = tmp_path / 'irn'
    run_tool('tools/train.py', CONFIG, '--work-dir', work, '--cfg-options',
             f'train_dataloader.dataset.data_root={voc}',
             f'train_dataloader.dataset.data_prefix.seg_map_path={rel_dir}',
             'train_cfg.max_epochs=1', 'default_hooks.checkpoint.interval=1',
             # no stage-1 checkpoint here: a frozen random backbone
             'model.backbone.init_cfg=None',
             timeout=240)
    ckpt = str(work / 'epoch_1.pth')
    assert osp.isfile(ckpt)

    # 3. random walk of the CAMs -> pseudo-labels, resumable
    out = str(tmp_path / 'pseudo_irn')
    res = propagate_cams(train, cam_dir, img_dir, out, CONFIG, ckpt,
                         RandomWalkSettings())
    assert res['num_images'] == len(train) and res['done'] == 0
    for img_id in train:
        lab = load_label_png(osp.join(out, img_id + '.png'))
        gt = load_label_png(osp.join(voc, 'SegmentationClassAug',
                                     img_id + '.png'))
        assert lab.shape == gt.shape
        assert set(np.unique(lab)) <= set(np.unique(gt)) | {0}
    again = propagate_cams(train, cam_dir, img_dir, out, CONFIG, ckpt)
    assert again['done'] == len(train)


def test_irn_expand_stage_through_the_pipeline(toy_root, tmp_path):
    """``expand.method='irn'`` in a pipeline config: the expand stage runs
    relation labels -> tools/train.py (relation network) -> random walk ->
    evaluation through tools/run_pipeline.py (CAMs from blurred masks, no
    classifier), its mIoU (manifest) equals mmseg's IoUMetric on the
    PNGs, and a second run skips it."""
    import torch
    from mmseg.evaluation import IoUMetric
    voc = osp.join(toy_root, 'VOC2012')
    seg = osp.join(voc, 'ImageSets', 'Segmentation')
    train_aug = read_image_list(osp.join(seg, 'train_aug.txt'))
    train = read_image_list(osp.join(seg, 'train.txt'))
    work = tmp_path / 'work'
    _fake_cams(voc, train_aug, str(work / 'cams'))
    # the cam stage's sweep (the toy's relation / walk thresholds are
    # relative to its best threshold)
    (work / 'cam_eval.json').write_text(json.dumps(dict(best_threshold=0.2)))
    tiny = osp.join(REPO, 'tests', 'data', 'configs', 'toy_pipeline_tiny.py')
    args = ['tools/run_pipeline.py', tiny, '--work-dir', work, '--stages',
            'expand', '--cfg-options', f'data.toy.out={toy_root}',
            f'data.voc_root={voc}', f'data.duts_root={toy_root}/DUTS',
            'expand.method=irn', 'expand.backbone_from_classify=False',
            # no ImageNet weights needed here: a frozen random backbone
            'expand.cfg_options.model.backbone.init_cfg=None',
            'expand.cfg_options.train_cfg.max_epochs=1',
            'expand.cfg_options.default_hooks.checkpoint.interval=1',
            'expand.walk.exp_times=4']
    run_tool(*args, timeout=600)

    rel = glob.glob(str(work / 'relation_labels' / '*.png'))
    assert len(rel) == len(train_aug)
    assert osp.isfile(work / 'expand_model' / 'epoch_1.pth')
    with open(work / 'pseudo_cam' / 'expand_settings.json') as f:
        record = json.load(f)
    assert record['step'] == 'random_walk'
    assert record['settings']['exp_times'] == 4
    assert record['settings']['beta'] == 10
    # thresholds relative to the sweep's best (0.2): best+0.2, best-0.2
    # (clipped at 0), best+0.1
    assert record['settings']['walk_bg_thr'] == pytest.approx(0.3)
    with open(work / 'relation_labels' / 'expand_settings.json') as f:
        relation = json.load(f)['settings']
    assert relation['relation_fg_thr'] == pytest.approx(0.4)
    assert relation['relation_bg_thr'] == 0.0 and relation['refine'] == 'none'
    assert record['checkpoint'].endswith('epoch_1.pth')
    assert len(glob.glob(str(work / 'pseudo_cam' / '*.png'))) == \
        len(train_aug)

    manifest = json.load(open(work / 'manifest.json'))['stages']['expand']
    assert manifest['status'] == 'done'
    # reference: mmseg's IoUMetric over the train split's PNGs
    areas = []
    for img_id in train:
        pred = load_label_png(str(work / 'pseudo_cam' / (img_id + '.png')))
        gt = load_label_png(osp.join(voc, 'SegmentationClassAug',
                                     img_id + '.png'))
        areas.append(IoUMetric.intersect_and_union(
            torch.from_numpy(pred.astype(np.int64)),
            torch.from_numpy(gt.astype(np.int64)), 7, 255))
    total = [sum(a[i] for a in areas) for i in range(4)]
    iou = (total[0] / total[1]).numpy()
    assert np.isclose(manifest['metrics']['mIoU'], np.nanmean(iou),
                      atol=1e-6)

    report = json.load(open(work / 'report' / 'report.json'))
    assert report['stages']['expand']['metrics']['method'] == 'irn'
    page = open(work / 'report' / 'index.html').read()
    assert re.search(r'<td>expand \(irn\)</td><td>done</td><td class="n">'
                     r'[^<]*</td><td>mIoU [\d.]+ %, pixel accuracy ', page)
    assert f'mIoU {100 * manifest["metrics"]["mIoU"]:.1f} %' in page

    proc = run_tool(*args, timeout=300)
    assert re.search(r'\[\d+/\d+ expand\] up to date, skipped',
                     proc.stdout + proc.stderr)


def test_irn_expand_stage_commands_of_the_toy_pipeline(tmp_path):
    """The toy pipeline's expand stage (``method='irn'``): relation labels
    -> the relation network's training (on its own ImageNet backbone; with
    ``backbone_from_classify``, on stage 1's last checkpoint, resolved when
    the step starts) -> random walk with the relation network's last
    checkpoint -> evaluation, each a step of ``mmwsss.stages.expand``; a
    bad walk value stops the pipeline before any stage."""
    from mmengine.config import Config

    from mmwsss.pipeline.wsss_stages import build_wsss_stages
    cfg = Config.fromfile(osp.join(REPO, 'configs/pipelines/toy_pipeline.py'))
    cfg.work_dir = str(tmp_path)
    assert cfg.expand.method == 'irn'
    assert not cfg.expand.backbone_from_classify
    cfg.merge_from_dict({'expand.cfg_options': {'train_cfg.max_epochs': 2}})
    train = json.load(open(str({s.name: s for s in build_wsss_stages(cfg)[0]}
                               ['expand'].commands[1][2])))
    assert not any('init_cfg' in k for k in train['settings']['cfg_options'])
    cfg.merge_from_dict({'expand.backbone_from_classify': True})
    stages, wd, _ = build_wsss_stages(cfg)
    expand = {s.name: s for s in stages}['expand']
    assert all(c[:2] == ['-m', 'mmwsss.stages.expand']
               for c in expand.commands)
    (tmp_path / 'classify').mkdir()
    (tmp_path / 'classify' / 'last_checkpoint').write_text('/c/epoch_2.pth')
    (tmp_path / 'expand_model').mkdir()
    (tmp_path / 'expand_model' / 'last_checkpoint').write_text('/e/ep.pth')
    relation, train, walk, evaluate = (
        json.load(open(str(c[2]))) for c in expand.commands)
    assert (relation['step'], relation['args']) == (
        'expand', dict(step='relation'))
    assert relation['settings']['out'] == wd.expand_relation
    config = osp.join(REPO, cfg.expand.config)
    assert train['step'] == 'train'
    assert train['settings']['config'] == config
    assert train['settings']['work_dir'] == wd.expand_model
    assert train['settings']['cfg_options'] == {
        'train_dataloader.dataset.data_root': osp.abspath(cfg.data.voc_root),
        'train_dataloader.dataset.data_prefix.seg_map_path':
        wd.expand_relation, 'train_cfg.max_epochs': 2,
        'model.backbone.init_cfg.checkpoint': '/c/epoch_2.pth'}
    assert walk['args'] == dict(step='walk', checkpoint='/e/ep.pth')
    assert walk['settings']['out'] == wd.expand
    assert walk['settings']['walk'] == dict(cfg.expand.walk)
    assert (evaluate['step'], evaluate['settings']['pred_dir']) == (
        'eval', wd.expand)
    assert expand.config_files == [config]
    assert set(expand.outputs) >= {wd.expand_relation, wd.expand_model,
                                   wd.expand}

    cfg.merge_from_dict({'expand.walk.radius': 0})
    with pytest.raises(ValueError, match='expand settings: walk=.*radius'):
        build_wsss_stages(cfg)
