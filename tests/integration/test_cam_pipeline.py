"""Stages 1-3 end to end on the toy data: the toy CAM config trained for a
few iterations through tools/train.py, then tools/run_cam.py (1 process,
2 processes under torchrun, killed and resumed: byte-identical files),
tools/eval_cam.py, tools/run_expand.py, tools/eval_labels.py (the last three
through the package functions they call).
"""
import glob
import json
import os
import os.path as osp
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch
from conftest import REPO, VOC_REAL_MINI, run_tool, tool_env
from PIL import Image

import mmwsss.mm_components  # noqa: F401  (registers components, compat fixes)

from mmwsss.cam import (cam_scores_with_background, pixel_adaptive_refine,
                        scores_to_label)
from mmwsss.utils import load_cam_npz, load_cls_labels, read_image_list
from mmwsss.datasets.voc_layout import TOY_CLASSES

TOY_CFG = 'configs/cam/cam_r18-w16-s16_1xb8-60e_toy-160x160.py'


def make_cams(config, checkpoint, data_root, split, out):
    """Stage cam through the package (what tools/run_cam.py calls)."""
    from mmwsss.stages.cam import CamSettings, run_cam
    return run_cam(CamSettings(config=config, checkpoint=checkpoint,
                               data_root=data_root, split=split,
                               out=str(out)))


def _files(folder, pattern='*.npz'):
    return {osp.basename(p): open(p, 'rb').read()
            for p in sorted(glob.glob(osp.join(folder, pattern)))}


@pytest.fixture(scope='module')
def classifier(toy_root, tmp_path_factory):
    """The toy config trained for one short epoch on the session toy data."""
    work = tmp_path_factory.mktemp('cam_cls')
    voc = osp.join(toy_root, 'VOC2012')
    run_tool('tools/train.py', TOY_CFG, '--work-dir', work, '--cfg-options',
             f'train_dataloader.dataset.data_root={voc}',
             f'val_dataloader.dataset.data_root={voc}',
             f'test_dataloader.dataset.data_root={voc}',
             'train_cfg.max_epochs=1', 'train_cfg.val_interval=1',
             'train_dataloader.batch_size=8', 'train_dataloader.num_workers=0',
             'train_dataloader.persistent_workers=False',
             'val_dataloader.num_workers=0',
             'val_dataloader.persistent_workers=False',
             'default_hooks.logger.interval=1')
    with open(osp.join(work, 'last_checkpoint')) as f:
        ckpt = f.read().strip()
    return str(work), ckpt, voc


@pytest.fixture(scope='module')
def cams(classifier, tmp_path_factory):
    """An uninterrupted single-process cam stage run on the toy train list."""
    _, ckpt, voc = classifier
    out = str(tmp_path_factory.mktemp('cams_ref'))
    make_cams(TOY_CFG, ckpt, voc, 'train', out)
    return out


def test_classifier_validates_with_multilabel_metrics(classifier):
    work, ckpt, _ = classifier
    assert osp.isfile(ckpt)
    scalars = glob.glob(osp.join(work, '*', 'vis_data', 'scalars.json'))
    assert scalars, 'no scalars.json written'
    val = [json.loads(line) for line in open(scalars[0])
           if 'multi-label/mAP' in line]
    assert val, 'validation did not report mAP'
    assert 0 <= val[-1]['multi-label/mAP'] <= 100
    assert 'multi-label/f1-score' in val[-1]


def test_image_label_dataset(toy_root):
    # earlier tests may leave another default scope (e.g. mmseg) behind
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        _check_image_label_dataset(toy_root)


def _check_image_label_dataset(toy_root):
    from mmpretrain.registry import DATASETS
    voc = osp.join(toy_root, 'VOC2012')
    table = load_cls_labels(osp.join(voc, 'cls_labels.npy'))
    ds = DATASETS.build(dict(type='VOCImageLabelDataset', data_root=voc,
                             split='val',
                             metainfo=dict(classes=TOY_CLASSES[1:])))
    ids = read_image_list(osp.join(voc, 'ImageSets/Segmentation/val.txt'))
    assert len(ds) == len(ids)
    for i, img_id in enumerate(ids):
        info = ds.get_data_info(i)
        assert info['img_path'].endswith(f'JPEGImages/{img_id}.jpg')
        assert info['gt_label'] == np.flatnonzero(table[img_id]).tolist()
    # labels from the masks: the present classes of each mask
    ds_mask = DATASETS.build(dict(
        type='VOCImageLabelDataset', data_root=voc, split='val',
        labels_from_mask=True, metainfo=dict(classes=TOY_CLASSES[1:])))
    from mmwsss.utils import labels_from_mask, load_label_png
    for i, img_id in enumerate(ids[:5]):
        mask = load_label_png(osp.join(voc, 'SegmentationClassAug',
                                       img_id + '.png'))
        assert ds_mask.get_data_info(i)['gt_label'] == np.flatnonzero(
            labels_from_mask(mask, 6)).tolist()
    # VOC defaults (20 classes) on the real slice; a toy label file under
    # VOC's 20 classes is refused with the file named
    real = DATASETS.build(dict(type='VOCImageLabelDataset',
                               data_root=VOC_REAL_MINI, split='mini'))
    assert [real.get_data_info(i)['gt_label'] for i in range(4)] == [
        [4, 14], [8, 14, 17], [5, 6], [4, 8, 10, 14]]
    with pytest.raises(ValueError, match='cls_labels.npy.*6 entries.*20'):
        DATASETS.build(dict(type='VOCImageLabelDataset', data_root=voc,
                            split='val'))


def test_cam_files(cams, classifier):
    _, _, voc = classifier
    ids = read_image_list(osp.join(voc, 'ImageSets/Segmentation/train.txt'))
    table = load_cls_labels(osp.join(voc, 'cls_labels.npy'))
    files = _files(cams)
    assert sorted(files) == sorted(i + '.npz' for i in ids)
    peaks = []
    for img_id in ids:
        keys, cam = load_cam_npz(osp.join(cams, img_id + '.npz'))
        with np.load(osp.join(cams, img_id + '.npz')) as raw:
            assert raw['cams'].dtype == np.float16
        np.testing.assert_array_equal(keys, np.flatnonzero(table[img_id]))
        size = Image.open(osp.join(voc, 'JPEGImages', img_id + '.jpg')).size
        assert cam.shape == (len(keys), size[1], size[0])
        assert cam.min() >= 0 and cam.max() <= 1
        peaks += cam.reshape(len(keys), -1).max(1).tolist()
    # each map is divided by its maximum (+1e-5): peaks at ~1, or all zero
    # where a class has no positive evidence yet (a barely trained model)
    peaks = np.array(peaks)
    assert (peaks > 0).any()
    assert np.mean(peaks[peaks > 0] > 0.99) > 0.5, peaks


def test_cam_two_ranks_and_resume_are_byte_identical(
        cams, classifier, tmp_path):
    _, ckpt, voc = classifier
    reference = _files(cams)
    args = [TOY_CFG, ckpt, '--data-root', voc, '--split', 'train']
    env = tool_env({'OMP_NUM_THREADS': '1'})

    # two processes under torchrun (gloo), each takes every 2nd image
    two = tmp_path / 'two'
    run_tool('-m', 'torch.distributed.run', '--nproc_per_node', 2,
             '--master_port', 29500 + os.getpid() % 1000, 'tools/run_cam.py',
             *args, '--out', two, '--launcher', 'pytorch')
    assert _files(two) == reference

    # killed (SIGKILL) after a few images, then run again
    killed = tmp_path / 'killed'
    proc = subprocess.Popen(
        [sys.executable, 'tools/run_cam.py', *args, '--out', str(killed)],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None:
        if len(glob.glob(str(killed / '*.npz'))) >= 2:
            break
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done = len(_files(killed))
    assert 2 <= done < len(reference), f'{done} files when killed'
    make_cams(TOY_CFG, ckpt, voc, 'train', killed)
    assert _files(killed) == reference


def test_eval_cam_and_pseudo_labels(cams, classifier, tmp_path):
    _, _, voc = classifier
    cam_json = tmp_path / 'cam.json'
    from mmwsss.evaluation.functional.label_eval import (evaluate_cams,
                                                         evaluate_labels)
    from mmwsss.stages.expand import ExpandSettings, run_expand
    data = evaluate_cams(cams, voc, out_json=str(cam_json))
    assert data['class_names'] == list(TOY_CLASSES)   # from cls_labels.npy
    # the 12 default thresholds, plus those the grid grew by where its
    # best value sat on an edge
    assert len(data['sweep']) == 12 + len(data['grid_extended'])
    assert data['best_threshold'] in [s['threshold'] for s in data['sweep']]
    assert data['mIoU'] == max(s['mIoU'] for s in data['sweep'])

    table = load_cls_labels(osp.join(voc, 'cls_labels.npy'))
    results = {}
    for refine, thr in (('none', data['best_threshold']), ('par', 0.3)):
        out = tmp_path / refine
        settings = ExpandSettings(cam_dir=cams, data_root=voc, split='train',
                                  out=str(out), cam_thr=thr, method=refine,
                                  nproc=2)
        run_expand(settings)
        pngs = sorted(glob.glob(str(out / '*.png')))
        assert len(pngs) == len(_files(cams))
        for path in pngs[:3]:
            img = Image.open(path)
            assert img.mode == 'P'
            label = np.array(img)
            img_id = osp.basename(path)[:-4]
            assert set(np.unique(label).tolist()) <= {0} | set(
                (np.flatnonzero(table[img_id]) + 1).tolist())
            # the same as the library functions on this image
            keys, cam = load_cam_npz(osp.join(cams, img_id + '.npz'))
            scores = cam_scores_with_background(cam, thr)
            if refine == 'par':
                rgb = np.array(Image.open(osp.join(
                    voc, 'JPEGImages', img_id + '.jpg')).convert('RGB'))
                scores = pixel_adaptive_refine(
                    torch.from_numpy(rgb.transpose(2, 0, 1)).float(),
                    torch.from_numpy(scores)).numpy()
            np.testing.assert_array_equal(label,
                                          scores_to_label(scores, keys))
        # resume: a second run rewrites nothing
        mtimes = [os.stat(p).st_mtime_ns for p in pngs]
        run_expand(settings)
        assert mtimes == [os.stat(p).st_mtime_ns for p in pngs]
        results[refine] = evaluate_labels(str(out), voc)
    # without refinement the labels are exactly the CAM evaluation's labels
    assert results['none']['mIoU'] == pytest.approx(data['mIoU'])
    assert results['none']['class_names'] == list(TOY_CLASSES)


def test_voc_configs_run_on_real_voc_images():
    """The IRN-recipe configs: dataset + training pipeline on the real VOC
    slice, one loss step of the ResNet-50 model (no ImageNet weights here)."""
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import DATASETS, MODELS
    cfg = Config.fromfile(
        osp.join(REPO, 'configs/cam/cam_r50-s16_1xb16-5e_voc12aug-512x512.py'))
    r101 = Config.fromfile(osp.join(
        REPO, 'configs/cam/cam_r101-s16_1xb16-5e_voc12aug-512x512.py'))
    assert r101.model.backbone.depth == 101
    assert cfg.model.backbone.strides == (1, 2, 2, 1)   # output stride 16
    assert cfg.optim_wrapper.paramwise_cfg.custom_keys.head.lr_mult == 10
    assert cfg.train_cfg.max_epochs == 5
    assert cfg.train_dataloader.batch_size == 16
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        ds_cfg = cfg.train_dataloader.dataset
        ds_cfg.update(data_root=VOC_REAL_MINI, split='mini')
        ds = DATASETS.build(ds_cfg)
        sample = ds[0]
        assert tuple(sample['inputs'].shape) == (3, 512, 512)
        assert sample['data_samples'].gt_label.tolist() == [4, 14]
        model = MODELS.build(cfg.model)
        model.train()
        data = model.data_preprocessor(
            dict(inputs=[sample['inputs']],
                 data_samples=[sample['data_samples']]), training=True)
        losses = model(**data, mode='loss')
        assert torch.isfinite(losses['loss'])
        feats = model.extract_feat(data['inputs'])
        assert feats[-1].shape[-2:] == (32, 32)            # 512 / 16
        assert model.head.cam_logits(feats).shape == (1, 20, 32, 32)
