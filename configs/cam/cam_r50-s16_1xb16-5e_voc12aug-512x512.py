# Stage 1: the CAM classifier of IRN (Ahn et al., CVPR 2019) in mmpretrain.
# ResNet-50, output stride 16 (strides (2,2,2,1) counting the stem conv:
# stem/2, max-pool/2, layer2/2, layer3/2, layer4/1), stem + layer1 + layer2
# frozen (IRN detaches after its stage 2: frozen_stages=2), BN in eval mode,
# bias-free 1x1 classifier (CAMHead) with 10x learning rate, loss = sigmoid
# BCE averaged over batch and classes (F.multilabel_soft_margin_loss), SGD
# lr 0.1, weight decay 1e-4, no momentum (IRN's PolyOptimizer hands its
# weight decay to SGD's momentum slot, so its momentum is 1e-4), poly decay
# (power 0.9), batch 16, 5 epochs on VOC train_aug, 512 crops padded with
# the mean. Recipe table with IRN's sources: docs/cam.md.
_base_ = [
    '../_base_/datasets/voc12aug_cls-512x512.py',
    '../_base_/default_runtime_cls.py',
]

model = dict(
    type='ImageClassifier',
    data_preprocessor=_base_.data_preprocessor,
    backbone=dict(
        type='ResNet',
        depth=50,
        num_stages=4,
        strides=(1, 2, 2, 1),
        dilations=(1, 1, 1, 1),
        out_indices=(3, ),
        frozen_stages=2,
        norm_eval=True,
        style='pytorch',
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.openmmlab.com/mmclassification/v0/'
            'resnet/resnet50_8xb32_in1k_20210831-ea4938fc.pth',
            prefix='backbone')),
    neck=None,
    head=dict(
        type='CAMHead',
        num_classes=20,
        in_channels=2048,
        loss=dict(type='CrossEntropyLoss', use_sigmoid=True)))

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.1, momentum=0.0, weight_decay=1e-4),
    paramwise_cfg=dict(custom_keys={'head': dict(lr_mult=10.0)}))
param_scheduler = [
    dict(type='PolyLR', power=0.9, eta_min=0.0, by_epoch=True, begin=0,
         end=5, convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=5, val_interval=5)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=16)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=1))
