"""Stage expand: CAMs -> pseudo-label PNGs, grown along the image's edges.

    python tools/run_expand.py --cam-dir work/cams --data-root D \
        --split train_aug --out work/pseudo_cam --cam-thr 0.25 \
        [--method par|crf|none] [--stage-config PIPELINE_CFG] [--nproc 2]

Method ``irn`` runs in two steps around ``tools/train.py <irn config>``:

    python tools/run_expand.py ... --method irn --step relation \
        --out work/relation_labels
    python tools/run_expand.py ... --method irn --step walk \
        --checkpoint work/expand_model/epoch_3.pth --out work/pseudo_cam

The settings are the ``expand`` section of ``--stage-config`` (e.g.
``expand = dict(method='par', cam_thr='best')``), overridden by the flags;
``--cam-thr best`` reads ``best_threshold`` from ``--cam-eval`` (the JSON of
``tools/eval_cam.py``). See :mod:`mmwsss.stages.expand`.
"""
import argparse
import sys


def parse_args(argv=None):
    from mmwsss.stages.expand_methods import EXPAND_METHODS, all_steps
    p = argparse.ArgumentParser(
        description='CAMs -> pseudo-label PNGs (stage expand)')
    p.add_argument('--cam-dir', required=True, help='folder of <id>.npz')
    p.add_argument('--data-root', required=True, help='VOC2012-style folder')
    p.add_argument('--out', required=True, help='output folder')
    p.add_argument('--stage-config', default=None,
                   help='config file with an `expand` section')
    p.add_argument('--split', help='list name or file (default train_aug)')
    p.add_argument('--cam-thr', help="the CAM threshold (the background "
                   "plane's score), or 'best'")
    p.add_argument('--cam-eval', help='CAM evaluation JSON (for best)')
    p.add_argument('--method', choices=list(EXPAND_METHODS),
                   help='expansion method (default par)')
    p.add_argument('--step', choices=list(all_steps()),
                   help='method irn: relation labels, or the random walk')
    p.add_argument('--checkpoint', help='method irn, step walk: the '
                   'relation network checkpoint')
    p.add_argument('--config', help='method irn: relation network config')
    p.add_argument('--par-iters', type=int)
    p.add_argument('--par-dilations', type=int, nargs='+')
    p.add_argument('--par-w1', type=float, help='colour temperature')
    p.add_argument('--par-w2', type=float, help='spatial affinity weight')
    p.add_argument('--img-dir', help='image folder (default JPEGImages)')
    p.add_argument('--img-suffix')
    p.add_argument('--nproc', type=int, help='worker processes per rank')
    p.add_argument('--overwrite', action='store_true',
                   help='recompute the outputs of a folder made with other '
                   'settings (default: refuse)')
    p.add_argument('--launcher', choices=['none', 'pytorch'], default='none')
    p.add_argument('--local_rank', '--local-rank', type=int, default=0)
    from mmwsss.utils.cli import add_common_args
    from mmwsss.utils.renamed_keys import add_renamed_flags
    add_common_args(p, checkpoints=True)
    add_renamed_flags(p, {'--bg-thr': '--cam-thr'})
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from mmwsss.stages.expand import ExpandSettings, run_expand
    from mmwsss.stages.settings import load_section
    from mmwsss.utils.sharding import init_tool_dist
    section = dict(load_section(args.stage_config, 'expand') or {}) \
        if args.stage_config else {}
    par = dict(section.pop('par', None) or {})
    for key, value in (('num_iter', args.par_iters), ('w1', args.par_w1),
                       ('dilations', args.par_dilations),
                       ('w2', args.par_w2)):
        if value is not None:
            par[key] = value
    settings = ExpandSettings.from_config(
        section, cam_dir=args.cam_dir, data_root=args.data_root,
        out=args.out, split=args.split, cam_thr=args.cam_thr,
        cam_eval=args.cam_eval, method=args.method, par=par,
        img_dir=args.img_dir, img_suffix=args.img_suffix, nproc=args.nproc,
        config=args.config, overwrite=args.overwrite or None)
    init_tool_dist(args.launcher)
    res = run_expand(settings, args.step, args.checkpoint)
    if res['rank'] == 0:
        what = res.get('step') or f'cam-thr {res["cam_thr"]}'
        print(f'{res["num_images"]} images in {res["out"]} (method '
              f'{res["method"]}, {what}); {res["seconds"]:.1f}s',
              file=sys.stderr)
    return res


if __name__ == '__main__':
    from mmwsss.utils.cli import run_main
    run_main(main)
