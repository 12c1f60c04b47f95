"""Offline fusion of a split: every pseudo-label with its saliency map.

:func:`fuse_split` runs the :class:`~mmwsss.selector.SalientObjectSelector`
(the same function as the online ``SelectorFusion`` transform) over the ids
of a split on a :class:`~mmwsss.utils.sharding.ShardedJob`, like the other
stages: ranks under ``torchrun``, forked workers within a rank, resume of a
killed run (outputs that decode are skipped), and the folder's manifest
(the selector's settings, the class salience and the identity of every
input) refusing a rerun with other settings unless ``overwrite``.

Each image's decision goes to the audit log
(:mod:`mmwsss.selector.audit_log`): rows are appended to the rank's journal
while running, and merged into ``selector_log.csv`` in split order at the
end. Numpy only.
"""
import os
import os.path as osp

from mmwsss.utils.io import save_label_png
from mmwsss.utils.sharding import (ShardedJob, barrier, dist_initialised,
                                   get_dist_info)

from .audit_log import (Journal, decision_row, find_journals, journal_path,
                        merge_journals)


class ImageFuser:
    """Fuse one image, write its label and append its log row to the
    rank's journal (reaches the pool workers through the fork)."""

    def __init__(self, inputs, selector, out, journal):
        self.inputs, self.selector = inputs, selector
        self.out, self.journal = out, Journal(journal)

    def decide(self, img_id, write=True):
        """The selector's decision dict for ``img_id`` (``write``: also
        write the fused label)."""
        try:
            label, sal, img_label, cams = self.inputs.load(
                img_id, with_cams=self.selector.mode == 'soft')
            fused, decision = self.selector(label, sal, img_label, cams=cams,
                                            img_id=img_id)
        except (ValueError, KeyError) as e:
            raise RuntimeError(f'image {img_id!r}: {e}') from e
        if write:
            save_label_png(osp.join(self.out, f'{img_id}.png'), fused)
        return decision

    def row(self, img_id):
        """The log row of ``img_id``, recomputed without writing."""
        return decision_row(self.decide(img_id, write=False),
                            self.inputs.class_names)

    def __call__(self, img_id):
        decision = self.decide(img_id)
        self.journal.append(decision_row(decision, self.inputs.class_names))
        return decision['decision']


def fuse_split(inputs, selector, out, log_path=None, nproc=0,
               settings=None, input_paths=None, overwrite=False,
               log=print):
    """Fuse every id of ``inputs`` (:class:`~mmwsss.datasets.
    selector_inputs.SelectorInputs`, passed in by the stage) with
    ``selector`` into ``out/<id>.png`` and write the audit log
    ``log_path`` (default ``<out>/selector_log.csv``).

    ``settings`` (dict) and ``input_paths`` (name -> path) go to the
    folder's manifest (:func:`mmwsss.utils.sharding.check_manifest`): a
    folder made with others is refused with a ``ValueError`` unless
    ``overwrite`` (then it is recomputed, its old log dropped). Returns a
    summary dict with the log path (``None`` on ranks other than 0)."""
    rank, world_size = get_dist_info()
    log_path = log_path or osp.join(out, 'selector_log.csv')
    os.makedirs(out, exist_ok=True)
    job = ShardedJob(inputs.ids, lambda i: [osp.join(out, f'{i}.png')],
                     out_dir=out, settings=settings, inputs=input_paths,
                     overwrite=overwrite, log=log)
    journal = journal_path(log_path, rank)
    keep_log = not job.stale  # an old log of other settings is dropped
    fuser = ImageFuser(inputs, selector, out, journal)
    log(f'{selector!r}\n{len(job.ids)} images on rank {rank}, '
        f'{len(job.todo)} to fuse -> {out}')
    job.run(fuser, num_workers=nproc, desc='select')
    fuser.journal.close()
    if world_size > 1:
        if dist_initialised():
            barrier()
        else:
            # no process group to wait on: each rank logs its own shard
            log_path = f'{osp.splitext(log_path)[0]}.rank{rank}.csv'
            merge_journals(log_path, job.ids,
                           [journal] if osp.isfile(journal) else [],
                           fuser.row, keep_log)
            return dict(log=None, rank=rank)
    if rank != 0:
        return dict(log=None, rank=rank)
    recomputed = merge_journals(log_path, inputs.ids,
                                find_journals(log_path), fuser.row, keep_log)
    return dict(log=log_path, rank=rank, recomputed=recomputed)
