"""The stage-4 SOD net as a function image file -> saliency map."""

import numpy as np
import torch

from mmwsss.utils.io import check_image_file

from .common import check_checkpoint, load_checkpoint_strict, load_config

#: test-pipeline steps that need a mask, removed for unlabelled images
MASK_TRANSFORMS = ('LoadAnnotations', 'BinarizeMask', 'GenerateEdgeTarget',
                   'GenerateRegionMap')


def build_saliency_model(config, checkpoint, device='cpu', flip=False,
                         cfg_options=None):
    """Load an SOD segmentor in eval mode and the pipeline of its test
    images without masks. Returns ``(model, pipeline)``."""
    cfg = load_config(config, cfg_options)  # first: registers, compat fixes
    from mmengine.dataset import Compose
    from mmengine.model import revert_sync_batchnorm
    from mmseg.apis import init_model

    cfg.model.backbone.init_cfg = None  # weights come from the checkpoint
    if flip:
        cfg.model.test_cfg.flip = True
    check_checkpoint(checkpoint)
    model = init_model(cfg, None, device='cpu')
    # strict: a checkpoint of another architecture (e.g. trained without
    # the edge branch) must not leave layers silently at random
    try:
        ckpt = load_checkpoint_strict(model, checkpoint, config)
    except ValueError as e:
        if 'does not match' not in str(e):
            raise  # an unreadable file: not a --cfg-options problem
        raise ValueError(f'{e} (pass the same --cfg-options as in '
                         'training)') from e
    model.dataset_meta = ckpt.get('meta', {}).get('dataset_meta')
    model = revert_sync_batchnorm(model).to(device).eval()
    if getattr(model.decode_head, 'out_channels', None) != 1:
        raise ValueError(f'{config}: not a saliency model (the decode head '
                         'must have out_channels=1)')
    steps = [t for t in cfg.test_dataloader.dataset.pipeline
             if t['type'] not in MASK_TRANSFORMS]
    return model, Compose(steps)


@torch.no_grad()
def predict_saliency(model, pipeline, img_path):
    """uint8 saliency map (H x W, the image's size) of one image file."""
    check_image_file(img_path)  # empty / truncated: refused by name
    try:
        data = pipeline(dict(img_path=img_path))
    except Exception as e:  # unreadable / corrupt image
        raise ValueError(f'{img_path}: cannot load image ({e})') from e
    batch = dict(inputs=[data['inputs']], data_samples=[data['data_samples']])
    sample = model.test_step(batch)[0]
    prob = sample.seg_logits.data[0].float().clamp(0, 1).cpu().numpy()
    return np.round(prob * 255).astype(np.uint8)
