"""The class salience ``n_c`` of every class (paper Sec. 3.4).

The root mean square saliency inside the class region of every
single-class image (:func:`image_salience_sample`), averaged per class and
divided by the largest class mean (:func:`class_salience_norms`), written
as JSON (:func:`save_norms`, read back by :func:`load_norms`);
:func:`compute_class_salience` does it over a split. Numpy only.
"""
import json
import math
import os.path as osp

import numpy as np

from .selector_core import (_check_same_shape, saliency_to_float,
                            single_foreground_class)


def class_rms_saliency(region, saliency):
    """Root-mean-square saliency (in [0, 1]) inside a boolean region; NaN
    for an empty region."""
    region = np.asarray(region, dtype=bool)
    sal = saliency_to_float(saliency)
    if region.shape != sal.shape:
        raise ValueError(f'region {region.shape} and saliency {sal.shape} '
                         'differ in shape')
    values = sal[region]
    if values.size == 0:
        return float('nan')
    return float(np.sqrt(np.mean(np.square(values, dtype=np.float64))))


def image_salience_sample(label, saliency, img_label, ignore_index=255):
    """The contribution of one image to the class salience: ``(c, rms)``
    for a single-class image whose class-c region is not empty, else
    ``None``. ``rms`` is :func:`class_rms_saliency` inside ``label == c``."""
    c = single_foreground_class(img_label)
    if c is None:
        return None
    label = np.asarray(label)
    _check_same_shape(label, saliency)
    rms = class_rms_saliency(label == c, saliency)
    if math.isnan(rms):
        return None
    return c, rms


def class_salience_norms(classes, rms_values, num_classes):
    """Class salience ``n_c`` from per-image samples.

    Args:
        classes: label values ``c`` (1..num_classes) of the samples.
        rms_values: their RMS saliency inside the class region.
        num_classes (int): K, the number of foreground classes.

    Returns:
        dict with ``norms`` (list of K floats in [0, 1], ``None`` for a
        class without samples): the mean RMS of each class divided by the
        largest mean over the classes; ``mean_rms`` (list, ``None`` where
        no samples) and ``image_count`` (list of int).
    """
    classes = np.asarray(classes, dtype=np.int64).reshape(-1)
    rms_values = np.asarray(rms_values, dtype=np.float64).reshape(-1)
    if classes.shape != rms_values.shape:
        raise ValueError('classes and rms_values differ in length')
    if classes.size and (classes.min() < 1 or classes.max() > num_classes):
        raise ValueError(f'class values must lie in 1..{num_classes}')
    count = np.bincount(classes - 1, minlength=num_classes) \
        if classes.size else np.zeros(num_classes, np.int64)
    total = np.bincount(classes - 1, weights=rms_values,
                        minlength=num_classes) \
        if classes.size else np.zeros(num_classes)
    seen = count > 0
    mean = np.where(seen, total / np.maximum(count, 1), np.nan)
    top = mean[seen].max() if seen.any() else 0.0
    norms = mean / top if top > 0 else np.where(seen, 0.0, np.nan)
    as_list = lambda a: [None if np.isnan(v) else float(v) for v in a]  # noqa
    return dict(norms=as_list(norms), mean_rms=as_list(mean),
                image_count=[int(n) for n in count])


def save_norms(path, stats, class_names=None, **meta):
    """Write the class salience JSON (atomically): ``stats`` as returned by
    :func:`class_salience_norms`, optional class names and metadata."""
    num = len(stats['norms'])
    if class_names is not None and len(class_names) != num:
        raise ValueError(f'{len(class_names)} class names for {num} classes')
    data = dict(num_classes=num, class_names=list(class_names)
                if class_names is not None else None,
                norms=stats['norms'], mean_rms=stats['mean_rms'],
                image_count=stats['image_count'], **meta)
    from mmwsss.utils.io import atomic_write  # 0666 & ~umask, not 0600
    with atomic_write(path) as tmp:
        with open(tmp, 'w') as f:
            json.dump(data, f, indent=2)
    return data


def load_norms(path):
    """Read the class salience JSON; checks its shape and values."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'class salience (norms) file not found: '
                                f'{path}')
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        raise ValueError(f'{path}: not a JSON norms file ({e})') from e
    norms = data.get('norms') if isinstance(data, dict) else None
    if not isinstance(norms, list) or not norms:
        raise ValueError(f'{path}: expected a JSON object with a non-empty '
                         '"norms" list (written by tools/class_salience.py)')
    for i, n in enumerate(norms):
        if n is not None and (not isinstance(n, (int, float)) or
                              not 0.0 <= n <= 1.0):
            raise ValueError(f'{path}: norms[{i}] = {n!r} is not a number '
                             'in [0, 1] or null')
    return data



class SalienceSample:
    """``(class, rms)`` of one single-class image, ``None`` for the others
    (reaches the pool workers through the fork)."""

    def __init__(self, inputs):
        self.inputs = inputs

    def __call__(self, img_id):
        try:
            label, sal, img_label, _ = self.inputs.load(img_id)
            return image_salience_sample(label, sal, img_label)
        except (ValueError, KeyError) as e:
            raise RuntimeError(f'image {img_id!r}: {e}') from e


def compute_class_salience(inputs, out, split=None, nproc=0):
    """Write the class salience JSON ``out`` of the images of ``inputs``
    (:class:`mmwsss.datasets.selector_inputs.SelectorInputs`, or any
    object with its ``ids`` and ``load``; ``split``: its name, recorded)
    with ``nproc`` worker processes; returns
    ``(data, num_single_class_images)``."""
    from mmwsss.utils.sharding import map_images
    samples = [x for x in map_images(SalienceSample(inputs), inputs.ids,
                                     nproc, desc='class salience',
                                     chunksize=8)
               if x is not None]
    classes = np.array([x[0] for x in samples], dtype=np.int64)
    rms = np.array([x[1] for x in samples], dtype=np.float64)
    stats = class_salience_norms(classes, rms, inputs.num_classes)
    data = save_norms(out, stats, class_names=inputs.class_names,
                      split=split, num_images=len(inputs.ids),
                      num_single_class=len(samples),
                      pseudo_dir=osp.abspath(inputs.pseudo_dir),
                      sal_dir=osp.abspath(inputs.sal_dir))
    return data, len(samples)


def format_table(data, salience_thr):
    """The class salience JSON as a Markdown table; a class is salient when
    its ``n_c >= salience_thr``."""
    lines = ['| class | n_c | salient | images | mean RMS |',
             '| --- | --- | --- | --- | --- |']
    names = data.get('class_names') or [
        str(i + 1) for i in range(data['num_classes'])]
    for name, n, rms, cnt in zip(names, data['norms'], data['mean_rms'],
                                 data['image_count']):
        lines.append(
            f'| {name} | {"-" if n is None else f"{n:.3f}"} | '
            f'{"yes" if n is not None and n >= salience_thr else "no"} | '
            f'{cnt} | {"-" if rms is None else f"{rms:.3f}"} |')
    return '\n'.join(lines)
