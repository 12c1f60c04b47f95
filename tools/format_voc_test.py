"""Write a segmenter's predictions on VOC ``test`` for the evaluation server.

The PASCAL VOC server takes a tarball of palette PNGs, one per test image,
under ``results/VOC2012/Segmentation/comp6_test_cls/`` (comp6: trained with
data beyond VOC's own annotations, which covers weak supervision with
saliency). This tool runs the model of CONFIG + CHECKPOINT on every id of
the split and writes::

    OUT/results/VOC2012/Segmentation/comp6_test_cls/<id>.png
    OUT/results.tgz

Example::

    python tools/format_voc_test.py \
        configs/seg/deeplabv3plus_s269-d8_4xb4-20k_voc12aug-pseudo-512x512.py \
        work_dirs/s269/iter_20000.pth --data-root data/VOCdevkit/VOC2012 \
        --out work_dirs/s269/voc_test --tta

PNGs that exist are skipped (resume); ``--launcher pytorch`` under torchrun
splits the ids across ranks (rank 0 writes the tarball at the end).
See :mod:`mmwsss.stages.segment`.
"""
import argparse
import os


def parse_args(argv=None):
    from mmengine.config import DictAction
    p = argparse.ArgumentParser(
        description='Write VOC test predictions in the evaluation server '
        'layout (palette PNGs + results.tgz)')
    p.add_argument('config', help='segmentation config (mmseg scope)')
    p.add_argument('checkpoint', help='trained checkpoint')
    p.add_argument('--data-root', required=True,
                   help='VOC2012 folder (JPEGImages/, ImageSets/)')
    p.add_argument('--split', default='test',
                   help='split list ImageSets/Segmentation/<split>.txt '
                   '(default: test)')
    p.add_argument('--ann-file', default=None,
                   help='explicit split list (overrides --split)')
    p.add_argument('--out', required=True, help='output folder')
    p.add_argument('--tta', action='store_true',
                   help='multi-scale + flip (the config\'s tta_pipeline and '
                   'tta_model)')
    p.add_argument('--device', default=None,
                   help='cuda or cpu (default: cuda when available)')
    p.add_argument('--no-tar', action='store_true',
                   help='write the PNGs only')
    p.add_argument('--overwrite', action='store_true',
                   help='recompute the outputs of a folder made with other '
                   'settings (default: refuse)')
    p.add_argument('--cfg-options', nargs='+', action=DictAction,
                   help='override config settings, key=value')
    p.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                   default='none')
    p.add_argument('--local_rank', '--local-rank', type=int, default=0)
    from mmwsss.utils.cli import add_common_args
    add_common_args(p, checkpoints=True)
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    from mmwsss.stages.segment import format_voc_test
    from mmwsss.utils.sharding import init_tool_dist
    init_tool_dist(args.launcher)
    return format_voc_test(
        args.config, args.checkpoint, args.data_root, args.out, args.split,
        args.ann_file, args.tta, args.device, not args.no_tar,
        args.cfg_options, distributed=args.launcher != 'none',
        overwrite=args.overwrite)


if __name__ == '__main__':
    from mmwsss.utils.cli import run_main
    run_main(main)
