# Stage 3 (expand) on CPU, real VOC photographs
# (configs/pipelines/voc12_cpu_pipeline.py): IRN's relation network of
# irn_r50_1xb32-3e_voc12aug-512x512.py on its own frozen ImageNet backbone,
# EfficientNet-Lite0 (weights from the `[pretrained]` extra) instead of
# ResNet-50, as IRN freezes its ImageNet ResNet-50: only the boundary branch
# trains. Five levels as IRN's five edge branches, the stem included: level
# 0 (stem + blocks.0, stride 2, reduced to stride 4), 1 (4), 2 (8), 3 (16)
# and 4 (16: output stride 16, the last level dilated); 16/24/40/112/320
# channels; the boundary map is at stride 4 as IRN's. Half IRN's scale for
# a laptop: 256 crops of images rescaled by 0.35-0.7 (a 500 px VOC image ->
# 175..350 px; IRN: 0.5-1.5 and 512 crops), batch 8.
#
# Length and step size: IRN trains 3 epochs of 10,582 images at batch 32
# (~1,000 steps); 3 epochs of a few hundred photos at batch 8 left the
# boundary branch almost untrained (on 334 voc_real_dev photos its loss went
# 0.68 -> 0.55 in 126 steps and the boundary map was as high inside objects
# as on their outlines). Hence 8 epochs and SGD momentum 0.9 (IRN: none),
# lr 0.1 with poly decay on the boundary branch; pairs within radius 10 at
# stride 4. With the CRF relation labels of the pipeline this gave a
# boundary map of 0.12 inside objects and 0.27 on their outlines (every 3rd
# train photo); 10 epochs, or rescaling by 0.7-1.0, walked no better.
#
#   python tools/train.py configs/irn/irn_effnet-lite0_1xb8-8e_voc12-256x256.py \
#     --cfg-options train_dataloader.dataset.data_root=<.../VOC2012> \
#       train_dataloader.dataset.data_prefix.seg_map_path=<relation labels> \
#       train_dataloader.dataset.ann_file=ImageSets/Segmentation/train.txt
_base_ = ['./irn_r50_1xb32-3e_voc12aug-512x512.py']

crop_size = (256, 256)
mean = [127.5, 127.5, 127.5]
model = dict(
    data_preprocessor=dict(mean=mean, std=mean, size=crop_size),
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
        out_level=1))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomResize', scale=(500, 500), ratio_range=(0.35, 0.7),
         keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='PackSegInputs')
]
train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(ann_file='ImageSets/Segmentation/train.txt',
                 pipeline=train_pipeline))

max_epochs = 8
optim_wrapper = dict(optimizer=dict(lr=0.1, momentum=0.9))
param_scheduler = [
    dict(type='PolyLR', power=0.9, eta_min=0.0, by_epoch=True, begin=0,
         end=max_epochs, convert_to_iter_based=True)
]
train_cfg = dict(max_epochs=max_epochs)
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=1, max_keep_ckpts=1))
