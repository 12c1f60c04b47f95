# Stage 1 on CPU, real VOC photographs (configs/pipelines/voc12_cpu_pipeline.py):
# the CAM classifier of cam_r50-s16_1xb16-5e_voc12aug-512x512.py scaled down
# for a laptop. ImageNet EfficientNet-Lite0 (weights from the `[pretrained]`
# extra, docs/weights.md), output stride 16 (the last level dilated instead
# of strided), every backbone layer frozen with BN in eval mode; the
# bias-free 1x1 CAMHead on the last level (320 channels) is what trains.
# Measured on voc_real_dev train (334 photos, docs/real_data.md): a linear
# head on these frozen features gave CAMs of 35.6 mIoU at a single scale,
# the 1280-channel head conv 34.3, while fine-tuning the last level and the
# head conv (lr 0.01, head x10, 1 epoch) gave 18.8: with 334 images,
# fine-tuning loses the ImageNet features faster than it adapts them.
# IRN's augmentation at half scale: long side 224..320 (IRN: 320..640),
# flip, 256 crop padded with the mean (grey: Lite normalises with mean = std
# = 127.5). SGD with momentum, lr 0.1, poly decay, 5 epochs of batch 8.
#
# The data folder from the command line (any VOC2012-layout folder):
#   --cfg-options train_dataloader.dataset.data_root=<VOC2012> \
#                 val_dataloader.dataset.data_root=<VOC2012> \
#                 test_dataloader.dataset.data_root=<VOC2012>
_base_ = ['./cam_r50-s16_1xb16-5e_voc12aug-512x512.py']

data_root = 'data/VOCdevkit/VOC2012'
crop_size = 256
mean = [127.5, 127.5, 127.5]
data_preprocessor = dict(num_classes=20, mean=mean, std=mean, to_rgb=True,
                         to_onehot=True)
model = dict(
    data_preprocessor=data_preprocessor,
    backbone=dict(
        _delete_=True,
        type='EfficientNetLite',
        arch='lite0',
        out_indices=(4, ),
        output_stride=16,
        frozen_stages=5,
        norm_eval=True,
        init_cfg=dict(type='Pretrained',
                      checkpoint='efficientnet-lite0-57934424.pth')),
    head=dict(in_channels=320))

train_pipeline = [
    dict(type='LoadImageFromFile', to_float32=True),
    # scale 320 x ratio in (0.7, 1.0): long side 224..320, aspect kept
    dict(type='RandomResize', scale=(320, 320), ratio_range=(0.7, 1.0),
         keep_ratio=True),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomCrop', crop_size=crop_size, pad_if_needed=True,
         pad_val=tuple(mean)),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=320, edge='long'),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(data_root=data_root, split='train',
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(data_root=data_root, split='val', pipeline=test_pipeline))
test_dataloader = val_dataloader

max_epochs = 5
# only the 1x1 classifier trains (convex in its weights): no lr_mult
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=1e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=10),
    dict(type='PolyLR', power=0.9, eta_min=0.0, by_epoch=True, begin=0,
         end=max_epochs, convert_to_iter_based=True),
]
# no validation while training (val_begin after the end): tools/test.py
# gives the val mAP; train_cfg.val_begin=1 turns it back on
train_cfg = dict(by_epoch=True, max_epochs=max_epochs,
                 val_begin=max_epochs + 1, val_interval=1)
auto_scale_lr = dict(base_batch_size=8, enable=False)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=10),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=1))
randomness = dict(seed=0)
