# RGB-SOD with Swin-B (ImageNet-22k weights, 384 x 384, window 12): the
# paper-scale model. Same recipe as the Swin-T config: 4 GPUs x 8 images,
# 13k iterations (~40 epochs of DUTS-TR) at 384 x 384, AdamW lr 1e-4
# (backbone x0.1), warm-up + poly.
_base_ = ['./rgbsod_swin-t-p4-w7_4xb8-13k_duts-384x384.py']
checkpoint_file = 'https://download.openmmlab.com/mmsegmentation/v0.5/pretrain/swin/swin_base_patch4_window12_384_22k_20220317-e5c09f74.pth'  # noqa
model = dict(
    backbone=dict(
        pretrain_img_size=384,
        embed_dims=128,
        depths=[2, 2, 18, 2],
        num_heads=[4, 8, 16, 32],
        window_size=12,
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint_file)),
    neck=dict(in_channels=[128, 256, 512, 1024], channels=192,
              edge_channels=64),
    decode_head=dict(in_channels=[192, 192, 192, 192], channels=192))
