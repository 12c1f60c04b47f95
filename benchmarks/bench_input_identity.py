"""Benchmark: what identifying a stage's input data costs (issue 20 item 4).

    python benchmarks/bench_input_identity.py [--num-files 10000] \\
        [--kbytes 100] [--repeats 3] [--out-json result.json]

Makes ``--num-files`` files of ``--kbytes`` KB (VOC JPEGs are about 100 KB)
in a temporary folder and times three ways of fingerprinting the folder, as
:class:`mmwsss.pipeline.PipelineRunner` does before every stage:

* **size+mtime**: names, sizes and mtimes (the pipeline's digest before
  issue 20, blind to an edit that keeps size and mtime, ``touch -r``);
* **stat**: :func:`mmwsss.pipeline.pipeline_runner.data_digest`, names,
  sizes, mtimes, ctimes and inodes (what the pipeline uses now; ``touch -r``
  cannot set a ctime back);
* **sha256**: the sha256 of every file's content.

Each is timed warm (the files in the page cache, as right after they were
written) ``--repeats`` times; the median is printed with the ratios to
size+mtime. A cold cache (a fresh boot, another machine's disk) makes
sha256 slower still, the stat-based digests hardly. Nothing is asserted.
"""
import argparse
import hashlib
import json
import os
import os.path as osp
import shutil
import statistics
import sys
import tempfile
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmwsss.pipeline.pipeline_runner import _sha, data_digest  # noqa: E402


def size_mtime_digest(path):
    entries = []
    for root, dirs, files in os.walk(path):
        dirs.sort()
        for name in sorted(files):
            st = os.stat(osp.join(root, name))
            entries.append([name, st.st_size, st.st_mtime_ns])
    return _sha(entries)


def sha256_digest(path):
    entries = []
    for root, dirs, files in os.walk(path):
        dirs.sort()
        for name in sorted(files):
            h = hashlib.sha256()
            with open(osp.join(root, name), 'rb') as f:
                for block in iter(lambda: f.read(1 << 20), b''):
                    h.update(block)
            entries.append([name, h.hexdigest()])
    return _sha(entries)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--num-files', type=int, default=10000)
    p.add_argument('--kbytes', type=int, default=100)
    p.add_argument('--repeats', type=int, default=3)
    p.add_argument('--out-json')
    args = p.parse_args(argv)
    folder = tempfile.mkdtemp(prefix='bench_identity_')
    try:
        payload = os.urandom(args.kbytes * 1024)
        for i in range(args.num_files):
            with open(osp.join(folder, f'{i:06d}.jpg'), 'wb') as f:
                f.write(payload)
        times = {}
        for name, fn in (('size+mtime', size_mtime_digest),
                         ('stat', data_digest), ('sha256', sha256_digest)):
            fn(folder)  # warm
            runs = []
            for _ in range(args.repeats):
                t0 = time.perf_counter()
                fn(folder)
                runs.append(time.perf_counter() - t0)
            times[name] = statistics.median(runs)
    finally:
        shutil.rmtree(folder)
    base = times['size+mtime']
    print(f'{args.num_files} files of {args.kbytes} KB, median of '
          f'{args.repeats} warm runs:')
    for name, t in times.items():
        print(f'  {name:10s} {t:7.3f} s  ({t / base:5.1f} x size+mtime)')
    if args.out_json:
        with open(args.out_json, 'w') as f:
            json.dump(dict(vars(args), seconds=times), f, indent=2)
    return times


if __name__ == '__main__':
    main()
