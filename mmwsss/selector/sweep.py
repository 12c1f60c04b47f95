"""The selector's sweeps on a split with ground truth, in one place.

Every sweep of the selector that the tools, the pipeline report and the
docs show is computed here, on plain arrays (numpy only: no torch, no
OpenMMLab):

* **Table 3 analogue: the selection threshold alpha** (the paper's Table
  3). A single-class region is replaced by the saliency mask ``P_S`` when
  its agreement ``o = IoU(P_CAM, P_S)`` reaches alpha
  (:func:`~mmwsss.selector.fusion_rules.fuse_threshold`). ``alpha = 1``
  is the expanded labels unchanged (the paper's 78.13, Table 4's RS+EPM
  without SOD), ``alpha = 0`` replaces every region with a non-empty
  ``P_S`` (the paper's 77.57); the paper peaks at 0.3-0.4 (79.45).
* **The two rules** at their settings: soft mode's alpha* and Algorithm 1
  (hard mode).
* **The blend-weight sweep** (not the paper's Table 3): soft mode with one
  fixed weight ``w`` for every image, the new region ``(1 - w) * CAM_c +
  w * S >= fuse_thr``.
* **The tau sweep**: soft mode's alpha* against its gate ``tau``.
* **Table 4**: before / after the selector for several label folders.

Each image is fused once per distinct label: the threshold rows share one
replaced label (an image contributes it when ``o >= alpha``, else its
input label), the tau rows share one fused label (alpha* never depends on
``tau``; an image contributes its fused label when its score reaches
``tau``). One confusion matrix per row is accumulated over the split
(:mod:`mmwsss.utils.seg_metrics`); each row holds Acc, Acc_class, mIoU,
fwIoU, the per-class IoU and the decisions taken.

Use :class:`SelectorSweep` on arrays,
:func:`mmwsss.selector.sweep_folders.sweep_dirs` on folders (what
``tools/sweep_selector.py`` and the pipeline's select stage run), and
:func:`mmwsss.selector.sweep_tables.format_markdown` for the tables.
"""
from collections import Counter

import numpy as np

from mmwsss.utils.seg_metrics import (PRED_IGNORE_POLICIES, confusion_matrix,
                                      scores_from_confusion)

from .fusion_rules import (alpha_star_score, blend_label, fuse_soft,
                           fuse_threshold, threshold_selects)
from .salient_object_selector import SalientObjectSelector
from .selector_core import (DEFAULT_FUSE_THR, DEFAULT_SAL_MASK_THR,
                            DEFAULT_SALIENCE_THR, DEFAULT_T0, DEFAULT_T1,
                            DEFAULT_TAUS, TABLE3_ALPHAS, binarize_saliency,
                            cam_of_class, class_iou, saliency_to_float,
                            single_foreground_class)

METRICS = ('Acc', 'Acc_class', 'mIoU', 'fwIoU')
#: the fixed blend weights (the grid of Table 3, read as weights)
BLEND_WEIGHTS = TABLE3_ALPHAS
#: the gates of the tau sweep for each alpha* kind (the default gate in
#: the middle of each grid)
TAU_GRIDS = dict(
    mean=(0.0, 0.3, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.8, 0.9, 1.0),
    paper=(0.0, 0.6, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.4, 1.6, 1.8, 2.0))
#: the paper's Table 3 (RS+EPM pseudo-labels on VOC train, in percent):
#: alpha -> (Acc, Acc_class, mIoU, fwIoU)
PAPER_TABLE3 = {
    0.0: (94.12, 85.30, 77.57, 89.10),
    0.05: (94.35, 85.89, 78.35, 89.48),
    0.1: (94.41, 86.18, 78.66, 89.58),
    0.2: (94.49, 86.63, 79.04, 89.75),
    0.3: (94.54, 87.13, 79.44, 89.89),
    0.4: (94.44, 87.36, 79.45, 89.74),
    0.5: (94.25, 87.39, 79.15, 89.46),
    0.6: (94.10, 87.72, 79.08, 89.29),
    0.7: (93.86, 87.71, 78.83, 88.92),
    0.8: (93.61, 87.43, 78.33, 88.51),
    0.9: (93.52, 87.35, 78.15, 88.36),
    1.0: (93.51, 87.33, 78.13, 88.35),
}


def paper_row(alpha):
    """The paper's Table 3 scores at ``alpha`` as fractions (dict of
    :data:`METRICS`), or ``None`` where the paper has no row."""
    for a, values in PAPER_TABLE3.items():
        if abs(a - alpha) < 1e-9:
            return {m: v / 100.0 for m, v in zip(METRICS, values)}
    return None


def scores(cm):
    """The four scores and the per-class IoU (``None`` where undefined) of
    one confusion matrix."""
    sc = scores_from_confusion(cm)
    out = {m: float(sc[m]) for m in METRICS}
    out['IoU'] = [None if np.isnan(v) else float(v)
                  for v in np.asarray(sc['IoU'], np.float64)]
    return out


class SelectorSweep:
    """Accumulates every sweep row over a split, one image at a time.

    Args:
        norms: the K class salience values (``None`` allowed).
        num_classes (int): classes including background (K + 1).
        alphas: selection thresholds (Table 3).
        weights: fixed blend weights.
        taus: gates of alpha* (default: :data:`TAU_GRIDS` of
            ``alpha_star``).
        t0, t1, salience_thr, sal_mask_thr, fuse_thr, tau, alpha_star: the
            selector's settings (see
            :func:`~mmwsss.selector.fusion_rules.select_and_fuse`).
        pred_ignore: how predicted 255 pixels count.

    ``row_names`` lists the rows; :meth:`image` returns one image's
    confusion matrices and decisions (picklable, so worker processes can
    compute them), :meth:`add` sums them and :meth:`result` gives the
    tables.
    """

    def __init__(self,
                 norms,
                 num_classes,
                 alphas=TABLE3_ALPHAS,
                 weights=BLEND_WEIGHTS,
                 taus=None,
                 t0=DEFAULT_T0,
                 t1=DEFAULT_T1,
                 salience_thr=DEFAULT_SALIENCE_THR,
                 sal_mask_thr=DEFAULT_SAL_MASK_THR,
                 fuse_thr=DEFAULT_FUSE_THR,
                 tau=None,
                 alpha_star='mean',
                 pred_ignore='background',
                 ignore_index=255):
        if pred_ignore not in PRED_IGNORE_POLICIES:
            raise ValueError(f'pred_ignore must be one of '
                             f'{PRED_IGNORE_POLICIES}')
        self.norms = list(norms)
        self.num_classes = int(num_classes)
        if len(self.norms) != self.num_classes - 1:
            raise ValueError(f'{len(self.norms)} norms for '
                             f'{self.num_classes - 1} foreground classes')
        self.alphas = [float(a) for a in alphas]
        for a in self.alphas:
            if not 0.0 <= a <= 1.0:
                raise ValueError(f'a selection threshold must lie in '
                                 f'[0, 1], got {a}')
        self.weights = [float(w) for w in weights]
        self.taus = [float(t) for t in (
            TAU_GRIDS[alpha_star] if taus is None else taus)]
        self.settings = dict(
            t0=float(t0),
            t1=float(t1),
            salience_thr=float(salience_thr),
            sal_mask_thr=float(sal_mask_thr),
            fuse_thr=float(fuse_thr),
            tau=float(DEFAULT_TAUS[alpha_star] if tau is None else tau),
            alpha_star=alpha_star)
        self.pred_ignore, self.ignore_index = pred_ignore, ignore_index
        s = self.settings
        self.star = SalientObjectSelector(self.norms,
                                          mode='soft',
                                          salience_thr=s['salience_thr'],
                                          sal_mask_thr=s['sal_mask_thr'],
                                          tau=s['tau'],
                                          alpha_star=alpha_star,
                                          fuse_thr=s['fuse_thr'],
                                          ignore_index=ignore_index)
        self.hard = SalientObjectSelector(
            self.norms, mode='hard', t0=s['t0'], t1=s['t1'],
            salience_thr=s['salience_thr'], sal_mask_thr=s['sal_mask_thr'],
            ignore_index=ignore_index)
        self.row_names = (
            ['baseline'] + [f'alpha={a:g}' for a in self.alphas] +
            ['alpha*', 'hard'] + [f'weight={w:g}' for w in self.weights] +
            [f'tau={t:g}' for t in self.taus])
        n = self.num_classes
        self.total = np.zeros((len(self.row_names), n, n + 1), np.int64)
        self.counts = [Counter() for _ in self.row_names]
        self.applied = [[] for _ in self.row_names]  # weights of fused rows
        self.num_images = 0

    # the rows' places
    def _slices(self):
        k = 1 + len(self.alphas)
        return dict(alphas=slice(1, k), star=k, hard=k + 1,
                    weights=slice(k + 2, k + 2 + len(self.weights)),
                    taus=slice(k + 2 + len(self.weights),
                               len(self.row_names)))

    def _cm(self, gt, label):
        return confusion_matrix(gt, label, self.num_classes,
                                pred_ignore=self.pred_ignore)

    def image(self, label, saliency, img_label, gt, cams=None, img_id=None):
        """One image's rows: ``(cms, decisions)``, ``cms`` an int64 array
        (rows x C x C+1) and ``decisions`` a list of ``(decision, weight)``
        per row (``None`` for the baseline row)."""
        label = np.asarray(label)
        if label.shape != np.shape(gt):
            raise ValueError(f'{img_id}: pseudo-label {label.shape} and '
                             f'ground truth {np.shape(gt)} differ in shape')
        sl = self._slices()
        base = self._cm(gt, label)
        cms = np.repeat(base[None], len(self.row_names), axis=0)
        decisions = [None] * len(self.row_names)
        # the two rules, as the selector runs them
        for k, selector in ((sl['star'], self.star), (sl['hard'], self.hard)):
            out, dec = selector(label, saliency, img_label,
                                cams=cams if selector.mode == 'soft'
                                else None, img_id=img_id)
            cms[k] = self._cm(gt, out)
            decisions[k] = (dec['decision'], dec['alpha'])
        c = single_foreground_class(img_label)
        untouched = decisions[sl['star']][0] in (
            'no-class', 'multi-class', 'empty-saliency')
        others = list(range(1, len(self.row_names)))
        others = [k for k in others if k not in (sl['star'], sl['hard'])]
        if untouched:
            for k in others:
                decisions[k] = (decisions[sl['star']][0], float('nan'))
            return cms, decisions
        s, ign = self.settings, self.ignore_index
        # Table 3: one replaced label, taken where o reaches alpha
        replaced, info = fuse_threshold(label, c, saliency, 0.0,
                                        sal_mask_thr=s['sal_mask_thr'],
                                        ignore_index=ign)
        cm_rep = self._cm(gt, replaced)
        for k, a in zip(range(sl['alphas'].start, sl['alphas'].stop),
                        self.alphas):
            if threshold_selects(info['iou'], a):
                cms[k], decisions[k] = cm_rep, ('replaced', 1.0)
            else:
                decisions[k] = ('kept', 0.0)
        # the blend weights: one label per weight
        cam = None if cams is None else cam_of_class(cams, c)
        if cams is not None and cam is None:
            raise ValueError(f'{img_id}: the CAMs hold no map of class {c}')
        n_c = self.norms[c - 1]
        for k, w in zip(range(sl['weights'].start, sl['weights'].stop),
                        self.weights):
            out, dec = fuse_soft(label,
                                 c,
                                 saliency,
                                 n_c,
                                 cam=cam,
                                 weight=w,
                                 fuse_thr=s['fuse_thr'],
                                 sal_mask_thr=s['sal_mask_thr'],
                                 ignore_index=ign)
            cms[k] = self._cm(gt, out)
            decisions[k] = (dec['decision'], dec['alpha'])
        # the tau gate: one fused label, taken where the score reaches tau
        cam_f = (label == c).astype(np.float32) if cam is None \
            else np.asarray(cam, np.float32)
        sal_f = saliency_to_float(saliency)
        o = class_iou(cam_f >= s['fuse_thr'],
                      binarize_saliency(sal_f, s['sal_mask_thr']),
                      valid=label != ign)
        score = alpha_star_score(o, n_c, s['alpha_star'])
        weight = min(score, 1.0)
        cm_fused = None
        for k, t in zip(range(sl['taus'].start, sl['taus'].stop), self.taus):
            if weight > 0.0 and score >= t:
                if cm_fused is None:
                    cm_fused = self._cm(gt, blend_label(
                        label, c, cam_f, sal_f, weight, s['fuse_thr'], ign))
                cms[k], decisions[k] = cm_fused, ('fused', weight)
            else:
                decisions[k] = ('kept', 0.0)
        return cms, decisions

    def add(self, rows):
        """Add one image's rows (as returned by :meth:`image`)."""
        cms, decisions = rows
        self.total += cms
        self.num_images += 1
        for k, d in enumerate(decisions):
            if d is None:
                continue
            self.counts[k][d[0]] += 1
            if d[0] == 'fused':
                self.applied[k].append(float(d[1]))

    def update(self, *args, **kwargs):
        """:meth:`image` then :meth:`add`."""
        self.add(self.image(*args, **kwargs))

    def _row(self, k):
        counts = self.counts[k]
        return dict(scores(self.total[k]), decisions=dict(counts),
                    changed_images=counts['replaced'] + counts['fused'])

    def result(self):
        """The tables: ``baseline`` (the input labels), ``table3`` (the
        threshold rows, each with the paper's scores under ``paper``, then
        the alpha* and Algorithm 1 rows with ``alpha: None``), ``blend``
        (fixed weights), ``tau`` (the gate of alpha*) and
        ``paper_table3``."""
        sl, s = self._slices(), self.settings
        table3 = [dict(name=f'{a:g}', alpha=a, **self._row(k),
                       paper=paper_row(a))
                  for k, a in zip(range(sl['alphas'].start,
                                        sl['alphas'].stop), self.alphas)]
        table3.append(dict(
            name=f"alpha* (soft, {s['alpha_star']}, tau={s['tau']:g})",
            alpha=None, **self._row(sl['star'])))
        table3.append(dict(name='Algorithm 1 (hard)', alpha=None,
                           **self._row(sl['hard'])))
        blend = [dict(name=f'{w:g}', weight=w, **self._row(k))
                 for k, w in zip(range(sl['weights'].start,
                                       sl['weights'].stop), self.weights)]
        tau = []
        for k, t in zip(range(sl['taus'].start, sl['taus'].stop),
                        self.taus):
            used = np.asarray(self.applied[k], np.float64)
            tau.append(dict(
                tau=t, **self._row(k), fused_images=int(used.size),
                fractional_images=int(np.count_nonzero(used < 1)),
                mean_alpha=float(used.mean()) if used.size else None))
        return dict(
            baseline=self._row(0), table3=table3, blend=blend, tau=tau,
            paper_table3=[dict(alpha=a, **{m: v / 100.0 for m, v in zip(
                METRICS, values)}) for a, values in PAPER_TABLE3.items()],
            num_images=self.num_images, num_classes=self.num_classes,
            sweep_settings=dict(s, alphas=self.alphas, weights=self.weights,
                                taus=self.taus,
                                pred_ignore=self.pred_ignore))
