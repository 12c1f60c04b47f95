"""The whole toy pipeline, at a reduced size, through tools/run_pipeline.py
run from a folder outside the repository (relative work and data folders):
every stage runs as its stage module (``python -m mmwsss.stages.<stage>``),
the manifest records metrics, the report is written, a second run skips
every stage, and a run killed in the middle of a training stage, then
started again, ends with the same metrics as the uninterrupted one."""
import json
import re
import os
import os.path as osp
import signal
import subprocess
import sys
import time

import pytest
from conftest import REPO, run_tool, tool_env

TINY = osp.join(REPO, 'tests', 'data', 'configs', 'toy_pipeline_tiny.py')
STAGES = ('data', 'classify', 'cam', 'expand', 'saliency', 'select',
          'segment_expand', 'segment_select')


def _args(work, toy):
    return [osp.join(REPO, 'tools', 'run_pipeline.py'), TINY, '--work-dir',
            work, '--cfg-options', f'data.toy.out={toy}',
            f'data.voc_root={toy}/VOC2012', f'data.duts_root={toy}/DUTS']


def _metrics(work):
    """Numeric metrics of every stage, without timings."""
    stages = json.load(open(osp.join(work, 'manifest.json')))['stages']
    return {(name, key): value
            for name, stage in stages.items()
            for key, value in (stage.get('metrics') or {}).items()
            if isinstance(value, (int, float)) and 'time' not in key}


@pytest.fixture(scope='module')
def finished_run(tmp_path_factory):
    """One uninterrupted run of the tiny pipeline, started in a folder
    outside the repository with relative paths: (args, work, toy, cwd)."""
    tmp = tmp_path_factory.mktemp('pipeline')
    args = _args('./work', 'toy')
    run_tool(*args, timeout=1800, cwd=tmp)
    return args, tmp / 'work', tmp / 'toy', tmp


def test_toy_pipeline_end_to_end(finished_run):
    args, work, toy, cwd = finished_run
    manifest = json.load(open(work / 'manifest.json'))['stages']
    assert set(manifest) == set(STAGES)
    assert all(s['status'] == 'done' for s in manifest.values())
    m = {k: v['metrics'] for k, v in manifest.items()}
    assert 'multi-label/mAP' in m['classify']
    # the best CAM threshold of the sweep (extended beyond 0.05..0.60 when
    # the best sat on its edge)
    sweep = [x['threshold'] for x in m['cam']['sweep']]
    assert 0 < m['cam']['best_threshold'] < 1
    assert m['cam']['best_threshold'] in sweep
    for stage in ('expand', 'select'):
        for key in ('Acc', 'Acc_class', 'mIoU', 'fwIoU'):
            assert 0.0 <= m[stage][key] <= 1.0, (stage, key)
    for key in ('MAE', 'maxFm', 'Sm', 'meanEm'):
        assert key in m['saliency'], key
    assert 'mIoU' in m['segment_expand'] and 'mIoU' in m['segment_select']

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
    # where it came from: the config, the seeds, commit, machine, date
    info = report['info']
    assert info['config'] == TINY and info['seed']['toy data'] == 0
    assert info['date'] and info['machine'] and 'commit <code>' in html

    # every step ran as its stage module, from its settings file
    log = open(work / 'logs' / 'cam.log').read()
    assert '-m mmwsss.stages.cam ' + str(work / 'stage_settings' /
                                         'cam.cam.json') in log
    for name in os.listdir(work / 'stage_settings'):
        record = json.load(open(work / 'stage_settings' / name))
        assert record['stage'] in name and record['step'] in name
    # a rerun finds everything up to date and runs no stage command
    proc = run_tool(*args, timeout=600, cwd=cwd)
    assert proc.stdout.count('up to date, skipped') == len(STAGES)
    assert '$ ' not in proc.stdout


def test_killed_run_resumes_to_the_same_metrics(finished_run, tmp_path):
    """SIGKILL the whole pipeline once the SOD training has written its
    mid-run checkpoint (iteration 3 of 6), start it again, and compare."""
    _, ref_work, _, _ = finished_run
    work, toy = tmp_path / 'work', tmp_path / 'toy'
    args = _args(work, toy)
    proc = subprocess.Popen([sys.executable, *map(str, args)], cwd=REPO,
                            env=tool_env(), start_new_session=True,
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    marker = work / 'saliency_model' / 'last_checkpoint'
    deadline = time.time() + 1500
    try:
        while not (marker.is_file() and 'iter_' in marker.read_text()):
            assert proc.poll() is None, 'the pipeline ended before the kill'
            assert time.time() < deadline, 'no SOD checkpoint in time'
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    stages = json.load(open(work / 'manifest.json'))['stages']
    assert stages['saliency']['status'] == 'running'  # killed inside the stage
    assert 'segment_select' not in stages or \
        stages['segment_select']['status'] != 'done'

    proc = run_tool(*args, timeout=1800)
    assert re.search(r'\[\d/8 saliency\] resuming \(elapsed', proc.stdout)
    log = open(work / 'logs' / 'saliency.log').read()
    assert 'Auto resumed from the latest checkpoint' in log
    got, want = _metrics(work), _metrics(ref_work)
    assert set(got) == set(want)
    assert got == want
