"""Stage 3: CAMs -> pseudo-label PNGs, optionally refined along image edges.

    python tools/make_pseudo_labels.py --cam-dir work/cams --data-root D \
        --split train_aug --out work/pseudo_cam --bg-thr 0.25 \
        [--refine none|par] [--par-iters 10] [--nproc 2]

Each image's CAMs (``make_cam.py``) get a constant background plane
``--bg-thr``; with ``--refine par`` the planes are then refined by the
training-free pixel-adaptive refinement (PAR, :mod:`mmwsss.cam.
pixel_adaptive_refinement`; torch on CPU, no compiled dependency), which
pulls the CAMs onto the image's edges; the label is the argmax over
{background, present classes} (:func:`mmwsss.cam.scores_to_label`).
Writes ``<out>/<id>.png`` (VOC palette, values = class index) atomically,
skips images whose PNG exists (resume), splits the list across ranks under
torchrun (``--launcher pytorch``) and across ``--nproc`` processes.
"""
import argparse
import os
import os.path as osp
import sys
import time

import cv2
import numpy as np
import torch

from mmwsss.cam import (cam_scores_with_background, pixel_adaptive_refine,
                        scores_to_label)
from mmwsss.cam.pixel_adaptive_refinement import (DEFAULT_DILATIONS,
                                                  DEFAULT_NUM_ITER,
                                                  DEFAULT_W1, DEFAULT_W2)
from mmwsss.evaluation.functional.seg_report import split_list_path
from mmwsss.utils import (ShardedJob, init_tool_dist, load_cam_npz,
                          read_image_list, save_label_png)

_STATE = {}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='CAMs -> pseudo-label PNGs (stage 3)')
    parser.add_argument('--cam-dir', required=True,
                        help='folder of <id>.npz (make_cam.py)')
    parser.add_argument('--data-root', required=True,
                        help='VOC2012-style folder (ImageSets, JPEGImages)')
    parser.add_argument('--split', default='train_aug',
                        help='list name or list file (default train_aug)')
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument('--bg-thr', type=float, required=True,
                        help='background score (e.g. the best threshold of '
                        'eval_cam.py)')
    parser.add_argument('--refine', choices=['none', 'par'], default='par',
                        help='edge-following refinement (default par)')
    parser.add_argument('--par-iters', type=int, default=DEFAULT_NUM_ITER)
    parser.add_argument('--par-dilations', type=int, nargs='+',
                        default=list(DEFAULT_DILATIONS))
    parser.add_argument('--par-w1', type=float, default=DEFAULT_W1,
                        help='colour affinity temperature')
    parser.add_argument('--par-w2', type=float, default=DEFAULT_W2,
                        help='weight of the spatial affinity')
    parser.add_argument('--img-dir', default='JPEGImages',
                        help='image folder (under --data-root if relative)')
    parser.add_argument('--img-suffix', default='.jpg')
    parser.add_argument('--nproc', type=int, default=1,
                        help='worker processes per rank')
    parser.add_argument('--launcher', choices=['none', 'pytorch'],
                        default='none')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    return parser.parse_args(argv)


def make_label(keys, cams, bg_thr, image=None, refine='none', **par_cfg):
    """Label map (uint8) of one image's CAMs; ``image`` (H x W x 3 RGB) is
    needed for ``refine='par'``."""
    scores = cam_scores_with_background(cams, bg_thr)
    if refine == 'par' and len(keys):
        if image is None:
            raise ValueError('PAR refinement needs the image')
        img = torch.from_numpy(np.ascontiguousarray(
            image.transpose(2, 0, 1))).float()
        with torch.no_grad():
            scores = pixel_adaptive_refine(img, torch.from_numpy(scores),
                                           **par_cfg).numpy()
    elif refine not in ('none', 'par'):
        raise ValueError(f'unknown refinement {refine!r}')
    return scores_to_label(scores, keys)


def _one(img_id):
    s = _STATE
    cam_path = osp.join(s['cam_dir'], img_id + '.npz')
    keys, cams = load_cam_npz(cam_path)
    image = None
    if s['refine'] == 'par':
        img_path = osp.join(s['img_dir'], img_id + s['img_suffix'])
        bgr = cv2.imread(img_path, cv2.IMREAD_COLOR)
        if bgr is None:
            raise FileNotFoundError(f'cannot read image {img_path}')
        image = bgr[..., ::-1]
        if image.shape[:2] != cams.shape[1:]:
            raise ValueError(f'{cam_path}: CAMs of size {cams.shape[1:]} but '
                             f'the image {img_path} is {image.shape[:2]}')
    label = make_label(keys, cams, s['bg_thr'], image, s['refine'],
                       **s['par_cfg'])
    save_label_png(osp.join(s['out'], img_id + '.png'), label)


def main(argv=None):
    args = parse_args(argv)
    init_tool_dist(args.launcher)
    split_file = split_list_path(args.data_root, args.split)
    ids = read_image_list(split_file)
    if not osp.isdir(args.cam_dir):
        raise FileNotFoundError(f'CAM folder not found: {args.cam_dir}')
    missing = [i for i in ids
               if not osp.isfile(osp.join(args.cam_dir, i + '.npz'))]
    if missing:
        raise FileNotFoundError(
            f'{len(missing)} of {len(ids)} images of {split_file} have no '
            f'CAM file in {args.cam_dir}, e.g. '
            f'{osp.join(args.cam_dir, missing[0] + ".npz")}')
    os.makedirs(args.out, exist_ok=True)
    img_dir = args.img_dir if osp.isabs(args.img_dir) else osp.join(
        args.data_root, args.img_dir)
    _STATE.update(
        cam_dir=args.cam_dir, out=args.out, img_dir=img_dir,
        img_suffix=args.img_suffix, bg_thr=args.bg_thr, refine=args.refine,
        par_cfg=dict(num_iter=args.par_iters,
                     dilations=tuple(args.par_dilations), w1=args.par_w1,
                     w2=args.par_w2) if args.refine == 'par' else {})
    job = ShardedJob(ids, lambda i: [osp.join(args.out, i + '.png')])
    start = time.time()
    if args.nproc > 1:
        torch.set_num_threads(1)
    job.run(_one, num_workers=args.nproc if args.nproc > 1 else 0,
            desc='pseudo-labels')
    if args.launcher != 'none':
        import torch.distributed as dist
        if dist.is_initialized():
            dist.barrier()
    if job.rank == 0:
        print(f'pseudo-labels of {len(ids)} images in {args.out} (bg-thr '
              f'{args.bg_thr}, refine {args.refine}); '
              f'{time.time() - start:.1f}s', file=sys.stderr)


if __name__ == '__main__':
    from mmwsss.utils.sharding import close_dist
    main()
    close_dist()
