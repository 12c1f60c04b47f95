"""Run one of mmseg's (or mmpretrain's) own tools with mmwsss registered.

    python tools/mmseg_tool.py NAME [ARGS ...]
    python tools/mmseg_tool.py mmpretrain:NAME [ARGS ...]
    python tools/mmseg_tool.py --list

NAME is a script of the installed package's tools folder (mmseg ships them
in ``mmseg/.mim/tools``): ``print_config``, ``confusion_matrix``,
``browse_dataset``, ``analyze_logs``, ``get_flops``, ...; for mmpretrain
also ``mmpretrain:vis_cam`` (its pytorch-grad-cam wrapper, which needs
that package). Before it runs,
``mmwsss.mm_components`` is imported: it registers mmwsss's components and
applies the compatibility fixes (``mmwsss/utils/compat.py``), without which
e.g. mmseg's ``print_config.py`` stops with ``No module named
'mmcv._ext'`` under mmcv-lite. The script then runs as ``__main__`` with
ARGS, exactly as ``python <script> ARGS``. See docs/analysis_tools.md.
"""
import importlib
import os
import os.path as osp
import runpy
import sys

FOLDERS = ('analysis_tools', 'misc', 'visualization', 'model_converters',
           'dataset_converters', '')


def tools_dir(package):
    """``<package>/.mim/tools`` of an installed OpenMMLab package."""
    try:
        mod = importlib.import_module(package)
    except ImportError as e:
        raise SystemExit(f'mmseg_tool: cannot import {package} ({e})')
    path = osp.join(osp.dirname(mod.__file__), '.mim', 'tools')
    if not osp.isdir(path):
        raise SystemExit(f'mmseg_tool: {package} has no tools folder at '
                         f'{path}')
    return path


def find_script(spec):
    """``(package, path)`` of ``NAME`` or ``package:NAME``."""
    package, _, name = spec.rpartition(':')
    package = package or 'mmseg'
    name = name[:-3] if name.endswith('.py') else name
    root = tools_dir(package)
    for folder in FOLDERS:
        path = osp.join(root, folder, name + '.py')
        if osp.isfile(path):
            return package, path
    raise SystemExit(f'mmseg_tool: no tool {name!r} in {root} (folders '
                     f'{", ".join(f for f in FOLDERS if f)}); '
                     f'python tools/mmseg_tool.py --list')


def list_tools(package='mmseg'):
    root = tools_dir(package)
    names = []
    for folder in FOLDERS:
        d = osp.join(root, folder)
        names += [osp.join(folder, f)[:-3] for f in sorted(os.listdir(d))
                  if f.endswith('.py')] if osp.isdir(d) else []
    return names


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ('-h', '--help'):
        print(__doc__)
        return
    if argv[0] == '--list':
        for package in ('mmseg', 'mmpretrain'):
            print(f'{package}:', ' '.join(list_tools(package)))
        return
    package, script = find_script(argv[0])
    import mmwsss.mm_components  # noqa: F401  registers + compat fixes
    sys.argv = [script, *argv[1:]]
    sys.path.insert(0, osp.dirname(script))
    runpy.run_path(script, run_name='__main__')


if __name__ == '__main__':
    main()
