"""Inference APIs: one model loader and inference path per model kind.

* :mod:`.classifier`: the stage-1 CAM classifier (mmpretrain
  ``ImageClassifier`` + ``CAMHead``) as a function image -> CAMs;
* :mod:`.saliency_model`: the stage-4 SOD net (mmseg) as image -> saliency;
* :mod:`.segmenter`: a stage-6 segmenter (mmseg) as image -> label map.

Each loader imports :mod:`mmwsss.mm_components` (registration and the
compatibility fixes) itself. Import the modules by name.
"""
