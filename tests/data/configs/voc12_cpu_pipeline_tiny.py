# The real-photo CPU pipeline at CI size, for tests/integration/
# test_real_data_pipeline.py: a handful of real VOC and DUTS images (the test
# builds the folders and sets --work-dir and data.*), a few iterations per
# training stage, fewer CAM scales; the relation labels without the CRF so
# that the test needs no [crf] extra.
_base_ = ['../../../configs/pipelines/voc12_cpu_pipeline.py']

classify = dict(cfg_options={
    'train_dataloader.batch_size': 4, 'train_cfg.max_epochs': 1,
    'train_cfg.val_begin': 2
})
cam = dict(scales=[0.5], flip=True)
expand = dict(
    relation=dict(refine='none'),
    walk=dict(exp_times=3),
    cfg_options={'train_dataloader.batch_size': 4, 'train_cfg.max_epochs': 1})
saliency = dict(cfg_options={
    'train_dataloader.batch_size': 2, 'train_cfg.max_iters': 2,
    'train_cfg.val_begin': 3, 'default_hooks.checkpoint.interval': 2
})
segment = dict(cfg_options={
    'train_dataloader.batch_size': 2, 'train_cfg.max_iters': 2,
    'train_cfg.val_begin': 3, 'default_hooks.checkpoint.interval': 2
})
report = dict(num_samples=3)
