# PASCAL VOC 2012 for stage 6: train on `train_aug` (10582 images) with labels
# read from a folder of pseudo-label PNGs, validate on `val` (1449) with the
# real ground truth. Pipelines mirror mmseg's `pascal_voc12_aug.py`.
#
# Drop-in use with any mmseg model, composed the way mmseg composes its own
# configs (mmengine forbids the same key in two `_base_` files, so combine it
# with mmseg's *model* base, not with a complete mmseg config):
#   _base_ = ['mmseg::_base_/models/deeplabv3plus_r50-d8.py',
#             '../_base_/datasets/voc12aug_pseudo.py',
#             '../_base_/default_runtime_seg.py',
#             'mmseg::_base_/schedules/schedule_20k.py']
#
# Keys to set from the command line (mmengine substitutes the variables below
# when the file is read, so override the resolved keys):
#   train_dataloader.dataset.data_prefix.seg_map_path=<pseudo-label folder>
#       (absolute, or relative to the data root)
#   train_dataloader.dataset.data_root=<.../VOC2012>
#   val_dataloader.dataset.data_root=<.../VOC2012>
#   test_dataloader.dataset.data_root=<.../VOC2012>
# Label files are checked (exist, readable, image-sized) when the datasets
# are built, before the first iteration.
dataset_type = 'PseudoLabelVOCDataset'
data_root = 'data/VOCdevkit/VOC2012'
# folder of <id>.png pseudo-labels (palette PNGs, 255 = ignore); relative to
# data_root or absolute
pseudo_label_dir = 'pseudo_labels'
crop_size = (512, 512)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(
        type='RandomResize',
        scale=(2048, 512),
        ratio_range=(0.5, 2.0),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='Pad', size=crop_size),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(2048, 512), keep_ratio=True),
    # annotations after Resize: the metric compares at the original size
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs')
]
# multi-scale + flip testing: `tools/test.py CONFIG CKPT --tta`
img_ratios = [0.5, 0.75, 1.0, 1.25, 1.5, 1.75]
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
    batch_size=4,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='JPEGImages', seg_map_path=pseudo_label_dir),
        ann_file='ImageSets/Segmentation/train_aug.txt',
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(
            img_path='JPEGImages', seg_map_path='SegmentationClass'),
        ann_file='ImageSets/Segmentation/val.txt',
        pipeline=test_pipeline))
test_dataloader = val_dataloader

val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
