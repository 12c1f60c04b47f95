"""The class salience ``n_c`` of every class over a split (offline).

The root mean square saliency inside the class region of every
single-class image (:func:`~mmwsss.selector.selector_core.image_salience_sample`),
averaged per class and divided by the largest class mean
(:func:`~mmwsss.selector.selector_core.class_salience_norms`), written as
JSON (:func:`~mmwsss.selector.selector_core.save_norms`). Numpy only.
"""
import os.path as osp

import numpy as np

from mmwsss.utils.sharding import map_images

from .selector_core import (class_salience_norms, image_salience_sample,
                            save_norms)


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
    (:class:`mmwsss.selector.inputs.SelectorInputs`; ``split``: its name,
    recorded) with ``nproc`` worker processes; returns
    ``(data, num_single_class_images)``."""
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


def format_table(data, salient_thr):
    """The class salience JSON as a Markdown table; a class is salient when
    its ``n_c >= salient_thr``."""
    lines = ['| class | n_c | salient | images | mean RMS |',
             '| --- | --- | --- | --- | --- |']
    names = data.get('class_names') or [
        str(i + 1) for i in range(data['num_classes'])]
    for name, n, rms, cnt in zip(names, data['norms'], data['mean_rms'],
                                 data['image_count']):
        lines.append(
            f'| {name} | {"-" if n is None else f"{n:.3f}"} | '
            f'{"yes" if n is not None and n >= salient_thr else "no"} | '
            f'{cnt} | {"-" if rms is None else f"{rms:.3f}"} |')
    return '\n'.join(lines)
