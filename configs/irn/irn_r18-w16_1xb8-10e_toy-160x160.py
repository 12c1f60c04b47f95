# Stage 3 (expand) on the procedural toy data, CPU, 2-4 minutes on 2 cores:
# the relation network of irn_r50_1xb32-3e_voc12aug-512x512.py on the toy
# classifier's backbone (configs/cam/cam_r18-w16-s16_1xb8-60e_toy-160x160.py:
# a narrow ResNet-18, widths 16-128, layer4 dilated). There are no ImageNet
# weights offline, so the backbone is initialised from the stage-1
# checkpoint and frozen, as IRN freezes its (ImageNet) backbone; only the
# boundary head trains (AdamW). Whole 160 px images (mild rescale, flip),
# pairs within radius 10 at stride 4 (40 px).
#
#   python tools/train.py configs/irn/irn_r18-w16_1xb8-10e_toy-160x160.py \
#     --cfg-options train_dataloader.dataset.data_root=<toy>/VOC2012 \
#       train_dataloader.dataset.data_prefix.seg_map_path=<relation labels> \
#       model.backbone.init_cfg.checkpoint=<stage-1 checkpoint>
#
# (`model.backbone.init_cfg=None` trains from scratch instead: set
# `model.backbone.frozen_stages=-1 model.backbone.norm_eval=False` then.)
_base_ = ['./irn_r50_1xb32-3e_voc12aug-512x512.py']

data_root = 'data/toy/VOC2012'
classes = ('background', 'ball', 'box', 'star', 'train', 'bottle', 'chair')
img_size = 160
crop_size = (img_size, img_size)

model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(
        _delete_=True,
        type='ResNetWithStem',
        depth=18,
        stem_channels=16,
        base_channels=16,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        strides=(1, 2, 2, 1),
        dilations=(1, 1, 1, 2),
        frozen_stages=4,
        norm_cfg=dict(type='BN', requires_grad=False),
        norm_eval=True,
        style='pytorch',
        init_cfg=dict(
            type='Pretrained',
            checkpoint='work/toy/classify/epoch_60.pth',
            prefix='backbone.')),
    decode_head=dict(in_channels=[16, 16, 32, 64, 128], channels=16))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomResize', scale=crop_size, ratio_range=(0.8, 1.2),
         keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='PackSegInputs')
]
train_dataloader = dict(
    batch_size=8,
    num_workers=1,
    dataset=dict(
        metainfo=dict(classes=classes),
        data_root=data_root,
        pipeline=train_pipeline))

max_epochs = 10
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=4e-3, weight_decay=1e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=20),
    dict(type='PolyLR', power=0.9, eta_min=0.0, by_epoch=True, begin=0,
         end=max_epochs, convert_to_iter_based=True)
]
train_cfg = dict(max_epochs=max_epochs)
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=max_epochs))
