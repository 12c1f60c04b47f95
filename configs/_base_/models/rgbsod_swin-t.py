# RGB-SOD network (stage 4): Swin encoder -> edge-aware modules R1-R4 (R4
# predicts the edge map) -> four PATM blocks joined by transposed convs.
# Swin-T, ImageNet weights by init_cfg (set in the dataset-level configs).
norm_cfg = dict(type='SyncBN', requires_grad=True)  # BN on CPU (compat)
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255)
model = dict(
    type='SODEncoderDecoder',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='SwinTransformer',
        pretrain_img_size=224,
        embed_dims=96,
        patch_size=4,
        window_size=7,
        mlp_ratio=4,
        depths=[2, 2, 6, 2],
        num_heads=[3, 6, 12, 24],
        strides=(4, 2, 2, 2),
        out_indices=(0, 1, 2, 3),
        qkv_bias=True,
        qk_scale=None,
        patch_norm=True,
        drop_rate=0.,
        attn_drop_rate=0.,
        drop_path_rate=0.3,
        use_abs_pos_embed=False,
        act_cfg=dict(type='GELU'),
        norm_cfg=dict(type='LN', requires_grad=True)),
    neck=dict(
        type='EdgeAwareNeck',
        in_channels=[96, 192, 384, 768],
        channels=128,
        edge_channels=64,
        with_edge=True,
        norm_cfg=norm_cfg),
    decode_head=dict(
        type='PATMHead',
        in_channels=[128, 128, 128, 128],
        in_index=[0, 1, 2, 3],
        channels=128,
        num_blocks=1,
        mlp_ratio=2.0,
        # edge features / logit come from the neck by name; their width and
        # whether there are any follow model.neck (edge_channels, with_edge)
        num_classes=2,
        out_channels=1,
        threshold=0.5,
        dropout_ratio=0.1,
        norm_cfg=norm_cfg,
        align_corners=False,
        side_loss_weights=(0.5, 0.25, 0.125),
        loss_decode=dict(type='StructureLoss', kernel_size=31,
                         loss_weight=1.0),
        # used only while model.neck.with_edge (the ablation switch)
        loss_edge=dict(type='EdgeBCELoss', balanced=True, loss_weight=1.0)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
