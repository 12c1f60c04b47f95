# Stage 3 (expand), IRN's relation network: the class-boundary branch of
# "Weakly Supervised Learning of Instance Segmentation with Inter-pixel
# Relations" (CVPR 2019) on ResNet-50, trained on VOC `train_aug` from the
# relation labels of `mmwsss.expand.make_relation_labels` (read as the label
# maps of the images: 0 background, c + 1 class c, 255 unknown).
#
# IRN's recipe (run_sample.py, step/train_irn.py): ImageNet ResNet-50 with
# strides (2, 2, 2, 1), frozen (features detached, BN in eval mode), its
# boundary branch on the stem (after the max-pool, stride 4) and the four
# stages (ResNetWithStem: mmseg's ResNet plus the stem output); random
# rescale 0.5-1.5, flip, 512 crop; batch 32, 3 epochs, lr 0.1 with poly decay
# (power 0.9) on the boundary branch, pairs within radius 10 at stride 4.
# IRN's "10x" learning rate belongs to its displacement branch (instance
# segmentation), which this semantic-only stage does not build; with the
# backbone frozen the boundary branch is the only trained part, at 0.1.
# IRN's PolyOptimizer passes its weight decay in SGD's momentum slot (its
# momentum is 1e-4, i.e. none; the parameter groups carry the decay 1e-4):
# here momentum 0, weight decay 1e-4, as the CAM configs.
#
#   python tools/train.py configs/irn/irn_r50_1xb32-3e_voc12aug-512x512.py \
#     --cfg-options train_dataloader.dataset.data_root=<.../VOC2012> \
#       train_dataloader.dataset.data_prefix.seg_map_path=<relation labels>
_base_ = ['../_base_/default_runtime_seg.py']

data_root = 'data/VOCdevkit/VOC2012'
relation_label_dir = 'ir_labels'
classes = ('background', 'aeroplane', 'bicycle', 'bird', 'boat', 'bottle',
           'bus', 'car', 'cat', 'chair', 'cow', 'diningtable', 'dog',
           'horse', 'motorbike', 'person', 'pottedplant', 'sheep', 'sofa',
           'train', 'tvmonitor')
crop_size = (512, 512)
pair_radius = 10

data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    size=crop_size)
model = dict(
    type='EncoderDecoder',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='ResNetWithStem',   # the stem too: IRN's five edge branches
        depth=50,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        strides=(1, 2, 2, 1),
        dilations=(1, 1, 1, 1),
        frozen_stages=4,
        norm_cfg=dict(type='BN', requires_grad=False),
        norm_eval=True,
        style='pytorch',
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')),
    decode_head=dict(
        type='ClassBoundaryHead',
        in_channels=[64, 256, 512, 1024, 2048],
        in_index=[0, 1, 2, 3, 4],
        channels=32,
        num_groups=4,
        align_corners=False,
        loss_decode=dict(type='PairwiseAffinityLoss', radius=pair_radius)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    # IRN rescales the image by 0.5-1.5; VOC images are ~500 px long
    dict(type='RandomResize', scale=(512, 512), ratio_range=(0.5, 1.5),
         keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='PackSegInputs')
]
train_dataloader = dict(
    batch_size=32,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='PseudoLabelVOCDataset',
        metainfo=dict(classes=classes),
        data_root=data_root,
        data_prefix=dict(img_path='JPEGImages',
                         seg_map_path=relation_label_dir),
        ann_file='ImageSets/Segmentation/train_aug.txt',
        pipeline=train_pipeline))
val_dataloader = None
val_evaluator = None
val_cfg = None
test_dataloader = None
test_evaluator = None
test_cfg = None

max_epochs = 3
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.1, momentum=0.0, weight_decay=1e-4))
param_scheduler = [
    dict(type='PolyLR', power=0.9, eta_min=0.0, by_epoch=True, begin=0,
         end=max_epochs, convert_to_iter_based=True)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    checkpoint=dict(type='CheckpointHook', by_epoch=True, interval=1,
                    max_keep_ckpts=1))
randomness = dict(seed=0)
