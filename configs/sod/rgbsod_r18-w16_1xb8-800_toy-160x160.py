# RGB-SOD demo on the procedural toy SOD set (tools/make_toy_data.py:
# DUTS-TR ~240 images, DUTS-TE ~60, 160 x 160), trained from scratch on CPU
# in a few minutes (2 cores). Same edge-aware neck, PATM decoder and losses
# as the paper-scale Swin configs, on a thin ResNet-18 (16 base channels):
# without pretrained weights a small CNN learns this task much faster than
# a small Swin (see docs/sod.md and the Swin variant
# rgbsod_swin-tiny-p4-w5_1xb8-800_toy-160x160.py).
#
# Set the data folder from the command line (the resolved keys):
#   --cfg-options train_dataloader.dataset.data_root=<toy>/DUTS \
#                 val_dataloader.dataset.data_root=<toy>/DUTS \
#                 test_dataloader.dataset.data_root=<toy>/DUTS
_base_ = [
    '../_base_/models/rgbsod_swin-t.py', '../_base_/datasets/duts_384x384.py',
    '../_base_/default_runtime_seg.py'
]
data_root = 'data/toy/DUTS'
norm_cfg = dict(type='SyncBN', requires_grad=True)  # BN on CPU (compat)
img_scale = (160, 160)
crop_size = (128, 128)
model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(
        _delete_=True,
        type='ResNetV1c',
        depth=18,
        base_channels=16,
        stem_channels=16,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        norm_cfg=norm_cfg,
        init_cfg=None),
    neck=dict(in_channels=[16, 32, 64, 128], channels=32, edge_channels=16),
    decode_head=dict(
        in_channels=[32, 32, 32, 32],
        channels=32,
        dropout_ratio=0.0,
        loss_decode=dict(type='StructureLoss', kernel_size=15)))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='BinarizeMask', threshold=128),
    dict(
        type='RandomResize',
        scale=img_scale,
        ratio_range=(0.8, 1.25),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
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
    num_workers=1,
    persistent_workers=True,
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader

max_iters = 800
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(
        type='AdamW', lr=2e-3, betas=(0.9, 0.999), weight_decay=0.01),
    paramwise_cfg=dict(norm_decay_mult=0.),
    clip_grad=dict(max_norm=5.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0,
         end=100),
    dict(type='PolyLR', eta_min=1e-5, power=0.9, begin=100, end=max_iters,
         by_epoch=False)
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False,
                    interval=max_iters // 2, max_keep_ckpts=1),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
randomness = dict(seed=0)
