"""Stage saliency (inference): saliency maps of an image list.

    python tools/run_saliency.py CONFIG CHECKPOINT --img-dir VOC2012/JPEGImages \\
        --list VOC2012/ImageSets/Segmentation/train_aug.txt --out work/saliency \\
        [--flip] [--device cpu|cuda] [--launcher none|pytorch]

CONFIG/CHECKPOINT: an SOD net (``configs/sod``). Writes ``<out>/<id>.png``
(uint8 grey, the image's size); see :mod:`mmwsss.stages.saliency`.
"""
import argparse


def parse_args(argv=None):
    from mmengine.config import DictAction
    p = argparse.ArgumentParser(
        description='Write saliency maps of an image list (stage saliency)')
    p.add_argument('config', help='SOD config file')
    p.add_argument('checkpoint', help='SOD checkpoint')
    p.add_argument('--img-dir', required=True,
                   help='image folder (e.g. VOC2012/JPEGImages)')
    p.add_argument('--list', required=True,
                   help='image list, one id per line')
    p.add_argument('--out', required=True, help='output folder')
    p.add_argument('--img-suffix', default='.jpg')
    p.add_argument('--flip', action='store_true',
                   help='average with the horizontally flipped image')
    p.add_argument('--device', default=None,
                   help='cpu or cuda (default: cuda when available)')
    p.add_argument('--overwrite', action='store_true',
                   help='recompute the outputs of a folder made with other '
                   'settings (default: refuse)')
    p.add_argument('--cfg-options', nargs='+', action=DictAction,
                   help='config overrides, key=value (the same as in '
                   'training)')
    p.add_argument('--launcher', default='none',
                   choices=['none', 'pytorch', 'slurm', 'mpi'])
    from mmwsss.utils.cli import add_common_args
    add_common_args(p, checkpoints=True)
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from mmwsss.stages.saliency import SaliencySettings, run_saliency
    from mmwsss.utils.sharding import init_tool_dist
    settings = SaliencySettings(
        config=args.config, checkpoint=args.checkpoint, img_dir=args.img_dir,
        list=args.list, out=args.out, img_suffix=args.img_suffix,
        flip=args.flip, device=args.device,
        model_cfg_options=args.cfg_options,
        distributed=args.launcher != 'none', overwrite=args.overwrite)
    init_tool_dist(args.launcher)
    res = run_saliency(settings)
    tag = f'[rank {res["rank"]}/{res["world_size"]}]'
    if res['written']:
        print(f'{tag} wrote {res["written"]} saliency maps to {res["out"]} '
              f'({res["num_ids"] - res["written"]} existed)')
    else:
        print(f'{tag} all {res["num_ids"]} saliency maps exist in '
              f'{res["out"]}; nothing to do')
    return res


if __name__ == '__main__':
    from mmwsss.utils.cli import run_main
    run_main(main)
