"""The paper's selector ablations on a split with ground truth.

    python tools/sweep_selector.py --data-root D --split train \\
        --pseudo-dir work/pseudo_cam --sal-dir work/saliency \\
        --norms work/class_salience.json [--cam-dir work/cams] \\
        [--baseline-dir SEAM=path/to/seam_labels ...] \\
        --out-md selector_sweep.md --out-json selector_sweep.json

* Table 3: soft mode with a fixed alpha in 0, 0.05, 0.1, 0.2, ..., 1.0
  (``--alphas``), plus the alpha* rule and Algorithm 1 (hard mode), all on
  ``--pseudo-dir`` (with ``--cam-dir``, soft mode blends the CAMs; else the
  class region as a 0/1 map). ``alpha = 0`` leaves labels unchanged, so its
  row is the baseline.
* Table 4: before / after the selector (``--mode``, default hard) for
  ``--pseudo-dir`` and every ``--baseline-dir`` (``NAME=DIR`` or ``DIR``).

Each row: Acc, Acc_class, mIoU, fwIoU from one confusion matrix over the
split (``mmwsss.evaluation.functional``; GT 255 ignored; predicted 255
counted per ``--pred-ignore``, background by default). Nothing is written
but the two tables (Markdown and JSON); the fusion is the same function as
``tools/fuse_pseudo_labels.py`` and ``SelectorFusion``.
"""
import argparse
import json
import os.path as osp
from collections import Counter

import numpy as np

from mmwsss.evaluation.functional import (PRED_IGNORE_POLICIES,
                                          confusion_matrix,
                                          scores_from_confusion)
from mmwsss.selector import TABLE3_ALPHAS, SalientObjectSelector, load_norms
from mmwsss.utils.io import atomic_write
from mmwsss.utils.selector_inputs import (add_input_args, add_selector_args,
                                           inputs_from_args)
from mmwsss.utils.sharding import ShardedJob

_STATE = {}
METRICS = ('Acc', 'Acc_class', 'mIoU', 'fwIoU')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Selector ablations: fixed-alpha sweep (Table 3) and '
        'before/after for baselines (Table 4)')
    add_input_args(parser)
    parser.add_argument('--norms', required=True,
                        help='class salience JSON (tools/class_salience.py)')
    parser.add_argument('--baseline-dir', nargs='+', default=[],
                        metavar='[NAME=]DIR',
                        help='other methods\' pseudo-labels (<id>.png)')
    parser.add_argument('--pseudo-name', default=None,
                        help='name of --pseudo-dir in Table 4 (default: its '
                        'folder name)')
    parser.add_argument('--alphas', type=float, nargs='+',
                        default=list(TABLE3_ALPHAS))
    parser.add_argument('--pred-ignore', choices=PRED_IGNORE_POLICIES,
                        default='background',
                        help='how predicted 255 pixels count')
    parser.add_argument('--out-md', required=True)
    parser.add_argument('--out-json', required=True)
    add_selector_args(parser)
    return parser.parse_args(argv)


def _parse_baselines(specs):
    out = []
    for spec in specs:
        name, sep, path = spec.partition('=')
        if not sep:
            name, path = osp.basename(osp.normpath(spec)), spec
        if not osp.isdir(path):
            raise SystemExit(f'baseline folder not found: {path}')
        out.append((name, path))
    return out


def _evaluate(img_id):
    """Confusion matrices of every variant for one image, and the selector
    decisions."""
    inputs, variants = _STATE['inputs'], _STATE['variants']
    num = inputs.num_classes + 1
    try:
        gt = inputs.gt(img_id)
        sources = {}
        cms = np.zeros((len(variants), num, num + 1), dtype=np.int64)
        decisions = []
        for v, (_, source, selector) in enumerate(variants):
            if source not in sources:
                path = None if source is None else \
                    osp.join(source, f'{img_id}.png')
                sources[source] = inputs.load(img_id, with_cams=True,
                                              label_path=path)
            label, sal, img_label, cams = sources[source]
            if label.shape != gt.shape:
                raise ValueError(f'{inputs.gt_path(img_id)}: ground truth is '
                                 f'{gt.shape}, pseudo-label {label.shape}')
            if selector is not None:
                label, dec = selector(
                    label, sal, img_label,
                    cams=cams if selector.mode == 'soft' else None,
                    img_id=img_id)
                decisions.append(dec['decision'])
            else:
                decisions.append(None)
            cms[v] = confusion_matrix(gt, label, num,
                                      pred_ignore=_STATE['pred_ignore'])
    except (ValueError, KeyError) as e:
        raise RuntimeError(f'image {img_id!r}: {e}') from e
    return cms, decisions


def _pct(x):
    return '-' if x is None or np.isnan(x) else f'{100 * x:.2f}%'


def build_markdown(result):
    s = result['settings']
    lines = [
        f"# Selector ablations: {s['split']} ({result['num_images']} images,"
        f" {result['num_classes']} classes incl. background)", '',
        f"Predicted 255 counted as: {s['pred_ignore']}. Selector: "
        f"t0={s['t0']}, t1={s['t1']}, salient_thr={s['salient_thr']}, "
        f"sal_thr={s['sal_thr']}, tau={s['tau']}, bg_thr={s['bg_thr']}. "
        f"Soft-mode CAM source: {s['cam_source']}.", '',
        '## Table 3: saliency weight alpha', '',
        '| Alpha | Acc | Acc_class | mIoU | fwIoU | changed images |',
        '| --- | --- | --- | --- | --- | --- |']
    for row in result['table3']:
        lines.append(f"| {row['name']} | " + ' | '.join(
            _pct(row[m]) for m in METRICS) + f" | {row['changed_images']} |")
    lines += ['', f"## Table 4: before / after the selector "
              f"({s['mode']} mode)", '',
              '| Method | SOD | Acc | Acc_class | mIoU | fwIoU |',
              '| --- | --- | --- | --- | --- | --- |']
    for row in result['table4']:
        lines.append(f"| {row['method']} | {'✓' if row['sod'] else '×'} | "
                     + ' | '.join(_pct(row[m]) for m in METRICS) + ' |')
    return '\n'.join(lines) + '\n'


def main(argv=None):
    args = parse_args(argv)
    norms = load_norms(args.norms)['norms']
    baselines = _parse_baselines(args.baseline_dir)
    pseudo_name = args.pseudo_name or osp.basename(
        osp.normpath(args.pseudo_dir))

    def make(mode, **kw):
        settings = dict(t0=args.t0, t1=args.t1, salient_thr=args.salient_thr,
                        sal_thr=args.sal_thr, tau=args.tau,
                        bg_thr=args.bg_thr)
        settings.update(kw)
        return SalientObjectSelector(norms, mode=mode, **settings)

    main_selector = make(args.mode, alpha=args.alpha)
    # (name, label folder or None for --pseudo-dir, selector or None)
    variants = [(f'{a:g}', None, make('soft', alpha=a)) for a in args.alphas]
    variants += [(f'alpha* (soft, tau={args.tau:g})', None, make('soft')),
                 ('Algorithm 1 (hard)', None, make('hard'))]
    table4 = [(pseudo_name, None)] + [(n, p) for n, p in baselines]
    for name, path in table4:
        variants += [(f'{name}|before', path, None),
                     (f'{name}|after', path, main_selector)]

    inputs = inputs_from_args(args, len(norms))
    _STATE.update(inputs=inputs, variants=variants,
                  pred_ignore=args.pred_ignore)
    job = ShardedJob(inputs.ids, lambda i: [], rank=0, world_size=1)
    job.todo = list(job.ids)
    num = inputs.num_classes + 1
    total = np.zeros((len(variants), num, num + 1), dtype=np.int64)
    counts = [Counter() for _ in variants]
    for cms, decisions in job.run(_evaluate, num_workers=args.nproc,
                                  desc='sweep', chunksize=4):
        total += cms
        for c, d in zip(counts, decisions):
            if d is not None:
                c[d] += 1

    def scores(v):
        sc = scores_from_confusion(total[v])
        return dict({m: sc[m] for m in METRICS}, IoU=sc['IoU'],
                    decisions=dict(counts[v]),
                    changed_images=counts[v]['replaced'] +
                    counts[v]['fused'])

    n_t3 = len(args.alphas) + 2
    table3 = []
    for v in range(n_t3):
        row = dict(name=variants[v][0], **scores(v))
        row['alpha'] = args.alphas[v] if v < len(args.alphas) else None
        table3.append(row)
    table4_rows = []
    for k, (name, path) in enumerate(table4):
        for j, sod in enumerate((False, True)):
            v = n_t3 + 2 * k + j
            table4_rows.append(dict(method=name, sod=sod,
                                    label_dir=osp.abspath(path or
                                                          args.pseudo_dir),
                                    **scores(v)))
    settings = dict(main_selector.settings, split=args.split,
                    pred_ignore=args.pred_ignore,
                    cam_source=args.cam_dir or 'class region as a 0/1 map',
                    norms=norms)
    result = dict(settings=settings, num_images=len(inputs.ids),
                  num_classes=num,
                  class_names=['background'] + inputs.class_names,
                  table3=table3, table4=table4_rows)
    md = build_markdown(result)
    with atomic_write(args.out_md) as tmp:
        with open(tmp, 'w') as f:
            f.write(md)
    with atomic_write(args.out_json) as tmp:
        with open(tmp, 'w') as f:
            json.dump(result, f, indent=2)
    print(md)
    print(f'written: {args.out_md}, {args.out_json}')


if __name__ == '__main__':
    main()
