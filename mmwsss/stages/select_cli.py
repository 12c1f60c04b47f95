"""The flags of the select tools (``tools/run_select.py``,
``tools/class_salience.py``, ``tools/sweep_selector.py``) and the
:class:`~mmwsss.stages.select.SelectSettings` they make. Every default is
None so the config section (``--stage-config``) can fill it."""
from mmwsss.selector import ALPHA_STAR_KINDS, MODES
from mmwsss.utils.renamed_keys import add_renamed_flags

from .select import SELECTOR_KEYS, SelectSettings


def add_cli_args(parser, selector=True):
    """Inputs (and selector settings) as flags."""
    parser.add_argument('--data-root', required=True,
                        help='VOC-style root (ImageSets, cls_labels.npy)')
    parser.add_argument('--split', required=True,
                        help='split name (ImageSets/Segmentation/<split>.txt)'
                        ' or a list file')
    parser.add_argument('--pseudo-dir', required=True,
                        help='pseudo-labels, <id>.png (any method)')
    parser.add_argument('--sal-dir', required=True,
                        help='saliency maps, <id>.png (uint8)')
    parser.add_argument('--sal-suffix')
    parser.add_argument('--cam-dir', help='stage-cam CAMs <id>.npz (soft '
                        'mode; without them the class region is a 0/1 map)')
    parser.add_argument('--cls-labels', help='image-level labels (default '
                        '<data-root>/cls_labels.npy)')
    parser.add_argument('--labels-from-gt', action='store_true',
                        help='derive image-level labels from the GT masks')
    parser.add_argument('--gt-dir', help='GT masks (default <data-root>/'
                        'SegmentationClassAug)')
    parser.add_argument('--num-classes', type=int,
                        help='foreground classes (with --labels-from-gt '
                        'when there is no cls_labels.npy)')
    parser.add_argument('--nproc', '--workers', dest='nproc', type=int,
                        help='worker processes per rank (0 = in-process); '
                        'under torchrun spell it --workers')
    parser.add_argument('--stage-config', help='config file with a '
                        '`select` section (e.g. a pipeline config)')
    if not selector:
        return
    g = parser.add_argument_group('selector (defaults: the `select` '
                                  'section, else mmwsss.selector)')
    g.add_argument('--mode', choices=list(MODES),
                   help='hard: Algorithm 1; soft: the alpha* rule; '
                   'threshold: replace when the IoU reaches --alpha (the '
                   'paper\'s Table 3)')
    g.add_argument('--t0', type=float)
    g.add_argument('--t1', type=float)
    g.add_argument('--salience-thr', type=float,
                   help='a class is salient when n_c >= this')
    g.add_argument('--sal-mask-thr', type=float,
                   help='the saliency mask P_S = saliency >= this (in '
                   '(0, 1])')
    g.add_argument('--tau', type=float,
                   help='soft mode: alpha* is 0 when its score is below tau '
                   '(default 0.5 for mean, 1.0 for paper)')
    g.add_argument('--alpha-star', choices=list(ALPHA_STAR_KINDS),
                   help='soft mode: mean (o + n_c) / 2 (default) or paper '
                   '(o + n_c, clipped to [0, 1] to blend)')
    g.add_argument('--alpha', type=float,
                   help='threshold mode: the selection threshold in [0, 1]')
    g.add_argument('--weight', type=float,
                   help='soft mode: a fixed blend weight instead of alpha*')
    g.add_argument('--fuse-thr', type=float,
                   help='soft mode: foreground threshold of the fused score')
    add_renamed_flags(parser, {'--bg-thr': '--fuse-thr',
                               '--sal-thr': '--sal-mask-thr',
                               '--salient-thr': '--salience-thr'})


def settings_from_args(args, **extra):
    """:class:`SelectSettings` from the ``select`` section of
    ``--stage-config`` and the flags of :func:`add_cli_args`."""
    section = None
    if getattr(args, 'stage_config', None):
        from .settings import load_section
        section = load_section(args.stage_config, 'select')
    keys = ('data_root', 'split', 'pseudo_dir', 'sal_dir', 'sal_suffix',
            'cam_dir', 'cls_labels', 'gt_dir', 'num_classes', 'nproc',
            *SELECTOR_KEYS)
    values = {k: getattr(args, k, None) for k in keys}
    values['labels_from_gt'] = getattr(args, 'labels_from_gt', None) or None
    values.update(extra)
    return SelectSettings.from_config(section, **values)


