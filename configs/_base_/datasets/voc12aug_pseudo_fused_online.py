# As `voc12aug_pseudo.py`, but the Salient Object Selector fuses each
# training label online (stage 5 inside the data pipeline): the unfused CAM
# pseudo-label is loaded as `gt_seg_map`, then `SelectorFusion` replaces the
# class region of single-class images by the saliency mask where the selector
# says so, before any geometric augmentation. Same result as training on the
# folder written by `tools/run_select.py`, without the offline pass.
#
# Extra keys to set from the command line (besides those of
# voc12aug_pseudo.py; `train_pipeline` is resolved into the dataset):
#   train_dataloader.dataset.data_prefix.seg_map_path=<unfused pseudo-labels>
#   train_dataloader.dataset.pipeline.2.sal_dir=<saliency folder>
#   train_dataloader.dataset.pipeline.3.cls_labels_file=<cls_labels.npy>
#   train_dataloader.dataset.pipeline.4.norms_file=<class salience json>
_base_ = ['./voc12aug_pseudo.py']

data_root = 'data/VOCdevkit/VOC2012'
crop_size = (512, 512)
# stage 3 output: unfused CAM pseudo-labels (<id>.png)
pseudo_label_dir = 'pseudo_cam'
# stage 4 output: saliency maps (<id>.png, uint8)
saliency_dir = data_root + '/saliency'
# image-level labels (dict id -> float[20])
cls_labels_file = data_root + '/cls_labels.npy'
# class salience norms n_c (tools/class_salience.py)
norms_file = data_root + '/class_salience.json'

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='LoadSaliencyMap', sal_dir=saliency_dir),
    dict(type='LoadImageLevelLabel', cls_labels_file=cls_labels_file),
    dict(type='SelectorFusion', norms_file=norms_file, mode='hard'),
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
train_dataloader = dict(
    dataset=dict(
        data_prefix=dict(img_path='JPEGImages', seg_map_path=pseudo_label_dir),
        pipeline=train_pipeline))
