# Stage 4 on CPU, real DUTS pairs (configs/pipelines/voc12_cpu_pipeline.py):
# the paper's RGB-SOD net -- edge-aware modules R1-R4 (R4 predicts the edge
# map) and the decoder of four PATM blocks joined by transposed convs, with
# the structure loss on every side output and the edge loss -- on an
# ImageNet EfficientNet-Lite0 encoder (levels at strides 4/8/16/32, weights
# from the `[pretrained]` extra) instead of Swin-B, at 224 px instead of 384,
# 500 iterations of batch 8 (4000 pairs, about 1.1 epochs of the 3.5k of
# duts_dev train) instead of 13k x 32: 2.2-2.9 s per iteration on one core,
# so that training plus the maps of VOC train and the DUTS-TE test fit beside
# the classify -> cam -> expand chain (docs/real_data.md). Measured on
# duts_dev val (481 DUTS-TE): 120 iterations MAE 0.123 / max F 0.689 / S
# 0.749, 240 iterations 0.098 / 0.728 / 0.784. Stem and level 0
# (stride 2) stay frozen, the rest is fine-tuned; AdamW with the encoder at
# 0.1x, as rgbsod_swin-t-p4-w7_4xb8-13k_duts-384x384.py.
#
# The DUTS folder: `layout='auto'` reads the official names
# (DUTS-TR/DUTS-TR-Image + DUTS-TR-Mask, DUTS-TE/...) or the train/images +
# train/masks, val/images + val/masks layout, whichever exists:
#   --cfg-options train_dataloader.dataset.data_root=<DUTS> \
#                 val_dataloader.dataset.data_root=<DUTS> \
#                 test_dataloader.dataset.data_root=<DUTS>
_base_ = [
    '../_base_/models/rgbsod_swin-t.py', '../_base_/datasets/duts_384x384.py',
    '../_base_/default_runtime_seg.py'
]
data_root = 'data/DUTS'
norm_cfg = dict(type='SyncBN', requires_grad=True)  # BN on CPU (compat)
img_scale = (224, 224)
crop_size = (224, 224)
mean = [127.5, 127.5, 127.5]
model = dict(
    data_preprocessor=dict(mean=mean, std=mean, size=crop_size),
    backbone=dict(
        _delete_=True,
        type='EfficientNetLite',
        arch='lite0',
        out_indices=(1, 2, 3, 4),
        output_stride=32,
        frozen_stages=1,
        norm_eval=False,
        init_cfg=dict(type='Pretrained',
                      checkpoint='efficientnet-lite0-57934424.pth')),
    neck=dict(in_channels=[24, 40, 112, 320], channels=48, edge_channels=24),
    decode_head=dict(
        in_channels=[48, 48, 48, 48],
        channels=48,
        dropout_ratio=0.0,
        loss_decode=dict(type='StructureLoss', kernel_size=15)))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='BinarizeMask', threshold=128),
    dict(type='RandomResize', scale=img_scale, ratio_range=(1.0, 1.25),
         keep_ratio=False),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='GenerateEdgeTarget', radius=2),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=img_scale, keep_ratio=False),
    dict(type='LoadAnnotations'),
    dict(type='BinarizeMask', threshold=128),
    dict(type='PackSegInputs')
]
train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(data_root=data_root, layout='auto', split='train',
                 data_prefix=None, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(data_root=data_root, layout='auto', split='val',
                 data_prefix=None, pipeline=test_pipeline))
test_dataloader = val_dataloader

max_iters = 500
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(
        type='AdamW', lr=1e-3, betas=(0.9, 0.999), weight_decay=0.01),
    paramwise_cfg=dict(norm_decay_mult=0.,
                       custom_keys={'backbone': dict(lr_mult=0.1)}),
    clip_grad=dict(max_norm=5.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0,
         end=20),
    dict(type='PolyLR', eta_min=1e-6, power=0.9, begin=20, end=max_iters,
         by_epoch=False)
]
# no validation while training (val_begin after the end): tools/test.py
# evaluates the checkpoint; train_cfg.val_begin=1 turns it back on
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters,
                 val_begin=max_iters + 1, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False,
                    interval=max_iters // 4, max_keep_ckpts=1),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
randomness = dict(seed=0)
