"""VOC-sized synthetic inputs and whole-process measurement, shared by
``bench_eval.py`` and ``bench_fuse.py`` (not a benchmark itself).

``generate`` writes, for each image id, 500x375 files in the VOC layout:

* ``VOC2012/SegmentationClassAug/<id>.png``: ground truth, palette PNG, one
  or two objects with a 255 band along their outline (as VOC's masks);
* ``VOC2012/pseudo/<id>.png``: a pseudo-label, palette PNG, the objects
  shifted and resized a little, with its own 255 band (a stage-3 output);
* ``VOC2012/saliency/<id>.png``: grey saliency map, soft edges;
* ``VOC2012/cls_labels.npy`` (~70 % single-class images), ``norms.json``
  (class salience) and the split list ``ImageSets/Segmentation/all.txt``.

``measure`` runs a command as a fresh process and returns its wall time,
start-up included, its CPU time (user + system) and its peak RSS
(``wait4``'s ``ru_maxrss`` and times: the process and the children it
waited for). On a machine shared with other jobs the CPU time is the
steadier of the two.
"""
import json
import os
import os.path as osp
import subprocess
import tempfile
import time

import numpy as np

W, H = 500, 375
NUM_CLASSES = 20


def _ellipse(img, centre, axes, value, thickness=-1):
    import cv2
    cv2.ellipse(img, (int(round(centre[1])), int(round(centre[0]))),
                (max(1, int(round(axes[1]))), max(1, int(round(axes[0])))),
                0, 0, 360, int(value), thickness)


def make_scene(rng):
    """``(gt, pseudo, saliency, img_label)`` of one 375 x 500 image."""
    import cv2
    gt = np.zeros((H, W), np.uint8)
    pseudo = np.zeros((H, W), np.uint8)
    sal = np.zeros((H, W), np.uint8)
    n_obj = 1 if rng.random() < 0.7 else 2
    classes = rng.choice(NUM_CLASSES, size=n_obj, replace=False) + 1
    for c in classes:
        cy, cx = rng.uniform(0.25, 0.75) * H, rng.uniform(0.25, 0.75) * W
        ry, rx = rng.uniform(0.1, 0.3) * H, rng.uniform(0.1, 0.3) * W
        # ground truth: the object and a 255 band (~5 px) along its outline
        _ellipse(gt, (cy, cx), (ry, rx), c)
        _ellipse(gt, (cy, cx), (ry, rx), 255, thickness=5)
        # the pseudo-label: the object moved and scaled a little
        py, px = cy + rng.normal(0, 0.1) * ry, cx + rng.normal(0, 0.1) * rx
        s = rng.uniform(0.8, 1.2)
        _ellipse(pseudo, (py, px), (s * ry, s * rx), c)
        _ellipse(pseudo, (py, px), (s * ry, s * rx), 255, thickness=3)
        # saliency: the object shifted a little, soft edge
        _ellipse(sal, (cy + 0.1 * ry, cx), (1.1 * ry, 1.05 * rx), 255)
    sal = cv2.blur(sal, (15, 15))              # soft edge
    img_label = np.zeros(NUM_CLASSES, np.float32)
    img_label[classes - 1] = 1
    return gt, pseudo, sal, img_label


REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def tool_path(name):
    """``tools/<name>`` of this repository."""
    path = osp.join(REPO, 'tools', name)
    if not osp.isfile(path):
        raise FileNotFoundError(path)
    return path


def voc_palette():
    """The VOC colour map (256 x 3, bit-interleaved class index)."""
    pal = np.zeros((256, 3), np.uint8)
    for i in range(256):
        c, r, g, b = i, 0, 0, 0
        for j in range(8):
            r |= ((c >> 0) & 1) << (7 - j)
            g |= ((c >> 1) & 1) << (7 - j)
            b |= ((c >> 2) & 1) << (7 - j)
            c >>= 3
        pal[i] = r, g, b
    return pal


_PALETTE = voc_palette().reshape(-1).tolist()


def save_palette_png(path, label):
    from PIL import Image
    img = Image.fromarray(label, mode='P')
    img.putpalette(_PALETTE)
    img.save(path, format='PNG')


def _write_one(job):
    import cv2
    from PIL import Image
    cv2.setNumThreads(1)
    voc, img_id, seed, i = job
    gt, pseudo, sal, img_label = make_scene(np.random.default_rng([seed, i]))
    save_palette_png(osp.join(voc, 'SegmentationClassAug', f'{img_id}.png'),
                     gt)
    save_palette_png(osp.join(voc, 'pseudo', f'{img_id}.png'), pseudo)
    Image.fromarray(sal, mode='L').save(
        osp.join(voc, 'saliency', f'{img_id}.png'), format='PNG')
    return img_id, img_label


def generate(root, num_images, seed=0, workers=2):
    """Write ``num_images`` scenes under ``root/VOC2012``; returns
    ``(voc folder, ids)``."""
    from multiprocessing import get_context
    voc = osp.join(root, 'VOC2012')
    for d in ('ImageSets/Segmentation', 'SegmentationClassAug', 'pseudo',
              'saliency'):
        os.makedirs(osp.join(voc, d), exist_ok=True)
    ids = [f'b{i:06d}' for i in range(num_images)]
    jobs = [(voc, img_id, seed, i) for i, img_id in enumerate(ids)]
    if workers > 1:
        with get_context('fork').Pool(workers) as pool:
            cls = dict(pool.imap(_write_one, jobs, chunksize=16))
    else:
        cls = dict(map(_write_one, jobs))
    np.save(osp.join(voc, 'cls_labels.npy'), cls)
    write_split(voc, 'all', ids)
    # class salience: most classes salient, the last few not
    norms = [1.0 - 0.03 * k for k in range(NUM_CLASSES)]
    with open(osp.join(voc, 'norms.json'), 'w') as f:
        json.dump(dict(num_classes=NUM_CLASSES, norms=norms), f)
    return voc, ids


def write_split(voc, name, ids):
    with open(osp.join(voc, 'ImageSets', 'Segmentation', f'{name}.txt'),
              'w') as f:
        f.write('\n'.join(ids) + '\n')


def measure(cmd, env=None):
    """Run ``cmd`` (argv list) as a fresh process: ``dict(wall_s,
    peak_rss_mb, stdout)``, start-up included. Raises on a non-zero exit."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=err)
        # wait4: the rusage of this child (and of the children it reaped)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if proc.returncode != 0:
        raise RuntimeError(f'{" ".join(cmd)} exited {proc.returncode}:\n'
                           f'{stderr[-4000:]}')
    return dict(wall_s=wall, cpu_s=usage.ru_utime + usage.ru_stime,
                peak_rss_mb=usage.ru_maxrss / 1024, stdout=stdout)


def tool_env(repo):
    """The environment of the measured processes: the repo first on the
    path, one thread."""
    env = dict(os.environ)
    env['PYTHONPATH'] = repo + os.pathsep + env.get('PYTHONPATH', '')
    env.setdefault('OMP_NUM_THREADS', '1')
    return env


def add_common_args(parser, what):
    """The options both whole-process benchmarks take."""
    parser.add_argument('--num-images', type=int, default=10582,
                        help=f'{what} to generate (default 10582, VOC '
                        'train_aug)')
    parser.add_argument('--small', type=int, default=1000,
                        help='the smaller run for the RSS check')
    parser.add_argument('--repeats', type=int, default=1,
                        help='alternate bare/tool runs this many times and '
                        'keep the fastest of each')
    parser.add_argument('--gen-workers', type=int, default=2)
    parser.add_argument('--tmp-dir', default=None)
    parser.add_argument('--out-json', default=None)


def prepare(tmp, args, what):
    """Generate ``args.num_images`` inputs in ``tmp`` and the ``small``
    split of the first ``args.small``; returns ``(voc, ids, small)``."""
    t = time.perf_counter()
    voc, ids = generate(tmp, args.num_images, workers=args.gen_workers)
    small = min(args.small, len(ids))
    write_split(voc, 'small', ids[:small])
    print(f'generated {len(ids)} {what} of 500x375 in '
          f'{time.perf_counter() - t:.1f} s')
    return voc, ids, small


def summarize(bare_runs, tool_runs, tool_small, num_images, small,
              bare_name, tool_name, out_json=None, note='', target=1.2,
              **extra):
    """Ratio of the fastest tool run to the fastest bare run, per-image
    times and peak RSS (the tool on ``small`` and on all images); prints
    them, writes ``out_json`` and returns the dict."""
    b = min(r['wall_s'] for r in bare_runs)
    t = min(r['wall_s'] for r in tool_runs)
    bc = min(r['cpu_s'] for r in bare_runs)
    tc = min(r['cpu_s'] for r in tool_runs)
    result = dict(
        num_images=num_images, size=[500, 375], **extra,
        bare_wall_s=b, tool_wall_s=t, ratio=t / b,
        bare_cpu_s=bc, tool_cpu_s=tc, cpu_ratio=tc / bc,
        run_ratios=[round(x['wall_s'] / y['wall_s'], 3)
                    for x, y in zip(tool_runs, bare_runs)],
        run_cpu_ratios=[round(x['cpu_s'] / y['cpu_s'], 3)
                        for x, y in zip(tool_runs, bare_runs)],
        bare_ms_per_image=1000 * b / num_images,
        tool_ms_per_image=1000 * t / num_images,
        tool_peak_rss_mb={str(small): tool_small['peak_rss_mb'],
                          str(num_images): tool_runs[0]['peak_rss_mb']},
        bare_peak_rss_mb=bare_runs[0]['peak_rss_mb'])
    width = max(len(bare_name), len(tool_name)) + 1
    print(f'{bare_name + ":":<{width}} {b:.2f} s '
          f'({result["bare_ms_per_image"]:.2f} ms/image)\n'
          f'{tool_name + ":":<{width}} {t:.2f} s '
          f'({result["tool_ms_per_image"]:.2f} ms/image)\n'
          f'ratio tool/bare: {t / b:.2f} wall, {tc / bc:.2f} CPU '
          f'({note}target <= {target})\n'
          f'peak RSS of the tool: {tool_small["peak_rss_mb"]:.0f} MB for '
          f'{small} images, {tool_runs[0]["peak_rss_mb"]:.0f} MB for '
          f'{num_images} (target <= 200 MB, flat); bare: '
          f'{bare_runs[0]["peak_rss_mb"]:.0f} MB')
    if out_json:
        with open(out_json, 'w') as f:
            json.dump(result, f, indent=2)
    return result
