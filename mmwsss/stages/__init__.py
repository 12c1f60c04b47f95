"""The stages of the method, one module each, named as in every other layer
(config section, tool, pipeline stage, report, docs):

=========  ==========================  ====================================
stage      module (steps)              tool
=========  ==========================  ====================================
classify   :mod:`.classify` (train,     ``tools/train.py``, ``tools/test.py``
           test)
cam        :mod:`.cam` (cam, eval)     ``tools/run_cam.py``,
                                       ``tools/eval_cam.py``
expand     :mod:`.expand` (expand,     ``tools/run_expand.py``
           train, eval)
saliency   :mod:`.saliency` (train,    ``tools/run_saliency.py``
           test, infer)
select     :mod:`.select` (salience,   ``tools/run_select.py``,
           fuse, eval, sweep)          ``tools/sweep_selector.py``
segment    :mod:`.segment` (train,     ``tools/train.py``, ``tools/test.py``
           test, samples)
=========  ==========================  ====================================

Every module runs one step from a settings file, ``python -m
mmwsss.stages.<stage> SETTINGS.json`` (:mod:`.entry`); the pipeline
launches them. The shared steps: :mod:`.training` (train / test through
mmengine's ``Runner``), :mod:`.evaluate` (CAM and label scores).

Each module has a typed settings dataclass (``CamSettings`` ...), validated
once and built from an mm ``Config`` section with ``from_config``, and a plain
function (``run_cam(settings)`` ...) that does the work. Modules are imported
by name (``from mmwsss.stages.cam import run_cam``); this package imports
nothing on its own.
"""
