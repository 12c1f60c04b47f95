# The toy SOD demo (rgbsod_r18-w16_1xb8-800_toy-160x160.py) with a very
# small Swin encoder (embed 32, depths 1-1-2-1, window 5): the same family
# as the paper-scale configs, trainable on CPU. From scratch it learns more
# slowly than the thin ResNet of the demo (numbers in docs/sod.md).
_base_ = ['./rgbsod_r18-w16_1xb8-800_toy-160x160.py']
img_scale = (160, 160)
model = dict(
    backbone=dict(
        _delete_=True,
        type='SwinTransformer',
        pretrain_img_size=img_scale,
        embed_dims=32,
        patch_size=4,
        window_size=5,
        mlp_ratio=4,
        depths=[1, 1, 2, 1],
        num_heads=[1, 2, 4, 8],
        strides=(4, 2, 2, 2),
        out_indices=(0, 1, 2, 3),
        qkv_bias=True,
        drop_path_rate=0.0,
        act_cfg=dict(type='GELU'),
        norm_cfg=dict(type='LN', requires_grad=True),
        init_cfg=None),
    neck=dict(in_channels=[32, 64, 128, 256]))
optim_wrapper = dict(
    paramwise_cfg=dict(
        _delete_=True,
        custom_keys={
            'relative_position_bias_table': dict(decay_mult=0.),
            'norm': dict(decay_mult=0.)
        }))
