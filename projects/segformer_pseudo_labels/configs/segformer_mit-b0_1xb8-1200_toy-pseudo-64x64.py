# SegFormer (MiT-b0, mmseg's model, unchanged) trained on mmwsss's fused
# pseudo-labels (stage 6, `segment`) of the toy data, from scratch on CPU.
# Inherits mmseg's model base and mmwsss's pseudo-label dataset and runtime
# bases by package (`mmseg::`, `mmwsss::`), so this file works from any
# folder once mmwsss is installed (see ../README.md).
#
#   python tools/train.py projects/segformer_pseudo_labels/configs/segformer_mit-b0_1xb8-1200_toy-pseudo-64x64.py \
#       --cfg-options \
#       train_dataloader.dataset.data_prefix.seg_map_path=/abs/pseudo_fused \
#       train_dataloader.dataset.data_root=data/toy/VOC2012 \
#       val_dataloader.dataset.data_root=data/toy/VOC2012 \
#       test_dataloader.dataset.data_root=data/toy/VOC2012
_base_ = [
    'mmseg::_base_/models/segformer_mit-b0.py',
    'mmwsss::_base_/datasets/toy_voc_pseudo.py',
    'mmwsss::_base_/default_runtime_seg.py',
]
crop_size = (64, 64)
norm_cfg = dict(type='BN', requires_grad=True)
data_preprocessor = dict(size=crop_size)
model = dict(
    data_preprocessor=data_preprocessor,
    decode_head=dict(
        channels=128, num_classes=7, norm_cfg=norm_cfg, dropout_ratio=0.1))

# schedule: AdamW + poly decay, from scratch (SegFormer's optimiser, with a
# higher rate for the short CPU schedule)
max_iters = 1200
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=2e-3, betas=(0.9, 0.999),
                   weight_decay=0.01),
    paramwise_cfg=dict(custom_keys=dict(
        pos_block=dict(decay_mult=0.), norm=dict(decay_mult=0.),
        head=dict(lr_mult=10.))))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0,
         end=20),
    dict(type='PolyLR', eta_min=1e-5, power=1.0, begin=20, end=max_iters,
         by_epoch=False)
]
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=100, log_metric_by_epoch=False),
    checkpoint=dict(
        type='CheckpointHook', by_epoch=False, interval=max_iters,
        max_keep_ckpts=1))
randomness = dict(seed=0)
