"""Stage 5, offline: fuse a split's pseudo-labels with saliency maps.

    python tools/fuse_pseudo_labels.py --data-root D --split train_aug \\
        --pseudo-dir work/pseudo_cam --sal-dir work/saliency \\
        --norms work/class_salience.json --out work/pseudo_fused \\
        [--log CSV] [--mode hard|soft] [--cam-dir work/cams] [--nproc N] \\
        [--launcher none|pytorch]

Reads ``<pseudo-dir>/<id>.png`` (ours, or any baseline's: RS+EPM, L2G, SEAM,
...), ``<sal-dir>/<id>.png`` and the image-level labels, applies the Salient
Object Selector (:mod:`mmwsss.selector`, the same function as the online
``SelectorFusion`` transform) and writes ``<out>/<id>.png`` (palette PNG, 255
= ignore), atomically; ids whose output exists are skipped, so a killed run
resumes. Work is split across ranks (torchrun) and ``--nproc`` processes.

The audit log (default ``<out>/selector_log.csv``) holds one row per image
of the split: id, class, class_name, iou (o), n_c, salient, alpha, decision,
changed pixels. While running, rows go to per-rank journals
``<log>.rank<r>.journal`` (appended line by line, so they survive a kill);
the final CSV is written in split order at the end. The settings are kept in
``<out>/selector_settings.json``; resuming into a folder made with other
settings is refused.
"""
import argparse
import json
import os
import os.path as osp
import sys
from glob import escape, glob

from mmwsss.selector import (LOG_FIELDS, decision_row, format_row,
                             header_line, load_norms, read_rows, summarize)
from mmwsss.utils.io import atomic_write, save_label_png
from mmwsss.utils.selector_inputs import (add_input_args, add_selector_args,
                                           inputs_from_args,
                                           selector_from_args)
from mmwsss.utils.sharding import ShardedJob, get_dist_info, init_tool_dist

SETTINGS_FILE = 'selector_settings.json'


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Fuse pseudo-labels with saliency maps (stage 5)')
    add_input_args(parser)
    parser.add_argument('--norms', required=True,
                        help='class salience JSON (tools/class_salience.py)')
    parser.add_argument('--out', required=True,
                        help='output folder for the fused <id>.png')
    parser.add_argument('--log', default=None,
                        help='per-image CSV (default <out>/selector_log.csv)')
    add_selector_args(parser)
    parser.add_argument('--launcher', default='none',
                        choices=['none', 'pytorch', 'slurm', 'mpi'])
    return parser.parse_args(argv)


# --------------------------------------------------------------------------
# worker state (inherited by forked workers)
_STATE = {}


def _process(img_id, write=True):
    inputs, selector = _STATE['inputs'], _STATE['selector']
    try:
        label, sal, img_label, cams = inputs.load(
            img_id, with_cams=selector.mode == 'soft')
        fused, decision = selector(label, sal, img_label, cams=cams,
                                   img_id=img_id)
    except (ValueError, KeyError) as e:
        raise RuntimeError(f'image {img_id!r}: {e}') from e
    if write:
        save_label_png(osp.join(_STATE['out'], f'{img_id}.png'), fused)
    return decision


def _fuse_one(img_id):
    decision = _process(img_id)
    row = format_row(decision_row(decision, _STATE['class_names']))
    # one write per row on an O_APPEND descriptor: lines of parallel
    # workers do not interleave, and finished rows survive a kill
    fd = os.open(_STATE['journal'], os.O_WRONLY | os.O_APPEND | os.O_CREAT,
                 0o644)
    try:
        os.write(fd, row.encode())
    finally:
        os.close(fd)
    return decision['decision']


def _check_settings(out_dir, settings):
    path = osp.join(out_dir, SETTINGS_FILE)
    if osp.isfile(path):
        with open(path) as f:
            old = json.load(f)
        if old != settings:
            diff = {k: (old.get(k), settings.get(k))
                    for k in set(old) | set(settings)
                    if old.get(k) != settings.get(k)}
            raise SystemExit(
                f'{out_dir} holds labels fused with other settings '
                f'(old, new): {diff}. Use another --out or delete it.')
    else:
        with atomic_write(path) as tmp:
            with open(tmp, 'w') as f:
                json.dump(settings, f, indent=2)


def _write_log(log_path, ids, journals, class_names):
    """Merge journals (and a previous log) into the final CSV, in split
    order; decisions missing from both are recomputed without writing.
    Returns the number of recomputed decisions."""
    rows = {}
    sources = ([(log_path, True)] if osp.isfile(log_path) else []) + \
        [(j, False) for j in journals]
    for path, has_header in sources:
        for r in read_rows(path, has_header=has_header):
            rows[r['id']] = [r[k] for k in LOG_FIELDS]
    missing = [i for i in ids if i not in rows]
    for img_id in missing:
        rows[img_id] = decision_row(_process(img_id, write=False),
                                    class_names)
    with atomic_write(log_path) as tmp:
        with open(tmp, 'w') as f:
            f.write(header_line())
            for img_id in ids:
                f.write(format_row(rows[img_id]))
    for j in journals:
        os.remove(j)
    return len(missing)


def main(argv=None):
    args = parse_args(argv)
    init_tool_dist(args.launcher)
    rank, world_size = get_dist_info()
    norms_data = load_norms(args.norms)
    selector = selector_from_args(args, norms_data['norms'])
    inputs = inputs_from_args(args, selector.num_classes)
    if args.mode == 'soft' and args.cam_dir is None:
        print('soft mode without --cam-dir: the class region of each '
              'pseudo-label is used as a 0/1 CAM map', file=sys.stderr)
    log_path = args.log or osp.join(args.out, 'selector_log.csv')
    os.makedirs(args.out, exist_ok=True)
    settings = dict(selector.settings, norms=selector.norms,
                    pseudo_dir=osp.abspath(args.pseudo_dir),
                    sal_dir=osp.abspath(args.sal_dir),
                    cam_dir=osp.abspath(args.cam_dir) if args.cam_dir
                    else None)
    if rank == 0:
        _check_settings(args.out, settings)
    journal = f'{log_path}.rank{rank}.journal'
    _STATE.update(inputs=inputs, selector=selector, out=args.out,
                  journal=journal, class_names=inputs.class_names)
    job = ShardedJob(inputs.ids,
                     lambda i: [osp.join(args.out, f'{i}.png')])
    print(f'{selector!r}\n{len(job.ids)} images on rank {rank}, '
          f'{len(job.todo)} to fuse -> {args.out}')
    job.run(_fuse_one, num_workers=args.nproc, desc='fuse')

    if world_size > 1:
        import torch.distributed as dist
        if dist.is_available() and dist.is_initialized():
            dist.barrier()
        else:
            # no process group to wait on: each rank logs its own shard
            log_path = f'{osp.splitext(log_path)[0]}.rank{rank}.csv'
            _write_log(log_path, job.ids, [journal] if osp.isfile(journal)
                       else [], inputs.class_names)
            return
    if rank != 0:
        return
    journals = sorted(glob(f'{escape(log_path)}.rank*.journal'))
    recomputed = _write_log(log_path, inputs.ids, journals,
                            inputs.class_names)
    summary = summarize(read_rows(log_path))
    print(f'log: {log_path}' + (f' ({recomputed} decisions recomputed)'
                                if recomputed else ''))
    print('decisions: ' + ', '.join(f'{k} {v}' for k, v in
                                    sorted(summary['decision'].items())))
    if summary['replaced_by_class']:
        print('changed by class: ' + ', '.join(
            f'{k} {v}' for k, v in sorted(
                summary['replaced_by_class'].items())))


if __name__ == '__main__':
    from mmwsss.utils.sharding import close_dist
    main()
    close_dist()
