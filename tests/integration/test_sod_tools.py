"""Stage 4 through the real tools: a few training iterations of the toy SOD
config on the toy DUTS set (tools/train.py), evaluation with the SOD metrics
(tools/test.py), then saliency maps of the 4 real VOC images
(tools/run_saliency.py): sizes, resume and sharding."""
import glob
import hashlib
import json
import os
import os.path as osp
import warnings

import cv2
import numpy as np
import pytest
from PIL import Image

from conftest import REPO, SHARED_DATA, VOC_REAL_MINI, run_tool

TOY_CFG = osp.join(REPO, 'configs', 'sod',
                   'rgbsod_r18-w16_1xb8-800_toy-160x160.py')
REAL_IDS = ['2011_000003', '2011_000006', '2011_000025', '2011_003066']


def data_options(toy_root):
    duts = osp.join(toy_root, 'DUTS')
    return [f'{k}.dataset.data_root={duts}'
            for k in ('train_dataloader', 'val_dataloader', 'test_dataloader')]


@pytest.fixture(scope='module')
def sod_checkpoint(toy_root, tmp_path_factory):
    """Train 3 iterations of the toy config (batch 2), return the
    checkpoint path."""
    work = tmp_path_factory.mktemp('sod_train')
    run_tool('tools/train.py', TOY_CFG, '--work-dir', work, '--cfg-options',
             *data_options(toy_root), 'train_dataloader.batch_size=2',
             'train_dataloader.num_workers=0',
             'train_dataloader.persistent_workers=False',
             'train_cfg.max_iters=3', 'train_cfg.val_interval=100',
             'default_hooks.checkpoint.interval=3',
             'default_hooks.logger.interval=1', 'param_scheduler.0.end=1',
             'param_scheduler.1.begin=1', 'param_scheduler.1.end=3')
    ckpt = osp.join(work, 'iter_3.pth')
    assert osp.isfile(ckpt)
    return ckpt


def test_train_and_test_report_sod_metrics(toy_root, sod_checkpoint,
                                           tmp_path):
    run_tool('tools/test.py', TOY_CFG, sod_checkpoint, '--work-dir',
             tmp_path, '--cfg-options', *data_options(toy_root))
    logs = glob.glob(str(tmp_path / '*' / '*.json'))
    assert logs, 'tools/test.py wrote no metrics json'
    metrics = json.load(open(sorted(logs)[-1]))
    for key in ('MAE', 'maxFm', 'meanFm', 'Sm', 'meanEm', 'maxEm'):
        assert 0.0 <= metrics[key] <= 1.0, (key, metrics)
    assert metrics['maxFm'] >= metrics['meanFm']


def _digests(folder):
    return {f: hashlib.md5(open(osp.join(folder, f), 'rb').read()).hexdigest()
            for f in sorted(os.listdir(folder)) if not f.startswith('.')}


def test_run_saliency_on_real_images_and_resume(sod_checkpoint, tmp_path):
    out = tmp_path / 'saliency'
    args = ['tools/run_saliency.py', TOY_CFG, sod_checkpoint, '--img-dir',
            osp.join(VOC_REAL_MINI, 'JPEGImages'), '--list',
            osp.join(VOC_REAL_MINI, 'ImageSets', 'Segmentation', 'mini.txt'),
            '--out', out]
    run_tool(*args)
    # the outputs and the folder's manifest (docs/reliability.md)
    assert sorted(os.listdir(out)) == ['.mmwsss.lock', '.mmwsss_manifest.json'] + [
        f'{i}.png' for i in REAL_IDS]
    for img_id in REAL_IDS:
        sal = Image.open(out / f'{img_id}.png')
        img = Image.open(osp.join(VOC_REAL_MINI, 'JPEGImages',
                                  f'{img_id}.jpg'))
        assert sal.mode == 'L' and sal.size == img.size
        assert np.asarray(sal).std() > 0  # a map, not a constant
    first = _digests(out)
    # second run: everything exists, nothing is recomputed or rewritten
    proc = run_tool(*args)
    assert 'nothing to do' in proc.stdout
    assert _digests(out) == first
    # an interrupted run: only the missing map is made, identical bytes
    os.remove(out / f'{REAL_IDS[2]}.png')
    stamp = os.stat(out / f'{REAL_IDS[0]}.png').st_mtime_ns
    proc = run_tool(*args)
    assert 'wrote 1 saliency maps' in proc.stdout
    assert _digests(out) == first
    assert os.stat(out / f'{REAL_IDS[0]}.png').st_mtime_ns == stamp
    # rank split as under torchrun: rank 1 of 2 makes every other map,
    # byte-identical to the single-process run
    # (rank 0 of the launch holds the folder's lock, as under torchrun; this
    # test process plays rank 0 and holds it)
    split = tmp_path / 'split'
    launch = dict(TORCHELASTIC_RUN_ID='sod-split', MASTER_ADDR='127.0.0.1',
                  MASTER_PORT='29533', WORLD_SIZE='2')
    with pytest.MonkeyPatch.context() as mp:
        for key, value in dict(launch, RANK='0').items():
            mp.setenv(key, value)
        from mmwsss.utils.sharding import lock_folder
        lock_folder(str(split))
    run_tool(*args[:-1], split, env=dict(launch, RANK='1'))
    assert sorted(f for f in os.listdir(split) if not f.startswith('.')) \
        == [f'{i}.png' for i in REAL_IDS[1::2]]
    assert _digests(split) == {k: v for k, v in first.items()
                               if k in os.listdir(split)}


def test_run_saliency_names_a_missing_image(sod_checkpoint, tmp_path):
    lst = tmp_path / 'list.txt'
    lst.write_text('2011_000003\nno_such_image\n')
    with pytest.raises(AssertionError, match='no_such_image.jpg'):
        run_tool('tools/run_saliency.py', TOY_CFG, sod_checkpoint,
                 '--img-dir', osp.join(VOC_REAL_MINI, 'JPEGImages'),
                 '--list', lst, '--out', tmp_path / 'out')


DUTS_DEV_VAL = osp.join(SHARED_DATA, 'duts_dev', 'val')


@pytest.mark.skipif(not osp.isdir(DUTS_DEV_VAL), reason='no duts_dev')
def test_run_saliency_then_eval_saliency_agrees_with_pysodmetrics(
        sod_checkpoint, tmp_path):
    """Maps of 6 real DUTS-TE images (tools/run_saliency.py), evaluated in
    one step (tools/eval_saliency.py): the numbers equal pysodmetrics' on
    the same files; a missing map is an error naming it."""
    py_sod_metrics = pytest.importorskip('py_sod_metrics')
    names = sorted(open(osp.join(DUTS_DEV_VAL, 'ids.txt')).read().split())
    names = names[::len(names) // 6][:6]
    lst = tmp_path / 'names.txt'
    lst.write_text('\n'.join(names) + '\n')
    out = tmp_path / 'maps'
    run_tool('tools/run_saliency.py', TOY_CFG, sod_checkpoint, '--img-dir',
             osp.join(DUTS_DEV_VAL, 'images'), '--list', lst, '--out', out)
    gt_dir = osp.join(DUTS_DEV_VAL, 'masks')
    run_tool('tools/eval_saliency.py', '--pred-dir', out, '--gt-dir', gt_dir,
             '--list', lst, '--out-json', tmp_path / 'sod.json')
    got = json.load(open(tmp_path / 'sod.json'))
    assert got['num_images'] == 6
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # Fmeasure's deprecation notice
        fm = py_sod_metrics.Fmeasure()
    mae = py_sod_metrics.MAE()
    sm, em = py_sod_metrics.Smeasure(), py_sod_metrics.Emeasure()
    for name in names:
        pred = cv2.imread(str(out / f'{name}.png'), cv2.IMREAD_GRAYSCALE)
        gt = cv2.imread(osp.join(gt_dir, f'{name}.png'), cv2.IMREAD_GRAYSCALE)
        for m in (fm, mae, sm, em):
            m.step(pred=pred, gt=gt)
    f, e = fm.get_results()['fm'], em.get_results()['em']
    want = dict(MAE=mae.get_results()['mae'], maxFm=f['curve'].max(),
                meanFm=f['curve'].mean(), adpFm=f['adp'],
                Sm=sm.get_results()['sm'], maxEm=e['curve'].max(),
                meanEm=e['curve'].mean(), adpEm=e['adp'])
    for key, value in want.items():
        assert abs(got[key] - float(value)) < 1e-6, (key, got[key], value)
    assert 0 < got['MAE'] < 1 and got['Sm'] > 0
    # a map missing from the folder: an error naming it
    os.remove(out / f'{names[3]}.png')
    with pytest.raises(AssertionError, match=f'{names[3]}.png'):
        run_tool('tools/eval_saliency.py', '--pred-dir', out, '--gt-dir',
                 gt_dir, '--list', lst)
