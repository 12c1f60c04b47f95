"""The per-image stages of the method, one module each, named as in every
other layer (config section, tool, pipeline stage, report, docs):

=========  ==========================  ====================
stage      module                      tool
=========  ==========================  ====================
classify   (mmpretrain training)       ``tools/train.py``
cam        :mod:`.cam`                 ``tools/run_cam.py``
expand     :mod:`.expand`              ``tools/run_expand.py``
saliency   :mod:`.saliency`            ``tools/run_saliency.py``
select     :mod:`.select`              ``tools/run_select.py``
segment    (mmseg training)            ``tools/train.py``
=========  ==========================  ====================

Each module has a typed settings dataclass (``CamSettings`` ...), validated
once and built from an mm ``Config`` section with ``from_config``, and a plain
function (``run_cam(settings)`` ...) that does the work. Modules are imported
by name (``from mmwsss.stages.cam import run_cam``); this package imports
nothing on its own.
"""
