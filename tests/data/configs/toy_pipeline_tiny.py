# The demo pipeline at a reduced size, for the CI test of run_pipeline.py:
# a small toy set and a few iterations per training stage. Paths are set by
# the test (--work-dir, --cfg-options data.*).
_base_ = ['../../../configs/pipelines/toy_pipeline.py']

data = dict(toy=dict(num_images=40, size=96))
classify = dict(cfg_options={
    'train_cfg.max_epochs': 2, 'train_cfg.val_interval': 2,
    'default_hooks.checkpoint.interval': 2
})
# no label CRF (the [crf] extra is optional), one epoch of the relation net
expand = dict(relation=dict(refine=None), cfg_options={
    'train_cfg.max_epochs': 1, 'default_hooks.checkpoint.interval': 1})
saliency = dict(cfg_options={  # a checkpoint mid-run: the kill test resumes it
    'train_cfg.max_iters': 6, 'train_cfg.val_interval': 6,
    'default_hooks.checkpoint.interval': 3
})
segment = dict(cfg_options={
    'train_cfg.max_iters': 6, 'train_cfg.val_interval': 6,
    'default_hooks.checkpoint.interval': 6
})
report = dict(num_samples=3)
