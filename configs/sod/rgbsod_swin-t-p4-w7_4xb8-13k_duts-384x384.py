# RGB-SOD with Swin-T (ImageNet-1k weights) on DUTS-TR, tested on DUTS-TE.
# Recipe: 4 GPUs x 8 images (32 per step), 13k iterations (~40 epochs of the
# 10,553 DUTS-TR images) at 384 x 384; AdamW lr 1e-4 (backbone x0.1),
# weight decay 0.01 (none on norms and position tables), 500-iteration
# linear warm-up then poly decay (power 0.9).
_base_ = [
    '../_base_/models/rgbsod_swin-t.py', '../_base_/datasets/duts_384x384.py',
    '../_base_/default_runtime_seg.py'
]
checkpoint_file = 'https://download.openmmlab.com/mmsegmentation/v0.5/pretrain/swin/swin_tiny_patch4_window7_224_20220317-1cdeb081.pth'  # noqa
crop_size = (384, 384)
data_preprocessor = dict(size=crop_size)
model = dict(
    data_preprocessor=data_preprocessor,
    backbone=dict(
        pretrain_img_size=224,
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint_file)))

max_iters = 13000
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(
        type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.01),
    paramwise_cfg=dict(
        custom_keys={
            'backbone': dict(lr_mult=0.1),
            'absolute_pos_embed': dict(decay_mult=0.),
            'relative_position_bias_table': dict(decay_mult=0.),
            'norm': dict(decay_mult=0.)
        }))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0,
         end=500),
    dict(type='PolyLR', eta_min=0.0, power=0.9, begin=500, end=max_iters,
         by_epoch=False)
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=1300)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=1300,
                    max_keep_ckpts=2, save_best='maxFm', rule='greater'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
# the learning rate above is for 32 images per step
auto_scale_lr = dict(enable=False, base_batch_size=32)
