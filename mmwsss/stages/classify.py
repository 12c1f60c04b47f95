"""Stage classify: the CAM classifier (mmpretrain scope), trained from its
config, then tested (the metrics JSON the pipeline reads).

    python -m mmwsss.stages.classify SETTINGS.json

Steps ``train`` (:class:`~mmwsss.stages.training.TrainSettings`) and
``test`` (:class:`~mmwsss.stages.training.TestSettings`); see
:mod:`mmwsss.stages.entry` for the settings file. By hand:
``tools/train.py`` / ``tools/test.py`` over the same functions.
"""
from .entry import Step, run_step_file
from .training import TestSettings, TrainSettings, run_test, run_train

STEPS = dict(train=Step(TrainSettings, run_train, init_dist=False),
             test=Step(TestSettings, run_test, init_dist=False))

if __name__ == '__main__':
    run_step_file('classify', STEPS)
