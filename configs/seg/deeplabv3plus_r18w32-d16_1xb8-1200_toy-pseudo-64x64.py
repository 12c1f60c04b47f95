# The demo's segmenter (stage 6 on CPU): a DeepLabV3+ on a half-width
# ResNet-18 (ResNetV1c, base width 32, output stride 16) trained from scratch
# on the toy data (tools/make_toy_data.py) in about 3 minutes on 2 CPU cores
# (images at half size, 64 px crops, OHEM on the hard pixels: thin objects).
#
#   python tools/train.py configs/seg/deeplabv3plus_r18w32-d16_1xb8-1200_toy-pseudo-64x64.py \
#       --cfg-options \
#       train_dataloader.dataset.data_prefix.seg_map_path=/abs/pseudo_fused \
#       train_dataloader.dataset.data_root=data/toy/VOC2012 \
#       val_dataloader.dataset.data_root=data/toy/VOC2012 \
#       test_dataloader.dataset.data_root=data/toy/VOC2012
#
# `seg_map_path=SegmentationClassAug` trains on the toy ground truth (upper
# bound). Multi-scale + flip testing: tools/test.py ... --tta.
_base_ = [
    '../_base_/datasets/toy_voc_pseudo.py',
    '../_base_/default_runtime_seg.py',
]
crop_size = (64, 64)
norm_cfg = dict(type='BN', requires_grad=True)
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    size=crop_size)
model = dict(
    type='EncoderDecoder',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='ResNetV1c',
        depth=18,
        stem_channels=32,
        base_channels=32,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        strides=(1, 2, 2, 1),
        dilations=(1, 1, 1, 2),
        norm_cfg=norm_cfg,
        norm_eval=False,
        style='pytorch',
        contract_dilation=True),
    decode_head=dict(
        type='DepthwiseSeparableASPPHead',
        in_channels=256,
        in_index=3,
        channels=64,
        dilations=(1, 2, 3, 4),
        c1_in_channels=32,
        c1_channels=16,
        dropout_ratio=0.1,
        num_classes=7,
        norm_cfg=norm_cfg,
        align_corners=False,
        sampler=dict(type='OHEMPixelSampler', thresh=0.7, min_kept=2000),
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))

# schedule: AdamW + poly decay, from scratch
max_iters = 1200
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=4e-3, betas=(0.9, 0.999),
                   weight_decay=1e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0,
         end=20),
    dict(type='PolyLR', eta_min=1e-5, power=0.9, begin=20, end=max_iters,
         by_epoch=False)
]
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=100, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='CheckpointHook', by_epoch=False, interval=max_iters,
        max_keep_ckpts=1),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
randomness = dict(seed=0)
