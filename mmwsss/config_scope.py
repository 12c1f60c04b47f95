"""Let mmengine resolve ``mmwsss::`` config paths.

The package ships its configs as ``mmwsss/.mim/configs`` (``setup.py`` links
them in an editable install and copies them otherwise), the way mmseg and
mmdet do, so a config anywhere can inherit::

    _base_ = ['mmwsss::seg/deeplabv3plus_r18w32-d16_1xb8-1200_toy-pseudo-64x64.py']

mmengine resolves ``pkg::`` only for the packages it lists in
``mmengine.config.utils.MODULE2PACKAGE``, so the resolution needs
:func:`register_config_scope` to have run in the process *before* the config
is read (``Config.fromfile`` resolves ``_base_`` before ``custom_imports``).
``tools/train.py`` and ``tools/test.py`` call it; a script of your own calls
it too::

    from mmwsss.config_scope import register_config_scope
    register_config_scope()
    cfg = Config.fromfile('my_config.py')

mmengine finds the package folder through the distribution's location,
which for an editable install made by a PEP 660 build (pip >= 21.3) is
site-packages, not the clone; there the folder is taken from the imported
package instead (only for ``mmwsss``; every other package is looked up as
before).
"""
import os.path as osp

PACKAGE = 'mmwsss'


def package_path():
    """The folder of the imported ``mmwsss`` package."""
    return osp.dirname(osp.abspath(__file__))


def mim_path():
    """``mmwsss/.mim``: configs and tools shipped with the package."""
    return osp.join(package_path(), '.mim')


def register_config_scope():
    """Make ``mmwsss::<path>`` in a config's ``_base_`` (and in
    ``mmengine.hub.get_config``) resolve to ``mmwsss/.mim/configs/<path>``.

    Idempotent. In a clone that was never installed through ``setup.py``
    there is no ``.mim`` folder, and mmengine's error names the missing
    ``mmwsss/.mim/configs/<path>``.
    """
    from mmengine.config import config as mm_config
    from mmengine.config import utils as mm_config_utils

    mm_config_utils.MODULE2PACKAGE.setdefault(PACKAGE, PACKAGE)
    lookup = mm_config.get_installed_path
    if getattr(lookup, '_mmwsss', False):
        return

    def get_installed_path(package):
        if package == PACKAGE:
            return package_path()
        return lookup(package)

    get_installed_path._mmwsss = True
    mm_config.get_installed_path = get_installed_path
