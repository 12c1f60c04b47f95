# IRN's CAM classifier recipe with a ResNet-101 backbone (see the R-50
# config for the recipe).
_base_ = './cam_r50-s16_1xb16-5e_voc12aug-512x512.py'

model = dict(
    backbone=dict(
        depth=101,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.openmmlab.com/mmclassification/v0/'
            'resnet/resnet101_8xb32_in1k_20210831-539c63f8.pth',
            prefix='backbone')))
