# Paper Table 1, row "ResNeSt101": DeepLabV3+ with mmseg's ResNeSt-101
# (ImageNet weights, as mmseg's resnest_s101-d8_deeplabv3plus configs) on VOC
# train_aug pseudo-labels, evaluated on VOC val.
_base_ = './deeplabv3plus_r101-d8_4xb4-20k_voc12aug-pseudo-512x512.py'
model = dict(
    backbone=dict(
        type='ResNeSt',
        stem_channels=128,
        radix=2,
        reduction_factor=4,
        avg_down_stride=True,
        init_cfg=dict(
            type='Pretrained', checkpoint='open-mmlab://resnest101')))
