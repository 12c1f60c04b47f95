"""Stage 6 through the real tools: the toy config trains on a pseudo-label
folder and evaluates (tools/train.py, tools/test.py, --tta), trains with
2 CPU processes (tools/dist_train.sh), and tools/format_voc_test.py writes
the VOC server layout for the real VOC images."""
import glob
import json
import os
import os.path as osp
import socket
import subprocess
import tarfile

import numpy as np
import pytest
import torch
from PIL import Image

import mmwsss.mm_components  # noqa: F401  (registers components, compat fixes)
from conftest import REPO, VOC_REAL_MINI, run_tool, tool_env
from mmwsss.stages.segment import format_voc_test
from mmwsss.utils.io import (VOC_PALETTE, load_label_png, read_image_list,
                             save_label_png)

TOY_CFG = glob.glob(osp.join(REPO, 'configs/seg/*_toy-pseudo-*.py'))[0]
ITERS = 3


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def toy_options(voc_root, seg_map_path, iters=ITERS):
    return [
        '--cfg-options',
        f'train_dataloader.dataset.data_root={voc_root}',
        f'val_dataloader.dataset.data_root={voc_root}',
        f'test_dataloader.dataset.data_root={voc_root}',
        f'train_dataloader.dataset.data_prefix.seg_map_path={seg_map_path}',
        f'train_cfg.max_iters={iters}', f'train_cfg.val_interval={iters}',
        f'default_hooks.checkpoint.interval={iters}',
        'default_hooks.logger.interval=1', 'train_dataloader.batch_size=2',
        'train_dataloader.num_workers=0', 'val_dataloader.num_workers=0',
        'test_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        'val_dataloader.persistent_workers=False',
        'test_dataloader.persistent_workers=False'
    ]


def _metrics(work_dir):
    logs = sorted(glob.glob(osp.join(str(work_dir), '*', '*.json')))
    assert logs, f'no metrics json under {work_dir}'
    return json.load(open(logs[-1]))


@pytest.fixture(scope='module')
def toy_pseudo(toy_root, tmp_path_factory):
    """A pseudo-label folder outside the data root: the toy GT with every
    object shrunk by a 3x3 erosion into an ignore ring (a stand-in)."""
    import cv2
    voc = osp.join(toy_root, 'VOC2012')
    out = tmp_path_factory.mktemp('pseudo')
    for img_id in read_image_list(
            osp.join(voc, 'ImageSets/Segmentation/train_aug.txt')):
        gt = load_label_png(osp.join(voc, 'SegmentationClassAug',
                                     img_id + '.png'))
        fg = ((gt > 0) & (gt < 255)).astype(np.uint8)
        core = cv2.erode(fg, np.ones((3, 3), np.uint8))
        lab = gt.copy()
        lab[(fg == 1) & (core == 0)] = 255
        save_label_png(str(out / f'{img_id}.png'), lab)
    return str(out)


@pytest.fixture(scope='module')
def trained_toy(toy_root, toy_pseudo, tmp_path_factory):
    voc = osp.join(toy_root, 'VOC2012')
    work = tmp_path_factory.mktemp('seg_train')
    proc = run_tool('tools/train.py', TOY_CFG, '--work-dir', work,
                    *toy_options(voc, toy_pseudo))
    return voc, work, proc.stdout + proc.stderr


def test_toy_config_trains_on_pseudo_folder_and_evaluates(trained_toy,
                                                          toy_pseudo):
    voc, work, out = trained_toy
    assert osp.isfile(osp.join(work, f'iter_{ITERS}.pth'))
    assert 'mIoU' in out
    cfg_dump = open(glob.glob(osp.join(str(work), '*', 'vis_data',
                                       '*.py'))[0]).read()
    assert toy_pseudo in cfg_dump  # labels came from the given folder


def test_toy_checkpoint_tta_through_test_tool(trained_toy, tmp_path):
    """tools/test.py --tta: the config's multi-scale + flip pipeline."""
    voc, work, _ = trained_toy
    ckpt = osp.join(work, f'iter_{ITERS}.pth')
    proc = run_tool('tools/test.py', TOY_CFG, ckpt, '--tta', '--work-dir',
                    tmp_path / 'tta', *toy_options(voc, 'SegmentationClassAug'))
    metrics = _metrics(tmp_path / 'tta')
    assert 0.0 <= metrics['mIoU'] <= 100.0 and 0.0 <= metrics['aAcc'] <= 100.0
    assert 'SegTTAModel' in proc.stdout + proc.stderr


def test_dist_train_two_cpu_processes(toy_root, tmp_path):
    voc = osp.join(toy_root, 'VOC2012')
    work = tmp_path / 'dist'
    proc = subprocess.run(
        ['bash', 'tools/dist_train.sh', TOY_CFG, '2', '--work-dir',
         str(work), *toy_options(voc, 'SegmentationClassAug', iters=2)],
        cwd=REPO, capture_output=True, text=True, timeout=600,
        env=tool_env({'PORT': str(_free_port()), 'OMP_NUM_THREADS': '1'}))
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-5000:]
    assert 'Distributed training: True' in out
    assert 'GPU number: 2' in out  # mmengine's name for the world size
    assert osp.isfile(work / 'iter_2.pth')
    assert 'mIoU' in out  # the final validation ran


# --------------------------------------------------------------------------
# tools/format_voc_test.py (through the package function it calls)
@pytest.fixture(scope='module')
def tiny_voc_model(tmp_path_factory):
    """The toy config with a 21-class head and random weights."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS
    init_default_scope('mmseg')
    cfg = Config.fromfile(TOY_CFG)
    cfg.model.decode_head.num_classes = 21
    # small TTA scales: the real images are 500 px, the toy model is tiny
    cfg.tta_pipeline[1].transforms[0] = [
        dict(type='Resize', scale_factor=r, keep_ratio=True)
        for r in (0.25, 0.375)
    ]
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    # large random classifier weights: predictions vary over the image
    model.decode_head.conv_seg.weight.data.normal_(0, 1)
    folder = tmp_path_factory.mktemp('voc_model')
    ckpt = folder / 'random.pth'
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, ckpt)
    cfg_path = folder / 'tiny_voc.py'
    cfg.dump(str(cfg_path))
    return str(cfg_path), str(ckpt)


def test_format_voc_test_real_images(tiny_voc_model, tmp_path):
    from mmseg.apis import inference_model, init_model
    cfg_path, ckpt = tiny_voc_model
    out = tmp_path / 'voc_test'
    ids = read_image_list(osp.join(VOC_REAL_MINI,
                                   'ImageSets/Segmentation/mini.txt'))
    res_dir = format_voc_test(cfg_path, ckpt, VOC_REAL_MINI, str(out),
                              split='mini', device='cpu')
    assert res_dir == osp.join(str(out), 'results', 'VOC2012',
                               'Segmentation', 'comp6_test_cls')
    assert sorted(os.listdir(res_dir)) == ['.mmwsss.lock', '.mmwsss_manifest.json'] + sorted(
        i + '.png' for i in ids)
    reference = init_model(cfg_path, ckpt, device='cpu')
    for img_id in ids:
        with Image.open(osp.join(res_dir, img_id + '.png')) as png, \
                Image.open(osp.join(VOC_REAL_MINI, 'JPEGImages',
                                    img_id + '.jpg')) as img:
            assert png.mode == 'P' and png.size == img.size
            assert png.getpalette()[:63] == \
                VOC_PALETTE[:21].flatten().tolist()
            pred = np.array(png)
        assert pred.max() <= 20
        ref = inference_model(
            reference, osp.join(VOC_REAL_MINI, 'JPEGImages', img_id + '.jpg'))
        np.testing.assert_array_equal(pred,
                                      ref.pred_sem_seg.data[0].numpy())
    with tarfile.open(out / 'results.tgz') as tar:
        names = sorted(tar.getnames())
    assert names == sorted(f'results/VOC2012/Segmentation/comp6_test_cls/'
                           f'{i}.png' for i in ids)
    # a second run resumes: existing predictions are kept, not recomputed
    victim = osp.join(res_dir, ids[0] + '.png')
    save_label_png(victim, np.zeros_like(pred))
    format_voc_test(cfg_path, ckpt, VOC_REAL_MINI, str(out), split='mini',
                    device='cpu', tar=False)
    assert load_label_png(victim).max() == 0


def test_format_voc_test_tta_and_missing_image(tiny_voc_model, tmp_path):
    cfg_path, ckpt = tiny_voc_model
    ann = tmp_path / 'one.txt'
    ann.write_text('2011_000003\n')
    res_dir = format_voc_test(cfg_path, ckpt, VOC_REAL_MINI,
                              str(tmp_path / 'tta'), ann_file=str(ann),
                              tta=True, device='cpu')
    with Image.open(osp.join(res_dir, '2011_000003.png')) as png, \
            Image.open(osp.join(VOC_REAL_MINI, 'JPEGImages',
                                '2011_000003.jpg')) as img:
        assert png.size == img.size
    ann.write_text('2011_000003\n2099_999999\n')
    with pytest.raises(FileNotFoundError, match='2099_999999.jpg'):
        format_voc_test(cfg_path, ckpt, VOC_REAL_MINI, str(tmp_path / 'x'),
                        ann_file=str(ann))
