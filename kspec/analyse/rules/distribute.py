"""KS6xx: training on several devices or workers (``train.distribute``).

The number of replicas is known statically when the spec names it: the devices of ``mirrored``,
or the workers of ``multi_worker`` (a list of addresses or a count, also set by ``kspec run
--workers``). A worker may hold several replicas (GPUs), so the worker count is a lower bound of
the replicas: a batch that does not divide among the workers cannot divide among the replicas.
When the spec does not say (``multi_worker`` with the cluster in TF_CONFIG), these rules stay
silent.
"""

from __future__ import annotations

import math
from typing import Iterator

from ...diagnostics import Diagnostic, Severity
from ...spec import ImageFolderData, MirroredDistribute, MultiWorkerDistribute
from ..base import LintContext, Rule
from .common import fmt_count


def replicas(dist) -> tuple[int | None, str]:
    """(fewest replicas the setting trains on, what they are) when known without TensorFlow."""
    if isinstance(dist, MirroredDistribute) and dist.devices:
        return len(dist.devices), "devices"
    if isinstance(dist, MultiWorkerDistribute):
        n = len(dist.workers) if isinstance(dist.workers, list) else dist.workers
        return n, "workers"
    return None, ""


def _replica_path(ctx: LintContext) -> tuple:
    dist = ctx.train.distribute
    if isinstance(dist, MirroredDistribute):
        return ("train", "distribute", "devices")
    if ctx.doc.get(("train", "distribute", "workers"), None) is not None:
        return ("train", "distribute", "workers")
    return ("train", "distribute")


def _batch(ctx: LintContext) -> tuple[int, tuple]:
    data = ctx.data
    if isinstance(data, ImageFolderData) and data.batch_size:
        return data.batch_size, ("data", "batch_size")
    return ctx.train.batch_size, ("train", "batch_size")


def _batch_path(ctx: LintContext, path: tuple) -> tuple:
    """``path`` when the spec writes it, else the train section (a default batch size has no line)."""
    return path if ctx.doc.get(path, None) is not None else ("train",)


class BatchNotDivisible(Rule):
    """What it does: checks that the global batch size divides evenly among the replicas the spec
    names (``mirrored`` devices, ``multi_worker`` workers). ``batch_size`` is the global batch:
    every step takes that many samples in all, ``batch_size / replicas`` on each replica.

    Why is this bad: replicas must agree on their share of each step. Under ``multi_worker`` kspec
    refuses to start; elsewhere TensorFlow gives the replicas unequal batches, so the replicas do
    unequal work each step and the slowest sets the pace.

    Example:
        train:
          epochs: 5
          batch_size: 50
          distribute: {type: multi_worker, workers: 4}

    Use instead:
        train:
          epochs: 5
          batch_size: 48
          distribute: {type: multi_worker, workers: 4}
    """

    code = "KS601"
    name = "batch-not-divisible-by-replicas"
    severity = Severity.ERROR

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        n, what = replicas(ctx.train.distribute)
        if not n or n < 2:
            return
        batch, path = _batch(ctx)
        if batch % n == 0:
            return
        lower = batch - batch % n
        choices = [c for c in (lower, lower + n) if c > 0]
        yield self.diag(
            ctx, _batch_path(ctx, path),
            f"the global batch size {batch} does not divide among {n} {what}: "
            f"{batch} / {n} = {batch / n:.2f} samples per replica",
            hint=f"use a multiple of {n}, e.g. {' or '.join(map(str, choices))} "
                 f"({choices[0] // n} per replica{'' if len(choices) == 1 else ' or ' + str(choices[1] // n)})",
            related=[ctx.related(f"{n} {what}", _replica_path(ctx))], received=batch, expected=f"multiple of {n}",
        )


class ReplicasIdle(Rule):
    """What it does: with ``steps_per_epoch`` left to its default (one pass over the training
    data) and a known number of replicas, works out the last step of every epoch: the samples left
    over (``n_train`` modulo the global batch) fill only some replicas' shares, and the others get
    nothing to do.

    Why is this bad: in synchronous training every replica waits for the others at every step, so
    the idle replicas still cost a step; worse, the step's gradient comes from a few samples
    weighted as if it were a full batch on fewer replicas. The epoch's result then depends on how
    many workers trained it.

    Example:
        train:
          epochs: 5
          batch_size: 64
          distribute: {type: multi_worker, workers: 8}

    Use instead:
        train:
          epochs: 5
          batch_size: 64
          steps_per_epoch: 937
          distribute: {type: multi_worker, workers: 8}
    """

    code = "KS602"
    name = "replicas-idle"
    severity = Severity.WARNING

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        n, what = replicas(ctx.train.distribute)
        n_train = ctx.facts.n_train
        if not n or n < 2 or n_train is None or ctx.train.steps_per_epoch is not None:
            return
        batch, path = _batch(ctx)
        if batch % n:
            return  # KS601 says it
        per = batch // n
        left = n_train % batch
        if left == 0:
            return
        busy = math.ceil(left / per)
        if busy >= n:
            return
        full = n_train // batch
        hint = (f"set steps_per_epoch: {full} (kspec repeats the data, so every step is a full batch)"
                if full else f"use a batch size of at most {n_train - n_train % n} so every replica gets samples")
        yield self.diag(
            ctx, _batch_path(ctx, path),
            f"the last step of every epoch has {left} of {fmt_count(n_train)} training samples for {n} {what}: "
            f"{n - busy} of them get no sample ({per} per replica, {batch} per step)",
            hint=hint, related=[ctx.related(f"{n} {what}", _replica_path(ctx))],
            received=left, expected=f"0 or at least {(n - 1) * per + 1}",
        )


class UnshardableData(Rule):
    """What it does: under ``multi_worker`` with a known number of workers, checks that the data
    gives every worker a share: at least one training sample per worker, and for an image folder
    (sharded by file: each worker reads its own files) at least one file per worker.

    Why is this bad: a worker without files cannot build its input pipeline and the whole cluster
    stops; a worker without samples trains on empty batches and adds nothing but waiting.

    Example:
        data: {type: keras, name: fashion_mnist, rescale: 1/255, limit: 3}
        train:
          epochs: 5
          batch_size: 4
          distribute: {type: multi_worker, workers: 4}

    Use instead:
        data: {type: keras, name: fashion_mnist, rescale: 1/255}
        train:
          epochs: 5
          batch_size: 4
          distribute: {type: multi_worker, workers: 4}
    """

    code = "KS603"
    name = "unshardable-data"
    severity = Severity.WARNING

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        dist = ctx.train.distribute
        if not isinstance(dist, MultiWorkerDistribute):
            return
        n, what = replicas(dist)
        n_train = ctx.facts.n_train
        if not n or n < 2 or n_train is None or n_train >= n:
            return
        folder = isinstance(ctx.data, ImageFolderData)
        unit = "image files" if folder else "training samples"
        path = ("data", "limit") if ctx.data.limit and ctx.doc.get(("data", "limit"), None) is not None else ("data",)
        yield self.diag(
            ctx, path,
            f"the data has {n_train} {unit} for {n} {what}: {n - n_train} worker(s) get none"
            + (" and cannot build their input pipeline" if folder else ""),
            hint="train with fewer workers, or with more data",
            related=[ctx.related(f"{n} {what}", _replica_path(ctx))],
            severity=Severity.ERROR if folder else None, received=n_train, expected=f"at least {n}",
        )
