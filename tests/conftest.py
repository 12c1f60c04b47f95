"""Shared fixtures: toy data made once per session, and a helper to run the
project's tools as a user would (a subprocess with the venv's python)."""
import os
import os.path as osp
import shutil
import subprocess
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
SHARED_DATA = osp.join(osp.dirname(REPO), 'shared', 'data')
VOC_REAL_MINI = osp.join(SHARED_DATA, 'voc_real_mini', 'VOC2012')

# small but not trivial: enough images for a few training iterations
TOY_NUM_IMAGES = 48
TOY_SIZE = 96


def tool_env(env=None):
    """The environment the tools run in: the repo on PYTHONPATH, this
    interpreter as $PYTHON (for the .sh launchers), plus ``env``."""
    full_env = dict(os.environ)
    full_env.setdefault('OMP_NUM_THREADS', '2')
    full_env['PYTHONPATH'] = REPO + os.pathsep + full_env.get('PYTHONPATH', '')
    full_env['PYTHON'] = sys.executable
    if env:
        full_env.update(env)
    return full_env


def run_tool(*args, env=None, timeout=900, cwd=REPO):
    """Run ``python <args>`` from the repo root; fail with its output."""
    cmd = [sys.executable, *map(str, args)]
    proc = subprocess.run(cmd, cwd=cwd, env=tool_env(env), capture_output=True,
                          text=True, timeout=timeout)
    if proc.returncode != 0:
        raise AssertionError(
            f'{" ".join(cmd)} failed ({proc.returncode}):\n'
            f'{proc.stdout[-4000:]}\n{proc.stderr[-6000:]}')
    return proc


@pytest.fixture(scope='session')
def toy_root(tmp_path_factory):
    """A small toy dataset (VOC + DUTS layout) shared by the whole session:
    returns the folder given to ``tools/make_toy_data.py --out``."""
    out = tmp_path_factory.mktemp('toy')
    run_tool('tools/make_toy_data.py', '--out', out, '--seed', 0,
             '--num-images', TOY_NUM_IMAGES, '--size', TOY_SIZE)
    return str(out)


@pytest.fixture(scope='session')
def installed_mmwsss(tmp_path_factory):
    """mmwsss installed as a user would (``pip install .``, no
    dependencies), from a copy of the tracked files so that the build does
    not touch this checkout: returns the folder to put on PYTHONPATH."""
    tmp = tmp_path_factory.mktemp('install')
    src, target = tmp / 'src', tmp / 'site'
    files = subprocess.run(['git', 'ls-files', '-z'], cwd=REPO, check=True,
                           capture_output=True).stdout.decode().split('\0')
    for rel in filter(None, files):
        if osp.isfile(osp.join(REPO, rel)):
            os.makedirs(osp.dirname(src / rel), exist_ok=True)
            shutil.copy2(osp.join(REPO, rel), src / rel)
    proc = subprocess.run(
        [sys.executable, '-m', 'pip', 'install', '--no-deps',
         '--no-build-isolation', '--no-compile', '--target', str(target),
         str(src)], capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        raise AssertionError(f'pip install failed:\n{proc.stdout[-3000:]}\n'
                             f'{proc.stderr[-3000:]}')
    return str(target)


def pytest_collection_modifyitems(items):
    """Mark every test with its tier: the folder it lives in, unless the test
    carries the ``integration`` marker itself (a tool run inside a unit
    file)."""
    for item in items:
        if item.get_closest_marker('integration'):
            continue
        tier = 'integration' if 'integration' in item.path.parts else 'unit'
        item.add_marker(getattr(pytest.mark, tier))
