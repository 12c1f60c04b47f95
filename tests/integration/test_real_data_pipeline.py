"""The real-photo CPU pipeline (configs/pipelines/voc12_cpu_pipeline.py) at
CI size on real images from ../shared/data: 8 VOC train + 4 val photos with
their official masks and XML-derived labels, 8 + 4 DUTS pairs under the
official DUTS folder names. Every stage runs through tools/run_pipeline.py
with a few iterations; then each trained stage's folder holds mmengine's
``last_checkpoint`` and its dumped config, and ``tools/test.py`` on that
config and checkpoint evaluates another VOC-layout folder, as a user would.
"""
import json
import os
import os.path as osp
import shutil

import numpy as np
import pytest
from conftest import REPO, SHARED_DATA, VOC_REAL_MINI, run_tool

VOC_DEV = osp.join(SHARED_DATA, 'voc_real_dev', 'VOC2012')
DUTS_DEV = osp.join(SHARED_DATA, 'duts_dev')
TINY = osp.join(REPO, 'tests', 'data', 'configs',
                'voc12_cpu_pipeline_tiny.py')
TRAINED = ('classify', 'expand_model', 'saliency_model', 'segment_expand',
           'segment_select')

pytestmark = pytest.mark.skipif(
    not (osp.isdir(VOC_DEV) and osp.isdir(DUTS_DEV)),
    reason='needs ../shared/data/voc_real_dev and duts_dev')


def _read_list(path):
    return open(path).read().split()


def make_voc(root, train, val, src=VOC_DEV):
    """A VOC2012-layout folder with the given ids of ``src``."""
    seg = osp.join(root, 'ImageSets', 'Segmentation')
    os.makedirs(seg)
    for sub, ext in (('JPEGImages', '.jpg'), ('SegmentationClassAug', '.png')):
        os.makedirs(osp.join(root, sub))
        for i in train + val:
            shutil.copy(osp.join(src, sub, i + ext), osp.join(root, sub))
    for name, ids in (('train', train), ('val', val)):
        with open(osp.join(seg, f'{name}.txt'), 'w') as f:
            f.write('\n'.join(ids) + '\n')
    shutil.copy(osp.join(src, 'cls_labels.npy'), root)
    return str(root)


def make_duts(root, n_train, n_val):
    """DUTS-TR / DUTS-TE folders (official names) from duts_dev."""
    for split, part, n in (('train', 'TR', n_train), ('val', 'TE', n_val)):
        names = sorted(_read_list(osp.join(DUTS_DEV, split, 'ids.txt')))
        names = names[::len(names) // n][:n]
        for sub, kind, ext in (('images', 'Image', '.jpg'),
                               ('masks', 'Mask', '.png')):
            dst = osp.join(root, f'DUTS-{part}', f'DUTS-{part}-{kind}')
            os.makedirs(dst)
            for name in names:
                shutil.copy(osp.join(DUTS_DEV, split, sub, name + ext), dst)
    return str(root)


@pytest.fixture(scope='module')
def real_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('real')
    train = _read_list(osp.join(VOC_DEV, 'ImageSets', 'Segmentation',
                                'train.txt'))
    val = _read_list(osp.join(VOC_DEV, 'ImageSets', 'Segmentation',
                              'val.txt'))
    # 8 train images including single-class ones (the selector's) and
    # multi-class ones, 4 val images
    labels = np.load(osp.join(VOC_DEV, 'cls_labels.npy'),
                     allow_pickle=True).item()
    single = [i for i in train if labels[i].sum() == 1]
    multi = [i for i in train if labels[i].sum() > 1]
    voc = make_voc(tmp / 'VOC2012', single[:5] + multi[:3], val[:4])
    duts = make_duts(tmp / 'DUTS', 8, 4)
    work = tmp / 'work'
    proc = run_tool('tools/run_pipeline.py', TINY, '--work-dir', work,
                    '--cfg-options', f'data.voc_root={voc}',
                    f'data.duts_root={duts}', timeout=3600)
    return dict(work=work, voc=voc, duts=duts, tmp=tmp, stdout=proc.stdout)


def test_every_stage_runs_on_real_photos(real_run):
    work = real_run['work']
    stages = json.load(open(work / 'manifest.json'))['stages']
    assert all(s['status'] == 'done' for s in stages.values()), stages
    m = {k: v.get('metrics') or {} for k, v in stages.items()}
    # a one-epoch classifier: any threshold of the (growing) sweep grid
    assert 0.0 < m['cam']['best_threshold'] < 1.0
    for stage in ('expand', 'select'):
        assert 0.0 <= m[stage]['mIoU'] <= 1.0
    assert m['expand']['method'] == 'irn'
    for key in ('MAE', 'maxFm', 'Sm'):
        assert 0.0 <= m['saliency'][key] <= 1.0
    for stage in ('segment_expand', 'segment_select'):
        assert 'mIoU' in m[stage]
    # the 8 train photos got CAMs, saliency maps and both pseudo-labels,
    # at their own (varied) sizes
    voc = real_run['voc']
    ids = _read_list(osp.join(voc, 'ImageSets', 'Segmentation', 'train.txt'))
    for folder, ext in (('cams', '.npz'), ('saliency', '.png'),
                        ('pseudo_cam', '.png'), ('pseudo_fused', '.png')):
        missing = [i for i in ids if not osp.isfile(work / folder / (i + ext))]
        assert not missing, (folder, missing)
    # the report shows the real photographs
    report = json.load(open(work / 'report' / 'report.json'))
    assert report['samples']
    assert {s['id'] for s in report['samples']} <= set(ids)


def test_stage_folders_hold_checkpoint_and_config(real_run):
    work = real_run['work']
    cfg = json.load(open(work / 'manifest.json'))['stages']
    for stage in TRAINED:
        folder = work / stage
        marker = folder / 'last_checkpoint'
        assert marker.is_file(), stage
        ckpt = marker.read_text().strip()
        assert osp.isfile(ckpt) and osp.dirname(ckpt) == str(folder), ckpt
        dumped = [f for f in os.listdir(folder) if f.endswith('.py')]
        assert len(dumped) == 1, (stage, dumped)
    assert cfg  # the manifest lists the stages


def _stage_config(folder):
    name, = [f for f in os.listdir(folder) if f.endswith('.py')]
    ckpt = open(osp.join(folder, 'last_checkpoint')).read().strip()
    return str(folder / name), ckpt


def test_saved_segmenter_tests_on_another_voc_folder(real_run, tmp_path):
    """tools/test.py <work>/segment_select/<config> <checkpoint> on another
    VOC-layout folder (the 4 voc_real_mini photos, listed in its val.txt)."""
    mini_ids = _read_list(osp.join(VOC_REAL_MINI, 'ImageSets',
                                   'Segmentation', 'mini.txt'))
    other = make_voc(tmp_path / 'other' / 'VOC2012', [], mini_ids,
                     src=VOC_REAL_MINI)
    for stage in ('segment_select', 'classify'):
        config, ckpt = _stage_config(real_run['work'] / stage)
        out = tmp_path / f'{stage}.json'
        run_tool('tools/test.py', config, ckpt, '--work-dir',
                 tmp_path / stage, '--out-metrics', out, '--cfg-options',
                 f'test_dataloader.dataset.data_root={other}')
        metrics = json.load(open(out))
        key = 'mIoU' if stage == 'segment_select' else 'multi-label/mAP'
        assert key in metrics, (stage, metrics)
        log = open(next((tmp_path / stage).rglob('*.log'))).read()
        # the other folder's 4 images were evaluated, not the run's
        assert '[4/4]' in log, log[-2000:]


def test_saved_sod_net_maps_and_scores_a_folder(real_run, tmp_path):
    """tools/run_saliency.py with the saved SOD config and checkpoint on a
    folder of images, then tools/eval_saliency.py against its masks."""
    config, ckpt = _stage_config(real_run['work'] / 'saliency_model')
    te = osp.join(real_run['duts'], 'DUTS-TE')
    names = sorted(osp.splitext(f)[0]
                   for f in os.listdir(osp.join(te, 'DUTS-TE-Image')))
    lst = tmp_path / 'names.txt'
    lst.write_text('\n'.join(names) + '\n')
    run_tool('tools/run_saliency.py', config, ckpt, '--img-dir',
             osp.join(te, 'DUTS-TE-Image'), '--list', lst, '--out',
             tmp_path / 'maps')
    run_tool('tools/eval_saliency.py', '--pred-dir', tmp_path / 'maps',
             '--gt-dir', osp.join(te, 'DUTS-TE-Mask'), '--out-json',
             tmp_path / 'sod.json')
    got = json.load(open(tmp_path / 'sod.json'))
    assert got['num_images'] == len(names) == 4
    assert 0.0 <= got['MAE'] <= 1.0 and 0.0 <= got['Sm'] <= 1.0
