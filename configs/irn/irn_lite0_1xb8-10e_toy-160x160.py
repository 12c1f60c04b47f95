# Stage 3 (expand) on the procedural toy data, CPU: IRN's relation network
# on its own frozen ImageNet backbone, EfficientNet-Lite0 (ImageNet-1k
# weights of the `[pretrained]` extra), as IRN uses a frozen ImageNet
# ResNet-50 apart from its CAM classifier. The boundary head reads the five
# levels, stem included (IRN's fc_edge1..5): level 0 (stem + blocks.0,
# stride 2, reduced to stride 4), 1 (stride 4), 2 (8), 3 (16) and 4 (16:
# output stride 16, as IRN's ResNet-50 with strides (2, 2, 2, 1)); the
# boundary map is at stride 4 (40 x 40 at 160 px). Every backbone layer is
# frozen (requires_grad False, BN in eval mode): only the head trains.
# Whole 160 px images (mild rescale, flip), pairs within radius 10.
#
#   python tools/train.py configs/irn/irn_lite0_1xb8-10e_toy-160x160.py \
#     --cfg-options train_dataloader.dataset.data_root=<toy>/VOC2012 \
#       train_dataloader.dataset.data_prefix.seg_map_path=<relation labels>
_base_ = ['./irn_r18-w16_1xb8-10e_toy-160x160.py']

model = dict(
    data_preprocessor=dict(mean=[127.5] * 3, std=[127.5] * 3,
                           bgr_to_rgb=True, pad_val=0),
    backbone=dict(
        _delete_=True,
        type='EfficientNetLite',
        arch='lite0',
        out_indices=(0, 1, 2, 3, 4),
        output_stride=16,
        frozen_stages=6,
        norm_eval=True,
        init_cfg=dict(type='Pretrained',
                      checkpoint='efficientnet-lite0-57934424.pth')),
    decode_head=dict(
        in_channels=[16, 24, 40, 112, 320],
        in_index=[0, 1, 2, 3, 4],
        out_level=1,
        channels=32))
