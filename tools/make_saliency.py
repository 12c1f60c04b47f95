"""Stage 4, inference: saliency maps of a VOC image list with an SOD model.

    python tools/make_saliency.py CONFIG CHECKPOINT --img-dir VOC2012/JPEGImages \\
        --list VOC2012/ImageSets/Segmentation/train_aug.txt --out work/saliency \\
        [--flip] [--device cpu|cuda] [--launcher none|pytorch]

Writes ``<out>/<id>.png``: the saliency probability of the model (sigmoid of
the decode head) as a uint8 grey PNG (``round(255 * p)``) at the original
image size. The image goes through the config's test pipeline (annotation
loading and mask transforms are dropped). Each map is written atomically and
ids whose map exists are skipped, so a killed run resumes; under
``torchrun`` (``--launcher pytorch``) every rank takes its share of the list.
"""
import argparse
import os
import os.path as osp

import numpy as np
import torch
from mmengine.config import DictAction

from mmwsss.utils.io import read_image_list, save_grey_png
from mmwsss.utils.sharding import ShardedJob, get_dist_info, init_tool_dist

#: test-pipeline steps that need a mask, removed for unlabelled images
MASK_TRANSFORMS = ('LoadAnnotations', 'BinarizeMask', 'GenerateEdgeTarget',
                   'GenerateRegionMap')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Write saliency maps of an image list (stage 4)')
    parser.add_argument('config', help='SOD config file')
    parser.add_argument('checkpoint', help='SOD checkpoint')
    parser.add_argument('--img-dir', required=True,
                        help='image folder (e.g. VOC2012/JPEGImages)')
    parser.add_argument('--list', required=True,
                        help='image list, one id per line')
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument('--img-suffix', default='.jpg')
    parser.add_argument('--flip', action='store_true',
                        help='average with the horizontally flipped image')
    parser.add_argument('--device', default=None,
                        help='cpu or cuda (default: cuda when available)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='config overrides, key=value (the same as in '
                        'training)')
    parser.add_argument('--launcher', default='none',
                        choices=['none', 'pytorch', 'slurm', 'mpi'])
    return parser.parse_args(argv)


def build_saliency_model(config, checkpoint, device='cpu', flip=False,
                         cfg_options=None):
    """Load an SOD segmentor in eval mode and the pipeline of its test
    images without masks. Returns ``(model, pipeline)``."""
    from mmengine.config import Config
    from mmengine.dataset import Compose
    from mmengine.model import revert_sync_batchnorm
    from mmengine.runner import load_checkpoint
    from mmseg.apis import init_model

    import mmwsss  # noqa: F401  (registers components)

    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    cfg.model.backbone.init_cfg = None  # weights come from the checkpoint
    if flip:
        cfg.model.test_cfg.flip = True
    if not osp.isfile(checkpoint):
        raise FileNotFoundError(f'checkpoint not found: {checkpoint}')
    model = init_model(cfg, None, device='cpu')
    # strict: a checkpoint of another architecture (e.g. trained without
    # the edge branch) must not leave layers silently at random
    try:
        ckpt = load_checkpoint(model, checkpoint, map_location='cpu',
                               strict=True)
    except RuntimeError as e:
        raise ValueError(f'{checkpoint} does not match the model of {config} '
                         f'(pass the same --cfg-options as in training): '
                         f'{str(e)[:1500]}') from e
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
    if not osp.isfile(img_path):
        raise FileNotFoundError(f'image not found: {img_path}')
    try:
        data = pipeline(dict(img_path=img_path))
    except Exception as e:  # unreadable / corrupt image
        raise ValueError(f'{img_path}: cannot load image ({e})') from e
    batch = dict(inputs=[data['inputs']], data_samples=[data['data_samples']])
    sample = model.test_step(batch)[0]
    prob = sample.seg_logits.data[0].float().clamp(0, 1).cpu().numpy()
    return np.round(prob * 255).astype(np.uint8)


def main(argv=None):
    args = parse_args(argv)
    init_tool_dist(args.launcher)
    ids = read_image_list(args.list)
    job = ShardedJob(ids, lambda i: [osp.join(args.out, f'{i}.png')])
    rank, world = get_dist_info()
    if not job.todo:
        print(f'[rank {rank}/{world}] all {len(job.ids)} saliency maps exist '
              f'in {args.out}; nothing to do')
        return
    missing = [p for p in (osp.join(args.img_dir, i + args.img_suffix)
                           for i in job.todo) if not osp.isfile(p)]
    if missing:  # fail before loading the model
        raise FileNotFoundError(
            f'{len(missing)} images of {args.list} not found, e.g. '
            + ', '.join(missing[:5]))
    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    if device == 'cuda' and world > 1:
        device = f'cuda:{int(os.environ.get("LOCAL_RANK", 0))}'
    model, pipeline = build_saliency_model(
        args.config, args.checkpoint, device, args.flip,
        args.cfg_options)
    os.makedirs(args.out, exist_ok=True)

    def write_one(img_id):
        img_path = osp.join(args.img_dir, img_id + args.img_suffix)
        sal = predict_saliency(model, pipeline, img_path)
        save_grey_png(osp.join(args.out, f'{img_id}.png'), sal)

    job.run(write_one, desc='saliency')
    print(f'[rank {rank}/{world}] wrote {len(job.todo)} saliency maps to '
          f'{args.out} ({len(job.ids) - len(job.todo)} existed)')


if __name__ == '__main__':
    from mmwsss.utils.sharding import close_dist
    main()
    close_dist()
