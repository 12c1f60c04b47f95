"""PipelineRunner: skip finished stages, resume interrupted ones, rerun a
stage (and what follows) whose settings changed. Stages here are small
python commands, so every branch is exercised in a second."""
import json
import os
import os.path as osp

import pytest
from conftest import REPO

from mmwsss.pipeline import PipelineRunner, Stage

# appends a line to a file: counts how often a stage really ran
APPEND = ('import sys, os; os.makedirs(os.path.dirname(sys.argv[1]), '
          'exist_ok=True); open(sys.argv[1], "a").write(sys.argv[2] + "\\n")')
# fails unless a flag file exists (an "interrupted" stage)
FAIL_UNLESS = 'import sys, os; sys.exit(0 if os.path.exists(sys.argv[1]) else 3)'


def _stages(tmp, a_setting=1, b_setting=1, flag=None):
    a_out = str(tmp / 'a' / 'runs.txt')
    b_out = str(tmp / 'b' / 'runs.txt')
    b_cmds = [['-c', APPEND, b_out, 'b']]
    if flag:
        b_cmds.append(['-c', FAIL_UNLESS, flag])
    return [
        Stage('a', [['-c', APPEND, a_out, 'a']], outputs=[str(tmp / 'a')],
              settings=dict(x=a_setting),
              metrics=lambda: dict(lines=len(open(a_out).readlines()))),
        Stage('b', b_cmds, outputs=[str(tmp / 'b')],
              settings=dict(y=b_setting), deps=['a']),
    ], a_out, b_out


def _graph(tmp, settings):
    """Four stages: a; b after a; c on its own; d after b. Every run of a
    stage appends its name to ``journal`` (outside every stage's outputs,
    so a rerun, whose outputs are deleted first, still counts)."""
    journal = str(tmp / 'journal.txt')
    deps = dict(a=[], b=['a'], c=[], d=['b'])
    stages = []
    for name in 'abcd':
        out = str(tmp / name / 'runs.txt')
        stages.append(Stage(
            name, [['-c', APPEND, journal, name], ['-c', APPEND, out, name]],
            outputs=[str(tmp / name)], settings=dict(v=settings.get(name, 1)),
            deps=deps[name]))
    return stages, journal


def _lines(path):
    return open(path).read().split() if osp.exists(path) else []


def test_skip_rerun_on_change_and_downstream(tmp_path):
    work = str(tmp_path / 'work')
    stages, a_out, b_out = _stages(tmp_path)
    PipelineRunner(work, stages, log=lambda *_: None).run()
    assert _lines(a_out) == ['a'] and _lines(b_out) == ['b']
    manifest = json.load(open(osp.join(work, 'manifest.json')))
    assert manifest['stages']['a']['status'] == 'done'
    assert manifest['stages']['a']['metrics'] == dict(lines=1)

    # same settings: nothing runs
    PipelineRunner(work, _stages(tmp_path)[0], log=lambda *_: None).run()
    assert _lines(a_out) == ['a'] and _lines(b_out) == ['b']

    # b changed: only b reruns, from scratch (its old output deleted)
    PipelineRunner(work, _stages(tmp_path, b_setting=2)[0],
                   log=lambda *_: None).run()
    assert _lines(a_out) == ['a'] and _lines(b_out) == ['b']
    # a changed: a and everything after it rerun
    PipelineRunner(work, _stages(tmp_path, a_setting=2, b_setting=2)[0],
                   log=lambda *_: None).run()
    assert _lines(a_out) == ['a'] and _lines(b_out) == ['b']
    manifest2 = json.load(open(osp.join(work, 'manifest.json')))
    assert manifest2['stages']['b']['fingerprint'] != \
        manifest['stages']['b']['fingerprint']


def test_change_reruns_the_dependants_and_only_them(tmp_path):
    """A journal outside the outputs tells a rerun from a skip."""
    work = str(tmp_path / 'work')

    def run(**settings):
        stages, journal = _graph(tmp_path, settings)
        before = _lines(journal)
        PipelineRunner(work, stages, log=lambda *_: None).run()
        after = _lines(journal)
        assert after[:len(before)] == before
        return after[len(before):]

    assert run() == ['a', 'b', 'c', 'd']
    assert run() == []                       # unchanged: every stage skipped
    assert run(a=2) == ['a', 'b', 'd']       # a's dependants, not c
    assert run(a=2) == []
    assert run(a=2, b=2) == ['b', 'd']       # b and d, not a nor c
    assert run(a=2, b=2, c=2) == ['c']       # c has no dependants
    assert run(a=2, b=2, c=2, d=2) == ['d']
    # a rerun starts from scratch: its own output holds one run
    assert _lines(tmp_path / 'a' / 'runs.txt') == ['a']
    assert _lines(tmp_path / 'd' / 'runs.txt') == ['d']


def test_interrupted_stage_resumes_without_deleting(tmp_path):
    work = str(tmp_path / 'work')
    flag = str(tmp_path / 'flag')
    stages, a_out, b_out = _stages(tmp_path, flag=flag)
    with pytest.raises(RuntimeError, match='stage "b" failed'):
        PipelineRunner(work, stages, log=lambda *_: None).run()
    manifest = json.load(open(osp.join(work, 'manifest.json')))
    assert manifest['stages']['b']['status'] == 'running'
    open(flag, 'w').close()
    logs = []
    PipelineRunner(work, _stages(tmp_path, flag=flag)[0],
                   log=logs.append).run()
    # a is not rerun; b resumes: its partial output was kept, not deleted
    assert _lines(a_out) == ['a']
    assert _lines(b_out) == ['b', 'b']
    assert any('resuming' in line for line in logs)
    manifest = json.load(open(osp.join(work, 'manifest.json')))
    assert manifest['stages']['b']['status'] == 'done'


def test_unknown_stage_name_is_a_clear_error(tmp_path):
    stages, _, _ = _stages(tmp_path)
    with pytest.raises(ValueError, match='unknown stage "c"'):
        PipelineRunner(str(tmp_path / 'w'), stages).run(only=['c'])


def test_report_counts_selector_decisions_from_the_real_log_format(tmp_path):
    """The report reads the CSV that tools/run_select.py writes:
    ``changed`` is a pixel count and ``decision`` the rule's verdict."""
    from mmwsss.pipeline.report_writer import read_selector_log
    from mmwsss.selector.audit_log import decision_row, format_row, header_line
    names = ('ball', 'box')
    decisions = [
        dict(id='a', **{'class': 1}, iou=0.7, n_c=1.0, salient=True,
             alpha=1.0, decision='replaced', changed=571),
        dict(id='b', **{'class': 1}, iou=0.1, n_c=1.0, salient=True,
             alpha=0.0, decision='kept', changed=0),
        dict(id='c', **{'class': 2}, iou=0.5, n_c=0.6, salient=True,
             alpha=0.9, decision='fused', changed=12),   # soft mode
        dict(id='d', **{'class': 2}, iou=0.0, n_c=0.6, salient=True,
             alpha=0.0, decision='empty-saliency', changed=0),
        dict(id='e', **{'class': -1}, decision='multi-class', changed=0),
    ]
    log = tmp_path / 'selector_log.csv'
    log.write_text(header_line() + ''.join(
        format_row(decision_row(d, names)) for d in decisions))
    assert read_selector_log(str(log)) == {
        'ball': dict(single=2, replaced=1), 'box': dict(single=2, replaced=1)}


def _step_file(command):
    """The settings file a stage command writes when it starts, read."""
    assert command[:2] == ['-m', command[1]] and \
        command[1].startswith('mmwsss.stages.')
    with open(str(command[2])) as f:
        return json.load(f)


def test_wsss_stages_run_stage_modules_with_checked_settings(tmp_path):
    """Every pipeline command is ``python -m mmwsss.stages.<stage>
    SETTINGS.json``; the settings file holds the stage's config section
    and the WorkDir paths (no argv lists, no tool paths), and the metrics
    are read from fixed files."""
    from mmengine.config import Config

    from mmwsss.pipeline.wsss_stages import STAGE_NAMES, build_wsss_stages
    from mmwsss.stages.entry import read_step_file
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'pipelines',
                                   'toy_pipeline.py'))
    cfg.work_dir = str(tmp_path / 'work')
    cfg.expand = dict(method='none', cam_thr=0.2)
    cfg.select = dict(mode='soft', t0=0.3)
    stages, wd, classes = build_wsss_stages(cfg)
    assert tuple(s.name for s in stages) == STAGE_NAMES[1:]
    assert classes == 'toy' and wd.root == cfg.work_dir
    for training in (wd.classify, wd.saliency_model, wd.segment_expand,
                     wd.segment_select):  # checkpoints resolved at run time
        os.makedirs(training)
        with open(osp.join(training, 'last_checkpoint'), 'w') as f:
            f.write(osp.join(training, 'iter_6.pth'))
    with open(wd.cam_eval, 'w') as f:
        json.dump(dict(best_threshold=0.15), f)
    by_name = {s.name: s for s in stages}
    steps = {}
    for stage in stages:
        for command in stage.commands:
            record = _step_file(command)
            assert command[1] == f'mmwsss.stages.{record["stage"]}'
            steps[stage.name, record['step']] = record
    cam = steps['cam', 'cam']['settings']
    assert cam['scales'] == list(cfg.cam.scales) and cam['flip'] is True
    assert cam['checkpoint'] == osp.join(wd.classify, 'iter_6.pth')
    assert cam['out'] == wd.cam
    expand = steps['expand', 'expand']['settings']
    assert (expand['method'], expand['cam_thr']) == ('none', 0.2)
    assert expand['cam_eval'] == wd.cam_eval and expand['out'] == wd.expand
    fuse = steps['select', 'fuse']['settings']
    assert (fuse['mode'], fuse['t0'], fuse['fuse_thr']) == ('soft', 0.3, 0.15)
    assert fuse['out'] == wd.select and fuse['log'] == wd.select_log
    sweep = steps['select', 'sweep']
    assert sweep['settings']['split'] == cfg.data.eval_split
    assert sweep['args'] == dict(out_md=wd.select_sweep_md,
                                 out_json=wd.select_sweep)
    assert steps['cam', 'eval']['settings']['out_json'] == wd.cam_eval
    # training stages: the test step writes the metrics to a fixed path,
    # and the configs are absolute (found from any working directory)
    for name in ('classify', 'saliency', 'segment_expand', 'segment_select'):
        test = steps[name, 'test']['settings']
        assert test['out_metrics'] == osp.join(by_name[name].outputs[0],
                                               'test', 'metrics.json')
        assert osp.isabs(test['config']) and osp.isfile(test['config'])
    for name, pred in (('segment_expand', wd.segment_expand_pred),
                       ('segment_select', wd.segment_select_pred)):
        samples = steps[name, 'samples']['settings']
        assert samples['out'] == pred
        assert samples['cfg_options']['test_dataloader.dataset.ann_file'] \
            == 'ImageSets/Segmentation/train.txt'
    # the stage modules read the files back into the same settings
    from mmwsss.stages import select
    path = str(by_name['select'].commands[1][2])
    name, _, settings, _ = read_step_file(path, 'select', select.STEPS)
    assert name == 'fuse' and settings.to_dict() == fuse
    with pytest.raises(ValueError, match='not of stage'):
        read_step_file(path, 'cam', select.STEPS)
    assert by_name['segment_select'].deps == ['select']
    assert by_name['segment_expand'].deps == ['expand']
    # a bad value stops the pipeline before any stage, naming the key
    cfg.select = dict(mode='sideways')
    with pytest.raises(ValueError, match='select settings: mode'):
        build_wsss_stages(cfg)


# waits until a peer flag file exists (or times out with exit 4), after
# writing its own: two such stages finish only if they run side by side
RENDEZVOUS = ('import sys, os, time; open(sys.argv[1], "w").close(); t = '
              'time.time()\nwhile not os.path.exists(sys.argv[2]):\n'
              '    time.sleep(0.05)\n    if time.time() - t > 20: '
              'sys.exit(4)')


def test_jobs_run_independent_stages_side_by_side(tmp_path):
    """jobs=2: a and c (independent) meet at a rendezvous, so they ran at
    the same time; b starts only after a, d only after b; each stage got
    cpu_count // 2 threads; a second run skips everything."""
    import os
    stages, journal = _graph(tmp_path, {})
    a, b, c, d = stages
    fa, fc = str(tmp_path / 'flag_a'), str(tmp_path / 'flag_c')
    a.commands.insert(0, ['-c', RENDEZVOUS, fa, fc])
    c.commands.insert(0, ['-c', RENDEZVOUS, fc, fa])
    threads = str(tmp_path / 'threads.txt')
    d.commands.append(['-c', 'import os, sys; open(sys.argv[1], "w").write('
                       'os.environ["OMP_NUM_THREADS"])', threads])
    work = str(tmp_path / 'work')
    PipelineRunner(work, stages, jobs=2, log=lambda *_: None).run()
    order = _lines(journal)
    assert sorted(order) == ['a', 'b', 'c', 'd']
    assert order.index('a') < order.index('b') < order.index('d')
    assert open(threads).read() == str(max(1, (os.cpu_count() or 1) // 2))
    manifest = json.load(open(osp.join(work, 'manifest.json')))
    assert all(manifest['stages'][n]['status'] == 'done' for n in 'abcd')
    PipelineRunner(work, stages, jobs=2, log=lambda *_: None).run()
    assert sorted(_lines(journal)) == ['a', 'b', 'c', 'd']


def test_jobs_failure_stops_the_dependants(tmp_path):
    """jobs=2: b fails; d (after b) never starts, c (independent) runs, the
    error names b."""
    stages, journal = _graph(tmp_path, {})
    stages[1].commands.append(['-c', 'import sys; sys.exit(5)'])
    with pytest.raises(RuntimeError, match='stage "b" failed'):
        PipelineRunner(str(tmp_path / 'work'), stages, jobs=2,
                       log=lambda *_: None).run()
    assert 'd' not in _lines(journal) and 'a' in _lines(journal)


def test_manifest_of_the_older_input_digest_carries_over(tmp_path):
    """A manifest recorded with the older input digest (names, sizes,
    mtimes) keeps its finished stages once the inputs match by that
    digest: nothing reruns, and the entries are then recorded with the new
    digest (ctime and inode too)."""
    data = tmp_path / 'data'
    data.mkdir()
    (data / 'a.jpg').write_bytes(b'x')
    stages, a_out, b_out = _stages(tmp_path)
    stages[0].inputs = [str(data)]
    work = str(tmp_path / 'work')
    runner = PipelineRunner(work, stages, log=lambda *_: None)
    runner.run()
    manifest = runner.manifest
    for stage in stages:  # as the older code recorded them, in order
        entry = manifest['stages'][stage.name]
        entry['fingerprint'] = runner.fingerprint(stage, legacy=True)
        del entry['digest']
    runner._save_manifest()
    runner = PipelineRunner(work, stages, log=lambda *_: None)
    runner.run()
    assert open(a_out).read().split() == ['a']
    assert open(b_out).read().split() == ['b']
    assert {e['digest'] for e in runner.manifest['stages'].values()} == {2}
