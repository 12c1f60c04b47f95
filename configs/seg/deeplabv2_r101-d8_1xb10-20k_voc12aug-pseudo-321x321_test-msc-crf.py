# deeplab-pytorch's released test of the DeepLab-v2 recipe (paper Table 1,
# row "ResNet101"), for a model trained with
# deeplabv2_r101-d8_1xb10-20k_voc12aug-pseudo-321x321.py:
#   python tools/test.py <this config> <checkpoint> --tta
# * the image at scales 1, 0.75 and 0.5, no flip (libs/models/msc.py:21-24
#   and libs/models/__init__.py:33-39: MSC(scales=[0.5, 0.75]) next to the
#   original);
# * the pixel-wise max of the three logit maps (msc.py:40-42), softmax
#   (main.py:384);
# * a dense CRF with DeepLab's settings (configs/voc12.yaml:52-58; main.py
#   crf(): 10 iterations, Gaussian weight 3 / std 1, bilateral weight 4 /
#   xy std 67 / rgb std 3). Needs `pip install -e '.[crf]'` (pydensecrf2).
# Without --tta, tools/test.py runs one scale without CRF.
_base_ = './deeplabv2_r101-d8_1xb10-20k_voc12aug-pseudo-321x321.py'
test_scales = [1.0, 0.75, 0.5]
tta_pipeline = [
    dict(type='LoadImageFromFile', backend_args=None),
    dict(
        type='TestTimeAug',
        transforms=[[
            dict(type='Resize', scale_factor=r, keep_ratio=True)
            for r in test_scales
        ], [dict(type='LoadAnnotations')], [dict(type='PackSegInputs')]])
]
# DeepLab's CRF settings as in the training config's `crf`, switched on
tta_model = dict(
    type='CRFSegTTAModel',
    merge='max_logits',
    crf=dict(enabled=True, num_iter=10, pos_w=3.0, pos_xy_std=1.0,
             bi_w=4.0, bi_xy_std=67.0, bi_rgb_std=3.0))
