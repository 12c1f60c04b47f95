"""A stage-6 segmenter as a function image file -> label map."""
import copy

import torch

from mmwsss.utils.io import check_image_file

from .common import check_checkpoint, load_checkpoint_strict, load_config


def init_segmenter(config, checkpoint, device='cpu', tta=False,
                   cfg_options=None):
    """(model, pipeline) of a segmentation config and checkpoint."""
    cfg = load_config(config, cfg_options)
    check_checkpoint(checkpoint)
    return build_predictor(cfg, checkpoint, device, tta)


def _without_annotations(pipeline):
    """A test pipeline with every ``LoadAnnotations`` removed (also inside
    ``TestTimeAug``): test images have no labels."""
    out = []
    for step in copy.deepcopy(pipeline):
        if step.get('type') == 'LoadAnnotations':
            continue
        if step.get('type') == 'TestTimeAug':
            groups = []
            for group in step['transforms']:
                group = [t for t in group
                         if t.get('type') != 'LoadAnnotations']
                if group:
                    groups.append(group)
            step['transforms'] = groups
        out.append(step)
    return out


def build_predictor(cfg, checkpoint, device, tta=False):
    """(model, pipeline) for inference from a config and a checkpoint."""
    from mmengine.dataset import Compose
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.pretrained = None
    model_cfg.train_cfg = None
    # weights come from the checkpoint: skip ImageNet init_cfg downloads
    model = MODELS.build(model_cfg)
    load_checkpoint_strict(model, checkpoint, cfg.filename)
    if tta:
        if 'tta_model' not in cfg or 'tta_pipeline' not in cfg:
            raise ValueError(f'{cfg.filename}: --tta needs `tta_model` and '
                             '`tta_pipeline` in the config')
        model = MODELS.build(dict(copy.deepcopy(cfg.tta_model),
                                  module=model))
        pipeline = cfg.tta_pipeline
    else:
        pipeline = cfg.get('test_pipeline') or \
            cfg.test_dataloader.dataset.pipeline
    model.to(device).eval()
    return model, Compose(_without_annotations(pipeline))


def predict_label(model, pipeline, img_path):
    """uint8 H x W class-index map for one image."""
    from mmengine.dataset import pseudo_collate
    check_image_file(img_path)  # empty / truncated: refused by name
    data = pipeline(dict(img_path=img_path, seg_fields=[],
                         reduce_zero_label=False))
    with torch.no_grad():
        sample = model.test_step(pseudo_collate([data]))[0]
    return sample.pred_sem_seg.data[0].cpu().numpy().astype('uint8')
