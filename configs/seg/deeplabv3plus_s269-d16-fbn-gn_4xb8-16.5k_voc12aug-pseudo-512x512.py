# Paper Table 1, row "ResNeSt269" (VOC val 77.52, test 77.73), with the
# segmenter recipe of RS+EPM / Puzzle-CAM (train_segmentation.py's default
# backbone is resnest269, line 50): the ResNeSt-101 config of this recipe
# with mmpretrain's ResNeSt-269 (`MMPretrainResNeSt`, ImageNet weights
# `mmcls://resnest269`) at output stride 16. Recipe, sources and test
# protocol: deeplabv3plus_s101-d16-fbn-gn_4xb8-16.5k_voc12aug-pseudo-512x512.py
# and docs/segmentation.md.
_base_ = './deeplabv3plus_s101-d16-fbn-gn_4xb8-16.5k_voc12aug-pseudo-512x512.py'
model = dict(
    backbone=dict(
        _delete_=True,
        type='MMPretrainResNeSt',
        depth=269,
        stem_channels=128,
        radix=2,
        reduction_factor=4,
        avg_down_stride=True,
        strides=(1, 2, 2, 1),
        dilations=(1, 1, 1, 2),
        out_indices=(0, 1, 2, 3),
        contract_dilation=True,
        norm_cfg={{_base_.backbone_norm}},
        norm_eval=True,
        init_cfg=dict(type='Pretrained', checkpoint='mmcls://resnest269')))
