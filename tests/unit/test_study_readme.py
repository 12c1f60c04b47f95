"""The README's numbers block, written from a fabricated study folder
(mmwsss.pipeline.study_readme and ``tools/run_study.py --render-only``):
values against the fabricated ones, the claim wording where a difference
holds in every seed and where it does not, provenance, idempotence, text
outside the markers untouched, clear errors."""
import json
import os
import os.path as osp

import pytest
from conftest import REPO, run_tool

from mmwsss.pipeline.study import run_study, seed_work_dir
from mmwsss.pipeline.study_readme import (BEGIN, END, CROSS_MACHINE,
                                          render_readme, replace_block)

# seed -> (expand, select [fractions], segment_expand, segment_select
#          [percent], classify mAP, replaced, single-class, wall seconds)
FAKE = {
    0: (0.40, 0.43, 30.0, 33.0, 90.0, 5, 9, 600.0),
    1: (0.42, 0.44, 31.0, 30.5, 92.0, 6, 9, 660.0),
    2: (0.44, 0.50, 29.0, 30.0, 94.0, 7, 9, 720.0),
}
README = ('# title\n\nprose before\n\n' + BEGIN + '\nold numbers 1.0\n'
          + END + '\n\nprose after 2.0\n')


def _fake_study(root):
    for seed, (exp, sel, seg_e, seg_s, cls, rep, single, wall) in \
            FAKE.items():
        work = seed_work_dir(str(root), seed)
        os.makedirs(osp.join(work, 'report'))
        stages = dict(
            classify=dict(metrics={'multi-label/mAP': cls}),
            cam=dict(metrics=dict(mIoU=exp - 0.1, best_threshold=0.3)),
            expand=dict(metrics=dict(mIoU=exp)),
            saliency=dict(metrics=dict(MAE=0.05, maxFm=0.9)),
            select=dict(metrics=dict(mIoU=sel)),
            segment_expand=dict(metrics=dict(mIoU=seg_e)),
            segment_select=dict(metrics=dict(mIoU=seg_s)))
        with open(osp.join(work, 'report', 'report.json'), 'w') as f:
            json.dump(dict(stages=stages, selector_per_class=dict(
                a=dict(single=single - 2, replaced=rep - 1),
                b=dict(single=2, replaced=1))), f)
        manifest = dict(stages=dict(
            data=dict(started=1000.0, seconds=10.0),
            segment_select=dict(started=1000.0 + wall - 50, seconds=50.0)))
        with open(osp.join(work, 'manifest.json'), 'w') as f:
            json.dump(manifest, f)
    return run_study(None, [0, 1, 2], str(root), aggregate_only=True,
                     command='python tools/run_study.py cfg --seeds 0 1 2')


def test_block_from_a_fake_study(tmp_path):
    result = _fake_study(tmp_path)
    assert result['run']['cpus'] >= 1 and result['run']['date']
    readme = tmp_path / 'README.md'
    readme.write_text(README)
    block = render_readme(str(tmp_path), str(readme))
    text = readme.read_text()
    # only the block changed
    assert text.startswith('# title\n\nprose before\n\n' + BEGIN)
    assert text.endswith(END + '\n\nprose after 2.0\n')
    assert 'old numbers' not in text and block in text
    # provenance: the command, machine, date, commit, seeds
    assert '`python tools/run_study.py cfg --seeds 0 1 2`' in block
    assert result['run']['machine'] in block and result['run']['date'] in \
        block
    assert 'seeds 0–2' in block and 'do not edit by hand' in block
    # the table: fractions in percent, per seed, mean ± std, range
    assert '| 3 expand | pseudo-label mIoU (%) | 40.0 | 42.0 | 44.0 | ' \
        '42.0 ± 2.0 | 40.0 – 44.0 |' in block
    assert '| 1 classify | val mAP (%) | 90.0 | 92.0 | 94.0 |' in block
    assert '| 2 cam | best background threshold | 0.30 | 0.30 | 0.30 |' \
        in block
    # pseudo-labels +3, +2, +6 hold in every seed; segmenter +3, -0.5, +1
    # does not and is not claimed
    assert ('**What holds in every seed (seeds 0–2):** the selector raises '
            'the pseudo-label mIoU by +2.00 to +6.00 points (per seed +3.00, '
            '+2.00, +6.00; mean +3.67 ± 2.08).') in block
    assert '**Not in every seed (seeds 0–2), so not claimed:** the ' \
        'segmenter' in block and '+3.00, -0.50, +1.00' in block
    # spreads between seeds (max - min of the mIoU rows): cam/expand 4,
    # select 7, segment_expand 2, segment_select 3
    assert 'move by 2.0 to 7.0 points' in block and CROSS_MACHINE in block
    assert 'changed the label of 5 of 9, 6 of 9, 7 of 9 single-class' in \
        block
    assert '10.0 min, 11.0 min, 12.0 min' in block

    # rendering again gives the same file (idempotent)
    render_readme(str(tmp_path), str(readme))
    assert readme.read_text() == text


def test_render_only_through_the_tool(tmp_path):
    _fake_study(tmp_path)
    study = json.load(open(tmp_path / 'study.json'))
    del study['run']  # a study from before the run info was recorded
    json.dump(study, open(tmp_path / 'study.json', 'w'))
    readme, doc = tmp_path / 'R.md', tmp_path / 'study_doc.md'
    readme.write_text(README)
    doc.write_text(README)
    run_tool('tools/run_study.py', '--render-only', '--work-dir', tmp_path,
             '--readme', readme, doc)
    text = readme.read_text()
    assert doc.read_text() == text
    assert 'not recorded by this study' in text and 'commit `not ' \
        'recorded`' in text
    assert '| 6 segment on fused labels | val mIoU (%) | 33.0 | 30.5 | ' \
        '30.0 |' in text


def test_clear_errors(tmp_path):
    for doc in ('README.md', 'docs/study.md'):  # the study can write there
        text = open(osp.join(REPO, doc), encoding='utf-8').read()
        assert text.count(BEGIN) == 1 and text.count(END) == 1, doc
    with pytest.raises(ValueError, match='no <!-- study:begin -->'):
        replace_block('no markers here', 'x', 'R.md')
    with pytest.raises(ValueError, match='more than once'):
        replace_block(README + README, 'x', 'R.md')
    with pytest.raises(ValueError, match='study.json.*run tools/run_study'):
        render_readme(str(tmp_path), str(tmp_path / 'R.md'))
