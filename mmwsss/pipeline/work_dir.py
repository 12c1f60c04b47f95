"""The pipeline's work folder: one attribute per stage output.

``WorkDir.at(root)`` builds it once; the runner (:mod:`.wsss_stages`), the
stage settings and the report read every path from it, so a path has one
name, given by the stage that writes it (``cam``, ``expand``,
``select_log``, ...), whatever the folder is called on disk.
"""
import dataclasses
import os.path as osp


@dataclasses.dataclass(frozen=True)
class WorkDir:
    """Paths of a pipeline run (absolute); see :meth:`at` for the layout."""
    root: str
    #: stage classify: the classifier's training folder (checkpoints)
    classify: str
    #: stage cam: ``<id>.npz`` CAMs, and their threshold sweep (JSON with
    #: ``best_threshold``)
    cam: str
    cam_eval: str
    #: stage expand: ``<id>.png`` pseudo-labels and their scores; method
    #: irn also writes relation labels and trains a network
    expand: str
    expand_eval: str
    expand_relation: str
    expand_model: str
    #: stage saliency: the SOD net's training folder and the ``<id>.png``
    #: saliency maps
    saliency_model: str
    saliency: str
    #: stage select: class salience JSON, ``<id>.png`` fused labels, the
    #: audit log, their scores and the Table 3 sweep (JSON, Markdown)
    select_salience: str
    select: str
    select_log: str
    select_eval: str
    select_sweep: str
    select_sweep_md: str
    #: stage segment, twice: the segmenter trained on the expand stage's
    #: labels and on the select stage's; ``*_pred``: its predictions on the
    #: split with ground truth (the report's picture grid)
    segment_expand: str
    segment_expand_pred: str
    segment_select: str
    segment_select_pred: str
    #: bookkeeping: the stage settings files, the manifest, the stage logs,
    #: the report
    stage_settings: str
    manifest: str
    logs: str
    report: str

    @classmethod
    def at(cls, root):
        """The layout under ``root`` (made absolute)."""
        root = osp.abspath(root)

        def p(*parts):
            return osp.join(root, *parts)

        return cls(
            root=root,
            classify=p('classify'),
            cam=p('cams'), cam_eval=p('cam_eval.json'),
            expand=p('pseudo_cam'), expand_eval=p('expand_eval.json'),
            expand_relation=p('relation_labels'),
            expand_model=p('expand_model'),
            saliency_model=p('saliency_model'), saliency=p('saliency'),
            select_salience=p('class_salience.json'),
            select=p('pseudo_fused'),
            select_log=p('pseudo_fused', 'selector_log.csv'),
            select_eval=p('select_eval.json'),
            select_sweep=p('selector_sweep.json'),
            select_sweep_md=p('selector_sweep.md'),
            segment_expand=p('segment_expand'),
            segment_expand_pred=p('segment_expand', 'pred_samples'),
            segment_select=p('segment_select'),
            segment_select_pred=p('segment_select', 'pred_samples'),
            stage_settings=p('stage_settings'),
            manifest=p('manifest.json'), logs=p('logs'), report=p('report'))
