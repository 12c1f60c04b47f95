# Paper Table 1, row "ResNet101" as the WSSS literature trains it (the
# DeepLab-v2 recipe of EPS, L2G, AMN, ... on kazuto1011/deeplab-pytorch):
# DeepLab-v2 ResNet-101 from the COCO-pretrained DeepLab-v1 weights
# (Caffe-converted `deeplabv1_resnet101-coco.pth`, converted to this
# backbone's keys by tools/convert_deeplabv1.py), 321x321 crops, batch 10,
# SGD lr 2.5e-4 (10x on the ASPP weights, 20x and no weight decay on its
# biases), momentum 0.9, weight decay 5e-4, poly 0.9, 20k iterations, BN
# frozen, Caffe input (BGR, mean subtracted, no std), one of the five
# training scales 0.5/0.75/1/1.25/1.5 per image (configs/voc12.yaml:11,
# libs/datasets/base.py:68), cross-entropy averaged over the valid pixels
# only (main.py:157: nn.CrossEntropyLoss(ignore_index=255), mean).
# Test: `tools/test.py --tta` here averages 5 scales x flip (mmseg's
# protocol); deeplab-pytorch's released test (max over scales 1/0.75/0.5,
# no flip, then a dense CRF) is
# deeplabv2_r101-d8_1xb10-20k_voc12aug-pseudo-321x321_test-msc-crf.py.
# Not done: deeplab-pytorch's MSC training (losses on the 1, 0.75, 0.5
# inputs and their max), docs/deviations.md.
# Weights: docs/weights.md (put the converted file in $MMWSSS_WEIGHTS_DIR).
_base_ = [
    '../_base_/models/deeplabv2_r50-d8.py',
    '../_base_/datasets/voc12aug_pseudo.py',
    '../_base_/default_runtime_seg.py',
    'mmseg::_base_/schedules/schedule_20k.py'
]
crop_size = (321, 321)
caffe_mean_bgr = [104.008, 116.669, 122.675]  # deeplab-pytorch configs
data_preprocessor = dict(
    size=crop_size,
    mean=caffe_mean_bgr,
    std=[1.0, 1.0, 1.0],
    bgr_to_rgb=False)
frozen_bn = dict(type='BN', requires_grad=False)
train_scales = [0.5, 0.75, 1.0, 1.25, 1.5]  # configs/voc12.yaml:11
# test-time dense CRF (DeepLab's settings; needs `pip install -e '.[crf]'`):
#   --cfg-options model.crf.enabled=True       (single scale)
#   --tta --cfg-options tta_model.crf.enabled=True  (after scales + flips)
crf = dict(enabled=False, num_iter=10, pos_w=3.0, pos_xy_std=1.0, bi_w=4.0,
           bi_xy_std=67.0, bi_rgb_std=3.0)
model = dict(
    type='CRFEncoderDecoder',
    crf=crf,
    data_preprocessor=data_preprocessor,
    backbone=dict(
        _delete_=True,
        type='ResNet',
        depth=101,
        num_stages=4,
        out_indices=(3, ),
        strides=(1, 2, 1, 1),
        dilations=(1, 1, 2, 4),
        contract_dilation=False,
        style='caffe',
        norm_cfg=frozen_bn,
        norm_eval=True,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='deeplabv1_resnet101-coco_mmseg.pth')),
    decode_head=dict(
        in_index=0,
        num_classes=21,
        # the mean over valid pixels (padding and 255 are not counted)
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0,
            avg_non_ignore=True)))

train_pipeline = [
    dict(type='LoadImageFromFile', to_float32=True),
    dict(type='LoadAnnotations'),
    # deeplab-pytorch: the image scaled by one of five factors, drawn
    # uniformly (libs/datasets/base.py:68, random.choice(scales))
    dict(
        type='RandomChoice',
        transforms=[[dict(type='Resize', scale_factor=r, keep_ratio=True)]
                    for r in train_scales]),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    # pad with the mean (0 after mean subtraction) and ignore
    dict(type='Pad', size=crop_size,
         pad_val=dict(img=tuple(caffe_mean_bgr), seg=255)),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs')
]
img_ratios = [0.5, 0.75, 1.0, 1.25, 1.5]
tta_pipeline = [
    dict(type='LoadImageFromFile', backend_args=None),
    dict(
        type='TestTimeAug',
        transforms=[
            [
                dict(type='Resize', scale_factor=r, keep_ratio=True)
                for r in img_ratios
            ],
            [
                dict(type='RandomFlip', prob=0., direction='horizontal'),
                dict(type='RandomFlip', prob=1., direction='horizontal')
            ], [dict(type='LoadAnnotations')], [dict(type='PackSegInputs')]
        ])
]
tta_model = dict(type='CRFSegTTAModel', crf=crf)
train_dataloader = dict(batch_size=10, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

# lr 2.5e-4; ASPP weights 10x, ASPP biases 20x without weight decay
head_bias = {
    f'decode_head.aspp_convs.{i}.bias': dict(lr_mult=20.0, decay_mult=0.0)
    for i in range(4)
}
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=2.5e-4, momentum=0.9, weight_decay=5e-4),
    paramwise_cfg=dict(
        custom_keys=dict(decode_head=dict(lr_mult=10.0), **head_bias)),
    clip_grad=None)
param_scheduler = [
    dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, end=20000,
         by_epoch=False)
]
auto_scale_lr = dict(enable=False, base_batch_size=10)
