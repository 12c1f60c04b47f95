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
"""
import argparse
import copy
import os
import os.path as osp
import tarfile

import torch
from mmengine.config import Config, DictAction
from mmengine.dataset import Compose, pseudo_collate
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint

RESULTS_SUBDIR = osp.join('results', 'VOC2012', 'Segmentation',
                          'comp6_test_cls')


def parse_args(argv=None):
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
    p.add_argument('--cfg-options', nargs='+', action=DictAction,
                   help='override config settings, key=value')
    p.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                   default='none')
    p.add_argument('--local_rank', '--local-rank', type=int, default=0)
    return p.parse_args(argv)


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
    from mmseg.registry import MODELS
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.pretrained = None
    model_cfg.train_cfg = None
    # weights come from the checkpoint: skip ImageNet init_cfg downloads
    model = MODELS.build(model_cfg)
    load_checkpoint(model, checkpoint, map_location='cpu',
                    logger='current')
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
    data = pipeline(dict(img_path=img_path, seg_fields=[],
                         reduce_zero_label=False))
    with torch.no_grad():
        sample = model.test_step(pseudo_collate([data]))[0]
    return sample.pred_sem_seg.data[0].cpu().numpy().astype('uint8')


def write_tarball(out_dir, ids):
    """Pack ``out_dir/results`` into ``out_dir/results.tgz`` (atomic)."""
    from mmwsss.utils.io import atomic_write
    res_dir = osp.join(out_dir, RESULTS_SUBDIR)
    missing = [i for i in ids if not osp.isfile(osp.join(res_dir, i + '.png'))]
    if missing:
        raise RuntimeError(f'{len(missing)} predictions missing in {res_dir}'
                           f' (e.g. {missing[:3]}); run the tool again')
    tgz = osp.join(out_dir, 'results.tgz')
    with atomic_write(tgz, suffix='.tgz') as tmp:
        with tarfile.open(tmp, 'w:gz') as tar:
            for img_id in ids:
                tar.add(osp.join(res_dir, img_id + '.png'),
                        arcname=osp.join(RESULTS_SUBDIR, img_id + '.png'))
    return tgz


def main(argv=None):
    args = parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    import mmwsss.mm_components  # noqa: F401  (registers components, compat fixes)
    from mmwsss.utils import (ShardedJob, init_tool_dist, read_image_list,
                              save_label_png)

    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    ann_file = args.ann_file or osp.join(
        args.data_root, 'ImageSets', 'Segmentation', f'{args.split}.txt')
    ids = read_image_list(ann_file)
    img_dir = osp.join(args.data_root, 'JPEGImages')
    missing = [osp.join(img_dir, i + '.jpg') for i in ids
               if not osp.isfile(osp.join(img_dir, i + '.jpg'))]
    if missing:
        raise FileNotFoundError(
            f'{len(missing)} of {len(ids)} images of {ann_file} are missing,'
            f' e.g. {missing[:3]}')

    init_tool_dist(args.launcher)
    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    if device == 'cuda' and args.launcher != 'none':
        device = f'cuda:{int(os.environ.get("LOCAL_RANK", 0))}'
    res_dir = osp.join(args.out, RESULTS_SUBDIR)
    os.makedirs(res_dir, exist_ok=True)

    def png(img_id):
        return osp.join(res_dir, img_id + '.png')

    job = ShardedJob(ids, lambda i: [png(i)])
    if job.todo:
        model, pipeline = build_predictor(cfg, args.checkpoint, device,
                                          tta=args.tta)

        def run_one(img_id):
            label = predict_label(model, pipeline,
                                  osp.join(img_dir, img_id + '.jpg'))
            save_label_png(png(img_id), label)

        job.run(run_one, desc='VOC test')

    if torch.distributed.is_available() and \
            torch.distributed.is_initialized():
        torch.distributed.barrier()
    if job.rank == 0 and not args.no_tar:
        tgz = write_tarball(args.out, ids)
        print(f'{len(ids)} predictions in {res_dir}; server tarball: {tgz}')
    return res_dir


if __name__ == '__main__':
    from mmwsss.utils.sharding import close_dist
    main()
    close_dist()
