# Paper Table 1, row "ResNeSt101", with the segmenter recipe of RS+EPM,
# which is Puzzle-CAM's train_segmentation.py / inference_segmentation.py
# (same author; shjo-april/PuzzleCAM at 659b4c1, cited as file:line; the
# recipe table is in docs/segmentation.md):
# * DeepLabV3+ on ResNeSt-101 at output stride 16 (networks.py:258, the
#   backbone built with dilation 2, not dilated: layer4 dilated by 2), ASPP
#   rates 1/6/12/18 (deeplab_utils.py:36-37), 256 channels, a 48-channel
#   low-level branch (deeplab_utils.py:90);
# * backbone BN frozen (running statistics fixed, affine trained:
#   FixedBatchNorm, networks.py:28-30, --mode fix), GroupNorm of 4 groups in
#   the ASPP and decoder (networks.py:32-33, --use_gn True);
# * batch 32 (4 GPUs x 8), 50 epochs of train_aug = 16,500 iterations
#   (train_segmentation.py:57-58, 132, 143), SGD lr 0.007, weight decay
#   4e-5, Nesterov (lines 60-62), poly power 0.9 (optim_utils.py:16);
#   new layers at 10x lr (20x and no decay on their biases), pretrained
#   biases 2x without decay (train_segmentation.py:160-165);
# * training input: the long side resized to 256..1024 (0.5-2x of VOC's
#   500 px), flip, 512 crop (train_segmentation.py:104-110), ImageNet mean
#   and std; cross-entropy over valid pixels (line 194, ignore_index=255,
#   mean);
# * test: scales 0.5/1/1.5/2 x flip, logits summed, softmax, dense CRF of
#   10 iterations with Gaussian 3/3 and bilateral 80/13/10
#   (inference_segmentation.py:135-166, README.md:81,
#   shjo-april/PuzzleCAM (tools/ai/demo_utils.py:78-79)):
#   `tools/test.py CONFIG CKPT --tta`
#   (needs `pip install -e '.[crf]'`; switch the CRF off with
#   --cfg-options tta_model.crf.enabled=False).
# As released, PolyOptimizer passes the weight decay as SGD's third
# positional argument, i.e. as the *momentum* (optim_utils.py:6:
# `super().__init__(params, lr, weight_decay, nesterov=nesterov)`); the
# param groups set their weight decay themselves. So the reference trains
# with momentum 4e-5, and so does this config. Remaining differences (mmseg's
# depthwise-separable DeepLabV3+ head): docs/deviations.md.
_base_ = [
    'mmseg::_base_/models/deeplabv3plus_r50-d8.py',
    '../_base_/datasets/voc12aug_pseudo.py',
    '../_base_/default_runtime_seg.py'
]
crop_size = (512, 512)
backbone_norm = dict(type='BN', requires_grad=True)  # + norm_eval: frozen
head_norm = dict(type='GN', num_groups=4, requires_grad=True)
data_preprocessor = dict(size=crop_size)
model = dict(
    data_preprocessor=data_preprocessor,
    pretrained=None,
    backbone=dict(
        type='ResNeSt',
        depth=101,
        stem_channels=128,
        radix=2,
        reduction_factor=4,
        avg_down_stride=True,
        strides=(1, 2, 2, 1),
        dilations=(1, 1, 1, 2),
        contract_dilation=True,
        norm_cfg=backbone_norm,
        norm_eval=True,
        init_cfg=dict(
            type='Pretrained', checkpoint='open-mmlab://resnest101')),
    decode_head=dict(
        channels=256,
        dilations=(1, 6, 12, 18),
        c1_channels=48,
        norm_cfg=head_norm,
        num_classes=21,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0,
            avg_non_ignore=True)),
    auxiliary_head=None)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    # long side 512 x 0.5..2 = 256..1024
    dict(
        type='RandomResize',
        scale=(512, 512),
        ratio_range=(0.5, 2.0),
        keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='Pad', size=crop_size),
    dict(type='PackSegInputs')
]
# the original image, no resize (inference_segmentation.py:146-148)
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs')
]
test_scales = [0.5, 1.0, 1.5, 2.0]
tta_pipeline = [
    dict(type='LoadImageFromFile', backend_args=None),
    dict(
        type='TestTimeAug',
        transforms=[
            [
                dict(type='Resize', scale_factor=r, keep_ratio=True)
                for r in test_scales
            ],
            [
                dict(type='RandomFlip', prob=0., direction='horizontal'),
                dict(type='RandomFlip', prob=1., direction='horizontal')
            ], [dict(type='LoadAnnotations')], [dict(type='PackSegInputs')]
        ])
]
tta_model = dict(
    type='CRFSegTTAModel',
    merge='sum_logits',
    crf=dict(enabled=True, num_iter=10, pos_w=3.0, pos_xy_std=3.0,
             bi_w=10.0, bi_xy_std=80.0, bi_rgb_std=13.0))
train_dataloader = dict(batch_size=8, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

max_iters = 16500  # 50 epochs x 330 iterations (10582 // 32)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(
        type='SGD', lr=0.007, momentum=4e-5, weight_decay=4e-5,
        nesterov=True),
    # Puzzle-CAM's four groups (train_segmentation.py:159-165,
    # abc_modules.py get_parameter_groups): pretrained weights 1x, pretrained
    # biases (BN's included) 2x without decay, new weights (GroupNorm's
    # included) 10x, new biases 20x without decay. mmengine gives a
    # parameter the settings of the longest key found in its name, so the
    # keys of the head's biases are longer than 'decode_head'.
    paramwise_cfg=dict(
        custom_keys={
            'bias': dict(lr_mult=2.0, decay_mult=0.0),
            'decode_head': dict(lr_mult=10.0),
            **{k: dict(lr_mult=20.0, decay_mult=0.0)
               for k in ('decode_head.conv_seg.bias', 'conv.gn.bias',
                         'image_pool.1.gn.bias', 'aspp_modules.0.gn.bias',
                         'bottleneck.gn.bias')}
        }),
    clip_grad=None)
param_scheduler = [
    dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, end=max_iters,
         by_epoch=False)
]
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=1650)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=1650))
auto_scale_lr = dict(enable=False, base_batch_size=32)
