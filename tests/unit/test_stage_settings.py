"""The light core and the typed stage settings: ``import mmwsss`` and the
numpy modules load neither torch nor OpenMMLab, the evaluation / selector /
sweep tools start without them, and stage settings are validated once from
a config section with errors that name the stage and the key."""
import json
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest

from conftest import REPO

MM = ('torch', 'mmengine', 'mmseg', 'mmcv', 'mmpretrain')


def _loaded_after(code):
    """Heavy top-level modules in ``sys.modules`` after ``code`` (fresh
    interpreter, the repo first on the path)."""
    probe = (f'import sys\nsys.path.insert(0, {REPO!r})\n{code}\n'
             'print(sorted({m.split(".")[0] for m in sys.modules} & '
             f'set({MM!r})))\n')
    out = subprocess.run([sys.executable, '-c', probe], capture_output=True,
                         text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout.strip().splitlines()[-1]


def test_numpy_core_imports_no_torch_nor_openmmlab():
    assert _loaded_after(
        'import mmwsss, mmwsss.selector, mmwsss.datasets.selector_inputs\n'
        'import mmwsss.evaluation.functional.label_eval\n'
        'import mmwsss.datasets.voc_layout, mmwsss.utils.io\n'
        'import mmwsss.stages.select, mmwsss.stages.expand\n'
        'from mmwsss.cam import cam_to_label\n'
        'from mmwsss.utils import read_image_list, ShardedJob\n') == '[]'


@pytest.mark.parametrize('tool', ['eval_labels', 'eval_cam', 'run_select',
                                  'class_salience', 'sweep_selector'])
def test_numpy_tools_start_without_torch(tool):
    code = ('import runpy\n'
            f'sys.argv = [{tool!r}, "--help"]\n'
            'try:\n'
            f'    runpy.run_path({osp.join(REPO, "tools", tool + ".py")!r},'
            ' run_name="__main__")\n'
            'except SystemExit:\n'
            '    pass\n')
    assert _loaded_after(code) == '[]'


def test_mm_components_registers_and_applies_the_fixes():
    loaded = _loaded_after(
        'import mmwsss.mm_components\n'
        'from mmseg.registry import TRANSFORMS\n'
        'assert TRANSFORMS.get("SelectorFusion") is not None\n')
    assert 'mmseg' in loaded and 'torch' in loaded


def test_settings_from_config_section(tmp_path):
    from mmwsss.stages.cam import CamSettings
    from mmwsss.stages.expand import ExpandSettings
    paths = dict(config='c.py', checkpoint='c.pth', data_root='d', out='o')
    s = CamSettings.from_config(dict(scales=[1, 0.5], flip=False), **paths)
    assert s.scales == (1.0, 0.5) and s.flip is False
    # None overrides leave the section's value
    assert CamSettings.from_config(dict(flip=False), flip=None,
                                   **paths).flip is False
    with pytest.raises(ValueError, match=r'cam settings: unknown key.*scale'):
        CamSettings.from_config(dict(scale=[1.0]), **paths)
    with pytest.raises(ValueError, match='cam settings: scales'):
        CamSettings.from_config(dict(scales=[0.0]), **paths)
    with pytest.raises(ValueError, match='cam settings: checkpoint'):
        CamSettings.from_config(None, config='c.py', data_root='d', out='o')

    e = dict(cam_dir='c', data_root='d', out='o')
    with pytest.raises(ValueError, match="expand settings: method='irm'"):
        ExpandSettings.from_config(dict(method='irm'), **e)
    with pytest.raises(ValueError, match='expand settings: cam_thr.*cam_eval'):
        ExpandSettings.from_config(dict(cam_thr='best'), **e)
    with pytest.raises(ValueError, match='expand settings: par.*steps'):
        ExpandSettings.from_config(dict(par=dict(steps=3)), cam_thr=0.2, **e)
    assert ExpandSettings.from_config(dict(cam_thr='0.25'), **e).threshold() \
        == 0.25
    cam_eval = tmp_path / 'cam_eval.json'
    cam_eval.write_text(json.dumps(dict(best_threshold=0.15, mIoU=0.3)))
    best = ExpandSettings.from_config(dict(cam_thr='best', method='none'),
                                      cam_eval=str(cam_eval), **e)
    assert best.threshold() == 0.15 and best.par == {}
    par = ExpandSettings.from_config(dict(par=dict(num_iter=3)), cam_thr=0.1,
                                     **e).par
    from mmwsss.cam import pixel_adaptive_refinement as ref
    assert par == dict(num_iter=3, dilations=ref.DEFAULT_DILATIONS,
                       w1=ref.DEFAULT_W1, w2=ref.DEFAULT_W2)

    # method crf: DeepLab's CRF values unless set, unknown keys named
    crf = ExpandSettings.from_config(dict(method='crf', crf=dict(bi_w=5)),
                                     cam_thr=0.1, **e).crf
    from mmwsss.cam.dense_crf import DEFAULT_CRF
    assert crf == dict(DEFAULT_CRF, bi_w=5)
    with pytest.raises(ValueError, match='expand settings: crf.*bi_weight'):
        ExpandSettings.from_config(dict(method='crf', crf=dict(bi_weight=5)),
                                   cam_thr=0.1, **e)


def test_expand_settings_of_method_irn():
    """method='irn': the relation / walk sections become the expand
    package's settings (IRN's values unless set); bad values are named."""
    from mmwsss.expand import RandomWalkSettings, RelationLabelSettings
    from mmwsss.stages.expand import ExpandSettings
    e = dict(cam_dir='c', data_root='d', out='o')
    irn = dict(method='irn', config='configs/irn/x.py')
    # cam_thr='best' needs no cam_eval (the walk has its own threshold);
    # cfg_options / backbone_from_classify are the pipeline's
    s = ExpandSettings.from_config(
        dict(irn, cfg_options=dict(a=1), backbone_from_classify=True,
             relation=dict(relation_fg_thr=0.2, refine=None),
             walk=dict(beta=8, exp_times=4)), img_suffix='.png', **e)
    assert s.relation_settings() == RelationLabelSettings(
        relation_fg_thr=0.2, relation_bg_thr=0.05, refine='none',
        img_suffix='.png')
    assert s.walk_settings() == RandomWalkSettings(
        radius=5, beta=8, exp_times=4, walk_bg_thr=0.25, img_suffix='.png')
    assert ExpandSettings.from_config(irn, **e).walk_settings() == \
        RandomWalkSettings()
    bad = [(dict(method='irn'), "config=None is required for method='irn'"),
           (dict(irn,
                 relation=dict(fg=0.3)), r"relation=.*unknown keys \['fg'\]"),
           (dict(irn, relation=dict(refine='dcrf')),
            "relation=.*refine must be None, 'none', 'crf' or 'par'"),
           (dict(irn, relation=dict(relation_fg_thr='top+0.3')),
            "relation_fg_thr: 'top\\+0.3' is neither a number nor 'best'"),
           (dict(irn, walk=dict(walk_bg_thr='best')),
            "walk=.*walk_bg_thr is relative to the CAM sweep's best threshold"
            ' and needs cam_eval'),
           (dict(irn, relation=dict(relation_fg_thr=1.5)),
            'relation_fg_thr must be in'),
           (dict(irn, relation=dict(refine='crf', crf_scale=0)),
            r'relation=.*crf_scale must be a number in \(0, 1\], got 0'),
           (dict(irn, relation=dict(refine='crf', crf_scale='half')),
            "crf_scale must be a number in .*got 'half'"),
           (dict(irn, relation=dict(relation_fg_thr=0.01)),
            'relation_bg_thr 0.05 is above relation_fg_thr 0.01'),
           (dict(irn, walk=dict(radius=0)), 'radius must be a whole number'),
           (dict(irn, walk=dict(exp_times=2.5)), 'exp_times must be'),
           (dict(irn, walk=dict(beta=-1)), 'beta must be a number >= 0'),
           (dict(irn, walk=dict(steps=3)), r"walk=.*unknown keys \['steps'"),
           (dict(irn, walk=[1]), 'walk=.*must be a dict')]
    for section, msg in bad:
        with pytest.raises(ValueError, match='expand settings: .*' + msg):
            ExpandSettings.from_config(section, **e)


def test_irn_thresholds_relative_to_the_cam_sweep(tmp_path):
    """relation.relation_fg_thr / relation_bg_thr and walk.walk_bg_thr as
    'best', 'best+x', 'best-x': resolved from cam_eval when the steps run, clipped to [0, 1];
    the walk's steps can scale with the map (ref_cells)."""
    from mmwsss.expand import RandomWalkSettings, RelationLabelSettings
    from mmwsss.stages.expand import ExpandSettings, relative_threshold
    assert relative_threshold('best+0.3', 0.5) == pytest.approx(0.8)
    assert relative_threshold(' best - 0.1 ', 0.5) == pytest.approx(0.4)
    assert relative_threshold('best', 0.15) == 0.15
    assert relative_threshold('best+.9', 0.5) == 1.0
    assert relative_threshold('best-0.3', 0.2) == 0.0
    assert relative_threshold(0.3) == 0.3
    assert relative_threshold('best+0.3') is None    # form checked only
    for bad in ('best*2', 'best+', '0.3', None, True):
        with pytest.raises(ValueError):
            relative_threshold(bad, 0.5)
    cam_eval = tmp_path / 'cam_eval.json'
    cam_eval.write_text(json.dumps(dict(best_threshold=0.5)))
    s = ExpandSettings.from_config(
        dict(method='irn', config='c.py',
             relation=dict(relation_fg_thr='best+0.3',
                           relation_bg_thr='best-0.1', refine='crf'),
             walk=dict(walk_bg_thr='best+0.2', exp_times=8, ref_cells=11750)),
        cam_dir='c', data_root='d', out='o', cam_eval=str(cam_eval))
    assert s.relation_settings(resolve=True) == RelationLabelSettings(
        relation_fg_thr=pytest.approx(0.8),
        relation_bg_thr=pytest.approx(0.4), refine='crf')
    assert s.walk_settings(resolve=True) == RandomWalkSettings(
        walk_bg_thr=pytest.approx(0.7), exp_times=8, ref_cells=11750)
    # unresolved (when the pipeline is built): the strings stay
    assert s.relation_settings().relation_fg_thr == 'best+0.3'
    cam_eval.write_text(json.dumps(dict(best_threshold=0.1)))
    with pytest.raises(
            ValueError,
            match='relation_bg_thr 0.2 is above relation_fg_thr 0.1'):
        ExpandSettings.from_config(
            dict(method='irn', config='c.py',
                 relation=dict(relation_fg_thr='best', relation_bg_thr=0.2)),
            cam_dir='c', data_root='d', out='o',
            cam_eval=str(cam_eval)).relation_settings(resolve=True)


def test_expand_method_crf_without_pydensecrf(tmp_path, monkeypatch):
    """Without pydensecrf2, method crf stops before any work, naming the
    extra to install."""
    from mmwsss.cam import dense_crf
    from mmwsss.stages.expand import ExpandSettings, run_expand
    monkeypatch.setattr(dense_crf, 'dense_crf_available', lambda: False)
    s = ExpandSettings.from_config(dict(method='crf'), cam_dir='c',
                                   data_root=str(tmp_path), cam_thr=0.1,
                                   out=str(tmp_path / 'o'))
    with pytest.raises(ImportError, match=r"pip install -e '\.\[crf\]'"):
        run_expand(s)
    assert not (tmp_path / 'o').exists()


def test_select_settings_from_config_section():
    from mmwsss.stages.select import SelectSettings
    i = dict(data_root='d', split='s', pseudo_dir='p', sal_dir='q')
    with pytest.raises(ValueError, match="select settings: mode='medium'"):
        SelectSettings.from_config(dict(mode='medium'), **i)
    with pytest.raises(ValueError, match='select settings: t0'):
        SelectSettings.from_config(dict(t0='high'), **i)
    assert SelectSettings.from_config(dict(mode='soft', tau=0.9),
                                      **i).tau == 0.9


def test_pipeline_config_sections_are_stage_settings(tmp_path):
    """The demo's pipeline config holds valid cam / expand / select
    sections, and a section dumped to a file (as the pipeline passes it)
    loads back to the same settings."""
    from mmengine.config import Config

    from mmwsss.stages.cam import CamSettings
    from mmwsss.stages.expand import ExpandSettings
    from mmwsss.stages.select import SelectSettings
    from mmwsss.stages.settings import load_section
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'pipelines',
                                   'toy_pipeline.py'))
    cam = CamSettings.from_config(cfg.cam, config='c', checkpoint='k',
                                  data_root='d', out='o')
    assert cam.scales == (1.0, 0.5, 1.5, 2.0) and cam.flip
    exp = ExpandSettings.from_config(cfg.expand, cam_dir='c', data_root='d',
                                     out='o', cam_eval='e.json')
    assert exp.method == 'irn' and exp.cam_thr == 'best'
    assert not cfg.expand.backbone_from_classify   # its own ImageNet Lite0
    # the toy's irn thresholds follow the CAM sweep's best one
    (tmp_path / 'e.json').write_text(json.dumps(dict(best_threshold=0.6)))
    exp.cam_eval = str(tmp_path / 'e.json')
    rel = exp.relation_settings(resolve=True)
    assert (rel.relation_fg_thr, rel.relation_bg_thr, rel.refine) == (
        pytest.approx(0.8), pytest.approx(0.4), 'crf')
    walk = exp.walk_settings(resolve=True)
    assert walk.walk_bg_thr == pytest.approx(0.7) and walk.ref_cells == 1600
    voc = Config.fromfile(osp.join(REPO, 'configs', 'pipelines',
                                   'voc12_pipeline.py')).expand
    assert voc.method == 'irn' and not voc.backbone_from_classify
    for c in (cfg.expand.config, voc.config):
        assert osp.isfile(osp.join(REPO, c))
    voc_exp = ExpandSettings.from_config(voc, cam_dir='c', data_root='d',
                                         out='o')
    assert voc_exp.walk_settings().device == 'cuda'
    # IRN's seed CRF before the 0.30 / 0.05 split, as IRN runs it
    assert voc_exp.relation_settings().refine == 'crf'
    sel = SelectSettings.from_config(cfg.select, data_root='d', split='s',
                                     pseudo_dir='p', sal_dir='q')
    assert sel.mode == 'hard'
    path = str(tmp_path / 'expand.py')
    Config(dict(expand=dict(cfg.expand))).dump(path)
    assert dict(load_section(path, 'expand')) == dict(cfg.expand)


def test_expand_method_crf_calls_the_dense_crf(tmp_path, monkeypatch):
    """method crf: each image's {cam_thr plane, CAMs} and its RGB image
    (3 x H x W) go to dense_crf_refine with the crf settings, and the label
    is the argmax of what it returns (a stand-in CRF: pydensecrf2 is an
    optional extra)."""
    import cv2

    from mmwsss.cam import dense_crf
    from mmwsss.cam.cam_to_label import (cam_scores_with_background,
                                         scores_to_label)
    from mmwsss.stages.expand import ExpandSettings, run_expand
    from mmwsss.utils.io import (load_cam_npz, load_label_png,
                                 save_cam_npz)
    rng = np.random.default_rng(0)
    root = tmp_path / 'voc'
    (root / 'ImageSets' / 'Segmentation').mkdir(parents=True)
    (root / 'JPEGImages').mkdir()
    (root / 'ImageSets' / 'Segmentation' / 's.txt').write_text('a\nb\n')
    rgb = {i: rng.integers(0, 256, (6, 8, 3), dtype=np.uint8) for i in 'ab'}
    cams = {'a': (np.array([1, 4]), rng.random((2, 6, 8), np.float32)),
            'b': (np.array([2]), rng.random((1, 6, 8), np.float32))}
    for i in 'ab':
        cv2.imwrite(str(root / 'JPEGImages' / f'{i}.png'), rgb[i][..., ::-1])
        save_cam_npz(str(tmp_path / 'cams' / f'{i}.npz'), *cams[i])
    calls = {}

    def fake_crf(image, scores, **kw):
        calls[len(calls)] = (np.array(image), np.array(scores), kw)
        return scores[::-1].copy()     # any change of the scores

    monkeypatch.setattr(dense_crf, 'dense_crf_available', lambda: True)
    monkeypatch.setattr(dense_crf, 'dense_crf_refine', fake_crf)
    s = ExpandSettings.from_config(
        dict(method='crf', crf=dict(num_iter=3)),
        cam_dir=str(tmp_path / 'cams'),
        data_root=str(root), split='s', out=str(tmp_path / 'out'),
        cam_thr=0.4, img_suffix='.png')
    run_expand(s)
    assert len(calls) == 2
    for n, i in enumerate('ab'):
        image, scores, kw = calls[n]
        # the CAMs as stored (save_cam_npz quantises them)
        keys, cam = load_cam_npz(str(tmp_path / 'cams' / f'{i}.npz'))
        np.testing.assert_array_equal(image, rgb[i].transpose(2, 0, 1))
        np.testing.assert_allclose(scores,
                                   cam_scores_with_background(cam, 0.4))
        assert kw == dict(dense_crf.DEFAULT_CRF, num_iter=3)
        np.testing.assert_array_equal(
            load_label_png(str(tmp_path / 'out' / f'{i}.png')),
            scores_to_label(scores[::-1], keys))


def test_expand_methods_registry():
    """expand.method is one table of method objects: the settings, the
    tool's choices and the per-image labels all read it; a method added
    there (one call) is accepted everywhere."""
    import dataclasses

    from mmwsss.expand import RandomWalkSettings, RelationLabelSettings
    from mmwsss.stages import expand_methods as em
    from mmwsss.stages.expand import ExpandSettings, make_label
    assert list(em.EXPAND_METHODS) == ['irn', 'par', 'crf', 'none']
    irn = em.get_expand_method('irn')
    # irn's config keys are written out (no torch import): they agree with
    # its settings classes
    for section, cls in (('relation', RelationLabelSettings),
                         ('walk', RandomWalkSettings)):
        assert set(irn.option_keys(section)) == {
            f.name for f in dataclasses.fields(cls)} - {'img_suffix'}
        assert irn.settings_classes()[section] is cls
    assert em.get_expand_method('par').settings_classes() == dict(
        par=em.ParSettings)
    assert irn.steps and irn.trains_network and not irn.uses_cam_thr
    with pytest.raises(KeyError, match=r"unknown expand method 'x'; valid"):
        em.get_expand_method('x')
    with pytest.raises(ValueError, match='taken'):
        em.register_expand_method(em.NoneMethod())
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'run_expand_tool', osp.join(REPO, 'tools', 'run_expand.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)

    class Flip(em.ExpandMethod):
        """A stand-in method: the background plane and the CAMs swap."""
        name = 'flip'

        def refine(self, scores, image=None, **options):
            return scores[::-1].copy()

    em.register_expand_method(Flip())
    try:
        args = tool.parse_args(['--cam-dir', 'c', '--data-root', 'd',
                                '--out', 'o', '--method', 'flip'])
        s = ExpandSettings.from_config(dict(method=args.method), cam_thr=0.5,
                                       cam_dir='c', data_root='d', out='o')
        assert s.expand_method.name == 'flip'
        cams = np.array([[[0.2, 0.9]]], np.float32)
        np.testing.assert_array_equal(
            make_label(np.array([2]), cams, 0.5, method='none'), [[0, 3]])
        np.testing.assert_array_equal(
            make_label(np.array([2]), cams, 0.5, method='flip'), [[3, 0]])
    finally:
        del em.EXPAND_METHODS['flip']


def test_former_threshold_names_give_the_new_name(tmp_path):
    """One meaning per name: the four former bg_thr (and sal_thr,
    salient_thr, relation/walk fg_thr / bg_thr) are refused in config
    sections, tool flags and the SelectorFusion transform, naming the new
    name; the paper's t0, t1, tau, alpha keep theirs."""
    from mmwsss.stages.expand import ExpandSettings
    from mmwsss.stages.select import SelectSettings
    e = dict(cam_dir='c', data_root='d', out='o')
    with pytest.raises(ValueError, match="expand settings: 'bg_thr' was "
                       "renamed 'cam_thr'"):
        ExpandSettings.from_config(dict(bg_thr=0.2), **e)
    irn = dict(method='irn', config='c.py')
    for section, old, new in (('relation', 'fg_thr', 'relation_fg_thr'),
                              ('relation', 'bg_thr', 'relation_bg_thr'),
                              ('walk', 'bg_thr', 'walk_bg_thr')):
        with pytest.raises(ValueError, match=f"expand settings: {section}: "
                           f"'{old}' was renamed '{new}'"):
            ExpandSettings.from_config(dict(irn, **{section: {old: 0.1}}),
                                       **e)
    sel = dict(data_root='d', split='s', pseudo_dir='p', sal_dir='s')
    for old, new in (('bg_thr', 'fuse_thr'), ('sal_thr', 'sal_mask_thr'),
                     ('salient_thr', 'salience_thr')):
        with pytest.raises(ValueError, match=f"select settings: '{old}' was "
                           f"renamed '{new}'"):
            SelectSettings.from_config({old: 0.5}, **sel)
        assert getattr(SelectSettings.from_config({new: 0.5}, **sel),
                       new) == 0.5
    s = SelectSettings.from_config(dict(t0=0.3, t1=0.1, tau=0.6), **sel)
    assert (s.t0, s.t1, s.tau) == (0.3, 0.1, 0.6)
    # the tools' former flags stop with the new one
    for tool, flags in (('run_expand', ['--cam-dir', 'c', '--data-root', 'd',
                                        '--out', 'o', '--bg-thr', '0.2']),
                        ('run_select', ['--data-root', 'd', '--split', 's',
                                        '--pseudo-dir', 'p', '--sal-dir', 's',
                                        '--norms', 'n', '--out', 'o',
                                        '--sal-thr', '0.5'])):
        out = subprocess.run(
            [sys.executable, osp.join(REPO, 'tools', f'{tool}.py'), *flags],
            capture_output=True, text=True, cwd=REPO)
        new = dict(run_expand='--cam-thr', run_select='--sal-mask-thr')[tool]
        assert out.returncode == 2 and f'{flags[-2]} was renamed {new}' in \
            out.stderr, out.stderr
    # the online transform
    import mmwsss.mm_components  # noqa: F401
    from mmseg.registry import TRANSFORMS
    norms = tmp_path / 'norms.json'
    from mmwsss.selector import save_norms
    save_norms(str(norms), dict(norms=[1.0], mean_rms=[0.5],
                                image_count=[3]))
    with pytest.raises(ValueError, match="SelectorFusion: 'salient_thr' was "
                       "renamed 'salience_thr'"):
        TRANSFORMS.build(dict(type='SelectorFusion', norms_file=str(norms),
                              salient_thr=0.6))
    assert TRANSFORMS.build(dict(type='SelectorFusion', norms_file=str(norms),
                                 salience_thr=0.7)).selector.settings[
                                     'salience_thr'] == 0.7
