"""Stage metrics as a person reads them: names, units, one precision.

The manifest keeps the raw keys of each evaluator (mmpretrain's
``multi-label/mAP``, mmseg's ``aAcc``, the label stages' fractions). One
convention for every reader (the report, the pipeline console, the study
and its README block), in :func:`display_value`: every score in percent
(the label stages' fractions and the SOD measures x 100, mmseg's and
mmpretrain's as they are), thresholds as they are. :func:`format_metric`
writes them with one decimal (thresholds with two).
"""

#: raw key -> readable name
METRIC_NAMES = {
    'multi-label/mAP': 'mAP',
    'multi-label/CP': 'class precision', 'multi-label/CR': 'class recall',
    'multi-label/CF1': 'class F1', 'multi-label/OP': 'overall precision',
    'multi-label/OR': 'overall recall', 'multi-label/OF1': 'overall F1',
    'multi-label/precision': 'precision', 'multi-label/recall': 'recall',
    'multi-label/f1-score': 'F1',
    'mIoU': 'mIoU', 'aAcc': 'pixel accuracy', 'mAcc': 'mean class accuracy',
    'Acc': 'pixel accuracy', 'Acc_class': 'mean class accuracy',
    'fwIoU': 'frequency-weighted IoU',
    'best_threshold': 'best background threshold',
    'MAE': 'MAE', 'maxFm': 'max F', 'meanFm': 'mean F',
    'adpFm': 'adaptive F', 'Sm': 'S-measure', 'maxEm': 'max E',
    'meanEm': 'mean E', 'adpEm': 'adaptive E',
}
#: label stages: these keys are fractions, shown in percent
FRACTION_STAGES = ('cam', 'expand', 'select')
FRACTION_SCORES = ('Acc', 'Acc_class', 'mIoU', 'fwIoU')
#: stages whose scores are percent already (mmseg / mmpretrain)
PERCENT_STAGES = ('classify', 'segment_expand', 'segment_select')
#: stages whose scores are all fractions in [0, 1] (the SOD measures MAE,
#: maxFm, meanFm, adpFm, Sm, meanEm, maxEm, adpEm), shown in percent
FRACTION_ONLY_STAGES = ('saliency', )
#: bookkeeping, not results
NOT_METRICS = ('data_time', 'time', 'step', 'num_images', 'iter', 'epoch')
#: the metrics of a stage worth one line on the console, in order
HEADLINE = dict(
    classify=('multi-label/mAP', ),
    cam=('mIoU', 'best_threshold'),
    expand=('mIoU', ),
    saliency=('MAE', 'maxFm'),
    select=('mIoU', ),
    segment_expand=('mIoU', ),
    segment_select=('mIoU', ),
)
#: old stage names -> current ones
ALIASES = dict(sod='saliency', fuse='select', segment_cam='segment_expand',
               segment_fused='segment_select')


def metric_name(key):
    """A raw metric key as a person reads it (unknown keys as they are,
    with the evaluator's prefix dropped)."""
    if key in METRIC_NAMES:
        return METRIC_NAMES[key]
    return key.rsplit('/', 1)[-1].replace('_', ' ')


def is_metric(key, value):
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and key not in NOT_METRICS)


def display_value(stage, key, value):
    """``(number, unit)`` of one stage metric in the one convention of
    every reader: scores in percent (``'%'``), anything else (a threshold)
    as it is (``''``)."""
    stage = ALIASES.get(stage, stage)
    value = float(value)
    if stage in FRACTION_STAGES:
        return (100.0 * value, '%') if key in FRACTION_SCORES else (value, '')
    if stage in PERCENT_STAGES:
        return value, '%'
    if stage in FRACTION_ONLY_STAGES:
        return 100.0 * value, '%'
    return value, ''


def format_value(stage, key, value):
    """The value with its unit: ``'45.3 %'``, ``'0.05'``."""
    number, unit = display_value(stage, key, value)
    if unit == '%':
        return f'{number:.1f} %'
    if 'threshold' in key:
        return f'{number:.2f}'
    return f'{number:.3g}'


def format_metric(stage, key, value):
    """``'mIoU 45.3 %'``."""
    return f'{metric_name(key)} {format_value(stage, key, value)}'


def summary(stage, metrics, keys=None):
    """The stage's headline metrics as one short line (all numeric metrics
    when it has no headline)."""
    metrics = metrics or {}
    canon = ALIASES.get(stage, stage)
    keys = keys or HEADLINE.get(canon) or [k for k, v in metrics.items()
                                           if is_metric(k, v)][:4]
    parts = [format_metric(canon, k, metrics[k]) for k in keys
             if is_metric(k, metrics.get(k))]
    if isinstance(metrics.get('method'), str):
        parts.insert(0, metrics['method'])
    return ', '.join(parts)
