"""Class names: the built-in sets (``VOC_CLASSES``, the toy set's
``TOY_CLASSES``), a dataset's own ``<root>/classes.txt`` (its foreground
classes, one per line, in the order of ``cls_labels.npy``), or a list given
in a config or on a command line; and the ``metainfo`` of mm dataset
configs."""
import os.path as osp

from mmwsss.utils.io import atomic_write

from .image_labels import load_cls_labels
from .toy_metainfo import TOY_CLASSES

VOC_CLASSES = ('background', 'aeroplane', 'bicycle', 'bird', 'boat',
               'bottle', 'bus', 'car', 'cat', 'chair', 'cow', 'diningtable',
               'dog', 'horse', 'motorbike', 'person', 'pottedplant', 'sheep',
               'sofa', 'train', 'tvmonitor')

#: TOY_CLASSES: classes of the procedural toy dataset (tools/make_toy_data.py),
#: defined once in :mod:`mmwsss.datasets.toy_metainfo`: index 0 is
#: background, 1..6 the foreground classes, in the order of cls_labels.npy.

#: the built-in class sets, by name (background first); any other dataset
#: names its classes in ``<root>/classes.txt`` or in its config
CLASS_SETS = dict(voc=VOC_CLASSES, toy=TOY_CLASSES)
#: a dataset's class names, beside its ``cls_labels.npy``
CLASSES_FILE = 'classes.txt'


def metainfo(classes='voc', background=True):
    """``dict(classes=...)`` for mm dataset configs, from any class spec
    (see :func:`parse_classes`)."""
    names = parse_classes(classes)
    return dict(classes=tuple(names if background else names[1:]))


def _check_names(names, where):
    names = [str(n).strip() for n in names]
    if names and names[0].lower() == 'background':
        names = names[1:]          # a leading background entry is allowed
    if not names:
        raise ValueError(f'{where}: no class names')
    if any(not n for n in names):
        raise ValueError(f'{where}: an empty class name')
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ValueError(f'{where}: class names listed twice: {dup}')
    if any(n.lower() == 'background' for n in names):
        raise ValueError(f"{where}: 'background' can only be the first "
                         'entry (class 0)')
    return ['background'] + names


def read_class_names(path):
    """Class names of a ``classes.txt``, background first.

    The file lists the foreground classes, one per line, in the order of
    the image-level label vectors (``cls_labels.npy``): line ``i`` names
    label-map value ``i``. A first line ``background`` is allowed (and
    means the same); blank lines and ``#`` comments are skipped.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'class name file not found: {path}')
    with open(path, encoding='utf-8-sig') as f:
        names = [line.split('#')[0].strip() for line in f]
    return _check_names([n for n in names if n], path)


def write_class_names(path, names):
    """Write the foreground ``names`` as a ``classes.txt``
    (atomically)."""
    names = _check_names(names, path)[1:]
    with atomic_write(path) as tmp:
        with open(tmp, 'w', encoding='utf-8') as f:
            f.write(''.join(n + '\n' for n in names))


def parse_classes(classes, data_root=None):
    """Class names, background first, from a class spec:

    * a built-in set's name, ``'voc'`` or ``'toy'``;
    * a path to a ``classes.txt`` (:func:`read_class_names`; a relative
      path is tried from the cwd, then under ``data_root``);
    * a sequence of names, or one string of comma-separated names
      (``'cat,dog,fox'``).

    Names are the foreground classes in label order; a leading
    ``'background'`` is allowed.
    """
    if isinstance(classes, str):
        if classes in CLASS_SETS:
            return list(CLASS_SETS[classes])
        if osp.isfile(classes):
            return read_class_names(classes)
        if data_root and osp.isfile(osp.join(data_root, classes)):
            return read_class_names(osp.join(data_root, classes))
        if ',' in classes:
            return _check_names(classes.split(','), 'class list '
                                f'{classes!r}')
        raise ValueError(
            f'classes {classes!r}: not a built-in set ({", ".join(CLASS_SETS)})'
            ', not an existing class name file, and not a comma-separated '
            'list of names')
    try:
        names = list(classes)
    except TypeError:
        raise ValueError(f'classes must be a name, a file or a list of names,'
                         f' got {classes!r}') from None
    return _check_names(names, 'class list')


def class_names_for(num_classes, data_root=None):
    """Foreground class names for K classes: those of
    ``<data_root>/classes.txt`` when there is one (it must hold K), else
    VOC's 20 or the toy set's 6 when K matches, else ``class1..classK``."""
    path = osp.join(data_root, CLASSES_FILE) if data_root else None
    if path and osp.isfile(path):
        names = read_class_names(path)[1:]
        if len(names) != num_classes:
            raise ValueError(f'{path} names {len(names)} classes but the '
                             f'image-level labels have {num_classes}')
        return names
    for names in (VOC_CLASSES, TOY_CLASSES):
        if len(names) - 1 == num_classes:
            return list(names[1:])
    return [f'class{i + 1}' for i in range(num_classes)]


def resolve_class_names(classes=None, num_classes=None, data_root=None):
    """Class names, background first.

    ``classes`` (any spec of :func:`parse_classes`: ``'voc'``, ``'toy'``,
    a ``classes.txt`` path, names) wins; else ``<data_root>/classes.txt``;
    else ``num_classes`` (with background) picks VOC's or the toy set's
    names when the count matches (else ``class1..``); else the length of
    ``<data_root>/cls_labels.npy`` plus one; else VOC's 21.
    """
    if classes is None and data_root is not None and osp.isfile(
            osp.join(data_root, CLASSES_FILE)):
        classes = osp.join(data_root, CLASSES_FILE)
    if classes is not None:
        names = parse_classes(classes)
        if num_classes is not None and num_classes != len(names):
            raise ValueError(f'classes {classes!r} has {len(names)} classes '
                             f'(with background) but --num-classes is '
                             f'{num_classes}')
        return names
    if num_classes is None and data_root is not None:
        path = osp.join(data_root, 'cls_labels.npy')
        if osp.isfile(path):
            sizes = {v.size for v in load_cls_labels(path).values()}
            if len(sizes) != 1:
                raise ValueError(f'{path}: labels of different lengths '
                                 f'{sorted(sizes)}')
            num_classes = sizes.pop() + 1
    if num_classes is None:
        return list(VOC_CLASSES)
    for names in CLASS_SETS.values():
        if len(names) == num_classes:
            return list(names)
    return ['background'] + [f'class{i}' for i in range(1, num_classes)]
