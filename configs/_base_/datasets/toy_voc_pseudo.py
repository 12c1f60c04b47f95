# The procedural toy dataset (tools/make_toy_data.py, VOC layout, 7 classes)
# for stage 6 on CPU: train on `train_aug` with labels from a pseudo-label
# folder, validate on `val` with the toy ground truth (SegmentationClassAug).
#
# Keys to set from the command line (mmengine substitutes the variables below
# when the file is read, so override the resolved keys):
#   train_dataloader.dataset.data_prefix.seg_map_path=<pseudo-label folder>
#       (absolute, or relative to the data root; `SegmentationClassAug`
#        trains on the ground truth: the upper bound)
#   train_dataloader.dataset.data_root=<toy>/VOC2012
#   val_dataloader.dataset.data_root=<toy>/VOC2012
#   test_dataloader.dataset.data_root=<toy>/VOC2012
#
# The toy images (160 px) are used at half size (80 px) with 64 px training
# crops: on a CPU budget the CPU demo model learns more from whole-object
# context at low resolution than from sharp crops at full size.
dataset_type = 'PseudoLabelVOCDataset'
data_root = 'data/toy/VOC2012'
pseudo_label_dir = 'pseudo_labels'
classes = ('background', 'ball', 'box', 'star', 'train', 'bottle', 'chair')
metainfo = dict(classes=classes)
img_scale = (80, 80)
crop_size = (64, 64)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(
        type='RandomResize',
        scale=img_scale,
        ratio_range=(0.75, 1.5),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='Pad', size=crop_size),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs')
]
# multi-scale + flip testing: `tools/test.py CONFIG CKPT --tta`; scale
# factors of the original image: 0.5..1.75 times the 80 px working size
img_ratios = [0.25, 0.375, 0.5, 0.625, 0.75, 0.875]
tta_pipeline = [
    dict(type='LoadImageFromFile', backend_args=None),
    dict(
        type='TestTimeAug',
        transforms=[
            [
                dict(type='Resize', scale_factor=r, keep_ratio=True)
                for r in img_ratios
            ],
            [
                dict(type='RandomFlip', prob=0., direction='horizontal'),
                dict(type='RandomFlip', prob=1., direction='horizontal')
            ], [dict(type='LoadAnnotations')], [dict(type='PackSegInputs')]
        ])
]
train_dataloader = dict(
    batch_size=8,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        metainfo=metainfo,
        data_root=data_root,
        data_prefix=dict(img_path='JPEGImages', seg_map_path=pseudo_label_dir),
        ann_file='ImageSets/Segmentation/train_aug.txt',
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        metainfo=metainfo,
        data_root=data_root,
        data_prefix=dict(
            img_path='JPEGImages', seg_map_path='SegmentationClassAug'),
        ann_file='ImageSets/Segmentation/val.txt',
        pipeline=test_pipeline))
test_dataloader = val_dataloader

val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
