# The demo (`make demo`): every stage on CPU on the procedural toy data.
# Run: python tools/run_pipeline.py configs/pipelines/toy_pipeline.py
work_dir = 'work_dirs/demo'
# stages whose inputs are ready run side by side, 2 at a time, one thread
# each (the saliency branch beside classify -> cam -> expand; the two
# segmenters): on 2 cores that is about 1.5x faster than one after the other
jobs = 2

data = dict(
    # build the toy data first (stage "data"); None for a real dataset
    toy=dict(out='data/toy', seed=0, num_images=300, size=160),
    voc_root='data/toy/VOC2012',   # VOC layout: images, GT, lists, labels
    duts_root='data/toy/DUTS',     # DUTS-TR / DUTS-TE for the SOD net
    classes='toy',
    cam_split='train_aug',   # images that get pseudo-labels (seg training)
    eval_split='train',      # pseudo-label quality is measured here (GT)
)

# stage classify: the CAM classifier (mmpretrain scope): frozen ImageNet
# EfficientNet-Lite0 features and a linear CAM head (the [pretrained] extra)
classify = dict(
    config='configs/cam/cam_lite0-frozen-s16_1xb8-10e_toy-160x160.py',
    cfg_options=dict())
# stage cam: CAMs at these scales, plus the mirrored image
cam = dict(scales=[1.0, 0.5, 1.5, 2.0], flip=True)
# stage expand: method 'irn' (IRN's relation network + random walk), 'par'
# (pixel-adaptive refinement), 'crf' (dense CRF, needs the [crf] extra) or
# 'none'; cam_thr='best' takes the best threshold of the CAM sweep
# (cam_eval.json; the threshold of par / crf / none). See docs/expand.md.
expand = dict(
    method='irn',
    cam_thr='best',
    # the relation network on its own frozen ImageNet Lite0 (5 levels)
    config='configs/irn/irn_lite0_1xb8-10e_toy-160x160.py',
    cfg_options=dict(),
    backbone_from_classify=False,
    # IRN's label CRF (the [crf] extra); thresholds relative to the CAM
    # sweep's best one, as the Lite0 CAMs are broad (best about 0.6 where
    # IRN's ResNet-50 CAMs have 0.30 / 0.05 around VOC's best 0.15)
    relation=dict(relation_fg_thr='best+0.2', relation_bg_thr='best-0.2',
                  refine='crf'),
    # 2 ** exp_times = 16 steps on a map of ref_cells = 40 x 40 cells (a
    # 160 px image at stride 4), in proportion to the cells on other sizes
    # (IRN: 256 steps whatever the size, bg 0.25)
    walk=dict(beta=10, exp_times=4, ref_cells=1600, radius=5,
              walk_bg_thr='best+0.1'))
# stage saliency: the RGB-SOD net (mmseg scope)
saliency = dict(config='configs/sod/rgbsod_r18-w16_1xb8-800_toy-160x160.py',
                cfg_options=dict())
# stage select: the selector (mmwsss.stages.select.SelectSettings); the
# soft rule's fused-score threshold fuse_thr defaults to 'best' (the CAM
# sweep's)
select = dict(mode='hard')
# stage segment: the segmenter, trained once on the expand stage's labels
# (segment_expand), once on the select stage's fused labels (segment_select)
segment = dict(
    config='configs/seg/deeplabv3plus_r18w32-d16_1xb8-1200_toy-pseudo-64x64.py',
    cfg_options=dict())
report = dict(num_samples=8)
