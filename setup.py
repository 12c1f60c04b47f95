"""Install mmwsss, an OpenMMLab plugin for weakly supervised semantic segmentation."""
import os.path as osp
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
                        crf=['pydensecrf2']),
    license='Apache License 2.0',
    zip_safe=False,
)
