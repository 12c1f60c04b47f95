"""The multi-seed study (mmwsss.pipeline.study): the aggregation against
numbers computed by hand from fabricated per-seed reports, the per-seed
pipeline configs, and the pipeline wiring the report reads."""
import json
import math
import os
import os.path as osp

import pytest
from conftest import REPO

from mmwsss.pipeline.study import (aggregate, load_report, run_study,
                                   seed_config, seed_work_dir)

TINY = osp.join(REPO, 'tests', 'data', 'configs', 'toy_pipeline_tiny.py')
_STAGE_MODULE = dict(classify='mmwsss.stages.classify',
                     expand='mmwsss.stages.expand',
                     saliency='mmwsss.stages.saliency',
                     segment_expand='mmwsss.stages.segment',
                     segment_select='mmwsss.stages.segment')


def _run_pipeline_tool():
    """tools/run_pipeline.py as a module (the toy data stage is its own)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'run_pipeline', osp.join(REPO, 'tools', 'run_pipeline.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module

# seed -> (expand mIoU, select mIoU [fractions], segment_expand,
#          segment_select mIoU [percent], cam best_threshold, classify mAP,
#          saliency MAE [fraction])
FAKE = {
    0: (0.40, 0.43, 30.0, 31.0, 0.25, 90.0, 0.05),
    1: (0.42, 0.44, 31.0, 30.5, 0.30, 92.0, 0.06),
    2: (0.44, 0.50, 29.0, 30.0, 0.35, 94.0, 0.07),
}


def _report(exp, sel, seg_e, seg_s, thr, cls, mae):
    """A report.json as the report writer writes it (only what matters)."""
    label = dict(pred_dir='/x', split='train', num_images=90,
                 class_names=['background', 'a'], Acc=0.9,
                 IoU=dict(background=0.9, a=0.1))
    return dict(headline={}, stages=dict(
        data=dict(metrics={}, status='done', seconds=1.0),
        classify=dict(metrics={'multi-label/mAP': cls}),
        cam=dict(metrics=dict(best_threshold=thr, mIoU=exp - 0.1,
                              sweep=[dict(threshold=thr, mIoU=0.3)])),
        expand=dict(metrics=dict(label, mIoU=exp)),
        saliency=dict(metrics=dict(MAE=mae, maxF=0.9)),
        select=dict(metrics=dict(label, mIoU=sel)),
        segment_expand=dict(metrics=dict(mIoU=seg_e, aAcc=80.0,
                                         data_time=0.1)),
        segment_select=dict(metrics=dict(mIoU=seg_s, aAcc=81.0))))


def _write_reports(root):
    for seed, values in FAKE.items():
        path = osp.join(seed_work_dir(str(root), seed), 'report',
                        'report.json')
        os.makedirs(osp.dirname(path))
        with open(path, 'w') as f:
            json.dump(_report(*values), f)


def _sample_std(xs):  # re-derived: sqrt(sum((x - mean)^2) / (n - 1))
    m = sum(xs) / len(xs)
    return math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1))


def test_aggregate_matches_hand_computation(tmp_path):
    _write_reports(tmp_path)
    result = run_study(TINY, [0, 1, 2], str(tmp_path), aggregate_only=True,
                       command='python tools/run_study.py x --seeds 0 1 2')
    st = result['stages']
    # label stages: fractions -> percent; 40, 42, 44 -> 42 ± 2
    assert st['expand']['mIoU']['unit'] == '%'
    assert st['expand']['mIoU']['mean'] == pytest.approx(42.0)
    assert st['expand']['mIoU']['std'] == pytest.approx(2.0)
    assert st['expand']['Acc']['mean'] == pytest.approx(90.0)
    assert st['expand']['Acc']['std'] == pytest.approx(0.0, abs=1e-9)
    # segmenter: already percent; 31, 30.5, 30 -> 30.5 ± 0.5
    assert st['segment_select']['mIoU']['mean'] == pytest.approx(30.5)
    assert st['segment_select']['mIoU']['std'] == pytest.approx(0.5)
    assert st['classify']['multi-label/mAP']['mean'] == pytest.approx(92.0)
    assert st['classify']['multi-label/mAP']['std'] == pytest.approx(2.0)
    # saliency MAE 0.05..0.07 -> 6 ± 1 percent; a threshold stays as it is
    assert st['saliency']['MAE']['mean'] == pytest.approx(6.0)
    assert st['saliency']['MAE']['std'] == pytest.approx(1.0)
    assert st['cam']['best_threshold']['unit'] == ''
    assert st['cam']['best_threshold']['mean'] == pytest.approx(0.30)
    assert st['cam']['best_threshold']['std'] == pytest.approx(0.05)
    # bookkeeping and non-numbers are not metrics
    assert 'num_images' not in st['expand'] and 'sweep' not in st['cam']
    assert 'data_time' not in st['segment_expand'] and st['data'] == {}

    # paired differences, by hand: pseudo-labels 3, 2, 6 points
    pl = result['claims']['pseudo_labels']
    assert [pl['per_seed'][s] for s in '012'] == pytest.approx([3, 2, 6])
    assert pl['mean'] == pytest.approx(11 / 3)
    assert pl['std'] == pytest.approx(math.sqrt((4 / 9 + 25 / 9 + 49 / 9)
                                                / 2))
    assert pl['std'] == pytest.approx(_sample_std([3, 2, 6]))
    assert pl['positive_in_every_seed'] is True
    # segmenter: +1, -0.5, +1 -> 0.5 ± sqrt(0.75), not in every seed
    sg = result['claims']['segmenter']
    assert [sg['per_seed'][s] for s in '012'] == pytest.approx([1, -.5, 1])
    assert sg['mean'] == pytest.approx(0.5)
    assert sg['std'] == pytest.approx(math.sqrt(0.75))
    assert sg['positive_in_every_seed'] is False
    assert (sg['min'], sg['max']) == pytest.approx((-0.5, 1.0))

    # the three files; the JSON is the returned result
    saved = json.load(open(tmp_path / 'study.json'))
    assert saved['claims']['segmenter']['std'] == pytest.approx(sg['std'])
    assert saved['command'].startswith('python tools/run_study.py')
    md = open(tmp_path / 'study.md').read()
    assert '| fused - expanded pseudo-labels (mIoU, points) | +3.00 | ' \
        '+2.00 | +6.00 | 3.67 ± 2.08 | yes |' in md
    assert '| +1.00 | -0.50 | +1.00 | 0.50 ± 0.87 | no |' in md
    assert '| expand | mIoU (%) | 40.00 | 42.00 | 44.00 | 42.00 ± 2.00 |' \
        in md
    png = open(tmp_path / 'study.png', 'rb').read()
    assert png[:8] == b'\x89PNG\r\n\x1a\n' and len(png) > 5000


def test_one_seed_has_no_std_and_missing_metric_is_left_out(tmp_path):
    per_seed = {
        0: {'expand': {'mIoU': (40.0, '%'), 'fwIoU': (50.0, '%')},
            'select': {'mIoU': (43.0, '%')}},
        1: {'expand': {'mIoU': (42.0, '%')}, 'select': {'mIoU': (42.0, '%')}},
    }
    result = aggregate(per_seed)
    assert 'fwIoU' not in result['stages']['expand']  # seed 1 lacks it
    assert result['claims']['pseudo_labels']['per_seed'] == \
        pytest.approx({'0': 3.0, '1': 0.0})
    assert not result['claims']['pseudo_labels']['positive_in_every_seed']
    assert 'segmenter' not in result['claims']  # no segment stages
    one = aggregate({5: per_seed[0]})
    assert one['stages']['expand']['mIoU']['std'] is None


def test_bad_report_names_the_file(tmp_path):
    bad = tmp_path / 'report.json'
    bad.write_text('{"stages": [1, 2]}')
    with pytest.raises(ValueError, match=str(bad)):
        load_report(str(bad))
    with pytest.raises(FileNotFoundError, match='seed_7'):
        run_study(TINY, [7], str(tmp_path), aggregate_only=True)


def test_seed_configs_reach_every_stage(tmp_path):
    """The per-seed pipeline config sets the toy seed, a data folder of its
    own and every trained network's randomness.seed (IRN's relation net
    included), and keeps the user's
    options and the tiny config's own cfg_options."""
    from mmwsss.pipeline.wsss_stages import build_wsss_stages
    data_stage = _run_pipeline_tool().data_stage
    work = str(tmp_path / 'study')
    user = {'report.num_samples': 2, 'data.toy.num_images': 40}
    commands = {}
    for seed in (0, 3):
        cfg = seed_config(TINY, seed, work, cfg_options=user)
        seed_dir = osp.join(work, f'seed_{seed}')
        assert cfg.work_dir == seed_dir and cfg.filename == TINY
        assert cfg.report.num_samples == 2
        assert cfg.data.toy.seed == seed and cfg.data.toy.num_images == 40
        assert cfg.data.voc_root == osp.join(seed_dir, 'data', 'VOC2012')
        assert cfg.data.duts_root == osp.join(seed_dir, 'data', 'DUTS')
        stages = {s.name: s for s in build_wsss_stages(cfg)[0]}
        data = data_stage(cfg).commands[0]
        assert data[data.index('--seed') + 1] == str(seed)
        assert data[data.index('--out') + 1] == osp.join(seed_dir, 'data')
        for name in ('classify', 'expand', 'saliency', 'segment_expand',
                     'segment_select'):
            # expand: relation labels, then the relation net's training
            train = stages[name].commands[1 if name == 'expand' else 0]
            assert train[:2] == ['-m', _STAGE_MODULE[name]]
            key = train[2].key
            assert key['step'] == 'train'
            options = key['values']['cfg_options']
            assert options['randomness'] == dict(seed=seed), name
            assert key['values']['work_dir'].startswith(seed_dir)
        options = stages['classify'].commands[0][2].key['values'][
            'cfg_options']
        assert options['train_cfg.max_epochs'] == 2  # the tiny config's own
        commands[seed] = stages['classify'].commands[0][2].key
    assert commands[0] != commands[3]


def test_seeds_run_in_this_process_from_any_working_directory(
        tmp_path, monkeypatch):
    """Each seed runs through run_pipeline (no tool, no subprocess) with
    the caller's data stage, its own config and the study's command; a
    failing seed stops the study with its name and how to resume."""
    from mmwsss.pipeline import study_seeds
    calls = []

    def fake_run_pipeline(cfg, **kwargs):
        calls.append((cfg.work_dir, cfg.data.toy.seed, kwargs))
        if cfg.data.toy.seed == 1:
            raise RuntimeError('stage "cam" failed')

    monkeypatch.setattr(study_seeds, 'run_pipeline', fake_run_pipeline)
    monkeypatch.chdir(tmp_path)
    marker = object()
    with pytest.raises(RuntimeError, match=r'seed 1 failed \(stage "cam" '
                       r'failed\); run the same study command again .*'
                       r'seed_1'):
        run_study(TINY, [0, 1, 2], 'study', data_stage=marker,
                  command='python tools/run_study.py x')
    assert [c[1] for c in calls] == [0, 1]
    work, _, kwargs = calls[0]
    assert work == str(tmp_path / 'study' / 'seed_0')
    assert kwargs['data_stage'] is marker and kwargs['config'] == TINY
    assert kwargs['command'] == 'python tools/run_study.py x (seed 0)'
    assert kwargs['nproc'] == 1


def test_toy_config_without_a_data_stage_is_refused(tmp_path):
    from mmwsss.pipeline.wsss_pipeline import (load_pipeline_config,
                                               run_pipeline)
    cfg = load_pipeline_config(TINY, work_dir=str(tmp_path))
    with pytest.raises(ValueError, match='data.toy is set, but no data '
                       'stage was given'):
        run_pipeline(cfg)
    assert not osp.exists(tmp_path / 'manifest.json')


def test_pipeline_wires_the_report_inputs(tmp_path):
    """The demo runs the Table 3 sweep, both segmenters predict the GT
    split, and every path the report reads comes from the WorkDir."""
    from mmengine.config import Config

    from mmwsss.pipeline import ReportWriter
    from mmwsss.pipeline.report_writer import REPORT_INPUTS
    from mmwsss.pipeline.wsss_stages import build_wsss_stages
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'pipelines',
                                   'toy_pipeline.py'))
    cfg.work_dir = str(tmp_path)
    stages, wd, _ = build_wsss_stages(cfg)
    by_name = {s.name: s for s in stages}
    report = ReportWriter.for_work_dir(wd, '/img', '/gt', ['bg', 'a'])
    assert not report.ignored_paths
    for key in ('cam_eval', 'selector_sweep', 'pred_dir', 'pred_expand_dir',
                'selector_log', 'cam_dir', 'sal_dir'):
        assert key in REPORT_INPUTS and report.paths[key], key
    sweep = [c[2].key for c in by_name['select'].commands
             if c[2].key['step'] == 'sweep']
    assert len(sweep) == 1
    assert sweep[0]['args']['out_json'] == wd.select_sweep == \
        report.paths['selector_sweep']
    assert sweep[0]['values']['split'] == cfg.data.eval_split
    assert wd.select_sweep in by_name['select'].outputs
    for name, key in (('segment_expand', 'pred_expand_dir'),
                      ('segment_select', 'pred_dir')):
        pred = [c[2].key['values'] for c in by_name[name].commands
                if c[2].key['step'] == 'samples']
        assert len(pred) == 1, name
        assert pred[0]['out'] == report.paths[key]
        assert pred[0]['cfg_options'][
            'test_dataloader.dataset.ann_file'] == \
            'ImageSets/Segmentation/train.txt'
    assert wd.segment_select_pred != wd.segment_expand_pred
    # nested stage options become dotted keys
    from mmwsss.stages.training import flat_options
    assert flat_options({'randomness': {'seed': 3, 'deterministic': True},
                         'a.b': [1, 'x']}) == {
        'randomness.seed': 3, 'randomness.deterministic': True,
        'a.b': [1, 'x']}
