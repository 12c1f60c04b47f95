"""projects/: each project trains a few iterations through tools/train.py,
with mmwsss installed as a user would (its mmwsss:: bases are the shipped
ones)."""
import glob
import json
import os
import os.path as osp

from conftest import REPO, run_tool

SEGFORMER = osp.join(REPO, 'projects', 'segformer_pseudo_labels', 'configs',
                     'segformer_mit-b0_1xb8-1200_toy-pseudo-64x64.py')


def test_segformer_trains_on_pseudo_labels(toy_root, installed_mmwsss,
                                           tmp_path):
    voc = osp.join(toy_root, 'VOC2012')
    work = tmp_path / 'work'
    run_tool(
        osp.join(REPO, 'tools', 'train.py'), SEGFORMER, '--work-dir', work,
        '--cfg-options',
        'train_cfg.max_iters=3', 'train_cfg.val_interval=3',
        'default_hooks.checkpoint.interval=3',
        'default_hooks.logger.interval=1',
        'train_dataloader.batch_size=4',
        f'train_dataloader.dataset.data_root={voc}',
        # the toy ground truth stands in for a pseudo-label folder
        'train_dataloader.dataset.data_prefix.seg_map_path='
        'SegmentationClassAug',
        f'val_dataloader.dataset.data_root={voc}',
        f'test_dataloader.dataset.data_root={voc}',
        'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        'val_dataloader.num_workers=0',
        'val_dataloader.persistent_workers=False',
        env=dict(PYTHONPATH=installed_mmwsss + os.pathsep + REPO,
                 OMP_NUM_THREADS='1'),
        cwd=tmp_path)
    assert osp.isfile(work / 'iter_3.pth')
    # mmseg's SegFormer, unchanged, with the toy classes
    dumped = glob.glob(str(work / '*.py'))
    assert len(dumped) == 1
    with open(dumped[0]) as f:
        text = f.read()
    assert "type='MixVisionTransformer'" in text
    assert "type='SegformerHead'" in text
    assert 'num_classes=7' in text
    scalars = glob.glob(str(work / '*' / 'vis_data' / 'scalars.json'))
    assert scalars
    with open(scalars[0]) as f:
        rows = [json.loads(line) for line in f]
    train = [r for r in rows if 'loss' in r]
    assert [r['iter'] for r in train][-1] == 3
    val = [r for r in rows if 'mIoU' in r]
    assert len(val) == 1 and 0 <= val[0]['mIoU'] <= 100
