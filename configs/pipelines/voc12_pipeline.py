# Every stage on PASCAL VOC 2012 (+ SBD train_aug) and DUTS, on GPUs:
#   python tools/run_pipeline.py configs/pipelines/voc12_pipeline.py \
#       --launcher pytorch --nproc 8
# Expected layout: data/VOCdevkit/VOC2012/{JPEGImages, SegmentationClassAug,
# ImageSets/Segmentation/{train,train_aug,val}.txt, cls_labels.npy} and
# data/DUTS/{DUTS-TR,DUTS-TE}. ImageNet / Swin weights come from the stage
# configs' init_cfg.
work_dir = 'work_dirs/voc12_pipeline'
jobs = 1   # one stage at a time: each takes all GPUs (--nproc)

data = dict(
    toy=None,
    voc_root='data/VOCdevkit/VOC2012',
    duts_root='data/DUTS',
    classes='voc',
    cam_split='train_aug',
    eval_split='train',
)
classify = dict(config='configs/cam/cam_r50-s16_1xb16-5e_voc12aug-512x512.py',
                cfg_options=dict())
cam = dict(scales=[1.0, 0.5, 1.5, 2.0], flip=True)
# stage expand: IRN's learned expansion (relation labels -> relation network
# on ImageNet ResNet-50 -> random walk), IRN's values: the relation labels
# from CAMs thresholded at 0.30 / 0.05, each map smoothed by IRN's dense
# label CRF first (cam_to_ir_label in IRN's code; needs
# `pip install -e '.[crf]'`); method='par' is the training-free alternative
# (see docs/expand.md)
expand = dict(
    method='irn',
    cam_thr='best',
    config='configs/irn/irn_r50_1xb32-3e_voc12aug-512x512.py',
    cfg_options=dict(),
    backbone_from_classify=False,   # IRN: frozen ImageNet weights
    relation=dict(relation_fg_thr=0.30, relation_bg_thr=0.05, refine='crf'),
    walk=dict(beta=10, exp_times=8, radius=5, walk_bg_thr=0.25, device='cuda'),
    nproc=8)
saliency = dict(config='configs/sod/rgbsod_swin-b-p4-w12_4xb8-13k_duts-384x384.py',
                cfg_options=dict())
select = dict(mode='hard', nproc=8)
# stage segment: the paper's best row (ResNeSt-269) with RS+EPM's segmenter
# recipe (docs/segmentation.md); its test protocol (0.5-2 x flip + CRF) runs
# with `tools/test.py CONFIG CKPT --tta`
segment = dict(
    config='configs/seg/deeplabv3plus_s269-d16-fbn-gn_4xb8-16.5k_voc12aug-pseudo-512x512.py',
    cfg_options=dict())
report = dict(num_samples=12)
