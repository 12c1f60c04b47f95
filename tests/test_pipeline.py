"""The whole toy pipeline, at a reduced size, through tools/run_pipeline.py:
every stage runs through its own tool, the manifest records metrics, the
report is written, and a second run skips every stage."""
import json
import os.path as osp

from conftest import REPO, run_tool

TINY = osp.join(REPO, 'tests', 'data', 'configs', 'toy_pipeline_tiny.py')
STAGES = ('data', 'classify', 'cam', 'expand', 'sod', 'fuse', 'segment_cam',
          'segment_fused')


def test_toy_pipeline_end_to_end(tmp_path):
    work, toy = tmp_path / 'work', tmp_path / 'toy'
    args = ['tools/run_pipeline.py', TINY, '--work-dir', work,
            '--cfg-options', f'data.toy.out={toy}',
            f'data.voc_root={toy}/VOC2012', f'data.duts_root={toy}/DUTS']
    run_tool(*args, timeout=1800)
    manifest = json.load(open(work / 'manifest.json'))['stages']
    assert set(manifest) == set(STAGES)
    assert all(s['status'] == 'done' for s in manifest.values())
    m = {k: v['metrics'] for k, v in manifest.items()}
    assert 'multi-label/mAP' in m['classify']
    assert 0.05 <= m['cam']['best_threshold'] <= 0.6
    for stage in ('expand', 'fuse'):
        for key in ('Acc', 'Acc_class', 'mIoU', 'fwIoU'):
            assert 0.0 <= m[stage][key] <= 1.0, (stage, key)
    for key in ('MAE', 'maxFm', 'Sm', 'meanEm'):
        assert key in m['sod'], key
    assert 'mIoU' in m['segment_cam'] and 'mIoU' in m['segment_fused']

    # every train_aug image got a CAM, a saliency map, both pseudo-labels
    ids = open(toy / 'VOC2012' / 'ImageSets' / 'Segmentation' /
               'train_aug.txt').read().split()
    for folder, ext in (('cams', '.npz'), ('saliency', '.png'),
                        ('pseudo_cam', '.png'), ('pseudo_fused', '.png')):
        missing = [i for i in ids if not osp.isfile(work / folder / (i + ext))]
        assert not missing, f'{folder}: {missing[:3]}'
    assert osp.isfile(work / 'pseudo_fused' / 'selector_log.csv')

    report = json.load(open(work / 'report' / 'report.json'))
    assert set(report['stages']) == set(STAGES)
    assert report['samples'], 'no sample images in the report'
    for sample in report['samples']:
        for name in sample['images']:
            assert osp.isfile(work / 'report' / name), name
    html = open(work / 'report' / 'index.html').read()
    assert 'Selector decisions' in html and '<img' in html

    # a rerun finds everything up to date and runs no stage tool
    proc = run_tool(*args, timeout=600)
    assert proc.stdout.count('up to date, skipped') == len(STAGES)
    assert '$ ' not in proc.stdout
