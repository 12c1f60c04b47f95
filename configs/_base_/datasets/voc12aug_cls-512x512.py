# PASCAL VOC 2012 + SBD image-level labels (stage 1, the CAM classifier):
# train on `train_aug` (10582) with cls_labels.npy, validate on `val` (1449).
# IRN's augmentation: long side resized to a random 320..640, horizontal
# flip, 512x512 random crop padded with the mean colour, i.e. with 0 after
# normalisation as IRN pads its normalised image (misc/imutils.py
# random_crop(img, 512, 0)). mm pipelines hold BGR images, so the pad value
# is the mean in BGR order; the image is float32 from loading on so that the
# pad is the exact mean and normalises to exactly 0.
dataset_type = 'VOCImageLabelDataset'
data_root = 'data/VOCdevkit/VOC2012'
data_preprocessor = dict(
    num_classes=20,
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True,
    to_onehot=True)
crop_size = 512
mean_bgr = data_preprocessor['mean'][::-1]
train_pipeline = [
    dict(type='LoadImageFromFile', to_float32=True),
    # scale 512 x ratio in (0.625, 1.25): long side 320..640, aspect kept
    dict(type='RandomResize', scale=(crop_size, crop_size),
         ratio_range=(0.625, 1.25), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomCrop', crop_size=crop_size, pad_if_needed=True,
         pad_val=tuple(mean_bgr)),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=crop_size, edge='long'),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=16,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train_aug',
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='val',
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
# mAP (mmpretrain's AveragePrecision) and F1 at score 0.5, in percent
val_evaluator = [
    dict(type='AveragePrecision'),
    dict(type='MultiLabelMetric', thr=0.5, average='macro'),
]
test_evaluator = val_evaluator
