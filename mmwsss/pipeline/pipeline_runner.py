"""Run the WSSS stages in order, each as commands of its stage module, with
a manifest.

Every stage is a list of commands, each run as ``python <command>`` in a
subprocess of its own (the pipeline's are steps of the stage modules,
``-m mmwsss.stages.<stage> SETTINGS.json``, :mod:`.wsss_stages`), plus where
its metrics are read from. The manifest (``<work_dir>/manifest.json``)
records, per stage, a fingerprint of everything that determines its outputs
(its settings, the content of the configs it uses, the fingerprints of the
stages it reads from, and its input data: every file or folder outside the
work folder named in its commands or ``inputs``, identified by the names,
sizes, mtimes, ctimes and inodes of the files under it, so a fixed image or
label file reruns the stages that read it, even one rewritten with its old
size and mtime) and whether it finished, with the number of files in each
output:

* finished with the same fingerprint and its outputs all there -> skipped;
* finished, same fingerprint, but an output folder gone or holding fewer
  files than it did -> run again (it resumes);
* started but not finished, same fingerprint -> run again; the steps
  resume by themselves (per-image outputs that exist are skipped, training
  continues from the last checkpoint);
* fingerprint changed (a config or setting changed, or an upstream stage was
  rerun) -> its outputs are deleted and it is run from scratch.

With ``jobs > 1`` stages whose upstream stages have finished run side by
side (e.g. the saliency branch beside classify -> cam -> expand), each with
``cpu_count // jobs`` threads (``OMP_NUM_THREADS``), fixed per run, so a
rerun with the same ``jobs`` gives the same numbers. With ``nproc > 1`` the
commands marked ``distributed`` run under ``torchrun`` (``--launcher
pytorch`` added). The package's folder is put first on ``PYTHONPATH``, and
the commands run in the caller's working directory.

One run at a time: :meth:`PipelineRunner.run` locks the work folder
(``<work_dir>/.mmwsss.lock``, :func:`mmwsss.utils.sharding.lock_folder`).
Each command runs in its own process group; SIGINT / SIGTERM to the
pipeline are forwarded to those groups, no new stage starts, and the run
ends once they have.

What a stage is: :mod:`.stage`; the digests of the fingerprint and the
output counts: :mod:`.fingerprints`.
"""
import json
import os
import os.path as osp
import shutil
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

from mmwsss.utils.io import atomic_write

from .console import Progress
# re-exported: tests, benchmarks and the stage builders import them here
from .fingerprints import (DIGEST_VERSION, INPUT_FLAGS, _sha,  # noqa: F401
                           data_digest, file_digest, missing_outputs,
                           output_counts)
from .stage import Command, LazyArg, Stage  # noqa: F401


class PipelineRunner:
    """Run stages with a manifest; see the module docstring."""

    def __init__(self, work_dir, stages, nproc=1, env=None, log=print,
                 jobs=1):
        self.work_dir = work_dir
        self.stages = stages
        self.nproc = nproc
        self.jobs = max(1, int(jobs))
        self.env = dict(env or {})
        if self.jobs > 1:
            threads = str(max(1, (os.cpu_count() or 1) // self.jobs))
            for var in ('OMP_NUM_THREADS', 'MKL_NUM_THREADS'):
                self.env.setdefault(var, threads)
        self.log = log
        # manifest writes and fingerprints (mmengine's config loading is not
        # thread-safe) happen one thread at a time
        self._lock = threading.RLock()
        self.manifest_path = osp.join(work_dir, 'manifest.json')
        self._children = set()  # running stage processes (signals)
        self._stopping = None   # the signal that stops the run
        self.manifest = self._load_manifest()
        self._digests = {}

    # -- manifest ---------------------------------------------------------
    def _load_manifest(self):
        if osp.isfile(self.manifest_path):
            with open(self.manifest_path) as f:
                try:
                    return json.load(f)
                except json.JSONDecodeError as e:
                    raise ValueError(f'{self.manifest_path}: corrupt manifest '
                                     f'({e}); delete it to start over') from e
        return dict(stages={})

    def _save_manifest(self):
        os.makedirs(self.work_dir, exist_ok=True)
        with atomic_write(self.manifest_path) as tmp:
            with open(tmp, 'w') as f:
                json.dump(self.manifest, f, indent=2, sort_keys=True)

    def fingerprint(self, stage, legacy=False):
        stages = self.manifest['stages']
        deps = {d: stages.get(d, {}).get('fingerprint') for d in stage.deps}
        if legacy:  # as a manifest before DIGEST_VERSION 2 recorded it
            deps = {d: stages.get(d, {}).get('legacy_fingerprint', fp)
                    for d, fp in deps.items()}
        configs = {c: file_digest(c) for c in stage.config_files}
        data = {p: self._data_digest(p, legacy)
                for p in self.input_paths(stage)}
        return _sha(dict(settings=stage.settings, deps=deps, configs=configs,
                         commands=stage.commands, data=data))

    def input_paths(self, stage):
        """Input data of a stage: its ``inputs``, the values of the input
        flags (:data:`INPUT_FLAGS`) of its commands and the ``data_root=``
        overrides of its training configs; existing paths only, less
        anything in the work folder or a stage's outputs (covered by the
        fingerprints of the stages that make them)."""
        work = osp.abspath(self.work_dir)
        owned = [work] + [osp.abspath(o) for st in self.stages
                          for o in st.outputs]
        named = list(stage.inputs)
        for command in stage.commands:
            command = [a for a in command if not isinstance(a, LazyArg)]
            for flag, value in zip(command, command[1:]):
                if str(flag) in INPUT_FLAGS:
                    named.append(str(value))
            for arg in map(str, command):
                key, sep, value = arg.partition('=')
                if sep and key.endswith(('data_root', 'ann_file')):
                    named.append(value)
        paths = []
        for arg in named:
            if not osp.exists(arg):
                continue
            full = osp.abspath(arg)
            if any(full == o or full.startswith(o + os.sep) for o in owned):
                continue
            if full not in paths:
                paths.append(full)
        return sorted(paths)

    def _data_digest(self, path, legacy=False):
        if (path, legacy) not in self._digests:
            self._digests[path, legacy] = data_digest(path, legacy)
        return self._digests[path, legacy]

    def _record(self, name, entry=None, **fields):
        """Set (``entry``) or update (``fields``) one stage's manifest entry
        and save the manifest; one thread at a time."""
        with self._lock:
            if entry is not None:
                self.manifest['stages'][name] = entry
            self.manifest['stages'][name].update(fields)
            self._save_manifest()

    # -- running ----------------------------------------------------------
    def _argv(self, stage, command):
        if self.nproc > 1 and (getattr(command, 'distributed', False)
                               or command[0] in stage.torchrun):
            # one port per stage: stages may run side by side (jobs > 1)
            port = str(29500 + (os.getpid() % 500) * 8
                       + self.stages.index(stage) % 8)
            return [sys.executable, '-m', 'torch.distributed.run',
                    f'--nproc_per_node={self.nproc}', f'--master_port={port}',
                    command[0], *command[1:], '--launcher', 'pytorch']
        return [sys.executable, *command]

    def _run_command(self, stage, command, log_file):
        argv = [str(a) for a in self._argv(stage, command)]
        env = dict(os.environ, **self.env)
        repo = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
        env['PYTHONPATH'] = repo + os.pathsep + env.get('PYTHONPATH', '')
        self.log(f'  $ {" ".join(argv)}')
        with open(log_file, 'a') as log:
            log.write(f'\n$ {" ".join(argv)}\n')
            log.flush()
            with self._lock:
                if self._stopping:
                    raise RuntimeError(f'stage "{stage.name}" not started: '
                                       'the run is stopping')
                # its own process group: a signal to the pipeline is
                # forwarded to the whole group (torchrun's ranks included)
                proc = subprocess.Popen(argv, stdout=log,
                                        stderr=subprocess.STDOUT, env=env,
                                        start_new_session=True)
                self._children.add(proc)
            try:
                proc.wait()
            finally:
                with self._lock:
                    self._children.discard(proc)
        if self._stopping:
            raise RuntimeError(
                f'stage "{stage.name}" stopped by '
                f'{signal.Signals(self._stopping).name} (exit '
                f'{proc.returncode})')
        if proc.returncode != 0:
            with open(log_file) as f:
                tail = f.read()[-4000:]
            raise RuntimeError(
                f'stage "{stage.name}" failed (exit {proc.returncode}) in: '
                f'{" ".join(argv)}\n--- last lines of {log_file} ---\n{tail}')

    def _forward_signal(self, signum, frame):
        """SIGINT / SIGTERM: passed to every running stage's process group;
        no new stage starts; :meth:`run` waits for them, then stops."""
        self._stopping = signum
        for proc in list(self._children):
            try:
                os.killpg(proc.pid, signum)
            except ProcessLookupError:
                pass

    def run(self, only=None):
        """Run all stages (or the names in ``only``): in pipeline order, or,
        with ``jobs > 1``, each as soon as the stages it reads from have
        finished. The first failure stops new stages from starting; those
        running finish, then it is raised.

        The work folder is locked for the run
        (:func:`mmwsss.utils.sharding.lock_folder`). SIGINT / SIGTERM are
        forwarded to the running stages' process groups; the run waits for
        them to end and raises ``RuntimeError`` naming the signal."""
        from mmwsss.utils.sharding import lock_folder
        names = [s.name for s in self.stages]
        for name in only or ():
            if name not in names:
                raise ValueError(f'unknown stage "{name}"; stages: {names}')
        lock_folder(self.work_dir)
        self._stopping = None
        handlers = {}
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                handlers[sig] = signal.signal(sig, self._forward_signal)
        try:
            return self._run_all(only)
        finally:
            for sig, handler in handlers.items():
                signal.signal(sig, handler)

    def _run_all(self, only):
        os.makedirs(osp.join(self.work_dir, 'logs'), exist_ok=True)
        self._digests = {}
        todo = [s for s in self.stages if not only or s.name in only]
        self.progress = Progress(
            [s.name for s in todo], jobs=self.jobs,
            previous={n: e.get('seconds') for n, e in
                      self.manifest['stages'].items()})
        pending = {s.name for s in todo}
        running, error = {}, None
        with ThreadPoolExecutor(max_workers=self.jobs) as pool:
            while todo or running:
                ready = [s for s in todo
                         if not pending.intersection(s.deps)] \
                    if not (error or self._stopping) else []
                for stage in ready[:self.jobs - len(running)]:
                    todo.remove(stage)
                    running[pool.submit(self._run_stage, stage)] = stage
                if not running:
                    if todo and not (error or self._stopping):
                        raise RuntimeError(
                            'stages wait on each other: '
                            f'{[s.name for s in todo]}')
                    break
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    stage = running.pop(future)
                    pending.discard(stage.name)
                    if future.exception() is not None and error is None:
                        error = future.exception()
        if self._stopping:
            raise RuntimeError(
                f'stopped by {signal.Signals(self._stopping).name}: the '
                'running stages were stopped and have ended')
        if error is not None:
            raise error
        return self.manifest

    def _run_stage(self, stage):
        with self._lock:
            fp = self.fingerprint(stage)
        entry = self.manifest['stages'].get(stage.name, {})
        if entry and entry.get('fingerprint') != fp and \
                entry.get('digest') != DIGEST_VERSION:
            # recorded with the older input digest: the same inputs by that
            # digest carry the stage over (once; recorded with the new one)
            with self._lock:
                old = self.fingerprint(stage, legacy=True)
            if old == entry.get('fingerprint'):
                self._record(stage.name, fingerprint=fp,
                             legacy_fingerprint=old, digest=DIGEST_VERSION)
                entry = self.manifest['stages'][stage.name]
        gone = None
        if entry.get('status') == 'done' and entry.get('fingerprint') == fp:
            gone = missing_outputs(entry)
            if not gone:
                self.log(self.progress.skip(stage.name))
                return
            self.log(f'[{stage.name}] outputs gone ({gone}): run again')
            self.log(self.progress.started(stage.name, resumed=True))
        elif entry.get('fingerprint') == fp:
            self.log(self.progress.started(stage.name, resumed=True))
        else:
            if entry:
                self.log(f'[{stage.name}] settings or input data '
                         'changed: rerun from scratch')
            self.log(self.progress.started(stage.name))
            for out in stage.outputs:
                if osp.isdir(out):
                    shutil.rmtree(out)
                elif osp.exists(out):
                    os.remove(out)
        self._record(stage.name, dict(fingerprint=fp, digest=DIGEST_VERSION,
                                      status='running',
                                      started=time.time(),
                                      outputs=stage.outputs))
        t0 = time.time()
        log_file = osp.join(self.work_dir, 'logs', f'{stage.name}.log')
        for command in stage.commands:
            self._run_command(stage, command, log_file)
        with self._lock:
            metrics = stage.metrics() if stage.metrics else {}
        self._record(stage.name, status='done',
                     seconds=round(time.time() - t0, 1), metrics=metrics,
                     output_counts=output_counts(stage.outputs))
        self.log(self.progress.finished(stage.name, time.time() - t0,
                                        metrics))
