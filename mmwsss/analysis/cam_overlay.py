"""CAM overlays: one picture per image, the image then one heat map per
class over it, each captioned, with a colour bar (numpy + OpenCV).

The CAMs come from the stage-cam files (``<id>.npz``,
:func:`mmwsss.utils.io.load_cam_npz`) or from a classifier
(:class:`mmwsss.apis.classifier.CAMModel`, in ``tools/analysis_tools/
vis_cam.py``); this module only draws.
"""
import numpy as np

from . import tiles as T


def cam_panel(img, keys, cams, class_names, tile_size=192, scores=None,
              title=None):
    """The picture of one image.

    Args:
        img: HxWx3 uint8 BGR image.
        keys (sequence[int]): 0-based foreground class indices of ``cams``.
        cams: K x H x W maps in [0, 1] (K = len(keys)).
        class_names (sequence[str]): names, background first.
        scores (sequence[float], optional): the classifier's probability of
            each key, added to the captions.
        title (str, optional): caption of the image tile (e.g. its id).
    """
    cams = np.asarray(cams, dtype=np.float32)
    if len(keys) != len(cams):
        raise ValueError(f'{len(keys)} classes but {len(cams)} CAMs')
    if len(cams) and cams.shape[1:] != img.shape[:2]:
        raise ValueError(f'CAMs of size {cams.shape[1:]} for an image of '
                         f'size {img.shape[:2]}')
    tiles = [T.captioned(T.fit(img, tile_size), title or 'image')]
    for i, (k, cam) in enumerate(zip(keys, cams)):
        k = int(k)
        name = class_names[k + 1] if k + 1 < len(class_names) else \
            f'class {k + 1}'
        cap = name if scores is None else f'{name} (p = {scores[i]:.2f})'
        tiles.append(T.captioned(T.fit(T.heat_overlay(img, cam), tile_size),
                                 cap))
    if not len(cams):
        tiles.append(T.captioned(np.full((tile_size, tile_size, 3), 235,
                                         np.uint8), 'no class'))
    tiles.append(T.captioned(T.colour_bar(tile_size), 'CAM'))
    return T.hstack(tiles)
