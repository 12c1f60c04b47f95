"""Packaging as OpenMMLab packages do: configs, tools and model-index.yml
shipped as ``mmwsss/.mim`` (copied by a regular install, linked by an
editable one), so ``_base_ = ['mmwsss::...']`` loads from any folder; the
toy-data generator stays out of the installed package."""
import ast
import json
import os
import os.path as osp
import subprocess
import sys

from conftest import REPO

SEG_TOY = 'seg/deeplabv3plus_r18w32-d16_1xb8-1200_toy-pseudo-64x64.py'


def _python(code, cwd, pythonpath):
    env = dict(os.environ, PYTHONPATH=pythonpath, OMP_NUM_THREADS='1')
    proc = subprocess.run([sys.executable, '-c', code], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


LOAD = '''
import json, sys
import mmwsss
from mmwsss.config_scope import register_config_scope
register_config_scope()
from mmengine import Config
cfg = Config.fromfile(sys.argv[1] if len(sys.argv) > 1 else 'my_cfg.py')
print(json.dumps(dict(
    package=mmwsss.__file__, max_iters=cfg.train_cfg.max_iters,
    num_classes=cfg.model.decode_head.num_classes,
    dataset=cfg.train_dataloader.dataset.type,
    classes=list(cfg.train_dataloader.dataset.metainfo.classes),
    scope=cfg.train_dataloader.dataset.get('_scope_'))))
'''


def _write_user_config(folder):
    with open(osp.join(folder, 'my_cfg.py'), 'w') as f:
        f.write(f"_base_ = ['mmwsss::{SEG_TOY}']\n"
                "train_cfg = dict(max_iters=2)\n")


def test_installed_package_ships_configs_and_tools(installed_mmwsss):
    mim = osp.join(installed_mmwsss, 'mmwsss', '.mim')
    for rel in ('configs/' + SEG_TOY, 'configs/_base_/datasets/'
                'toy_voc_pseudo.py', 'tools/train.py', 'tools/test.py',
                'tools/make_toy_data.py', 'tools/toy_data/generator.py',
                'model-index.yml'):
        path = osp.join(mim, rel)
        assert osp.isfile(path) and not osp.islink(path), rel
    with open(osp.join(mim, 'configs', SEG_TOY)) as f, \
            open(osp.join(REPO, 'configs', SEG_TOY)) as g:
        assert f.read() == g.read()
    # the generator is not part of the package; the toy metainfo is
    assert not osp.exists(osp.join(installed_mmwsss, 'mmwsss', 'datasets',
                                   'toy'))
    assert osp.isfile(osp.join(installed_mmwsss, 'mmwsss', 'datasets',
                               'toy_metainfo.py'))


def test_mmwsss_base_loads_outside_the_repo(installed_mmwsss, tmp_path):
    _write_user_config(tmp_path)
    # only the installed copy on the path, run from a folder outside the repo
    out = _python(LOAD, tmp_path, installed_mmwsss)
    assert out['package'].startswith(installed_mmwsss)
    assert out['max_iters'] == 2                     # the user's override
    assert out['num_classes'] == 7                   # from the base
    assert out['dataset'] == 'PseudoLabelVOCDataset'
    from mmwsss.datasets.toy_metainfo import TOY_CLASSES
    assert tuple(out['classes']) == TOY_CLASSES
    assert out['scope'] == 'mmwsss'   # mmengine marks mmwsss:: components


def _setup_functions():
    """setup.py's functions, without running ``setup()``."""
    with open(osp.join(REPO, 'setup.py')) as f:
        tree = ast.parse(f.read())
    keep = [n for n in tree.body
            if isinstance(n, (ast.Import, ast.ImportFrom, ast.FunctionDef))]
    ns = {}
    exec(compile(ast.Module(keep, []), 'setup.py', 'exec'), ns)
    return ns


def test_editable_install_links_the_clone(tmp_path, monkeypatch):
    # a clone: setup.py, configs/, tools/, model-index.yml, the package
    clone = tmp_path / 'clone'
    for rel in ('setup.py', 'model-index.yml', 'configs/' + SEG_TOY,
                'configs/_base_/datasets/toy_voc_pseudo.py',
                'configs/_base_/default_runtime_seg.py',
                'configs/_base_/mmwsss_runtime.py', 'tools/train.py'):
        os.makedirs(osp.dirname(clone / rel), exist_ok=True)
        with open(osp.join(REPO, rel)) as f, open(clone / rel, 'w') as g:
            g.write(f.read())
    os.makedirs(clone / 'mmwsss')
    ns = _setup_functions()
    ns['__file__'] = str(clone / 'setup.py')
    monkeypatch.setattr(sys, 'argv', ['setup.py', 'editable_wheel'])
    exec('add_mim_extension()', ns)
    mim = clone / 'mmwsss' / '.mim'
    for name in ('configs', 'tools', 'model-index.yml'):
        assert osp.islink(mim / name)
        assert osp.realpath(mim / name) == osp.realpath(clone / name)
    # a regular build copies instead, replacing the links
    monkeypatch.setattr(sys, 'argv', ['setup.py', 'bdist_wheel'])
    exec('add_mim_extension()', ns)
    assert not osp.islink(mim / 'configs')
    assert osp.isfile(mim / 'configs' / SEG_TOY)


def test_mmwsss_base_through_an_editable_layout(tmp_path):
    """An editable install (PEP 660) reports site-packages as the package
    location; ``register_config_scope`` resolves ``mmwsss::`` from the
    imported package instead, here a clone with ``.mim`` links."""
    clone = tmp_path / 'clone'
    os.makedirs(clone)
    # the package itself (a link tree to this checkout's files) and the
    # links setup.py makes
    pkg = clone / 'mmwsss'
    os.makedirs(pkg / '.mim')
    for entry in os.listdir(osp.join(REPO, 'mmwsss')):
        if entry != '.mim':
            os.symlink(osp.join(REPO, 'mmwsss', entry), pkg / entry)
    os.symlink(osp.join(REPO, 'configs'), pkg / '.mim' / 'configs')
    os.symlink(osp.join(REPO, 'model-index.yml'),
               pkg / '.mim' / 'model-index.yml')
    user = tmp_path / 'user'
    os.makedirs(user)
    _write_user_config(user)
    out = _python(LOAD, user, str(clone))
    assert out['package'].startswith(str(clone))
    assert out['max_iters'] == 2 and out['num_classes'] == 7
