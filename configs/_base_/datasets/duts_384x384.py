# DUTS for salient object detection (stage 4): train on DUTS-TR, test on
# DUTS-TE, images resized to 384 x 384 (the usual SOD protocol); the
# prediction is resized back to the original image size for evaluation.
# ECSSD / HKU-IS / PASCAL-S / DUT-OMRON use the same dataset type with
# their folders, e.g. data_prefix=dict(img_path='images',
# seg_map_path='ground_truth_mask').
dataset_type = 'DUTSDataset'
data_root = 'data/DUTS'
img_scale = (384, 384)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='BinarizeMask', threshold=128),
    dict(
        type='RandomResize',
        scale=img_scale,
        ratio_range=(1.0, 1.25),
        keep_ratio=False),
    dict(type='RandomCrop', crop_size=img_scale),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='GenerateEdgeTarget', radius=2),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=img_scale, keep_ratio=False),
    dict(type='LoadAnnotations'),
    dict(type='BinarizeMask', threshold=128),
    dict(type='PackSegInputs')
]
train_dataloader = dict(
    batch_size=8,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(
            img_path='DUTS-TR/DUTS-TR-Image',
            seg_map_path='DUTS-TR/DUTS-TR-Mask'),
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
            img_path='DUTS-TE/DUTS-TE-Image',
            seg_map_path='DUTS-TE/DUTS-TE-Mask'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='SODMetric', beta2=0.3, alpha=0.5)
test_evaluator = val_evaluator
