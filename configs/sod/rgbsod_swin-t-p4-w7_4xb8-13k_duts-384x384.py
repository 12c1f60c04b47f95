# RGB-SOD with Swin-T (ImageNet-1k weights) on DUTS-TR, tested on DUTS-TE.
# Recipe: 4 GPUs x 8 images (32 per step), 13k iterations (~40 epochs of the
# 10,553 DUTS-TR images) at 384 x 384; AdamW lr 1e-4 (backbone x0.1, its
# position tables included), weight decay 0.01 (none on norms and position
# tables, the backbone's included), 500-iteration linear warm-up then poly
# decay (power 0.9).
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
# Parameter groups. mmengine gives each parameter the settings of the
# LONGEST custom key contained in its name (and norm_decay_mult only to
# parameters no key matched), so 'backbone' would outrank a 'norm' key and a
# 'relative_position_bias_table' key would outrank 'backbone'. The keys
# below are therefore all longer than 'backbone' and each carries both
# settings: every backbone parameter trains at lr x0.1; the backbone's
# LayerNorms (patch embedding, blocks' norm1/norm2, patch merging, output
# norms) and its position tables get no weight decay; the neck's and the
# head's norms get none either (norm_decay_mult); everything else decays.
# tests/unit/test_sod_param_groups.py builds the optimizer and checks it.
backbone_no_decay = dict(lr_mult=0.1, decay_mult=0.)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(
        type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.01),
    paramwise_cfg=dict(
        norm_decay_mult=0.,
        custom_keys={
            'backbone': dict(lr_mult=0.1),
            'backbone.absolute_pos_embed': backbone_no_decay,
            'relative_position_bias_table': backbone_no_decay,
            'backbone.patch_embed.norm': backbone_no_decay,
            'downsample.norm': backbone_no_decay,
            'backbone.norm': backbone_no_decay,  # output norms norm0..3
            # norm1 / norm2 of every block (Swin-T/S/B/L have at most 18
            # blocks per stage)
            **{f'.blocks.{j}.norm': backbone_no_decay for j in range(24)}
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
