"""Stage cam: multi-scale + flip CAMs of a split, one ``<id>.npz`` per image.

    python tools/run_cam.py CONFIG CHECKPOINT --data-root D \
        --split train_aug --out work/cams [--stage-config PIPELINE_CFG] \
        [--scales 1.0 0.5 1.5 2.0] [--no-flip] [--device cpu]

    # several processes (GPUs, or CPU processes with gloo):
    torchrun --nproc_per_node 2 tools/run_cam.py ... --launcher pytorch

CONFIG/CHECKPOINT: a stage-1 classifier (``configs/cam``). The settings are
the ``cam`` section of ``--stage-config`` (a pipeline config), overridden by
the flags; see :mod:`mmwsss.stages.cam`.
"""
import argparse
import os
import sys


def parse_args(argv=None):
    p = argparse.ArgumentParser(description='CAMs of a split (stage cam)')
    p.add_argument('config', help='classifier config (configs/cam)')
    p.add_argument('checkpoint', help='classifier checkpoint')
    p.add_argument('--data-root', required=True,
                   help='VOC2012-style folder (JPEGImages, ImageSets, '
                   'cls_labels.npy)')
    p.add_argument('--out', required=True, help='output folder')
    p.add_argument('--stage-config', default=None,
                   help='config file with a `cam` section (e.g. a pipeline '
                   'config)')
    p.add_argument('--split', help='list name or file (default train_aug)')
    p.add_argument('--img-dir', help='image folder (default JPEGImages)')
    p.add_argument('--img-suffix')
    p.add_argument('--scales', type=float, nargs='+')
    p.add_argument('--no-flip', action='store_true',
                   help='do not add the mirrored image')
    p.add_argument('--cls-labels', help='image-level labels (default '
                   '<data-root>/cls_labels.npy)')
    p.add_argument('--labels-from-mask', action='store_true',
                   help='take the classes from the masks in --mask-dir')
    p.add_argument('--mask-dir')
    p.add_argument('--device', help='cpu / cuda (default: cuda if available)')
    p.add_argument('--overwrite', action='store_true',
                   help='recompute the outputs of a folder made with other '
                   'settings (default: refuse)')
    p.add_argument('--threads', type=int,
                   help='torch CPU threads per process (default 1)')
    p.add_argument('--cfg-options', nargs='+',
                   help='override classifier config settings, key=value')
    p.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                   default='none')
    p.add_argument('--local_rank', '--local-rank', type=int, default=0)
    from mmwsss.utils.cli import add_common_args
    add_common_args(p, checkpoints=True)
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    from mmengine.config import DictAction

    from mmwsss.stages.cam import CamSettings, run_cam
    from mmwsss.stages.settings import load_section
    from mmwsss.utils.sharding import init_tool_dist
    cfg_options = None
    if args.cfg_options:
        ns = argparse.Namespace()
        DictAction(option_strings=[], dest='o')(None, ns, args.cfg_options)
        cfg_options = ns.o
    section = load_section(args.stage_config, 'cam') \
        if args.stage_config else None
    settings = CamSettings.from_config(
        section, config=args.config, checkpoint=args.checkpoint,
        data_root=args.data_root, out=args.out, split=args.split,
        img_dir=args.img_dir, img_suffix=args.img_suffix, scales=args.scales,
        flip=False if args.no_flip else None, cls_labels=args.cls_labels,
        labels_from_mask=args.labels_from_mask or None,
        mask_dir=args.mask_dir, device=args.device, threads=args.threads,
        cfg_options=cfg_options, distributed=args.launcher != 'none',
        overwrite=args.overwrite or None)
    init_tool_dist(args.launcher)
    res = run_cam(settings)
    if res['rank'] == 0:
        print(f'CAMs of {res["num_images"]} images ({res["split"]}) in '
              f'{res["out"]}; {res["skipped"]} of rank 0 were already done; '
              f'{res["seconds"]:.1f}s', file=sys.stderr)
    return res


if __name__ == '__main__':
    from mmwsss.utils.cli import run_main
    run_main(main)
