"""Install mmwsss, an OpenMMLab plugin for weakly supervised semantic segmentation."""
import os
import os.path as osp
import platform
import shutil
import sys
from importlib import metadata

from setuptools import find_packages, setup


def read_requirements(name):
    path = osp.join(osp.dirname(__file__), 'requirements', name)
    with open(path) as f:
        return [line.split('#')[0].strip() for line in f
                if line.split('#')[0].strip()]


def mmcv_requirement():
    """Keep a full mmcv (compiled ops) when one is installed; otherwise
    ask for mmcv-lite, which installs in seconds. Both provide ``import
    mmcv``; installing mmcv-lite over a full mmcv would break its ops."""
    try:
        metadata.version('mmcv')
        return 'mmcv>=2.0.0,<2.2.0'
    except metadata.PackageNotFoundError:
        return 'mmcv-lite>=2.0.0,<2.2.0'


def get_version():
    ns = {}
    with open(osp.join(osp.dirname(__file__), 'mmwsss', 'version.py')) as f:
        exec(f.read(), ns)
    return ns['__version__']


def add_mim_extension():
    """Ship ``configs/``, ``tools/`` and ``model-index.yml`` inside the
    package as ``mmwsss/.mim``.

    This is how OpenMMLab packages make ``_base_ = ['mmwsss::...']`` and
    ``mim train mmwsss CONFIG`` work from outside a clone: mmengine and mim
    look for ``<installed mmwsss>/.mim/configs`` and ``.mim/tools``. An
    editable install (``pip install -e .``) links the folders, so edits in
    the clone show at once; a regular install or a wheel copies them.
    """
    if 'develop' in sys.argv or 'editable_wheel' in sys.argv:
        mode = 'copy' if platform.system() == 'Windows' else 'symlink'
    elif any(cmd in sys.argv for cmd in ('sdist', 'bdist_wheel', 'build',
                                          'install')):
        mode = 'copy'
    else:
        return
    repo_path = osp.dirname(osp.abspath(__file__))
    mim_path = osp.join(repo_path, 'mmwsss', '.mim')
    os.makedirs(mim_path, exist_ok=True)
    for name in ('configs', 'tools', 'model-index.yml'):
        src_path = osp.join(repo_path, name)
        tar_path = osp.join(mim_path, name)
        if osp.islink(tar_path) or osp.isfile(tar_path):
            os.remove(tar_path)
        elif osp.isdir(tar_path):
            shutil.rmtree(tar_path)
        if mode == 'symlink':
            os.symlink(osp.relpath(src_path, mim_path), tar_path)
        elif osp.isfile(src_path):
            shutil.copyfile(src_path, tar_path)
        else:
            shutil.copytree(
                src_path, tar_path,
                ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))


add_mim_extension()
setup(
    name='mmwsss',
    version=get_version(),
    description='Weakly supervised semantic segmentation with salient '
    'object enhanced pseudo-labels, as an OpenMMLab plugin',
    long_description=open('README.md').read() if osp.exists('README.md') else '',
    long_description_content_type='text/markdown',
    packages=find_packages(exclude=('configs', 'tools', 'tests', 'benchmarks',
                                    'projects')),
    python_requires='>=3.8',
    install_requires=['torch>=2.0', 'torchvision', mmcv_requirement()] +
    read_requirements('runtime.txt'),
    extras_require=dict(tests=read_requirements('tests.txt'),
                        pretrained=read_requirements('pretrained.txt'),
                        crf=['pydensecrf2']),
    include_package_data=True,
    license='Apache License 2.0',
    zip_safe=False,
)
