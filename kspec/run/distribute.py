"""Training under ``train.distribute``: the strategy's scope, the training loop, and who writes what.

    default       plain ``model.fit``; no strategy object, nothing added
    mirrored      ``model.fit`` inside MirroredStrategy's scope (Keras 3 supports it)
    tpu           ``model.fit`` inside TPUStrategy's scope (not testable here: no TPU)
    multi_worker  a training loop of kspec's own under MultiWorkerMirroredStrategy, because Keras 3's
                  ``fit`` fails under that strategy for every input type (keras-team/keras#20585:
                  it reduces a PerReplica batch eagerly, and reduces scalar metrics along axis 0)

The multi-worker loop runs Keras's own ``model.train_step`` / ``test_step`` in ``strategy.run``
(loss scaling, optimizer, compiled metrics as ``fit`` has them; gradients are all-reduced by the
optimizer) and drives the same Keras callbacks ``fit`` drives, with a History and a progress bar:
``history.json``, threshold stop, early stopping and checkpoints behave as with ``fit``. Metrics
are read in cross-replica context, where Keras's sum-aggregated metric variables are all-reduced,
so every worker logs the same global values.

Protocol between workers (every collective below is entered by every worker, in this order):

    1. the strategy is created (before any other TensorFlow op), the chief's seed is adopted
    2. the model is built (or loaded from the chief's checkpoint) in the scope: initial values are
       broadcast from the chief
    3. per step: the step's all-reduces (gradients; batch logs and metric variables in one); per
       epoch, only when a callback could decide differently on different workers, one all-reduce
       of "stop?" so a stop asked on any worker ends the epoch loop on all of them at the same
       epoch (kspec's and Keras's stopping callbacks decide on the all-reduced logs, the same on
       every worker, and need none); a stop asked mid-epoch takes effect at the end of that epoch
    4. after training: every worker's weights digest is gathered and compared
    5. the chief writes the run directory (model.keras, evaluation, predictions, plots) with a
       local copy of the model; the other workers wait at a final barrier and write nothing

Only the chief (worker 0) creates the run directory; other workers keep nothing on disk. To
resume, every worker runs ``kspec run --resume RUN_DIR`` with the run directory on storage they
all read (the chief's resume checkpoint is what each of them loads).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ..diagnostics import KspecError
from ..emit.strategy import DistributedInputs, Shard, StrategyInfo, cluster_of, create_strategy, distribute_inputs
from ..spec import CSVLogger, ImageFolderData, ModelCheckpoint, MultiWorkerDistribute, TensorBoard

FILE_CALLBACKS = (ModelCheckpoint, CSVLogger, TensorBoard)
"""Callbacks that only write files: the chief runs them; other workers leave them out."""


def _tf():
    from ..emit import tf_environment

    tf_environment()
    import tensorflow as tf

    return tf


@dataclass
class Distribution:
    """How this process trains: the strategy (``None`` for ``default``) and its place in the cluster."""

    info: StrategyInfo
    setting: Any = None
    say: Callable[[str], None] = print
    sharded_by_file: bool = False
    full_inputs: Any = None
    """Under image-folder sharding: the whole data (this worker trains on its share only)."""
    dinputs: DistributedInputs | None = None
    digests: list[str] = field(default_factory=list)
    steps_run: int = 0
    epoch: int = 0
    epoch_done: bool = False
    _fns: dict[str, Any] = field(default_factory=dict)

    # ------------------------------------------------------------------ facts

    @property
    def strategy(self):
        return self.info.strategy

    @property
    def kind(self) -> str:
        return self.info.kind

    @property
    def is_chief(self) -> bool:
        return self.info.is_chief

    @property
    def custom_loop(self) -> bool:
        """True under MultiWorkerMirroredStrategy, where kspec runs the training loop itself."""
        return self.info.kind == "multi_worker"

    def scope(self):
        return self.strategy.scope() if self.strategy is not None else contextlib.nullcontext()

    def describe(self, global_batch: int | None = None) -> dict[str, Any]:
        """The manifest's ``distribute`` entry."""
        i = self.info
        d: dict[str, Any] = {"strategy": i.kind, "replicas": i.replicas}
        if i.kind != "default":
            d["devices"] = i.devices
        if i.cluster is not None:
            d.update(workers=i.workers, worker_index=i.worker_index, cluster=list(i.cluster.workers),
                     cluster_source=i.cluster.source)
        elif i.kind == "multi_worker":
            d["workers"] = 1
        if global_batch:
            d["global_batch"] = global_batch
            d["per_replica_batch"] = global_batch // i.replicas if global_batch % i.replicas == 0 \
                else round(global_batch / i.replicas, 2)
        if self.dinputs is not None:
            d["sharding"] = self.dinputs.sharding
            d["steps_per_epoch"] = self.dinputs.steps_per_epoch
        if self.digests:
            d["weights_sha256"] = self.digests
            d["weights_identical"] = len(set(self.digests)) == 1
        if i.notes:
            d["notes"] = i.notes
        return d

    def announce(self, global_batch: int) -> None:
        i = self.info
        if i.kind == "default":
            return
        per = f"{global_batch // i.replicas}" if global_batch % i.replicas == 0 else f"~{global_batch / i.replicas:.1f}"
        where = ""
        if i.cluster is not None:
            role = "chief" if i.is_chief else "worker"
            where = f", worker {i.worker_index} of {i.workers} ({role}, {i.cluster.address})"
        self.say(f"kspec: distribute: {i.kind}{where}; {i.replicas} replica(s); global batch {global_batch} "
                 f"= {per} per replica")
        for note in i.notes:
            self.say(f"kspec: distribute: {note}")

    # ------------------------------------------------------------------ collectives

    def _fn(self, name: str, make: Callable[[], Any]):
        if name not in self._fns:
            self._fns[name] = make()
        return self._fns[name]

    def _reduce(self, op: str, value: float) -> float:
        """All-reduce (``SUM`` or ``MEAN``) one number over every replica of every worker (entered by
        all workers)."""
        tf = _tf()
        strategy = self.strategy

        def make():
            @tf.function
            def reduce(v):
                per = strategy.run(lambda x: tf.identity(x), args=(v,))
                return strategy.reduce(op, per, axis=None)

            return reduce

        return float(self._fn("reduce_" + op, make)(tf.constant(float(value), tf.float64)))

    def agree_seed(self, seed: int) -> int:
        """Every worker adopts the chief's seed (the same shuffle order is what makes data sharding
        disjoint). A no-op without a multi-worker cluster."""
        if not self.custom_loop or self.info.workers < 1 or self.info.cluster is None:
            return seed
        return int(self._reduce("SUM", seed if self.is_chief else 0) / (self.info.replicas / self.info.workers))

    def barrier(self) -> None:
        if self.custom_loop and self.info.cluster is not None:
            self._reduce("SUM", 1.0)

    def gather_digests(self, model) -> list[str]:
        """Every worker's weights digest (sha256 of the weights, first 12 hex digits), by worker index."""
        digest = weights_digest(model)
        if not self.custom_loop:
            self.digests = [digest]
            return self.digests
        tf = _tf()
        strategy = self.strategy
        n = self.info.replicas
        value = float(int(digest[:12], 16))  # 48 bits: exact in float64

        def make():
            @tf.function
            def gather(v):
                def one(x):
                    rid = tf.distribute.get_replica_context().replica_id_in_sync_group
                    return tf.one_hot(rid, n, dtype=tf.float64) * x

                per = strategy.run(one, args=(v,))
                return strategy.reduce("SUM", per, axis=None)

            return gather

        vec = self._fn("gather", make)(tf.constant(value, tf.float64)).numpy()
        per_worker = max(1, n // max(1, self.info.workers))
        self.digests = [f"{int(round(vec[w * per_worker])):012x}" for w in range(max(1, self.info.workers))]
        return self.digests

    def check_identical(self, model) -> list[str]:
        digests = self.gather_digests(model)
        if len(set(digests)) > 1:
            raise KspecError(f"the workers ended with different weights: {digests}",
                             hint="this is a bug in kspec (or workers trained different specs); please report it")
        return digests

    # ------------------------------------------------------------------ inputs

    def build_inputs(self, r):
        """The runner's inputs; under multi_worker an image folder's training files are read by
        file (this worker's share), its validation data whole (then sharded by data)."""
        from ..emit.data import build_inputs

        if not self.custom_loop or not isinstance(r.data, ImageFolderData) or self.info.cluster is None:
            return build_inputs(r)
        from ..emit.strategy import per_replica_batch, shard_image_folder

        global_batch = r.data.batch_size or r.train.batch_size
        per = per_replica_batch(global_batch, self.info.replicas,
                                "data.batch_size" if r.data.batch_size else "train.batch_size")
        full = build_inputs(r)
        mine = shard_image_folder(r, Shard(self.info.workers, self.info.worker_index), per)
        share = build_inputs(mine)
        listing = mine.facts.extra["listing"]
        expected = {p for files in listing.files.values() for p in files}
        images = getattr(share, "images", None)
        if images is not None and not set(images.train_files) <= expected:
            raise KspecError("internal error: the image pipeline did not take this worker's share of the files",
                             hint="this is a bug in kspec; train with `distribute: default` meanwhile")
        self.sharded_by_file = True
        self.full_inputs = full
        return dataclasses.replace(full, train=share.train)

    def evaluation_inputs(self, r, inputs):
        """Inputs for evaluation and predictions on the chief: the whole data, not this worker's share."""
        return self.full_inputs or inputs

    # ------------------------------------------------------------------ training

    def fit(self, model, inputs, r, *, callbacks: list, epochs: int, initial_epoch: int, verbose: int):
        """Train like ``model.fit``: the same callbacks, History and progress output."""
        if not self.custom_loop:
            return model.fit(**inputs.fit_kwargs(), epochs=epochs, initial_epoch=initial_epoch,
                             callbacks=callbacks, verbose=verbose)
        self.dinputs = distribute_inputs(self.info, inputs, r, sharded_by_file=self.sharded_by_file)
        return self._loop(model, callbacks, epochs=epochs, initial_epoch=initial_epoch, verbose=verbose)

    def _loop(self, model, callbacks: list, *, epochs: int, initial_epoch: int, verbose: int):
        import keras

        tf = _tf()
        strategy = self.strategy
        d = self.dinputs
        with strategy.scope():
            if model.optimizer is not None and not model.optimizer.built:
                model.optimizer.build(model.trainable_variables)
            _build_metrics(model, d.element_spec)
        train_fn = self._fn("train", lambda: _step_function(tf, strategy, model.train_step, model))
        test_fn = self._fn("test", lambda: _step_function(tf, strategy, model.test_step, model))
        metrics_fn = self._fn("metrics", lambda: _global_metrics(tf, model))
        cbs = keras.callbacks.CallbackList(callbacks, add_history=True, add_progbar=verbose != 0, model=model,
                                           verbose=verbose, epochs=epochs, steps=d.steps_per_epoch)
        model.stop_training = False
        cbs.on_train_begin()
        epoch_logs: dict[str, Any] = {}
        try:
            epoch_logs = self._epochs(model, cbs, train_fn, test_fn, metrics_fn, epochs, initial_epoch)
        except _lost_errors() as e:  # raised wherever the lost collective's result is first needed
            first = (str(e).strip().splitlines() or [""])[0]
            where = f"after epoch {self.epoch + 1}" if self.epoch_done else f"during epoch {self.epoch + 1}"
            raise WorkerLost(f"the cluster lost a worker {where}: {type(e).__name__}: {first[:300]}") from None
        cbs.on_train_end(logs=epoch_logs)
        return model.history

    def _epochs(self, model, cbs, train_fn, test_fn, metrics_fn, epochs: int, initial_epoch: int) -> dict:
        d = self.dinputs
        iterator = iter(d.train) if d.repeat_train else None
        epoch_logs: dict[str, Any] = {}
        reset = self._fn("reset", lambda: _metric_reset(_tf(), model))
        agree = not _stop_is_alike(cbs)
        # An epoch of one step resets the metrics in that step; a longer one resets them in a
        # graph of its own (one call per epoch, instead of tracing the whole step a second time).
        fuse = d.steps_per_epoch == 1
        for epoch in range(initial_epoch, epochs):
            self.epoch, self.epoch_done = epoch, False
            cbs.on_epoch_begin(epoch)
            it = iterator if iterator is not None else iter(d.train)
            logs = totals = None
            for step in range(d.steps_per_epoch):
                cbs.on_train_batch_begin(step)
                try:
                    batch = next(it)
                except StopIteration:  # a finite pass shorter than expected: every worker sees the same end
                    break
                if step == 0 and not fuse:
                    reset()
                logs, totals = train_fn(batch, reset=metric_key(model) if fuse else None)
                self.steps_run += 1
                cbs.on_train_batch_end(step, logs)
            if logs is None:
                if fuse:
                    reset()
                epoch_logs = {}
            else:
                epoch_logs = _floats(totals if totals is not None else metrics_fn())
            if d.validation is not None:
                val = self._evaluate_loop(model, d.validation, test_fn, metrics_fn, cbs, steps=d.validation_steps)
                epoch_logs.update({f"val_{k}": v for k, v in val.items()})
            cbs.on_epoch_end(epoch, epoch_logs)
            self.epoch_done = True
            if agree:  # any worker's stop stops all; without it, every worker decided alike on the same logs
                model.stop_training = self._reduce("SUM", 1.0 if model.stop_training else 0.0) > 0
            if model.stop_training:
                break
        return epoch_logs

    def _evaluate_loop(self, model, dataset, test_fn, metrics_fn, cbs=None, steps: int | None = None) -> dict[str, float]:
        """One pass over ``dataset``; with ``steps``, ``dataset`` repeats and ``steps`` batches are one
        pass, read from one iterator kept for the whole of training. The metrics are read from the
        last step's all-reduce (and reset in the first step when the pass is one step)."""
        if cbs is not None:
            cbs.on_test_begin()
        logs = totals = None
        if steps:
            it = self._fn(f"validation_iterator_{id(dataset)}", lambda: iter(dataset))
            batches = (next(it) for _ in range(steps))
        else:
            batches = iter(dataset)
        fuse = steps == 1
        reset = self._fn("reset", lambda: _metric_reset(_tf(), model))
        if not fuse:
            reset()
        for batch in batches:
            logs, totals = test_fn(batch, reset=metric_key(model) if fuse else None)
        if logs is None:
            if fuse:
                reset()
            out = {}
        else:
            out = _floats(totals if totals is not None else metrics_fn())
        if cbs is not None:
            cbs.on_test_end(out)
        return out

    # ------------------------------------------------------------------ after training

    def local_model(self, path: Path):
        """A copy of the trained model outside the strategy (loaded from the chief's model.keras), for
        evaluation, predictions and feature maps on the chief alone: no collective can wait on the
        other workers."""
        if not self.custom_loop:
            return None
        import keras

        return keras.models.load_model(path, safe_mode=True)


def _step_function(tf, strategy, step, model=None):
    """One distributed step returning ``(batch logs, epoch logs)``.

    Batch logs: each replica's own metric values, averaged over the replicas (what Keras's ``fit``
    reports per batch under a strategy). Epoch logs: the model's metrics over everything every
    replica has seen since they were reset, exactly what reading them in cross-replica context
    gives (Keras's metric variables sum-aggregate across replicas), but carried in the step's own
    all-reduce: every replica's metric variables travel packed with its batch logs, and
    ``model.get_metrics_result()`` is computed on their sums. So an epoch costs no collective of
    its own to read its metrics. ``run(batch, reset=metric_key(model))`` resets the metrics in the
    step itself (the first step of an epoch or an evaluation); the key, the metric variables'
    identities, traces the step again if Keras has built more metrics since (it builds the compiled
    metrics in the first step). Epoch logs are ``None`` when a metric has a
    variable that is not float32 or not sum-aggregated (then :func:`_global_metrics` reads them).

    The packed all-reduce is a SUM; the batch logs are divided by the number of replicas after it,
    the same division TensorFlow's MEAN all-reduce makes."""
    keys: list[str] = []
    packed: list[Any] = []  # the metric variables carried in the all-reduce, fixed at tracing

    def metric_variables() -> list:
        if model is None:
            return []
        out = [v for m in model.metrics for v in m.variables]
        ok = all(str(getattr(v, "dtype", "")) == "float32" and getattr(v, "aggregation", "sum") == "sum" for v in out)
        return out if ok and out else []

    def replica_step(batch, reset):
        if reset is not None and model is not None:
            model.reset_metrics()
        logs = step(batch)
        scalars = {k: v for k, v in logs.items() if len(getattr(v, "shape", ())) == 0}
        keys[:] = sorted(scalars)
        packed[:] = metric_variables()
        parts = [tf.reshape(tf.cast(scalars[k], tf.float32), [1]) for k in keys]
        parts += [tf.reshape(tf.convert_to_tensor(v.value), [-1]) for v in packed]
        return tf.concat(parts, 0) if parts else tf.zeros([0])

    n = strategy.num_replicas_in_sync

    @tf.function(reduce_retracing=True)
    def run(batch, reset=None):
        per = strategy.run(lambda b: replica_step(b, reset), args=(batch,))
        total = strategy.reduce("SUM", per, axis=None)
        batch_logs = {k: total[i] / n for i, k in enumerate(keys)}
        if not packed:
            return batch_logs, None
        import keras

        at, mapping = len(keys), []
        for v in packed:
            size = math.prod(v.shape)
            mapping.append((v, tf.reshape(total[at:at + size], v.shape)))
            at += size
        with keras.StatelessScope(state_mapping=mapping):
            epoch_logs = model.get_metrics_result()
        return batch_logs, epoch_logs

    return run


def _build_metrics(model, element_spec) -> None:
    """Build Keras's compiled metrics before the first step is traced, from the shapes of a batch,
    as Keras's own ``fit`` does under a strategy (``Trainer._symbolic_build``): the step traced
    first then resets all of them, and is not traced again once they exist."""
    build = getattr(model, "_symbolic_build", None)
    if build is None or element_spec is None:
        return
    try:
        build(data_batch=element_spec)
    except Exception:  # the first step builds them instead (and is traced again once)
        pass


def metric_key(model) -> tuple:
    """The identities of the model's metric variables: a step traced with one key resets those."""
    return tuple(id(v) for m in model.metrics for v in m.variables)


def _metric_reset(tf, model):
    """``model.reset_metrics()`` as one graph: every metric variable set in one call instead of an
    eager assign per variable (each a round trip to the sync-on-read variable's replicas). Keras
    builds compiled metrics on the first step, so the graph is traced again whenever the set of
    metric variables has changed."""
    graphs: dict[tuple, Any] = {}
    eager = []

    def reset():
        if not eager:
            key = metric_key(model)
            try:
                if key not in graphs:
                    graphs.clear()
                    graphs[key] = tf.function(lambda: model.reset_metrics())
                graphs[key]()
                return
            except (TypeError, ValueError, NotImplementedError):  # a metric whose reset cannot be traced
                eager.append(True)
        model.reset_metrics()

    return reset


def _global_metrics(tf, model):
    """The model's metrics over everything every worker has seen since they were reset: read in
    cross-replica context, Keras's sum-aggregated metric variables are all-reduced."""
    return tf.function(model.get_metrics_result)


STOP_ON_LOGS = ("RunMonitor", "ThresholdStopCallback", "HistoryWriter")
"""kspec's own callbacks whose stop decision (if any) depends on the logs alone."""


def _stop_is_alike(cbs) -> bool:
    """True when every callback decides ``stop_training`` from the logs alone (or never). The logs
    are all-reduced, hence the same on every worker, so every worker then stops at the same epoch
    without an agreement; any other callback keeps the per-epoch all-reduce of "stop?"."""
    import keras

    c = keras.callbacks
    alike = (c.History, c.ProgbarLogger, c.EarlyStopping, c.TerminateOnNaN, c.ReduceLROnPlateau,
             c.LearningRateScheduler, c.ModelCheckpoint, c.CSVLogger, c.TensorBoard, c.SwapEMAWeights)
    return all(type(cb) in alike or type(cb).__name__ in STOP_ON_LOGS for cb in getattr(cbs, "callbacks", cbs))


def _lost_errors() -> tuple:
    """TensorFlow's errors for a collective whose peer is gone."""
    import tensorflow as tf

    return (tf.errors.UnavailableError, tf.errors.CancelledError, tf.errors.DeadlineExceededError,
            tf.errors.AbortedError)


class WorkerLost(KspecError):
    def __init__(self, message: str):
        super().__init__(message, hint="restart every worker with `kspec run --resume RUN_DIR` (the chief's run "
                                       "directory): training continues from the last checkpointed epoch")


def _floats(logs) -> dict[str, float]:
    out = {}
    for k, v in (logs or {}).items():
        try:
            out[k] = float(v)
        except (TypeError, ValueError):
            pass
    return out


def weights_digest(model) -> str:
    h = hashlib.sha256()
    for w in model.get_weights():
        h.update(str(w.shape).encode())
        h.update(w.tobytes())
    return h.hexdigest()[:12]


# ------------------------------------------------------------------------------------ starting


def start(r, *, say: Callable[[str], None] = print) -> Distribution:
    """Create the strategy of ``r.train.distribute`` (before any other TensorFlow op) and agree on
    the seed. ``default`` creates nothing and costs nothing."""
    dist = r.train.distribute
    cluster = cluster_of(dist) if isinstance(dist, MultiWorkerDistribute) else None
    info = create_strategy(dist, cluster=cluster)
    d = Distribution(info, setting=dist, say=say)
    if d.custom_loop:
        agreed = d.agree_seed(r.seed)
        if agreed != r.seed:
            r.seed = agreed
    return d


def run_worker(r, d: Distribution, *, initial_epoch: int = 0, checkpoint: Path | None = None,
               quiet: bool = False, run_dir: Path | None = None):
    """A non-chief worker: the same model, data share, steps and stop decisions as the chief, and no
    files. ``checkpoint``: the chief's resume checkpoint to start from (on resume)."""
    from .common import RunResult, prepare_keras

    keras = prepare_keras(r.seed)
    say = (lambda m: None) if quiet else d.say
    t0 = time.perf_counter()
    try:
        model = _worker_train(r, d, keras, say, initial_epoch=initial_epoch, checkpoint=checkpoint, run_dir=run_dir)
        digests = d.check_identical(model)
    except KspecError:
        raise
    except Exception as e:
        first = (str(e).strip().splitlines() or [""])[0][:500]
        raise KspecError(f"worker {d.info.worker_index}: training failed: {type(e).__name__}: {first}",
                         hint="the chief's run directory (error.log) tells more when the chief failed too") from None
    history = getattr(getattr(model, "history", None), "history", None) or {}
    say(f"kspec: worker {d.info.worker_index}: trained epochs {initial_epoch + 1}-"
        f"{initial_epoch + len(next(iter(history.values()), []))} ({d.steps_run} steps) in "
        f"{time.perf_counter() - t0:.1f} s; weights {digests[d.info.worker_index]} "
        f"(identical on all {len(digests)} workers)")
    say(f"kspec: worker {d.info.worker_index}: waiting for the chief to write the run directory")
    d.barrier()
    say(f"kspec: worker {d.info.worker_index}: done")
    return RunResult(run_dir=run_dir or Path("."), history=history)


def _worker_train(r, d: Distribution, keras, say, *, initial_epoch: int, checkpoint: Path | None, run_dir: Path | None):
    from ..emit.callbacks import build_callbacks
    from ..emit.model import build_model, compile_model

    inputs = d.build_inputs(r)
    d.announce(inputs.batch_size)
    with d.scope():
        if checkpoint is not None:
            try:
                model = keras.models.load_model(checkpoint, safe_mode=True)
            except Exception as e:
                raise KspecError(f"worker {d.info.worker_index} cannot load the checkpoint {checkpoint}: {e}",
                                 hint="every worker must read the chief's run directory (shared storage)") from None
        else:
            model = build_model(r)
            compile_model(model, r)
    callbacks = build_callbacks([c for c in r.train.callbacks if not isinstance(c, FILE_CALLBACKS)],
                                run_dir or Path("."), say)
    if initial_epoch < r.train.epochs:
        d.fit(model, inputs, r, callbacks=callbacks, epochs=r.train.epochs, initial_epoch=initial_epoch, verbose=0)
    return model


def resume_worker(run_dir: Path, manifest: dict, *, quiet: bool = False):
    """``kspec run --resume RUN_DIR`` on a worker: start the strategy and, on a non-chief worker,
    train from the chief's checkpoint. Returns ``(distribution, result)``; ``result`` is None on
    the chief, which goes on with the runner's own resume."""
    from . import checkpoint as ckpt
    from .rundir import load_pipeline

    r = load_pipeline(run_dir, manifest).resolved
    d = start(r)
    if d.is_chief:
        return d, None
    state = ckpt.read_state(run_dir)
    done = 0
    if state is not None:
        done = r.train.epochs if state.stopped else state.epochs_completed
    if not quiet:
        d.say(f"kspec: worker {d.info.worker_index}: resuming {run_dir} after epoch {done} of {r.train.epochs}")
    return d, run_worker(r, d, initial_epoch=done, checkpoint=state.checkpoint if state else None, quiet=quiet,
                         run_dir=run_dir)
