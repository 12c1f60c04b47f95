"""Fault injection: every bad input is refused by name, every resume is
checked, nothing is left behind.

Tiny inputs (4 toy images, a classifier with its initial weights saved as a
checkpoint), each kind of damage applied to a copy, the real tools run as a
user runs them. For each case: non-zero exit, a message naming the file and
the problem, no half-written output, no temp file left, and a later good
run byte-identical to a clean one. See docs/reliability.md.
"""
import glob
import os
import os.path as osp
import shutil
import signal
import stat
import subprocess
import sys
import time

import numpy as np
import pytest
from PIL import Image

from conftest import REPO, tool_env
from mmwsss.utils.io import (atomic_write, load_cam_npz, load_label_png,
                             read_image, read_image_list, save_grey_png,
                             save_label_png)

TOY_CFG = 'configs/cam/cam_r18-w16-s16_1xb8-60e_toy-160x160.py'
NUM_IDS = 4


def tool(*args, umask=0o022):
    """Run ``python <args>``; returns (returncode, stdout + stderr)."""
    proc = subprocess.run(
        [sys.executable, *map(str, args)], cwd=REPO, capture_output=True,
        text=True, timeout=300, env=tool_env(dict(OMP_NUM_THREADS='1')),
        preexec_fn=lambda: os.umask(umask))
    out = proc.stdout + proc.stderr
    # the last line is what a user reads (shown with pytest -s)
    print(f'[exit {proc.returncode}] {args[0]}: '
          f'{out.strip().splitlines()[-1] if out.strip() else ""}')
    return proc.returncode, out


def files(folder, pattern='*'):
    return {osp.basename(p): open(p, 'rb').read()
            for p in sorted(glob.glob(osp.join(folder, pattern)))}


def assert_clean(folder):
    """No temp file, and every output decodes."""
    names = os.listdir(folder) if osp.isdir(folder) else []
    assert not [n for n in names if n.startswith('.tmp-')], names
    for n in names:
        p = osp.join(folder, n)
        if n.endswith('.npz'):
            load_cam_npz(p)
        elif n.endswith('.png'):
            load_label_png(p)


@pytest.fixture(scope='module')
def env(toy_root, tmp_path_factory):
    """A private copy of 4 toy images, a checkpoint, a wrong checkpoint,
    clean reference outputs of cam, expand and select."""
    import torch

    from mmwsss.apis.common import load_config
    work = tmp_path_factory.mktemp('faults')
    voc = str(work / 'VOC2012')
    src = osp.join(toy_root, 'VOC2012')
    ids = read_image_list(osp.join(src, 'ImageSets', 'Segmentation',
                                   'train.txt'))[:NUM_IDS]
    for sub, ext in (('JPEGImages', '.jpg'), ('SegmentationClassAug', '.png')):
        os.makedirs(osp.join(voc, sub))
        for i in ids:
            shutil.copy(osp.join(src, sub, i + ext), osp.join(voc, sub))
    shutil.copy(osp.join(src, 'cls_labels.npy'), voc)
    os.makedirs(osp.join(voc, 'ImageSets', 'Segmentation'))
    split = osp.join(voc, 'ImageSets', 'Segmentation', 'mini.txt')
    with open(split, 'w') as f:
        f.write('\n'.join(ids) + '\n')
    # a classifier checkpoint: the toy model's initial weights
    from mmengine.registry import init_default_scope
    cfg = load_config(osp.join(REPO, TOY_CFG))
    init_default_scope('mmpretrain')
    from mmpretrain.registry import MODELS
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    ckpt = str(work / 'cls.pth')
    torch.save(dict(state_dict=model.state_dict(), meta={}), ckpt)
    state = {k: v for k, v in model.state_dict().items()
             if not k.startswith('head.')}
    state['decode_head.conv_seg.weight'] = torch.zeros(1, 8, 1, 1)
    wrong = str(work / 'sod.pth')
    torch.save(dict(state_dict=state, meta={}), wrong)
    # clean references
    e = dict(voc=voc, ids=ids, ckpt=ckpt, wrong=wrong, work=str(work))
    e['cam_args'] = [TOY_CFG, ckpt, '--data-root', voc, '--split', 'mini']
    e['cams'] = str(work / 'cams_ref')
    rc, out = tool('tools/run_cam.py', *e['cam_args'], '--out', e['cams'])
    assert rc == 0, out
    e['pseudo'] = str(work / 'pseudo_ref')
    rc, out = tool('tools/run_expand.py', '--cam-dir', e['cams'],
                   '--data-root', voc, '--split', 'mini', '--method', 'none',
                   '--cam-thr', 0.2, '--out', e['pseudo'])
    assert rc == 0, out
    e['sal'] = str(work / 'sal')
    rng = np.random.default_rng(0)
    for i in ids:
        h, w = load_label_png(osp.join(e['pseudo'], i + '.png')).shape
        save_grey_png(osp.join(e['sal'], i + '.png'),
                      rng.integers(0, 256, (h, w), dtype=np.uint8))
    e['norms'] = str(work / 'norms.json')
    rc, out = tool('tools/class_salience.py', *select_inputs(e),
                   '--out', e['norms'])
    assert rc == 0, out
    e['fused'] = str(work / 'fused_ref')
    rc, out = tool('tools/run_select.py', *select_inputs(e), '--norms',
                   e['norms'], '--out', e['fused'], '--nproc', 0)
    assert rc == 0, out
    return e


def select_inputs(e, pseudo=None, sal=None, cls_labels=None):
    args = ['--data-root', e['voc'], '--split', 'mini', '--pseudo-dir',
            pseudo or e['pseudo'], '--sal-dir', sal or e['sal']]
    return args + (['--cls-labels', cls_labels] if cls_labels else [])


def test_outputs_honour_the_umask(env, tmp_path):
    for p in glob.glob(osp.join(env['cams'], '*')) + \
            glob.glob(osp.join(env['fused'], '*')) + [env['norms']]:
        assert stat.S_IMODE(os.stat(p).st_mode) == 0o644, p
    old = os.umask(0o027)
    try:
        with atomic_write(str(tmp_path / 'x.txt')) as tmp:
            open(tmp, 'w').write('x')
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / 'x.txt').st_mode) == 0o640


def test_bad_image_then_resume_over_bad_outputs(env, tmp_path):
    """A truncated JPEG stops the cam stage by name; the rerun after the fix
    recomputes a truncated and an empty output of the first run, removes a
    stale temp file and ends byte-identical to the clean run."""
    ids, out = env['ids'], str(tmp_path / 'cams')
    img = osp.join(env['voc'], 'JPEGImages', ids[2] + '.jpg')
    good = open(img, 'rb').read()
    with open(img, 'wb') as f:
        f.write(good[:len(good) // 2])
    rc, msg = tool('tools/run_cam.py', *env['cam_args'], '--out', out)
    with open(img, 'wb') as f:
        f.write(good)
    assert rc != 0 and img in msg and 'truncated JPEG' in msg, msg
    assert_clean(out)
    assert sorted(os.listdir(out)) == [
        '.mmwsss.lock', '.mmwsss_manifest.json'] + [
        f'{i}.npz' for i in ids[:2]]
    # damage left by a crash: a half file, an empty file, an old temp file
    bad = osp.join(out, ids[0] + '.npz')
    data = open(bad, 'rb').read()
    open(bad, 'wb').write(data[:len(data) // 2])
    open(osp.join(out, ids[1] + '.npz'), 'wb').close()
    tmp = osp.join(out, '.tmp-abc123.npz')
    open(tmp, 'wb').write(b'partial')
    os.utime(tmp, (time.time() - 3600, ) * 2)
    rc, msg = tool('tools/run_cam.py', *env['cam_args'], '--out', out)
    assert rc == 0, msg
    assert bad in msg and 'unreadable' in msg, msg
    assert 'removed 1 temporary file' in msg, msg
    assert files(out, '*.npz') == files(env['cams'], '*.npz')
    assert_clean(out)


def test_zero_byte_image(env, tmp_path):
    img = osp.join(env['voc'], 'JPEGImages', env['ids'][1] + '.jpg')
    good = open(img, 'rb').read()
    open(img, 'wb').close()
    out = str(tmp_path / 'pseudo')
    args = ['tools/run_expand.py', '--cam-dir', env['cams'], '--data-root',
            env['voc'], '--split', 'mini', '--method', 'par', '--cam-thr',
            0.2, '--out', out]
    try:
        rc, msg = tool(*args)
    finally:
        open(img, 'wb').write(good)
    assert rc != 0 and img in msg and 'empty file (0 bytes)' in msg, msg
    assert_clean(out)
    with pytest.raises(ValueError, match='truncated JPEG'):
        read_image_bytes_cut(img, tmp_path)


def read_image_bytes_cut(img, tmp_path):
    cut = str(tmp_path / 'cut.jpg')
    data = open(img, 'rb').read()
    open(cut, 'wb').write(data[:-10])
    return read_image(cut)


def test_wrong_checkpoint(env, tmp_path):
    out = str(tmp_path / 'cams')
    args = [TOY_CFG, env['wrong'], '--data-root', env['voc'], '--split',
            'mini', '--out', out]
    rc, msg = tool('tools/run_cam.py', *args)
    assert rc != 0 and env['wrong'] in msg and 'does not match' in msg, msg
    assert 'missing key(s), e.g. head.' in msg and 'decode_head' in msg, msg
    assert os.listdir(out) == ['.mmwsss.lock']  # no output, no manifest
    # a truncated checkpoint (in-process: the same loader)
    from mmwsss.apis.common import load_checkpoint_strict
    cut = str(tmp_path / 'cut.pth')
    open(cut, 'wb').write(open(env['ckpt'], 'rb').read()[:1000])
    with pytest.raises(ValueError, match='cut.pth: cannot read the '
                       'checkpoint, truncated or corrupt'):
        load_checkpoint_strict(None, cut)


def test_stale_folder_from_other_settings(env, tmp_path):
    out, fresh = str(tmp_path / 'pseudo'), str(tmp_path / 'fresh')
    args = ['tools/run_expand.py', '--cam-dir', env['cams'], '--data-root',
            env['voc'], '--split', 'mini', '--method', 'none']
    rc, msg = tool(*args, '--cam-thr', 0.3, '--out', out)
    assert rc == 0, msg
    rc, msg = tool(*args, '--cam-thr', 0.2, '--out', out)
    assert rc != 0 and out in msg and 'cam_thr: 0.3 -> 0.2' in msg, msg
    assert '--overwrite' in msg
    rc, msg = tool(*args, '--cam-thr', 0.2, '--out', out, '--overwrite')
    assert rc == 0, msg
    assert files(out, '*.png') == files(env['pseudo'], '*.png')
    assert_clean(out)
    # a list file with a UTF-8 byte-order mark reads as the same ids
    bom = str(tmp_path / 'bom.txt')
    with open(bom, 'w', encoding='utf-8-sig') as f:
        f.write('\r\n'.join(env['ids']))
    rc, msg = tool('tools/run_expand.py', '--cam-dir', env['cams'],
                   '--data-root', env['voc'], '--split', bom, '--method',
                   'none', '--cam-thr', 0.2, '--out', fresh)
    assert rc == 0, msg
    assert files(fresh, '*.png') == files(env['pseudo'], '*.png')


def test_truncated_outputs_read_downstream(env, tmp_path):
    cams = str(tmp_path / 'cams')
    shutil.copytree(env['cams'], cams)
    bad = osp.join(cams, env['ids'][3] + '.npz')
    data = open(bad, 'rb').read()
    open(bad, 'wb').write(data[:len(data) // 2])
    out = str(tmp_path / 'pseudo')
    rc, msg = tool('tools/run_expand.py', '--cam-dir', cams, '--data-root',
                   env['voc'], '--split', 'mini', '--method', 'none',
                   '--cam-thr', 0.2, '--out', out)
    assert rc != 0 and bad in msg and 'truncated or corrupt' in msg, msg
    assert_clean(out)
    # a truncated pseudo-label, then a truncated label file
    pseudo = str(tmp_path / 'p')
    shutil.copytree(env['pseudo'], pseudo)
    bad = osp.join(pseudo, env['ids'][0] + '.png')
    data = open(bad, 'rb').read()
    open(bad, 'wb').write(data[:len(data) // 2])
    out = str(tmp_path / 'fused')
    rc, msg = tool('tools/run_select.py', *select_inputs(env, pseudo=pseudo),
                   '--norms', env['norms'], '--out', out, '--nproc', 0)
    assert rc != 0 and bad in msg and 'truncated or corrupt' in msg, msg
    assert_clean(out)
    cls = str(tmp_path / 'cls.npy')
    data = open(osp.join(env['voc'], 'cls_labels.npy'), 'rb').read()
    open(cls, 'wb').write(data[:len(data) // 2])
    rc, msg = tool('tools/class_salience.py', *select_inputs(
        env, cls_labels=cls), '--out', str(tmp_path / 'n.json'))
    assert rc != 0 and cls in msg and 'truncated or corrupt' in msg, msg
    assert not osp.exists(tmp_path / 'n.json')


@pytest.mark.parametrize('case', ['class40', 'len5', 'len20'])
def test_out_of_range_labels(env, tmp_path, case):
    from mmwsss.datasets.voc_layout import load_cls_labels
    pseudo, cls = env['pseudo'], None
    extra = []
    if case == 'class40':
        pseudo = str(tmp_path / 'p')
        shutil.copytree(env['pseudo'], pseudo)
        bad = osp.join(pseudo, env['ids'][1] + '.png')
        label = load_label_png(bad)
        label[0, 0] = 40
        save_label_png(bad, label)
        expect = [bad, 'label value(s) [40] outside the 7 classes']
    else:
        k = 5 if case == 'len5' else 20
        table = {i: np.resize(np.pad(v, (0, 20)), k) for i, v in
                 load_cls_labels(osp.join(env['voc'],
                                          'cls_labels.npy')).items()}
        cls = str(tmp_path / 'cls.npy')
        np.save(cls, table, allow_pickle=True)
        if case == 'len20':
            extra = ['--num-classes', 6]
            expect = [cls, 'labels hold 20 classes, expected 6']
        else:
            expect = [cls]
    for cmd in (['tools/class_salience.py', *select_inputs(
            env, pseudo=pseudo, cls_labels=cls), *extra,
            '--out', str(tmp_path / 'n.json')],
                ['tools/run_select.py', *select_inputs(
                    env, pseudo=pseudo, cls_labels=cls), *extra, '--norms',
                 env['norms'], '--out', str(tmp_path / 'f'), '--nproc', 0]):
        rc, msg = tool(*cmd)
        assert rc != 0 and all(x in msg for x in expect), msg
    assert not osp.exists(tmp_path / 'n.json')
    for p in glob.glob(str(tmp_path / 'f' / '*.png')):
        assert load_label_png(p).max() < 7
    assert_clean(str(tmp_path / 'f'))


@pytest.mark.parametrize('kind', ['colour', '16bit'])
def test_saliency_format(env, tmp_path, kind):
    sal = str(tmp_path / 'sal')
    shutil.copytree(env['sal'], sal)
    bad = osp.join(sal, env['ids'][2] + '.png')
    grey = np.array(Image.open(bad))
    if kind == 'colour':
        import cv2
        Image.fromarray(cv2.applyColorMap(grey, cv2.COLORMAP_JET)).save(bad)
    else:
        Image.fromarray(grey.astype(np.uint16) * 257).save(bad)
    out = str(tmp_path / 'f')
    rc, msg = tool('tools/run_select.py', *select_inputs(env, sal=sal),
                   '--norms', env['norms'], '--out', out, '--nproc', 0)
    assert rc != 0 and bad in msg and 'must be 8-bit grey' in msg, msg
    assert_clean(out)
    from mmwsss.utils.io import load_grey_png
    if kind == '16bit':  # the explicit conversion restores the map
        np.testing.assert_array_equal(load_grey_png(bad, convert=True), grey)


def test_kill_mid_run_then_resume(env, tmp_path):
    out = str(tmp_path / 'cams')
    proc = subprocess.Popen(
        [sys.executable, 'tools/run_cam.py', *env['cam_args'], '--out', out],
        cwd=REPO, env=tool_env(dict(OMP_NUM_THREADS='1')),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None and \
            not glob.glob(osp.join(out, '*.npz')):
        time.sleep(0.02)
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert_clean_or_temps = [n for n in os.listdir(out)
                             if not n.startswith('.tmp-')]
    for n in assert_clean_or_temps:
        if n.endswith('.npz'):
            load_cam_npz(osp.join(out, n))  # what exists is whole
    rc, msg = tool('tools/run_cam.py', *env['cam_args'], '--out', out)
    assert rc == 0, msg
    assert files(out, '*.npz') == files(env['cams'], '*.npz')
    assert_clean(out)


def test_pipeline_reruns_what_reads_a_fixed_image(tmp_path):
    """The stage fingerprints hold the input data: a changed image reruns
    the stage naming its folder and the stages after it, not the others."""
    from mmwsss.pipeline import PipelineRunner, Stage
    data = tmp_path / 'data'
    (data / 'JPEGImages').mkdir(parents=True)
    (data / 'JPEGImages' / 'a.jpg').write_bytes(b'x' * 10)
    journal = str(tmp_path / 'journal.txt')
    append = ('import sys; open(sys.argv[1], "a").write(sys.argv[2] + '
              '"\\n")')
    work = str(tmp_path / 'work')
    stages = [
        Stage('cam', [['-c', append, journal, 'cam', '--data-root',
                       str(data)]], outputs=[osp.join(work, 'cams')]),
        Stage('expand', [['-c', append, journal, 'expand']],
              outputs=[osp.join(work, 'pseudo')], deps=['cam']),
        Stage('saliency', [['-c', append, journal, 'saliency']],
              outputs=[osp.join(work, 'sal')]),
    ]
    PipelineRunner(work, stages, log=lambda *_: None).run()
    PipelineRunner(work, stages, log=lambda *_: None).run()
    assert open(journal).read().split() == ['cam', 'expand', 'saliency']
    (data / 'JPEGImages' / 'a.jpg').write_bytes(b'y' * 12)  # fixed image
    PipelineRunner(work, stages, log=lambda *_: None).run()
    assert open(journal).read().split() == [
        'cam', 'expand', 'saliency', 'cam', 'expand']


# --------------------------------------------------------------------------
# issue 20: files made by others (see docs/reliability.md, second table)
def error_line(out):
    """The one error line a tool printed: exactly one ``error: `` line and
    no traceback."""
    lines = [ln for ln in out.splitlines() if ln.startswith('error: ')]
    assert len(lines) == 1 and 'Traceback' not in out, out
    return lines[0]


def listing(folder):
    """Names and bytes of everything in a folder (hidden files too, but the
    lock file of the run that wrote it)."""
    if not osp.isdir(folder):
        return {}
    return {n: open(osp.join(folder, n), 'rb').read()
            for n in sorted(os.listdir(folder))
            if osp.isfile(osp.join(folder, n)) and n != '.mmwsss.lock'}


class _Payload:
    """Pickles as a call of ``os.system`` that creates a marker file."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f'touch {self.marker}', )


def test_pickled_payload_in_labels_is_refused(env, tmp_path):
    """Item 1: a cls_labels.npy carrying a __reduce__ payload is refused by
    run_cam, class_salience and run_select naming the file, the payload
    does not run, nothing is written; the pickle-free .npz / .json forms
    (tools/convert_cls_labels.py) give byte-identical CAMs."""
    from mmwsss.datasets.voc_layout import load_cls_labels
    marker = tmp_path / 'PWNED'
    table = load_cls_labels(osp.join(env['voc'], 'cls_labels.npy'))
    evil = dict(table)
    evil[env['ids'][0]] = _Payload(marker)
    bad = str(tmp_path / 'cls_labels.npy')
    np.save(bad, evil, allow_pickle=True)
    cams, norms = str(tmp_path / 'cams'), str(tmp_path / 'norms.json')
    fused = str(tmp_path / 'fused')
    for cmd in (['tools/run_cam.py', *env['cam_args'], '--cls-labels', bad,
                 '--out', cams],
                ['tools/class_salience.py', *select_inputs(
                    env, cls_labels=bad), '--out', norms],
                ['tools/run_select.py', *select_inputs(env, cls_labels=bad),
                 '--norms', env['norms'], '--out', fused, '--nproc', 0]):
        rc, out = tool(*cmd)
        line = error_line(out)
        assert rc == 1 and line.startswith(f'error: {bad}: refused'), out
        assert 'posix.system' in line, line
        assert not marker.exists(), 'the payload ran'
    assert listing(cams) == {} and listing(fused) == {}
    assert not osp.exists(norms)
    # the converter refuses it too, and converts a good file
    conv = str(tmp_path / 'cls.npz')
    rc, out = tool('tools/convert_cls_labels.py', bad, conv)
    assert rc == 1 and error_line(out).startswith(f'error: {bad}: refused')
    assert not marker.exists() and not osp.exists(conv)
    for form in ('npz', 'json'):
        conv = str(tmp_path / f'cls.{form}')
        rc, out = tool('tools/convert_cls_labels.py',
                       osp.join(env['voc'], 'cls_labels.npy'), conv)
        assert rc == 0, out
        got = load_cls_labels(conv)
        assert got.keys() == table.keys()
        assert all(np.array_equal(got[k], table[k]) for k in table)
    rc, out = tool('tools/run_cam.py', *env['cam_args'], '--cls-labels',
                   conv, '--out', cams)
    assert rc == 0, out
    assert files(cams, '*.npz') == files(env['cams'], '*.npz')


def test_pickled_payload_in_checkpoint_is_refused(env, tmp_path):
    """Item 1: a checkpoint with a __reduce__ payload is refused (weights
    only) by run_cam and tools/test.py, the payload does not run; with
    --trust-checkpoint it would (the flag really unpickles); the toy
    classifier checkpoint still loads weights only (clean rerun)."""
    import torch
    marker = tmp_path / 'PWNED'
    state = torch.load(env['ckpt'], map_location='cpu', weights_only=True)
    state['meta'] = dict(note=_Payload(marker))
    bad = str(tmp_path / 'evil.pth')
    torch.save(state, bad)
    out_dir = str(tmp_path / 'cams')
    rc, out = tool('tools/run_cam.py', TOY_CFG, bad, '--data-root',
                   env['voc'], '--split', 'mini', '--out', out_dir)
    line = error_line(out)
    assert rc == 1 and line.startswith(f'error: {bad}: refused to load'), out
    assert 'posix.system' in line and '--trust-checkpoint' in line, line
    assert not marker.exists(), 'the payload ran'
    assert listing(out_dir) == {}
    seg_cfg = osp.join(REPO, 'tests', 'data', 'configs', 'fcn_tiny_toy.py')
    voc = env['voc']
    rc, out = tool('tools/test.py', seg_cfg, bad, '--work-dir',
                   str(tmp_path / 'test'), '--cfg-options',
                   f'test_dataloader.dataset.data_root={voc}',
                   'test_dataloader.dataset.ann_file=ImageSets/Segmentation/'
                   'mini.txt')
    assert rc == 1 and error_line(out).startswith(f'error: {bad}: refused')
    assert not marker.exists(), 'the payload ran'
    assert listing(str(tmp_path / 'test')) == {} or not glob.glob(
        str(tmp_path / 'test' / '*' / '*.json'))
    # the explicit flag really unpickles (the file's weights are the toy
    # classifier's, so the run then succeeds)
    rc, out = tool('tools/run_cam.py', TOY_CFG, bad, '--data-root',
                   env['voc'], '--split', 'mini', '--out',
                   str(tmp_path / 'trusted'), '--trust-checkpoint')
    assert rc == 0 and marker.exists(), out
    rc, out = tool('tools/run_cam.py', *env['cam_args'], '--out', out_dir)
    assert rc == 0, out
    assert files(out_dir, '*.npz') == files(env['cams'], '*.npz')


def test_every_tool_starts():
    """Item 9: every command line of tools/ (and tools/analysis_tools/,
    tools/dataset_converters/) prints its help; all but the pass-through
    mmseg_tool.py list --debug."""
    scripts = sorted(glob.glob(osp.join(REPO, 'tools', '*.py')) + [
        p for p in glob.glob(osp.join(REPO, 'tools', '*', '*.py'))
        if '/toy_data/' not in p])  # tools/toy_data: a package, not tools
    assert len(scripts) > 10
    for i in range(0, len(scripts), 4):  # 4 side by side: mostly imports
        procs = {script: subprocess.Popen(
            [sys.executable, script, '--help'], cwd=REPO, env=tool_env(dict(
                OMP_NUM_THREADS='1')), stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True)
            for script in scripts[i:i + 4]}
        for script, proc in procs.items():
            out = proc.communicate(timeout=300)[0]
            assert proc.returncode == 0 and (
                'usage:' in out or 'python tools/' in out), (script, out)
            if not script.endswith('mmseg_tool.py'):
                assert '--debug' in out, script


def test_one_writer_per_folder(env, tmp_path):
    """Item 2: a folder locked by another run (here: this process) is
    refused naming its pid and host; nothing is written; after the holder
    ends, the run is byte-identical to a clean one."""
    import socket

    from mmwsss.utils import sharding
    out = str(tmp_path / 'cams')
    sharding.lock_folder(out)
    try:
        rc, msg = tool('tools/run_cam.py', *env['cam_args'], '--out', out)
    finally:
        os.close(sharding._LOCKS.pop(osp.abspath(out)))
    line = error_line(msg)
    assert rc == 1 and line.startswith(f'error: {out} is being written by '
                                       'another run'), msg
    assert f'pid {os.getpid()} on host {socket.gethostname()}' in line, line
    assert listing(out) == {}
    rc, msg = tool('tools/run_cam.py', *env['cam_args'], '--out', out)
    assert rc == 0, msg
    assert files(out, '*.npz') == files(env['cams'], '*.npz')


_SLOW_STAGE = '''
import os, subprocess, sys, time
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
child = subprocess.Popen([sys.executable, '-c', """
import os, sys, time
i = 0
while True:
    open(os.path.join(sys.argv[1], f'g{i}'), 'w').close(); i += 1
    time.sleep(0.02)
""", out])
open(os.path.join(out, 'pids'), 'w').write(f'{os.getpid()} {child.pid}')
i = 0
while True:
    open(os.path.join(out, f'c{i}'), 'w').close(); i += 1
    time.sleep(0.02)
'''

_RUNNER = '''
import sys
from mmwsss.pipeline import PipelineRunner, Stage
work, out, code = sys.argv[1:4]
stage = Stage('cam', [['-c', code, out]], outputs=[out])
try:
    PipelineRunner(work, [stage], log=lambda *_: None).run()
except RuntimeError as e:
    print(f'error: {e}', file=sys.stderr)
    sys.exit(1)
'''


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (not yet reaped) is not running
        return open(f'/proc/{pid}/stat').read().split()[2] != 'Z'
    except OSError:
        return False


def test_pipeline_forwards_sigterm_to_its_stages(tmp_path):
    """Item 2: SIGTERM to the pipeline reaches its stage and the stage's
    own child (one process group); the pipeline waits for them, exits
    non-zero naming the signal, and nothing writes afterwards. A second
    pipeline on the same work folder is refused while the first runs."""
    work, out = str(tmp_path / 'work'), str(tmp_path / 'work' / 'cams')
    proc = subprocess.Popen(
        [sys.executable, '-c', _RUNNER, work, out, _SLOW_STAGE], cwd=REPO,
        env=tool_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    pids = osp.join(out, 'pids')
    deadline = time.time() + 60
    while time.time() < deadline and not (
            osp.isfile(pids) and open(pids).read().strip()):
        time.sleep(0.05)
    stage_pid, child_pid = map(int, open(pids).read().split())
    second = subprocess.run([sys.executable, '-c', _RUNNER, work, out, 'x'],
                            cwd=REPO, env=tool_env(), capture_output=True,
                            text=True, timeout=60)
    assert second.returncode == 1, second.stderr
    assert f'{osp.abspath(work)} is being written by another run (pid ' \
        f'{proc.pid}' in error_line(second.stderr), second.stderr
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1 and 'stopped by SIGTERM' in err, err
    time.sleep(0.3)
    assert not _alive(stage_pid) and not _alive(child_pid)
    count = len(os.listdir(out))
    time.sleep(0.5)
    assert len(os.listdir(out)) == count  # nothing writes any more


def _nan_cam(src, dst):
    keys, cams = load_cam_npz(src)
    cams[:, :4, :4] = np.nan
    with open(dst, 'wb') as f:
        np.savez_compressed(f, keys=keys, cams=cams.astype(np.float16))


def test_bad_cams_make_no_label(env, tmp_path):
    """Item 3: a CAM with NaN values, and a CAM of a class the image does
    not hold, are refused by name by run_expand, eval_cam and run_select
    (--cam-dir); nothing is written; the fixed folder gives the clean
    labels (and the manifest left alone by the failed run does not block
    the rerun with other settings: item 8)."""
    ids = env['ids']
    cams = str(tmp_path / 'cams')
    shutil.copytree(env['cams'], cams)
    bad = osp.join(cams, ids[0] + '.npz')
    _nan_cam(osp.join(env['cams'], ids[0] + '.npz'), bad)
    out = str(tmp_path / 'pseudo')
    expand = ['tools/run_expand.py', '--cam-dir', cams, '--data-root',
              env['voc'], '--split', 'mini', '--method', 'none', '--out', out]
    rc, msg = tool(*expand, '--cam-thr', 0.3)
    line = error_line(msg)
    assert rc == 1 and line.startswith(f'error: {bad}: the CAMs hold '), msg
    assert 'non-finite' in line, line
    assert not glob.glob(osp.join(out, '*.png'))
    # a CAM of a class outside the image's label
    from mmwsss.datasets.voc_layout import load_cls_labels
    table = load_cls_labels(osp.join(env['voc'], 'cls_labels.npy'))
    keys, maps = load_cam_npz(osp.join(env['cams'], ids[0] + '.npz'))
    other = int(np.flatnonzero(table[ids[0]] < 0.5)[0])
    wrong = bad  # the first image: nothing is written before it
    with open(wrong, 'wb') as f:
        np.savez_compressed(f,
                            keys=np.append(keys, other),
                            cams=np.concatenate([maps,
                                                 maps[:1]]).astype(np.float16))
    for cmd in (expand + ['--cam-thr', 0.3],
                ['tools/eval_cam.py', '--cam-dir', cams, '--data-root',
                 env['voc'], '--split', 'mini', '--classes', 'toy'],
                ['tools/run_select.py', *select_inputs(env), '--cam-dir',
                 cams, '--norms', env['norms'], '--out',
                 str(tmp_path / 'fused'), '--nproc', 0, '--mode', 'soft']):
        rc, msg = tool(*cmd)
        line = error_line(msg)  # select prefixes the image id
        assert rc == 1 and f'{wrong}: CAM(s) of class index(es) [{other}]' \
            in line, msg
    assert not glob.glob(osp.join(out, '*.png'))
    assert not glob.glob(str(tmp_path / 'fused' / '*.png'))
    # fixed: the rerun with other settings (0.2) is not refused by the
    # manifest the failed runs left, and equals the clean run
    shutil.copy(osp.join(env['cams'], ids[0] + '.npz'), wrong)
    rc, msg = tool(*expand, '--cam-thr', 0.2)
    assert rc == 0, msg
    assert files(out, '*.png') == files(env['pseudo'], '*.png')


def test_pipeline_stage_outputs_and_inputs_checked(tmp_path):
    """Item 4: a finished stage whose output folder was deleted (or lost
    files) runs again; an image rewritten in place with its old size and
    mtime (touch -r) reruns the stages that read it."""
    from mmwsss.pipeline import PipelineRunner, Stage
    data = tmp_path / 'data'
    (data / 'JPEGImages').mkdir(parents=True)
    img = data / 'JPEGImages' / 'a.jpg'
    img.write_bytes(b'x' * 10)
    journal = str(tmp_path / 'journal.txt')
    work = str(tmp_path / 'work')
    cams = osp.join(work, 'cams')
    make = ('import os, sys; open(sys.argv[1], "a").write(sys.argv[2] + '
            '"\\n"); d = sys.argv[3]; os.makedirs(d, exist_ok=True); '
            '[open(os.path.join(d, f"{i}.npz"), "w").close() '
            'for i in range(3)]')
    stages = [Stage('cam', [['-c', make, journal, 'cam', cams, '--data-root',
                             str(data)]], outputs=[cams]),
              Stage('expand', [['-c', make, journal, 'expand',
                                osp.join(work, 'pseudo')]],
                    outputs=[osp.join(work, 'pseudo')], deps=['cam'])]
    logs = []

    def run():
        PipelineRunner(work, stages, log=logs.append).run()
        return open(journal).read().split()

    assert run() == ['cam', 'expand']
    assert run() == ['cam', 'expand']
    shutil.rmtree(cams)
    assert run() == ['cam', 'expand', 'cam']
    assert any(f'{cams} is missing' in m for m in logs), logs
    os.remove(osp.join(cams, '1.npz'))
    assert run() == ['cam', 'expand', 'cam', 'cam']
    assert any('holds 2 of its 3 files' in m for m in logs), logs
    st = os.stat(img)
    img.write_bytes(b'y' * 10)  # same size
    os.utime(img, ns=(st.st_atime_ns, st.st_mtime_ns))  # touch -r
    assert run() == ['cam', 'expand', 'cam', 'cam', 'cam', 'expand']


def _with_orientation(jpeg, orientation):
    """The JPEG's bytes with an EXIF orientation tag and the same pixels."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    blob = b'Exif\x00\x00' + exif.tobytes()
    assert jpeg[:2] == b'\xff\xd8'
    return (jpeg[:2] + b'\xff\xe1' + (len(blob) + 2).to_bytes(2, 'big')
            + blob + jpeg[2:])


def test_exif_orientation_is_ignored(env, tmp_path):
    """Item 5: an image with EXIF orientation 6 (rotate 90) is read as
    stored by read_image and by mmcv's LoadImageFromFile (the labels never
    rotate), with one warning per image: its CAMs are those of the clean
    run."""
    img = osp.join(env['voc'], 'JPEGImages', env['ids'][0] + '.jpg')
    good = open(img, 'rb').read()
    rotated = _with_orientation(good, 6)
    try:
        with open(img, 'wb') as f:
            f.write(rotated)
        with Image.open(img) as im:
            assert im.getexif()[0x0112] == 6
        out = str(tmp_path / 'cams')
        rc, msg = tool('tools/run_cam.py', *env['cam_args'], '--out', out)
        assert rc == 0, msg
        assert msg.count(f'warning: {img}: EXIF orientation 6 is '
                         'ignored') == 1, msg
        assert files(out, '*.npz') == files(env['cams'], '*.npz')
        import mmwsss.mm_components  # noqa: F401  (compat fixes)
        from mmcv.transforms import LoadImageFromFile
        loaded = LoadImageFromFile()(dict(img_path=img))['img']
        np.testing.assert_array_equal(loaded, read_image(img))
    finally:
        with open(img, 'wb') as f:
            f.write(good)


def test_settings_types_and_pipeline_keys(tmp_path):
    """Item 6: a misspelt top-level section, a bool given as a string and a
    number for a list are refused at start, naming key and value; nothing
    is written."""
    base = osp.join(REPO, 'configs', 'pipelines', 'toy_pipeline.py')
    work = str(tmp_path / 'work')
    cases = [("selcet = dict(mode='hard')",
              "unknown top-level key 'selcet'; did you mean 'select'?"),
             ("cam = dict(flip='false')",
              "cam settings: flip='false' must be true or false"),
             ("cam = dict(scales=1.0)",
              'cam settings: scales=1.0 must be a list of numbers')]
    for i, (text, expect) in enumerate(cases):
        cfg = str(tmp_path / f'bad{i}.py')
        with open(cfg, 'w') as f:
            f.write(f'_base_ = [{base!r}]\n{text}\n')
        rc, msg = tool('tools/run_pipeline.py', cfg, '--work-dir', work)
        line = error_line(msg)
        assert rc == 1 and expect in line, msg
        if i == 0:
            assert line.startswith(f'error: {cfg}: '), line
    assert not osp.exists(work) or not os.listdir(work)


def test_bad_lists_and_huge_images(env, tmp_path):
    """Item 7: a list with a repeated id or an id with a space is refused
    with the line number and text; an image above the pixel limit is
    refused by name before decoding; nothing is written."""
    ids = env['ids']
    expand = ['tools/run_expand.py', '--cam-dir', env['cams'], '--data-root',
              env['voc'], '--method', 'none', '--cam-thr', 0.2]
    out = str(tmp_path / 'pseudo')
    for name, lines, expect in (
            ('dup.txt', ids + [ids[1]],
             f"line {len(ids) + 1} '{ids[1]}' repeats the id '{ids[1]}' of "
             'line 2'),
            ('space.txt', ids[:2] + [f'{ids[2]} extra'],
             f"line 3 '{ids[2]} extra' is not an image id")):
        lst = str(tmp_path / name)
        with open(lst, 'w') as f:
            f.write('\n'.join(lines) + '\n')
        rc, msg = tool(*expand, '--split', lst, '--out', out)
        assert rc == 1 and error_line(msg).startswith(
            f'error: {lst}: {expect}'), msg
        assert listing(out) == {}
    img = osp.join(env['voc'], 'JPEGImages', ids[0] + '.jpg')
    proc = subprocess.run(
        [sys.executable, 'tools/run_cam.py', *env['cam_args'], '--out',
         str(tmp_path / 'cams')], cwd=REPO, capture_output=True, text=True,
        env=tool_env(dict(OMP_NUM_THREADS='1', MMWSSS_MAX_PIXELS='1000')))
    line = error_line(proc.stderr)
    assert proc.returncode == 1 and f'{img}: image of ' in line, proc.stderr
    assert 'above the limit of 0.0 Mpixels' in line, line
    assert not glob.glob(str(tmp_path / 'cams' / '*.npz'))
    rc, msg = tool(*expand, '--split', 'mini', '--out', out)
    assert rc == 0, msg
    assert files(out, '*.png') == files(env['pseudo'], '*.png')


def test_tool_errors_are_one_line(env, tmp_path):
    """Item 9: --amp without a GPU is refused before any work, a missing
    checkpoint is named as such (not as a missing download); an expected
    error is one line, --debug shows the traceback."""
    seg_cfg = osp.join(REPO, 'tests', 'data', 'configs', 'fcn_tiny_toy.py')
    work = str(tmp_path / 'train')
    import torch
    if not torch.cuda.is_available():
        rc, msg = tool('tools/train.py', seg_cfg, '--work-dir', work, '--amp')
        assert rc == 1 and error_line(msg).startswith(
            'error: --amp (mixed precision) needs a CUDA GPU'), msg
        # refused before the run starts (no log of building the model)
        assert 'mmengine - INFO' not in msg, msg
        assert not osp.exists(work)
    missing = str(tmp_path / 'nope.pth')
    rc, msg = tool('tools/test.py', seg_cfg, missing)
    assert rc == 1 and error_line(msg) == (
        f'error: checkpoint not found: {missing} (the checkpoint to test)')
    rc, msg = tool('tools/run_cam.py', TOY_CFG, missing, '--data-root',
                   env['voc'], '--split', 'mini', '--out',
                   str(tmp_path / 'cams'))
    assert rc == 1 and error_line(msg).startswith(
        f'error: checkpoint not found: {missing}'), msg
    rc, msg = tool('tools/run_cam.py', TOY_CFG, missing, '--data-root',
                   env['voc'], '--split', 'mini', '--out',
                   str(tmp_path / 'cams'), '--debug')
    assert rc == 1 and 'Traceback' in msg and 'FileNotFoundError' in msg


def test_show_dir_needs_only_the_test_loader(env, tmp_path):
    """Item 9: tools/test.py --show-dir paints the test images while the
    config's train loader points at a folder that does not exist."""
    import torch
    from mmengine.registry import init_default_scope

    from mmwsss.apis.common import load_config
    seg_cfg = osp.join(REPO, 'tests', 'data', 'configs', 'fcn_tiny_toy.py')
    cfg = load_config(seg_cfg)
    init_default_scope('mmseg')
    from mmseg.registry import MODELS
    torch.manual_seed(0)
    ckpt = str(tmp_path / 'seg.pth')
    torch.save(dict(state_dict=MODELS.build(cfg.model).state_dict(),
                    meta={}), ckpt)
    show = str(tmp_path / 'show')
    rc, msg = tool('tools/test.py', seg_cfg, ckpt, '--work-dir',
                   str(tmp_path / 'work'), '--show-dir', show,
                   '--cfg-options',
                   'train_dataloader.dataset.data_root=/nonexistent',
                   f'test_dataloader.dataset.data_root={env["voc"]}',
                   'test_dataloader.dataset.ann_file=ImageSets/Segmentation/'
                   'mini.txt')
    assert rc == 0, msg
    painted = glob.glob(osp.join(show, '**', '*.png'), recursive=True)
    assert len(painted) == NUM_IDS, painted
