"""The Salient Object Selector as an mmseg transform (stage 5, online)."""
import os.path as osp

import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS

from mmwsss.selector import (DEFAULT_FUSE_THR, DEFAULT_SAL_MASK_THR,
                             DEFAULT_SALIENCE_THR, DEFAULT_T0, DEFAULT_T1,
                             RENAMED_SETTINGS, SalientObjectSelector)
from ..selector_inputs import load_cams
from .load_saliency_map import image_id


@TRANSFORMS.register_module()
class SelectorFusion(BaseTransform):
    """Fuse the pseudo-label in ``results['gt_seg_map']`` with the saliency
    map, in place, so that any mmseg segmentor trains on fused labels.

    Calls the same function as ``tools/run_select.py``
    (:class:`mmwsss.selector.SalientObjectSelector`), so a label fused here
    equals the offline one. Place it after ``LoadAnnotations``,
    ``LoadSaliencyMap`` and ``LoadImageLevelLabel`` and before any geometric
    augmentation. The rules and defaults are documented in
    :mod:`mmwsss.selector.selector_core` and ``docs/selector.md``.

    Required keys: ``gt_seg_map``, ``saliency``, ``img_label`` (and
    ``img_path`` with ``cam_dir``). Modified keys: ``gt_seg_map``. Added
    keys: ``selector_decision`` (the per-image decision dict).

    Args:
        norms_file (str): class salience JSON (``tools/class_salience.py``).
        mode (str): 'hard' (Algorithm 1), 'soft' (alpha*) or 'threshold'
            (the paper's Table 3: replace when the IoU reaches ``alpha``).
        t0, t1 (float): Algorithm 1 thresholds. Defaults 0.4, 0.2.
        salience_thr (float): a class is salient when its class salience
            ``n_c >= salience_thr``.
        sal_mask_thr (float): the saliency mask is ``saliency >=
            sal_mask_thr`` (in (0, 1]).
        tau (float, optional): soft mode's gate: alpha* is 0 when its score
            is below ``tau`` (default 0.5 for 'mean', 1.0 for 'paper').
        alpha (float, optional): threshold mode's selection threshold.
        weight (float, optional): soft mode, a fixed blend weight instead
            of alpha*.
        alpha_star (str): soft mode, 'mean' ``(o + n_c) / 2`` (default) or
            'paper' (the sum ``o + n_c``, clipped to [0, 1] to blend).
        cam_dir (str, optional): soft mode, stage-2 CAMs ``<id>.npz``;
            without them the class region is a 0/1 map.
        fuse_thr (float): soft mode, threshold of the fused score.

    The former names ``bg_thr``, ``sal_thr`` and ``salient_thr`` are refused
    with the new one.
    """

    def __init__(self, norms_file, mode='hard', t0=DEFAULT_T0, t1=DEFAULT_T1,
                 salience_thr=DEFAULT_SALIENCE_THR,
                 sal_mask_thr=DEFAULT_SAL_MASK_THR, tau=None, alpha=None,
                 weight=None, alpha_star='mean', cam_dir=None,
                 fuse_thr=DEFAULT_FUSE_THR, ignore_index=255, **former):
        from mmwsss.utils.renamed_keys import check_renamed
        check_renamed('SelectorFusion', former, RENAMED_SETTINGS)
        if former:
            raise TypeError(f'SelectorFusion got unexpected argument(s) '
                            f'{sorted(former)}')
        self.norms_file = norms_file
        self.cam_dir = cam_dir
        self.selector = SalientObjectSelector(
            norms_file, mode=mode, t0=t0, t1=t1, salience_thr=salience_thr,
            sal_mask_thr=sal_mask_thr, tau=tau, alpha=alpha, weight=weight,
            alpha_star=alpha_star, fuse_thr=fuse_thr,
            ignore_index=ignore_index)

    def transform(self, results):
        for key, source in (('gt_seg_map', 'LoadAnnotations'),
                            ('saliency', 'LoadSaliencyMap'),
                            ('img_label', 'LoadImageLevelLabel')):
            if key not in results:
                raise KeyError(f'SelectorFusion needs results[{key!r}]: put '
                               f'{source} before it in the pipeline')
        cams = None
        if self.selector.mode == 'soft' and self.cam_dir:
            cams = load_cams(
                osp.join(self.cam_dir, image_id(results) + '.npz'),
                results['gt_seg_map'].shape[:2])
        label = results['gt_seg_map']
        try:
            fused, decision = self.selector(
                label, results['saliency'], results['img_label'], cams=cams,
                img_id=image_id(results) if results.get('img_path')
                else None)
        except ValueError as e:
            raise ValueError(f'{results.get("img_path")}: {e}') from e
        results['gt_seg_map'] = np.ascontiguousarray(fused,
                                                     dtype=label.dtype)
        results['selector_decision'] = decision
        return results

    def __repr__(self):
        return (f'{self.__class__.__name__}(norms_file={self.norms_file!r}, '
                f'cam_dir={self.cam_dir!r}, {self.selector!r})')
