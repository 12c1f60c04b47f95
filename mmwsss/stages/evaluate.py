"""The evaluation steps of the stages cam, expand and select: CAMs with a
background-threshold sweep, label maps against the ground truth
(:mod:`mmwsss.evaluation.functional.label_eval`, as ``tools/eval_cam.py``
and ``tools/eval_labels.py``)."""
import dataclasses
from typing import Optional, Sequence

from mmwsss.cam.cam_to_label import DEFAULT_BG_THRESHOLDS
from mmwsss.utils.seg_metrics import PRED_IGNORE_POLICIES

from .settings import StageSettings


@dataclasses.dataclass
class LabelEvalSettings(StageSettings):
    """Scores of ``<pred_dir>/<id>.png`` (or, with ``cam_dir``, of the CAMs
    at every threshold of ``thresholds``) on a split with ground truth,
    written to ``out_json``."""
    section = 'eval'
    data_root: str = None
    split: str = 'train'
    pred_dir: Optional[str] = None
    cam_dir: Optional[str] = None
    thresholds: Sequence[float] = DEFAULT_BG_THRESHOLDS
    extend: bool = True           # a best threshold on the edge extends it
    out_json: Optional[str] = None
    gt_dir: str = 'SegmentationClassAug'
    classes: Optional[str] = None
    num_classes: Optional[int] = None
    pred_ignore: str = 'background'
    pred_suffix: str = '.png'
    nproc: int = 1

    def validate(self):
        if not self.data_root:
            raise self.error('data_root', 'is required')
        if bool(self.pred_dir) == bool(self.cam_dir):
            raise self.error('pred_dir', 'or cam_dir (one of them) is '
                             'required')
        if self.pred_ignore not in PRED_IGNORE_POLICIES:
            raise self.error('pred_ignore',
                             f'is not one of {PRED_IGNORE_POLICIES}')
        self.thresholds = tuple(float(t) for t in self.thresholds)


def run_eval(settings):
    """Evaluate; returns the scores dict (also written to ``out_json``)."""
    from mmwsss.evaluation.functional.label_eval import (evaluate_cams,
                                                         evaluate_labels)
    s = settings
    if s.cam_dir:
        return evaluate_cams(s.cam_dir, s.data_root, s.split, s.thresholds,
                             s.gt_dir, s.classes, s.num_classes,
                             s.pred_ignore, s.out_json, s.nproc,
                             extend=s.extend)
    return evaluate_labels(s.pred_dir, s.data_root, s.split, s.gt_dir,
                           s.classes, s.num_classes, s.pred_ignore,
                           s.out_json, s.nproc, s.pred_suffix)
