"""Evaluation: :mod:`.functional` (numpy metrics, no OpenMMLab) and
:mod:`.metrics` (mmengine metrics, registered by
:mod:`mmwsss.mm_components`)."""
