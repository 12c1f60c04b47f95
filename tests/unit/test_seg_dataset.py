"""PseudoLabelVOCDataset: real VOC files, pseudo-label folders, toy classes,
and the checks that run when the dataset is built."""
import os
import os.path as osp
import shutil

import numpy as np
import pytest
from mmengine.config import Config
from PIL import Image

import mmwsss.mm_components  # noqa: F401  (registers components, compat fixes)
from conftest import REPO, VOC_REAL_MINI
from mmwsss.datasets.voc_layout import TOY_CLASSES, VOC_CLASSES
from mmwsss.utils.io import (VOC_PALETTE, load_label_png, read_image_list,
                             save_label_png)

MINI_IDS = read_image_list(
    osp.join(VOC_REAL_MINI, 'ImageSets/Segmentation/mini.txt'))
SIMPLE_PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs')
]


def build(**kwargs):
    from mmengine.registry import init_default_scope
    from mmseg.registry import DATASETS
    init_default_scope('mmseg')
    cfg = dict(
        type='PseudoLabelVOCDataset',
        data_root=VOC_REAL_MINI,
        ann_file='ImageSets/Segmentation/mini.txt',
        data_prefix=dict(
            img_path='JPEGImages', seg_map_path='SegmentationClassAug'),
        pipeline=SIMPLE_PIPELINE)
    cfg.update(kwargs)
    return DATASETS.build(cfg)


@pytest.fixture
def pseudo_dir(tmp_path):
    """Pseudo-labels for the 4 real images: the GT with its class regions
    shifted to class 1 (so the test can tell which folder was read)."""
    out = tmp_path / 'pseudo'
    for img_id in MINI_IDS:
        gt = load_label_png(
            osp.join(VOC_REAL_MINI, 'SegmentationClassAug', img_id + '.png'))
        lab = np.where((gt > 0) & (gt < 255), 1, gt).astype(np.uint8)
        save_label_png(str(out / f'{img_id}.png'), lab)
    return out


def test_real_voc_slice_gt():
    ds = build()
    assert len(ds) == 4
    assert ds.metainfo['classes'] == VOC_CLASSES
    assert len(ds.metainfo['palette']) == 21
    assert ds.metainfo['label_map'] is None
    for i in range(len(ds)):
        sample = ds[i]['data_samples']
        img_id = osp.splitext(osp.basename(sample.img_path))[0]
        gt = load_label_png(osp.join(VOC_REAL_MINI, 'SegmentationClassAug',
                                     img_id + '.png'))
        got = sample.gt_sem_seg.data[0].numpy()
        np.testing.assert_array_equal(got, gt)
        img = Image.open(osp.join(VOC_REAL_MINI, 'JPEGImages',
                                  img_id + '.jpg'))
        assert got.shape == (img.size[1], img.size[0])


def test_labels_from_pseudo_folder_absolute(pseudo_dir):
    ds = build(data_prefix=dict(img_path='JPEGImages',
                                seg_map_path=str(pseudo_dir)))
    for i in range(len(ds)):
        sample = ds[i]['data_samples']
        assert sample.seg_map_path.startswith(str(pseudo_dir))
        values = set(np.unique(sample.gt_sem_seg.data.numpy()).tolist())
        assert values <= {0, 1, 255} and 1 in values


def test_toy_classes_keep_label_values(tmp_path):
    """Labels are indices into the configured classes: no name remapping
    (mmseg's BaseSegDataset would refuse classes outside VOC's names)."""
    root = tmp_path / 'VOC2012'
    (root / 'JPEGImages').mkdir(parents=True)
    (root / 'ImageSets/Segmentation').mkdir(parents=True)
    lab = np.zeros((20, 30), np.uint8)
    lab[5:10, 5:10] = 6  # 'chair', the last toy class
    lab[0, :] = 255
    Image.fromarray(np.zeros((20, 30, 3), np.uint8)).save(
        root / 'JPEGImages/a.jpg')
    save_label_png(str(root / 'SegmentationClassAug/a.png'), lab)
    (root / 'ImageSets/Segmentation/val.txt').write_text('a\n')
    ds = build(data_root=str(root), ann_file='ImageSets/Segmentation/val.txt',
               metainfo=dict(classes=TOY_CLASSES), check_label_values=True)
    assert ds.metainfo['classes'] == TOY_CLASSES
    assert ds.metainfo['palette'] == VOC_PALETTE[:7].tolist()
    np.testing.assert_array_equal(
        ds[0]['data_samples'].gt_sem_seg.data[0].numpy(), lab)


def test_missing_label_names_file(pseudo_dir):
    victim = pseudo_dir / f'{MINI_IDS[2]}.png'
    os.remove(victim)
    with pytest.raises(ValueError) as err:
        build(data_prefix=dict(img_path='JPEGImages',
                               seg_map_path=str(pseudo_dir)))
    assert str(victim) in str(err.value)
    assert 'not found' in str(err.value)
    assert '1 of 4' in str(err.value)


def test_mis_sized_label_names_file(pseudo_dir):
    victim = pseudo_dir / f'{MINI_IDS[1]}.png'
    lab = load_label_png(str(victim))
    save_label_png(str(victim), lab[:-3, :])
    with pytest.raises(ValueError) as err:
        build(data_prefix=dict(img_path='JPEGImages',
                               seg_map_path=str(pseudo_dir)))
    msg = str(err.value)
    assert str(victim) in msg and 'differs from image' in msg
    h, w = lab.shape
    assert f'{w}x{h - 3}' in msg and f'{w}x{h}' in msg


def test_rgb_label_and_bad_values(pseudo_dir):
    victim = pseudo_dir / f'{MINI_IDS[0]}.png'
    lab = load_label_png(str(victim))
    Image.fromarray(np.stack([lab] * 3, -1)).save(victim)
    with pytest.raises(ValueError, match='got mode .RGB.'):
        build(data_prefix=dict(img_path='JPEGImages',
                               seg_map_path=str(pseudo_dir)))
    lab = lab.copy()
    lab[0, 0] = 30
    save_label_png(str(victim), lab)
    # the size/format check passes; the value check names the value
    build(data_prefix=dict(img_path='JPEGImages',
                           seg_map_path=str(pseudo_dir)))
    with pytest.raises(ValueError) as err:
        build(data_prefix=dict(img_path='JPEGImages',
                               seg_map_path=str(pseudo_dir)),
              check_label_values=True)
    assert str(victim) in str(err.value) and '[30]' in str(err.value)


def test_missing_folders_and_list(tmp_path):
    with pytest.raises(ValueError, match='nowhere.*seg_map_path'):
        build(data_prefix=dict(img_path='JPEGImages',
                               seg_map_path=str(tmp_path / 'nowhere')))
    with pytest.raises(ValueError, match='split list not found'):
        build(ann_file='ImageSets/Segmentation/nope.txt')


def test_error_before_training_through_config(tmp_path, pseudo_dir):
    """The dataset base config + Runner's dataloader builder: a bad label
    file fails when the dataloader is built, i.e. before any iteration."""
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner
    init_default_scope('mmseg')
    os.remove(pseudo_dir / f'{MINI_IDS[3]}.png')
    cfg = Config.fromfile(
        osp.join(REPO, 'configs/_base_/datasets/voc12aug_pseudo.py'))
    loader = cfg.train_dataloader
    loader.update(num_workers=0, persistent_workers=False)
    loader.dataset.update(
        data_root=VOC_REAL_MINI, ann_file='ImageSets/Segmentation/mini.txt')
    loader.dataset.data_prefix.seg_map_path = str(pseudo_dir)
    with pytest.raises(ValueError, match=MINI_IDS[3]):
        Runner.build_dataloader(loader)


def test_voc_base_config_pipelines_on_real_images(pseudo_dir):
    """voc12aug_pseudo.py pipelines run on the real slice: 512 crops for
    training from the pseudo folder, full-size GT for validation."""
    from mmengine.registry import init_default_scope
    from mmseg.registry import DATASETS
    init_default_scope('mmseg')
    cfg = Config.fromfile(
        osp.join(REPO, 'configs/_base_/datasets/voc12aug_pseudo.py'))
    train = cfg.train_dataloader.dataset
    train.update(data_root=VOC_REAL_MINI,
                 ann_file='ImageSets/Segmentation/mini.txt')
    train.data_prefix.seg_map_path = str(pseudo_dir)
    ds = DATASETS.build(train)
    item = ds[0]
    assert tuple(item['inputs'].shape) == (3, 512, 512)
    values = set(np.unique(item['data_samples'].gt_sem_seg.data).tolist())
    assert values <= {0, 1, 255}
    val = cfg.val_dataloader.dataset
    val.update(data_root=VOC_REAL_MINI,
               ann_file='ImageSets/Segmentation/mini.txt')
    val.data_prefix.seg_map_path = 'SegmentationClassAug'
    ds = DATASETS.build(val)
    sample = ds[0]['data_samples']
    assert sample.gt_sem_seg.data.shape[1:] == sample.ori_shape
