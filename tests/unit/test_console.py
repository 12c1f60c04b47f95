"""The pipeline console: stage k/N, elapsed time, ETA and one readable line
per finished stage (mmwsss.pipeline.console, metric_names), on a fake clock
and through PipelineRunner on small python stages."""
import re

from mmwsss.pipeline import PipelineRunner, Stage
from mmwsss.pipeline.console import Progress, clock
from mmwsss.pipeline.metric_names import format_metric, summary


class Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


def test_readable_metrics_one_precision():
    assert format_metric('classify', 'multi-label/mAP', 95.534) == \
        'mAP 95.5 %'
    assert format_metric('classify', 'multi-label/f1-score', 80.0) == \
        'F1 80.0 %'
    assert format_metric('cam', 'mIoU', 0.40012) == 'mIoU 40.0 %'
    assert format_metric('cam', 'best_threshold', 0.05) == \
        'best background threshold 0.05'
    assert format_metric('fuse', 'Acc', 0.9) == 'pixel accuracy 90.0 %'
    assert format_metric('segment_select', 'aAcc', 85.71) == \
        'pixel accuracy 85.7 %'
    assert format_metric('saliency', 'maxFm', 0.92613) == 'max F 92.6 %'
    assert summary('cam', dict(mIoU=0.4, best_threshold=0.05, sweep=[1],
                               Acc=0.8)) == \
        'mIoU 40.0 %, best background threshold 0.05'
    assert summary('expand', dict(mIoU=0.455, method='par')) == \
        'par, mIoU 45.5 %'
    assert summary('data', {}) == ''


def test_progress_lines_elapsed_and_eta():
    now = Clock()
    p = Progress(['data', 'classify', 'cam', 'expand'], jobs=1, now=now,
                 previous=dict(expand=30.0, cam=None))
    assert p.skip('data') == ('[1/4 data] up to date, skipped | 1/4 stages '
                              'done, elapsed 0:00, ETA unknown')
    assert p.started('classify') == '[2/4 classify] started (elapsed 0:00)'
    now.t += 90
    line = p.finished('classify', 90, {'multi-label/mAP': 97.64,
                                       'multi-label/f1-score': 1.0})
    # one stage run: too little to estimate cam (no earlier time)
    assert line == ('[2/4 classify] done in 1:30: mAP 97.6 % | 2/4 stages '
                    'done, elapsed 1:30, ETA unknown')
    now.t += 60
    line = p.finished('cam', 60, dict(mIoU=0.5))
    # expand: its 30 s from the earlier run
    assert line.endswith('3/4 stages done, elapsed 2:30, ETA ~0:30')
    now.t += 3600
    line = p.finished('expand', 3600, dict(mIoU=0.5))
    assert line.endswith('4/4 stages done, elapsed 1:02:30')
    assert clock(59.6) == '1:00' and clock(3725) == '1:02:05'
    # two jobs: half the time left
    q = Progress(['a', 'b', 'c', 'd'], jobs=2, now=Clock())
    q.finished('a', 100)
    q.finished('b', 300)
    assert q.eta() == 200.0  # 2 stages x 200 s mean / 2 jobs


def test_runner_prints_one_readable_line_per_stage(tmp_path):
    lines = []
    write = 'import sys; open(sys.argv[1], "w").write("x")'
    out = str(tmp_path / 'a.txt')
    stages = [Stage('a', [['-c', write, out]], outputs=[out],
                    metrics=lambda: {'mIoU': 0.25, 'data_time': 0.1,
                                     'multi-label/mAP': 50.0}),
              Stage('b', [['-c', write, str(tmp_path / 'b.txt')]],
                    deps=['a'])]
    PipelineRunner(str(tmp_path / 'w'), stages, log=lines.append).run()
    done = [s for s in lines if ' done in ' in s]
    assert len(done) == 2
    assert re.fullmatch(r'\[1/2 a\] done in 0:0\d: mIoU 0\.25, mAP 50 \| '
                        r'1/2 stages done, elapsed 0:0\d, ETA unknown',
                        done[0]), done[0]
    assert done[1].startswith('[2/2 b] done in ') and \
        done[1].endswith('2/2 stages done, elapsed ' + done[1][-4:])
    assert any(s.startswith('[1/2 a] started') for s in lines)
    assert not any('{' in s for s in lines if not s.startswith('  $'))
    # a second run skips both, still counted
    lines.clear()
    PipelineRunner(str(tmp_path / 'w'), stages, log=lines.append).run()
    assert lines[0].startswith('[1/2 a] up to date, skipped | 1/2 stages')
    assert lines[1].startswith('[2/2 b] up to date, skipped | 2/2 stages')
