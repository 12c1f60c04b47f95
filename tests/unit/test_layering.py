"""The package's floors: the selector's numpy core imports nothing from the
layers above it (datasets, evaluation, stages, pipeline, models, ...), and
the package never reaches a tool under ``tools/``.

The files are parsed with :mod:`ast` (nothing is imported, so import side
effects and lazy imports inside functions are seen alike)."""
import ast
import os
import os.path as osp
import sys

import pytest

from conftest import REPO

PKG = osp.join(REPO, 'mmwsss')
#: what ``mmwsss/selector`` may import: the standard library, numpy and
#: these rooms of the package (itself and the floor)
SELECTOR_MAY_IMPORT = ('mmwsss.selector', 'mmwsss.utils')
THIRD_PARTY_ALLOWED = ('numpy', 'PIL')


def imported_modules(source, module):
    """Absolute names of every module ``source`` (the module ``module``,
    e.g. ``mmwsss.selector.sweep``) imports, at any depth of its code."""
    package = module.rsplit('.', 1)[0]
    names = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split('.')
                base = base[:len(base) - node.level + 1]
                stem = '.'.join(base + ([node.module] if node.module else []))
            else:
                stem = node.module
            names.append(stem)
            # ``from mmwsss import datasets`` imports a room too
            names += [f'{stem}.{alias.name}' for alias in node.names
                      if stem in ('mmwsss', 'mmwsss.selector')]
    return names


def selector_violations(files):
    """``(file, module)`` pairs where a file of ``mmwsss/selector`` (dict
    path -> source) imports anything but the stdlib, numpy/PIL, the selector
    itself and ``mmwsss.utils``."""
    stdlib = sys.stdlib_module_names
    bad = []
    for path, source in sorted(files.items()):
        rel = osp.splitext(osp.relpath(path, REPO))[0].replace(os.sep, '.')
        # a package's __init__ resolves relative imports against itself,
        # as ``<package>.__init__`` does
        for name in imported_modules(source, rel):
            top = name.split('.')[0]
            if top == 'mmwsss':
                if name == 'mmwsss' or not any(
                        name == room or name.startswith(room + '.')
                        for room in SELECTOR_MAY_IMPORT):
                    bad.append((osp.relpath(path, REPO), name))
            elif top not in stdlib and top not in THIRD_PARTY_ALLOWED:
                bad.append((osp.relpath(path, REPO), name))
    return bad


def _sources(folder):
    out = {}
    for dirpath, _, files in os.walk(folder):
        for name in files:
            if name.endswith('.py'):
                path = osp.join(dirpath, name)
                with open(path, encoding='utf-8') as f:
                    out[path] = f.read()
    return out


def test_selector_imports_only_stdlib_numpy_and_the_floor():
    files = _sources(osp.join(PKG, 'selector'))
    assert len(files) > 5
    assert selector_violations(files) == []


@pytest.mark.parametrize('line', [
    'from mmwsss.datasets.voc_layout import ImageLabels',
    'import mmwsss.evaluation.functional.seg_metrics',
    'from mmwsss.stages import select',
    'from mmwsss import pipeline',
    'from ..models import segmentors',
    'def f():\n    from mmwsss.datasets import voc_layout\n',
    'import torch',
])
def test_checker_catches_an_import_from_above(line):
    path = osp.join(PKG, 'selector', 'probe.py')
    assert selector_violations({path: line}) != []


def test_checker_passes_the_floor():
    path = osp.join(PKG, 'selector', 'probe.py')
    ok = ('import os\nimport numpy as np\nfrom .fusion_rules import fuse_hard'
          '\nfrom mmwsss.utils.io import atomic_write\n'
          'from mmwsss.utils.seg_metrics import confusion_matrix\n')
    assert selector_violations({path: ok}) == []


def tool_references(files, tool_modules):
    """``(file, line, what)`` where package code (dict path -> source)
    names a path under ``tools/`` (a string ``'tools'`` or one starting
    with ``tools/``) or imports a module of ``tools/``
    (``tool_modules``: their names). Messages that name a tool for the
    user (``'... run tools/run_study.py first'``) are not paths."""
    found = []
    for path, source in sorted(files.items()):
        rel = osp.relpath(path, REPO)
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Constant) and isinstance(node.value,
                                                             str):
                text = node.value.strip()
                if text == 'tools' or text.startswith(('tools/', 'tools\\')):
                    found.append((rel, node.lineno, text))
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] \
                    if isinstance(node, ast.Import) else \
                    [node.module or ''] if not node.level else []
                for name in names:
                    if name.split('.')[0] in tool_modules:
                        found.append((rel, node.lineno, f'import {name}'))
    return found


def _tool_modules():
    tools = osp.join(REPO, 'tools')
    names = set()
    for entry in os.listdir(tools):
        full = osp.join(tools, entry)
        if entry.endswith('.py'):
            names.add(entry[:-3])
        elif osp.isfile(osp.join(full, '__init__.py')):
            names.add(entry)
    return names


def test_package_names_no_tool_path_and_imports_no_tool():
    modules = _tool_modules()
    assert {'run_pipeline', 'make_toy_data', 'toy_data'} <= modules
    assert tool_references(_sources(PKG), modules) == []


@pytest.mark.parametrize('code', [
    "argv = [sys.executable, osp.join(REPO, 'tools', 'run_pipeline.py')]",
    "cmd = ['tools/run_select.py', '--out', out]",
    'from toy_data import generate_toy_dataset',
    'import run_pipeline',
])
def test_tool_checker_catches_a_tool_path(code):
    path = osp.join(PKG, 'pipeline', 'probe.py')
    assert tool_references({path: code}, _tool_modules()) != []


def test_tool_checker_passes_messages_naming_a_tool():
    path = osp.join(PKG, 'pipeline', 'probe.py')
    code = ('"""Run by ``tools/run_study.py``."""\n'
            "raise ValueError(f'{p}: no study.json; run tools/run_study.py "
            "first')\n")
    assert tool_references({path: code}, _tool_modules()) == []
