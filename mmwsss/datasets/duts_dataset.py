"""DUTS-layout salient object detection dataset (images + binary masks).

DUTS ships ``DUTS-TR/DUTS-TR-Image/*.jpg`` with ``DUTS-TR/DUTS-TR-Mask/*.png``
and the same under ``DUTS-TE``; ECSSD, HKU-IS, PASCAL-S, DUT-OMRON are
distributed as the same kind of folder pair (e.g. ECSSD ``images/`` and
``ground_truth_mask/``). This dataset reads any such pair::

    dict(type='DUTSDataset', data_root='data/DUTS',
         data_prefix=dict(img_path='DUTS-TE/DUTS-TE-Image',
                          seg_map_path='DUTS-TE/DUTS-TE-Mask'))
    dict(type='DUTSDataset', data_root='data/ECSSD',
         data_prefix=dict(img_path='images', seg_map_path='ground_truth_mask'))

The two common ways to arrange a DUTS copy are also known by name, so a
config can read either without spelling out the folders (``layout`` and
``split``; ``layout='auto'`` takes whichever exists under ``data_root``)::

    layout='DUTS'          DUTS-TR/DUTS-TR-Image + DUTS-TR/DUTS-TR-Mask  (train)
                           DUTS-TE/DUTS-TE-Image + DUTS-TE/DUTS-TE-Mask  (val)
    layout='images_masks'  train/images + train/masks                     (train)
                           val/images + val/masks                         (val)

    dict(type='DUTSDataset', data_root='data/DUTS', layout='auto',
         split='val')

Images are found by scanning ``img_path`` (or listed by ``ann_file``, one
name without suffix per line). Masks are grey PNGs with 0 = background and
255 (anti-aliased in real data) = salient; add ``BinarizeMask`` after
``LoadAnnotations`` to turn them into the {0, 1} labels of the two classes
``('background', 'salient')``.

Every image/mask pair is checked when the dataset is built: a missing,
unreadable, multi-channel or mis-sized mask is a ``ValueError`` naming the
file.
"""
import os.path as osp

from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS

from .pseudo_label_voc_dataset import MAX_LISTED_PROBLEMS, check_label_file


#: named folder layouts: layout -> split -> (image folder, mask folder)
LAYOUTS = {
    'DUTS': dict(train=('DUTS-TR/DUTS-TR-Image', 'DUTS-TR/DUTS-TR-Mask'),
                 val=('DUTS-TE/DUTS-TE-Image', 'DUTS-TE/DUTS-TE-Mask')),
    'images_masks': dict(train=('train/images', 'train/masks'),
                         val=('val/images', 'val/masks')),
}


def layout_prefix(data_root, layout, split):
    """``data_prefix`` of a named layout (``'auto'``: the first of
    :data:`LAYOUTS` whose two folders of ``split`` exist under
    ``data_root``)."""
    if split not in ('train', 'val'):
        raise ValueError(f'DUTSDataset: split must be "train" or "val", got '
                         f'{split!r}')
    if layout == 'auto':
        found = [name for name, splits in LAYOUTS.items()
                 if all(osp.isdir(osp.join(data_root or '', d))
                        for d in splits[split])]
        if not found:
            tried = ', '.join('{} + {}'.format(*splits[split])
                              for splits in LAYOUTS.values())
            raise ValueError(
                f'{data_root}: no DUTS {split} folders found (layout="auto" '
                f'looks for {tried})')
        layout = found[0]
    if layout not in LAYOUTS:
        raise ValueError(f'DUTSDataset: unknown layout {layout!r}; one of '
                         f'{sorted(LAYOUTS)} or "auto"')
    img, mask = LAYOUTS[layout][split]
    return dict(img_path=img, seg_map_path=mask)


@DATASETS.register_module()
class DUTSDataset(BaseSegDataset):
    """Salient object detection folders (DUTS, ECSSD, ... layout).

    Args:
        data_prefix (dict): ``img_path`` and ``seg_map_path`` folders,
            relative to ``data_root``. Default: DUTS-TR. Ignored when
            ``layout`` is given.
        layout (str, optional): a named folder layout, ``'DUTS'``,
            ``'images_masks'`` or ``'auto'`` (see the module docstring).
        split (str): ``'train'`` or ``'val'``, with ``layout``.
        img_suffix (str): image suffix. Default '.jpg'.
        seg_map_suffix (str): mask suffix. Default '.png'.
        check_files (bool): check every pair when built. Default True.
        **kwargs: the other arguments of mmseg's ``BaseSegDataset``.
    """
    METAINFO = dict(classes=('background', 'salient'),
                    palette=[[0, 0, 0], [255, 255, 255]])

    def __init__(self,
                 data_prefix=dict(img_path='DUTS-TR/DUTS-TR-Image',
                                  seg_map_path='DUTS-TR/DUTS-TR-Mask'),
                 img_suffix='.jpg',
                 seg_map_suffix='.png',
                 check_files=True,
                 layout=None,
                 split='train',
                 **kwargs):
        self.check_files = check_files
        if layout is not None:
            data_prefix = layout_prefix(kwargs.get('data_root'), layout, split)
        super().__init__(data_prefix=data_prefix, img_suffix=img_suffix,
                         seg_map_suffix=seg_map_suffix, **kwargs)

    def load_data_list(self):
        for key in ('img_path', 'seg_map_path'):
            folder = self.data_prefix.get(key)
            if folder and not osp.isdir(folder):
                raise ValueError(f'{folder}: folder not found '
                                 f'(data_prefix.{key} of DUTSDataset)')
        data_list = super().load_data_list()
        if not data_list:
            raise ValueError(
                f'no "*{self.img_suffix}" images in '
                f'{self.data_prefix.get("img_path")} (DUTSDataset)')
        return data_list

    def full_init(self):
        if self._fully_initialized:
            return
        super().full_init()
        if self.check_files:
            problems = []
            for i in range(len(self)):
                info = self.get_data_info(i)
                if info.get('seg_map_path') is not None:
                    problem = check_label_file(info['img_path'],
                                               info['seg_map_path'])
                    if problem:
                        problems.append(problem)
            if problems:
                more = len(problems) - MAX_LISTED_PROBLEMS
                tail = f'\n  ... and {more} more' if more > 0 else ''
                raise ValueError(
                    f'DUTSDataset ({self.data_prefix.get("img_path")}): '
                    f'{len(problems)} of {len(self)} image/mask pairs are '
                    'unusable:\n  ' +
                    '\n  '.join(problems[:MAX_LISTED_PROBLEMS]) + tail)
