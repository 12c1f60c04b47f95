"""Stage 2: multi-scale + flip CAMs of a split, one ``<id>.npz`` per image.

    python tools/make_cam.py CONFIG CHECKPOINT --data-root D \
        --split train_aug --out work/cams [--scales 1.0 0.5 1.5 2.0] \
        [--no-flip] [--cls-labels F | --labels-from-mask] [--device cpu]

    # several processes (GPUs, or CPU processes with gloo):
    torchrun --nproc_per_node 2 tools/make_cam.py ... --launcher pytorch

CONFIG/CHECKPOINT: a stage-1 classifier (mmpretrain ``ImageClassifier`` with a
``CAMHead``). CAMs are made only for the classes of the image-level label
(``<data-root>/cls_labels.npy``, or derived from the masks), with IRN's
protocol (see :func:`mmwsss.cam.multiscale_cam`), and stored as
``keys`` (int64 0-based class indices) + ``cams`` (float16 K x H x W in
[0, 1], image size). Each file is written atomically and images whose file
exists are skipped, so a killed run resumes where it stopped; under torchrun
every rank takes every world_size-th image. Each image is computed alone (a
batch of the image and its mirror per scale) with a fixed number of CPU
threads (``--threads``, default 1), so the files are byte-identical whatever
the number of processes or an interruption (oneDNN's convolution results
depend on the thread count). On CPU, scale out with torchrun processes.
"""
import argparse
import os
import os.path as osp
import sys
import time

import cv2
import numpy as np
import torch


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Make multi-scale CAMs of a split (stage 2)')
    parser.add_argument('config', help='classifier config (configs/cam)')
    parser.add_argument('checkpoint', help='classifier checkpoint')
    parser.add_argument('--data-root', required=True,
                        help='VOC2012-style folder (JPEGImages, ImageSets/'
                        'Segmentation, cls_labels.npy)')
    parser.add_argument('--split', default='train_aug',
                        help='list name under ImageSets/Segmentation, or a '
                        'list file (default train_aug)')
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument('--img-dir', default='JPEGImages',
                        help='image folder (under --data-root if relative)')
    parser.add_argument('--img-suffix', default='.jpg')
    parser.add_argument('--scales', type=float, nargs='+',
                        default=[1.0, 0.5, 1.5, 2.0])
    parser.add_argument('--no-flip', action='store_true',
                        help='do not add the mirrored image')
    parser.add_argument('--cls-labels', default=None,
                        help='image-level labels (default <data-root>/'
                        'cls_labels.npy)')
    parser.add_argument('--labels-from-mask', action='store_true',
                        help='take the classes from the masks in --mask-dir '
                        'instead of cls_labels.npy')
    parser.add_argument('--mask-dir', default='SegmentationClassAug')
    parser.add_argument('--device', default=None,
                        help='cpu / cuda (default: cuda if available; under '
                        'torchrun cuda:LOCAL_RANK)')
    parser.add_argument('--threads', type=int, default=1,
                        help='torch CPU threads per process (default 1; the '
                        'files are byte-identical between runs with the same '
                        'value)')
    parser.add_argument('--cfg-options', nargs='+', default=None,
                        help='override config settings, key=value')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm',
                                               'mpi'], default='none')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    return parser.parse_args(argv)


def _root(data_root, path):
    return path if osp.isabs(path) else osp.join(data_root, path)


def image_labels(args, ids, num_classes):
    """id -> int64 array of the present classes (0-based)."""
    from mmwsss.utils import labels_from_mask, load_cls_labels, load_label_png
    out = {}
    if args.labels_from_mask:
        mask_dir = _root(args.data_root, args.mask_dir)
        for img_id in ids:
            path = osp.join(mask_dir, img_id + '.png')
            try:
                vec = labels_from_mask(load_label_png(path), num_classes)
            except ValueError as e:
                raise ValueError(f'{path}: {e}') from e
            out[img_id] = np.flatnonzero(vec)
        return out
    path = args.cls_labels or osp.join(args.data_root, 'cls_labels.npy')
    table = load_cls_labels(path)
    for img_id in ids:
        if img_id not in table:
            raise KeyError(f'{path}: no image-level label for {img_id!r}')
        vec = table[img_id]
        if vec.size != num_classes:
            raise ValueError(f'{path}: label of {img_id!r} has {vec.size} '
                             f'classes but the classifier has {num_classes}')
        out[img_id] = np.flatnonzero(vec > 0.5)
    return out


class CAMModel:
    """A stage-1 classifier as a function image (BGR uint8) -> CAMs."""

    def __init__(self, config, checkpoint, device='cpu', cfg_options=None):
        from mmengine.config import Config
        from mmengine.registry import init_default_scope
        from mmengine.runner import load_checkpoint

        import mmwsss  # noqa: F401  (registers CAMHead, compat fixes)
        cfg = Config.fromfile(config)
        if cfg_options:
            cfg.merge_from_dict(cfg_options)
        init_default_scope(cfg.get('default_scope', 'mmpretrain'))
        from mmpretrain.registry import MODELS
        model = MODELS.build(cfg.model)
        if not hasattr(getattr(model, 'head', None), 'cam_logits'):
            raise TypeError(f'{config}: the model head must be a CAMHead '
                            f'(got {type(getattr(model, "head", None))})')
        if not osp.isfile(checkpoint):
            raise FileNotFoundError(f'checkpoint not found: {checkpoint}')
        load_checkpoint(model, checkpoint, map_location='cpu', logger='silent')
        self.model = model.to(device).eval()
        self.device = device
        # oneDNN runs these convolutions faster on NHWC tensors
        self.channels_last = torch.device(device).type == 'cpu'
        if self.channels_last:
            self.model.to(memory_format=torch.channels_last)
        self.num_classes = model.head.num_classes
        pre = model.data_preprocessor
        self.to_rgb = bool(getattr(pre, '_channel_conversion', False))
        if getattr(pre, '_enable_normalize', False):
            self.mean = pre.mean.detach().float().view(1, -1, 1, 1).to(device)
            self.std = pre.std.detach().float().view(1, -1, 1, 1).to(device)
        else:
            self.mean = self.std = None

    def prepare(self, bgr):
        """HxWx3 uint8 BGR -> normalised 1x3xHxW float tensor."""
        img = bgr[..., ::-1] if self.to_rgb else bgr
        x = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))
        x = x.to(self.device, torch.float32)[None]
        if self.mean is not None:
            x = (x - self.mean) / self.std
        return x

    def cam_logits(self, batch):
        """Raw class maps ``W * X`` of a batch (B x C x h x w)."""
        if self.channels_last:
            batch = batch.contiguous(memory_format=torch.channels_last)
        return self.model.head.cam_logits(self.model.extract_feat(batch))

    @torch.inference_mode()
    def __call__(self, bgr, keys, scales=(1.0, 0.5, 1.5, 2.0), flip=True):
        from mmwsss.cam import multiscale_cam
        cams = multiscale_cam(self.cam_logits, self.prepare(bgr), keys,
                              scales=scales, flip=flip)
        return cams.cpu().numpy()


def read_image(path):
    if not osp.isfile(path):
        raise FileNotFoundError(f'image not found: {path}')
    img = cv2.imread(path, cv2.IMREAD_COLOR)
    if img is None:
        raise ValueError(f'{path}: cannot decode image')
    return img


def main(argv=None):
    args = parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    from mmengine.config import DictAction

    from mmwsss.evaluation.functional.seg_report import split_list_path
    from mmwsss.utils import (ShardedJob, init_tool_dist, read_image_list,
                              save_cam_npz)

    cfg_options = None
    if args.cfg_options:
        ns = argparse.Namespace()
        DictAction(option_strings=[], dest='o')(None, ns, args.cfg_options)
        cfg_options = ns.o
    torch.set_num_threads(max(1, args.threads))
    init_tool_dist(args.launcher)
    if args.device is None:
        args.device = (f'cuda:{int(os.environ.get("LOCAL_RANK", 0))}'
                       if torch.cuda.is_available() else 'cpu')

    split_file = split_list_path(args.data_root, args.split)
    ids = read_image_list(split_file)
    img_dir = _root(args.data_root, args.img_dir)
    out_path = lambda i: osp.join(args.out, i + '.npz')  # noqa: E731
    job = ShardedJob(ids, lambda i: [out_path(i)])
    os.makedirs(args.out, exist_ok=True)
    start = time.time()
    if job.todo:
        model = CAMModel(args.config, args.checkpoint, args.device,
                         cfg_options)
        labels = image_labels(args, job.todo, model.num_classes)
        scales = tuple(args.scales)

        def one(img_id):
            path = osp.join(img_dir, img_id + args.img_suffix)
            keys = labels[img_id]
            try:
                cams = model(read_image(path), keys, scales,
                             not args.no_flip)
            except (ValueError, RuntimeError) as e:
                raise RuntimeError(f'image {img_id!r} ({path}): {e}') from e
            save_cam_npz(out_path(img_id), keys, cams)

        job.run(one, desc='CAMs')
    if args.launcher != 'none':
        import torch.distributed as dist
        if dist.is_available() and dist.is_initialized():
            dist.barrier()
    if job.rank == 0:
        print(f'CAMs of {len(ids)} images ({split_file}) in {args.out}; '
              f'{len(job.ids) - len(job.todo)} of rank 0 were already done; '
              f'{time.time() - start:.1f}s', file=sys.stderr)


if __name__ == '__main__':
    from mmwsss.utils.sharding import close_dist
    main()
    close_dist()
