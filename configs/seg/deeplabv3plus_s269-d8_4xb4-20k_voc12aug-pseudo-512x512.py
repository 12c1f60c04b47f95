# Paper Table 1, row "ResNeSt269" (VOC val 77.5 mIoU in the paper): DeepLabV3+
# with ResNeSt-269, which mmseg lacks; `MMPretrainResNeSt` is mmpretrain's
# ResNeSt used as an mmseg backbone (output stride 8). The ImageNet weights
# are mmpretrain's (`mmcls://resnest269`); checkpoints in mmseg's ResNeSt
# naming load too (keys are mapped on loading).
_base_ = './deeplabv3plus_r101-d8_4xb4-20k_voc12aug-pseudo-512x512.py'
norm_cfg = dict(type='SyncBN', requires_grad=True)
model = dict(
    backbone=dict(
        _delete_=True,
        type='MMPretrainResNeSt',
        depth=269,
        stem_channels=128,
        radix=2,
        reduction_factor=4,
        avg_down_stride=True,
        strides=(1, 2, 1, 1),
        dilations=(1, 1, 2, 4),
        out_indices=(0, 1, 2, 3),
        contract_dilation=True,
        norm_cfg=norm_cfg,
        norm_eval=False,
        init_cfg=dict(type='Pretrained', checkpoint='mmcls://resnest269')))
