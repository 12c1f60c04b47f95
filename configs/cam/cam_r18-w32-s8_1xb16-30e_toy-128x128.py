# Stage 1 on the procedural toy data (tools/make_toy_data.py), CPU, minutes:
# a narrow ResNet-18 (32 stem/base channels, widths 32-256) trained from
# scratch (no ImageNet weights offline), output stride 8 (layer3/layer4
# dilated 2/4) so CAMs are 20x20 at 160 px. Same CAMHead as the VOC configs.
#
# Set the data root on the command line, e.g.
#   --cfg-options train_dataloader.dataset.data_root=<toy>/VOC2012 \
#                 val_dataloader.dataset.data_root=<toy>/VOC2012 \
#                 test_dataloader.dataset.data_root=<toy>/VOC2012
_base_ = './cam_r50-s16_1xb16-5e_voc12aug-512x512.py'

data_root = 'data/toy/VOC2012'
classes = ('ball', 'box', 'star', 'train', 'bottle', 'chair')
num_classes = len(classes)
crop_size = 128

data_preprocessor = dict(num_classes=num_classes)
model = dict(
    data_preprocessor=data_preprocessor,
    backbone=dict(
        _delete_=True,
        type='ResNet',
        depth=18,
        stem_channels=32,
        base_channels=32,
        num_stages=4,
        strides=(1, 2, 1, 1),
        dilations=(1, 1, 2, 4),
        out_indices=(3, ),
        style='pytorch',
        init_cfg=[
            dict(type='Kaiming', layer=['Conv2d']),
            dict(type='Constant', val=1, layer=['_BatchNorm'])
        ]),
    head=dict(num_classes=num_classes, in_channels=256))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResize', scale=(160, 160), ratio_range=(0.7, 1.3),
         keep_ratio=True),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomCrop', crop_size=crop_size, pad_if_needed=True,
         pad_val=(124, 116, 104)),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=16,
    num_workers=1,
    dataset=dict(
        data_root=data_root,
        metainfo=dict(classes=classes),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=16,
    num_workers=1,
    dataset=dict(
        data_root=data_root,
        metainfo=dict(classes=classes),
        pipeline=test_pipeline))
test_dataloader = val_dataloader

max_epochs = 30
optim_wrapper = dict(
    _delete_=True,
    optimizer=dict(type='AdamW', lr=2e-3, weight_decay=1e-4),
    paramwise_cfg=dict(custom_keys={'head': dict(lr_mult=10.0)}))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=20),
    dict(type='PolyLR', power=0.9, eta_min=0.0, by_epoch=True, begin=0,
         end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=10)
auto_scale_lr = dict(base_batch_size=16, enable=False)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=10),
    checkpoint=dict(type='CheckpointHook', interval=10, max_keep_ckpts=1))
randomness = dict(seed=0)
