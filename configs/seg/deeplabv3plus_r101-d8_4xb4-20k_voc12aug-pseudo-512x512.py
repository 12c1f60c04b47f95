# DeepLabV3+-ResNet-101 (ImageNet weights) on VOC train_aug pseudo-labels,
# evaluated on VOC val: mmseg's deeplabv3plus_r101-d8_4xb4-20k_voc12aug with
# the pseudo-label dataset. Set the pseudo-label folder and data root as
# documented in configs/_base_/datasets/voc12aug_pseudo.py.
_base_ = [
    'mmseg::_base_/models/deeplabv3plus_r50-d8.py',
    '../_base_/datasets/voc12aug_pseudo.py',
    '../_base_/default_runtime_seg.py',
    'mmseg::_base_/schedules/schedule_20k.py'
]
crop_size = (512, 512)
data_preprocessor = dict(size=crop_size)
model = dict(
    data_preprocessor=data_preprocessor,
    pretrained=None,
    backbone=dict(
        depth=101,
        init_cfg=dict(
            type='Pretrained', checkpoint='open-mmlab://resnet101_v1c')),
    # cross-entropy averaged over the valid pixels only (padding and 255
    # not counted), as the WSSS references do (docs/segmentation.md)
    decode_head=dict(num_classes=21, loss_decode=dict(avg_non_ignore=True)),
    auxiliary_head=dict(
        num_classes=21, loss_decode=dict(avg_non_ignore=True)))
