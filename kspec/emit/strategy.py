"""Stage 5, emit: ``train.distribute`` -> a ``tf.distribute`` strategy, and input data for it.

    cluster_of(dist)        the multi-worker cluster (TF_CONFIG, or the spec / CLI), read without TensorFlow
    create_strategy(...)    the strategy; must run before any other TensorFlow op in the process
    distribute_inputs(...)  tf.data pipelines sharded across workers, ready for ``strategy.run``

Sharding (so that no two workers train on the same examples in an epoch):

    in-memory arrays (arrays, npz, npy, idx, keras, synthetic)
        one tf.data pipeline of global batches, auto-shard policy DATA: every worker builds the same
        pipeline (same seed, so the same shuffle order) and keeps its slice of every global batch.
    image folders
        training files by file: each worker reads only its own files (the i-th of every N of the
        files a single process would train on); TensorFlow's FILE policy needs reader datasets
        (TFRecord, ...) and rejects a list of image paths, so the file list is sharded before
        decoding and auto-sharding is off. Validation images are read whole by every worker and
        sharded by data (they are few, and every worker must run the same validation steps).

Nothing here writes files; the runtime that drives the strategy is :mod:`kspec.run.distribute`.
"""

from __future__ import annotations

import json
import math
import os
import socket
import sys
import time
from dataclasses import dataclass, field, replace
from typing import Any, Mapping

from ..diagnostics import KspecError
from ..spec import (DefaultDistribute, MirroredDistribute, MultiWorkerDistribute, ParameterServerDistribute,
                    TPUDistribute)

# ------------------------------------------------------------------------------------ the cluster


@dataclass(frozen=True)
class Cluster:
    """The workers of a multi-worker job, the chief first, and which one this process is."""

    workers: tuple[str, ...]
    index: int
    source: str
    """Where the cluster came from: ``TF_CONFIG``, ``spec`` or ``--local``."""
    task_type: str = "worker"
    """This task in TensorFlow's terms: ``chief`` (a TF_CONFIG with a chief job) or ``worker``."""
    task_index: int | None = None
    jobs: dict[str, list[str]] = field(default_factory=dict)
    """The cluster as TensorFlow wants it (``{"worker": [...]}`` or ``{"chief": [...], "worker": [...]}``)."""

    @property
    def size(self) -> int:
        return len(self.workers)

    @property
    def is_chief(self) -> bool:
        return self.index == 0

    @property
    def address(self) -> str:
        return self.workers[self.index]

    def tf_config(self) -> dict[str, Any]:
        return {"cluster": {k: list(v) for k, v in self.jobs.items()},
                "task": {"type": self.task_type, "index": self.task_index if self.task_index is not None else self.index}}

    @classmethod
    def of_workers(cls, workers: list[str], index: int, source: str) -> "Cluster":
        if not 0 <= index < len(workers):
            raise KspecError(f"worker index {index} is out of range: the cluster has {len(workers)} worker(s) "
                             f"(indexes 0-{len(workers) - 1})", hint="0 is the chief; give each machine its own index")
        dup = sorted({w for w in workers if workers.count(w) > 1})
        if dup:
            raise KspecError(f"the worker address {dup[0]} is listed twice", hint="every worker needs its own host:port")
        return cls(tuple(workers), index, source, "worker", index, {"worker": list(workers)})


def parse_tf_config(text: str) -> Cluster:
    """A multi-worker cluster from the text of ``TF_CONFIG``."""
    where = "TF_CONFIG"
    try:
        cfg = json.loads(text)
    except json.JSONDecodeError as e:
        raise KspecError(f"{where} is not valid JSON: {e}",
                         hint='e.g. {"cluster": {"worker": ["host1:12345", "host2:12345"]}, "task": {"type": "worker", "index": 0}}') from None
    if not isinstance(cfg, dict) or not isinstance(cfg.get("cluster"), dict):
        raise KspecError(f"{where} has no \"cluster\" object",
                         hint='give every worker\'s address: {"cluster": {"worker": ["host1:12345", ...]}, "task": {...}}')
    jobs = cfg["cluster"]
    for job, addrs in jobs.items():
        if not isinstance(addrs, list) or not all(isinstance(a, str) and a.count(":") >= 1 for a in addrs):
            raise KspecError(f"{where}: cluster.{job} must be a list of \"host:port\" strings, got {addrs!r}")
    extra = sorted(set(jobs) - {"chief", "worker"})
    if extra:
        hint = ("a cluster with a \"ps\" job is a parameter-server cluster: set `distribute: parameter_server`"
                if "ps" in extra else "a multi-worker cluster has a \"worker\" job and optionally one \"chief\"")
        raise KspecError(f"{where} has job(s) {extra} that MultiWorkerMirroredStrategy does not use", hint=hint)
    chief = list(jobs.get("chief", []))
    if len(chief) > 1:
        raise KspecError(f"{where} lists {len(chief)} chiefs; a cluster has at most one")
    workers = chief + list(jobs.get("worker", []))
    if not workers:
        raise KspecError(f"{where} lists no workers")
    task = cfg.get("task")
    if not isinstance(task, dict) or "type" not in task:
        raise KspecError(f"{where} has no \"task\": which of the workers is this process?",
                         hint='add "task": {"type": "worker", "index": N} (a different N on every machine)')
    ttype, tindex = task.get("type"), task.get("index", 0)
    if ttype not in jobs or not isinstance(tindex, int) or not 0 <= tindex < len(jobs[ttype]):
        raise KspecError(f"{where}: task {ttype}:{tindex} is not in the cluster",
                         hint=f"jobs: {', '.join(f'{k} ({len(v)})' for k, v in jobs.items())}")
    index = tindex if ttype == "chief" else len(chief) + tindex
    dup = sorted({w for w in workers if workers.count(w) > 1})
    if dup:
        raise KspecError(f"{where} lists the address {dup[0]} twice", hint="every worker needs its own host:port")
    return Cluster(tuple(workers), index, "TF_CONFIG", ttype, tindex, {k: list(v) for k, v in jobs.items() if v})


def cluster_of(dist: MultiWorkerDistribute, env: Mapping[str, str] | None = None) -> Cluster | None:
    """The cluster a ``multi_worker`` setting trains on; ``None`` for a single local worker.

    Addresses in the spec (or ``--workers``) win over TF_CONFIG; this worker's index comes from
    ``worker_index`` (``--worker-index``), else from TF_CONFIG's task.
    """
    env = os.environ if env is None else env
    text = env.get("TF_CONFIG", "").strip()
    from_env = parse_tf_config(text) if text else None
    if isinstance(dist.workers, list):
        index = dist.worker_index
        if index is None and from_env is not None:
            if list(from_env.workers) != list(dist.workers):
                raise KspecError("the workers in the spec differ from those in TF_CONFIG, and no worker index is given",
                                 hint="give this worker's index with --worker-index, or leave the addresses to TF_CONFIG")
            index = from_env.index
        if index is None:
            if len(dist.workers) == 1:
                index = 0
            else:
                raise KspecError(f"which of the {len(dist.workers)} workers is this process?",
                                 hint="pass --worker-index N on each machine (0 is the chief), or set TF_CONFIG")
        return Cluster.of_workers(list(dist.workers), index, "spec")
    if from_env is None:
        if isinstance(dist.workers, int) and dist.workers > 1:
            raise KspecError(f"multi_worker with {dist.workers} workers needs their addresses",
                             hint="set TF_CONFIG on every machine, list the workers' host:port in the spec or with "
                                  "--workers, or try it on this machine with --local")
        if dist.worker_index not in (None, 0):
            raise KspecError(f"worker index {dist.worker_index} given, but there is no cluster",
                             hint="list the workers (spec or --workers) or set TF_CONFIG")
        return None
    if isinstance(dist.workers, int) and dist.workers != from_env.size:
        raise KspecError(f"the spec expects {dist.workers} workers but TF_CONFIG lists {from_env.size}",
                         hint="make them agree (or remove `workers` from the spec)")
    if dist.worker_index is not None and dist.worker_index != from_env.index:
        return Cluster(from_env.workers, dist.worker_index, "TF_CONFIG",
                       "chief" if "chief" in from_env.jobs and dist.worker_index == 0 else "worker",
                       dist.worker_index - (1 if "chief" in from_env.jobs and dist.worker_index else 0),
                       from_env.jobs)
    return from_env


def free_ports(n: int, host: str = "127.0.0.1") -> list[int]:
    """``n`` distinct ports that were free on ``host`` a moment ago (all held open together, so distinct)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((host, 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


# ------------------------------------------------------------------------------------ strategies


@dataclass
class StrategyInfo:
    """What was created, for the run's manifest and the console."""

    kind: str
    strategy: Any = None
    cluster: Cluster | None = None
    replicas: int = 1
    workers: int = 1
    devices: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def is_chief(self) -> bool:
        return self.cluster is None or self.cluster.is_chief

    @property
    def worker_index(self) -> int:
        return self.cluster.index if self.cluster else 0


def _tf():
    from .model import keras

    keras()  # TensorFlow's start-up log lines stay off the console
    import tensorflow as tf

    return tf


def _context_started() -> bool:
    try:
        from tensorflow.python.eager import context
    except ImportError:  # pragma: no cover
        return False
    ctx = context.context()
    return bool(getattr(ctx, "_initialized", False) or getattr(ctx, "_context_handle", None))


def _logical_cpus(tf, devices: list[str]) -> None:
    """Split the CPU into as many logical devices as ``devices`` names (``/cpu:1`` needs two)."""
    want = 1 + max((int(d.rsplit(":", 1)[1]) for d in devices if "cpu" in d.lower()), default=0)
    if want <= 1:
        return
    cpus = tf.config.list_physical_devices("CPU")
    if len(cpus) >= want:
        return
    try:
        tf.config.set_logical_device_configuration(cpus[0], [tf.config.LogicalDeviceConfiguration()] * want)
    except RuntimeError:
        raise KspecError(f"cannot split the CPU into {want} logical devices: TensorFlow has started already",
                         hint="list the CPU devices before anything else runs (a fresh `kspec run`)") from None


_WATCHDOG = r"""
import os, select, signal, socket, sys
parent, timeout, index, workers = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
ready, _, _ = select.select([sys.stdin], [], [], timeout)
if ready:
    sys.exit(0)  # the cluster is up (or the worker ended): a line or end of input
def up(address):
    host, _, port = address.rpartition(":")
    try:
        socket.create_connection((host, int(port)), timeout=0.5).close()
        return True
    except OSError:
        return False
missing = [a for i, a in enumerate(workers) if i != index and not up(a)]
who = ", ".join(missing) if missing else "(every address answers, but not every worker joined)"
sys.stderr.write(f"kspec: error: worker {index} waited {timeout:.0f} s for the cluster; not up: {who}\n"
                 "  hint: start `kspec run` on every worker (same spec, each with its own index); raise "
                 "train.distribute.startup_timeout for slow starts. This worker is killed (SIGKILL): "
                 "TensorFlow waits for the cluster without letting Python run.\n")
sys.stderr.flush()
try:
    os.kill(parent, signal.SIGKILL)
except ProcessLookupError:
    pass
"""


def _watchdog(cluster: Cluster, timeout: float):
    """A worker whose peers never start waits in TensorFlow's C++ code holding the GIL (no Python
    thread runs, SIGTERM is ignored): a separate small process names the workers that are not up
    after ``timeout`` seconds and kills this one. Tell it the cluster is up by closing its stdin."""
    import subprocess

    return subprocess.Popen([sys.executable, "-c", _WATCHDOG, str(os.getpid()), str(timeout), str(cluster.index),
                             *cluster.workers], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)


def create_strategy(dist: Any, *, cluster: Cluster | None = None) -> StrategyInfo:
    """The strategy for ``dist`` (a resolved ``train.distribute``). ``default`` creates nothing.

    Must run before any other TensorFlow op in this process: collective ops are configured at
    program start.
    """
    if isinstance(dist, DefaultDistribute):
        return StrategyInfo("default")
    tf = _tf()
    if isinstance(dist, MirroredDistribute):
        return _mirrored(tf, dist)
    if isinstance(dist, MultiWorkerDistribute):
        return _multi_worker(tf, dist, cluster)
    if isinstance(dist, ParameterServerDistribute):
        return _parameter_server(tf, dist)
    if isinstance(dist, TPUDistribute):
        return _tpu(tf, dist)
    raise KspecError(f"unknown distribute type {getattr(dist, 'type', dist)!r}")  # pragma: no cover


def _mirrored(tf, dist: MirroredDistribute) -> StrategyInfo:
    notes = []
    devices = list(dist.devices) if dist.devices else None
    if devices:
        _logical_cpus(tf, devices)
    elif not tf.config.list_physical_devices("GPU"):
        notes.append("mirrored found no GPU: it runs one replica on the CPU, which costs a few ms per step "
                     "and gains nothing; use `distribute: default` on this machine")
    ops = {"auto": None, "nccl": tf.distribute.NcclAllReduce, "hierarchical_copy": tf.distribute.HierarchicalCopyAllReduce,
           "reduce_to_one": tf.distribute.ReductionToOneDevice}[dist.cross_device_ops]
    try:
        strategy = tf.distribute.MirroredStrategy(devices=devices, cross_device_ops=ops() if ops else None)
    except (ValueError, RuntimeError, tf.errors.OpError) as e:
        raise KspecError(f"cannot create MirroredStrategy on {devices or 'the local GPUs'}: {e}",
                         hint="list devices this machine has (e.g. /gpu:0); `nvidia-smi` shows the GPUs") from None
    return StrategyInfo("mirrored", strategy, replicas=strategy.num_replicas_in_sync,
                        devices=list(strategy.extended.worker_devices), notes=notes)


def _multi_worker(tf, dist: MultiWorkerDistribute, cluster: Cluster | None) -> StrategyInfo:
    impl = {"auto": tf.distribute.experimental.CommunicationImplementation.AUTO,
            "ring": tf.distribute.experimental.CommunicationImplementation.RING,
            "nccl": tf.distribute.experimental.CommunicationImplementation.NCCL}[dist.communication]
    options = tf.distribute.experimental.CommunicationOptions(implementation=impl)
    resolver = None
    if cluster is not None:
        resolver = tf.distribute.cluster_resolver.SimpleClusterResolver(
            tf.train.ClusterSpec(cluster.jobs), task_type=cluster.task_type,
            task_id=cluster.task_index if cluster.task_index is not None else cluster.index, rpc_layer="grpc")
    elif os.environ.get("TF_CONFIG"):
        # no cluster for kspec (a single worker): keep TensorFlow from reading a stale TF_CONFIG
        resolver = tf.distribute.cluster_resolver.SimpleClusterResolver(tf.train.ClusterSpec({}), rpc_layer="grpc")
    if _context_started():
        raise KspecError("MultiWorkerMirroredStrategy must be created before TensorFlow runs anything, "
                         "and TensorFlow has started already in this process",
                         hint="start a fresh process (`kspec run`); in Python, call kspec before any TensorFlow op")
    watchdog = _watchdog(cluster, dist.startup_timeout) if cluster is not None and cluster.size > 1 else None
    t0 = time.perf_counter()
    try:
        strategy = tf.distribute.MultiWorkerMirroredStrategy(cluster_resolver=resolver, communication_options=options)
    except RuntimeError as e:
        if "Collective ops must be configured" in str(e):
            raise KspecError("MultiWorkerMirroredStrategy must be created before any other TensorFlow op",
                             hint="start a fresh process (`kspec run`)") from None
        raise
    except tf.errors.OpError as e:
        if "Could not start gRPC server" in str(e):
            where = cluster.address if cluster else "this worker's address"
            raise KspecError(f"worker {cluster.index if cluster else 0} cannot listen on {where}: the port is in use",
                             hint="pick a free port for this worker (TensorFlow listens on it on every interface), "
                                  "or stop the process that holds it") from None
        raise KspecError(f"cannot start the multi-worker cluster: {type(e).__name__}: {str(e).splitlines()[0]}") from None
    finally:
        if watchdog is not None:
            watchdog.stdin.close()
            watchdog.wait()
    info = StrategyInfo("multi_worker", strategy, cluster, replicas=strategy.num_replicas_in_sync,
                        workers=cluster.size if cluster else 1, devices=list(strategy.extended.worker_devices))
    info.notes.append(f"cluster up in {time.perf_counter() - t0:.1f} s")
    return info


def _parameter_server(tf, dist: ParameterServerDistribute) -> StrategyInfo:
    text = os.environ.get("TF_CONFIG", "").strip()
    if not text:
        raise KspecError("parameter_server needs a cluster in TF_CONFIG (a chief, workers and ps tasks)",
                         hint="see docs/distribute.md; kspec cannot start one with --local")
    try:
        cfg = json.loads(text)
        jobs, task = cfg["cluster"], cfg["task"]
    except (json.JSONDecodeError, KeyError, TypeError):
        raise KspecError("TF_CONFIG is not a cluster: it needs \"cluster\" and \"task\"") from None
    missing = [j for j in ("worker", "ps") if not jobs.get(j)]
    if missing or len(jobs.get("chief", [])) != 1:
        raise KspecError(f"a parameter-server cluster needs one chief, workers and ps tasks; TF_CONFIG has "
                         f"{', '.join(f'{k} ({len(v)})' for k, v in jobs.items())}",
                         hint='e.g. {"cluster": {"chief": ["h0:2222"], "worker": ["h1:2222"], "ps": ["h2:2222"]}, ...}')
    if task.get("type") in ("worker", "ps"):
        raise KspecError(f"this process is a {task['type']} task: it runs a TensorFlow server, not kspec",
                         hint="start `python -c \"import tensorflow as tf; tf.distribute.Server(...).join()\"` there "
                              "(docs/distribute.md); run kspec on the chief only")
    # Keras 3's fit has no ClusterCoordinator: measured with TF 2.21 / Keras 3.15 on a loopback
    # chief + worker + ps cluster, fit fails with "To use this dataset, you need to pass this
    # dataset to ClusterCoordinator.create_per_worker_dataset". Refuse before anything waits on the
    # cluster.
    raise KspecError("Keras 3 cannot train under ParameterServerStrategy: its fit() has no ClusterCoordinator "
                     "support (tf_keras had it), and kspec has no parameter-server training loop",
                     hint="use `distribute: multi_worker` (synchronous all-reduce across the same machines)")


def _tpu(tf, dist: TPUDistribute) -> StrategyInfo:
    try:
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=dist.tpu, zone=dist.zone, project=dist.project)
        if dist.tpu:
            tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
        strategy = tf.distribute.TPUStrategy(resolver)
    except Exception as e:  # no TPU, no TPU support in this TensorFlow build, unreachable TPU, ...
        raise KspecError(f"cannot start a TPU{' ' + repr(dist.tpu) if dist.tpu else ''}: {type(e).__name__}: "
                         f"{(str(e).splitlines() or [''])[0][:300]}",
                         hint="TPUs need a TensorFlow build with TPU support on a TPU machine "
                              "(tensorflow-cpu has none)") from None
    return StrategyInfo("tpu", strategy, replicas=strategy.num_replicas_in_sync,
                        devices=list(strategy.extended.worker_devices))


# ------------------------------------------------------------------------------------ input data


@dataclass
class Shard:
    """This worker's share of the input: worker ``index`` of ``count``."""

    count: int
    index: int


@dataclass
class DistributedInputs:
    """Input pipelines already distributed by the strategy, and how many steps each pass takes."""

    train: Any
    steps_per_epoch: int
    validation: Any = None
    validation_steps: int | None = None
    per_replica_batch: int = 0
    global_batch: int = 0
    sharding: dict[str, str] = field(default_factory=dict)
    repeat_train: bool = False
    """True: ``train`` repeats; iterate one iterator across epochs for ``steps_per_epoch`` steps."""
    element_spec: Any = None
    """The shapes and dtypes of one (global) training batch, before distribution."""


def per_replica_batch(global_batch: int, replicas: int, what: str = "train.batch_size") -> int:
    if global_batch % replicas:
        raise KspecError(f"{what} {global_batch} does not divide among {replicas} replicas",
                         hint=f"use a multiple of {replicas}, e.g. {max(replicas, global_batch - global_batch % replicas)}; "
                              "the batch size is the global batch, split evenly across replicas")
    return global_batch // replicas


def _options(tf, policy: str):
    opts = tf.data.Options()
    opts.experimental_distribute.auto_shard_policy = getattr(tf.data.experimental.AutoShardPolicy, policy)
    return opts


def array_dataset(tf, x, y, batch: int, *, shuffle: bool, seed: int, repeat: bool, passes: bool = False):
    """Global batches of in-memory arrays, sharded by data: every worker builds the same pipeline.

    ``passes``: an endless sequence of passes, each reshuffled and batched on its own (its last
    batch may be partial), so ``ceil(n / batch)`` steps of one iterator are exactly one pass, as
    ``fit`` trains an epoch. Otherwise with ``repeat`` the batches run across passes (always full)."""
    ds = tf.data.Dataset.from_tensor_slices((x, y))
    if shuffle:
        ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    if passes:
        ds = ds.batch(batch).repeat()
    elif repeat:
        ds = ds.repeat().batch(batch)
    else:
        ds = ds.batch(batch)
    return ds.prefetch(2).with_options(_options(tf, "DATA"))


def eval_dataset(tf, data, batch: int, *, repeat: bool = False):
    """A validation or test set (arrays or a finite dataset), sharded by data. ``repeat``: endless
    passes, each whole (read ``ceil(n / batch)`` batches per evaluation from one iterator)."""
    if isinstance(data, tuple):
        ds = tf.data.Dataset.from_tensor_slices(data).batch(batch)
    else:
        ds = data
    if repeat:
        ds = ds.repeat()
    return ds.with_options(_options(tf, "DATA"))


def distribute_inputs(info: StrategyInfo, inputs: Any, resolved: Any, *, sharded_by_file: bool = False) -> DistributedInputs:
    """``inputs`` (emit.data.Inputs) as distributed datasets for ``info.strategy``.

    ``sharded_by_file``: the image-folder training pipeline was built from this worker's files only
    and batched per replica; it is handed over as it is (validation data is whole, sharded by data).
    """
    tf = _tf()
    strategy = info.strategy
    t = resolved.train
    global_batch = inputs.batch_size
    per = per_replica_batch(global_batch, info.replicas,
                            "data.batch_size" if getattr(resolved.data, "batch_size", None) else "train.batch_size")
    out = DistributedInputs(train=None, steps_per_epoch=0, per_replica_batch=per, global_batch=global_batch)
    if sharded_by_file:
        train = inputs.train
        out.train = strategy.distribute_datasets_from_function(lambda ctx: train.with_options(_options(tf, "OFF")))
        out.element_spec = train.element_spec
        out.repeat_train = True
        n = resolved.facts.n_train
        out.steps_per_epoch = t.steps_per_epoch or max(1, math.ceil((n or 0) / global_batch))
        out.sharding["train"] = f"by file: worker {info.worker_index} reads 1/{info.workers} of the files"
    elif inputs.in_memory:
        x, y = inputs.train
        # Always one repeating pipeline and one iterator: a finite pass would make every step agree
        # on "is there another batch?" (one more collective per step, as long as a step here) and
        # every epoch start a new distributed iterator. Without steps_per_epoch each repetition is
        # one reshuffled pass with its partial last batch, as fit's epochs are.
        ds = array_dataset(tf, x, y, global_batch, shuffle=inputs.shuffle, seed=resolved.seed, repeat=True,
                           passes=not t.steps_per_epoch)
        out.train = strategy.experimental_distribute_dataset(ds)
        out.element_spec = ds.element_spec
        out.repeat_train = True
        out.steps_per_epoch = t.steps_per_epoch or math.ceil(len(x) / global_batch)
        out.sharding["train"] = "by data (auto-shard DATA): each worker keeps its slice of every global batch"
    else:
        out.train = strategy.experimental_distribute_dataset(inputs.train.with_options(_options(tf, "DATA")))
        out.element_spec = inputs.train.element_spec
        out.repeat_train = True
        out.steps_per_epoch = t.steps_per_epoch or inputs.steps_per_epoch
        out.sharding["train"] = "by data (auto-shard DATA)"
    if inputs.validation is not None:
        vdata = inputs.validation
        # One repeating validation iterator for the whole of training when the batches per pass are
        # known (a new distributed iterator per epoch costs its start-up and agreement again).
        if isinstance(vdata, tuple):
            out.validation_steps = math.ceil(len(vdata[0]) / global_batch) if len(vdata[0]) else None
        else:
            out.validation_steps = getattr(inputs, "validation_steps", None) or None
        ds = eval_dataset(tf, vdata, global_batch, repeat=out.validation_steps is not None)
        out.sharding["validation"] = "by data"
        if ds is not None:
            out.validation = strategy.experimental_distribute_dataset(ds)
    return out


def shard_image_folder(resolved: Any, shard: Shard, batch_size: int) -> Any:
    """A copy of ``resolved`` whose image folder holds only this worker's training files, batched
    ``batch_size`` (per replica).

    The training files are chosen as the image pipeline chooses them for one process (the seeded
    split off ``validation``, then ``limit``), and this worker takes the ``index``-th of every
    ``count`` of them, so the workers' shares are disjoint and together are the training set of a
    single-process run. The copy has no validation: validation data comes whole from the
    unsharded pipeline and is sharded by data."""
    import copy

    from .. import imagefolder as imf

    data = resolved.data
    listing = resolved.facts.extra.get("listing")
    if listing is None:
        listing = imf.list_tree(resolved.path(data.directory), data.formats, data.follow_links, data.class_names)
    seed = int(data.seed if data.seed is not None else resolved.seed)
    items = listing.items()
    if isinstance(data.validation, float) and not data.validation_directory:
        items, _ = imf.split_items(listing, data.validation, seed)
    items = imf.limit_items(items, data.limit, seed)
    mine = items[shard.index::shard.count]
    files = {c: [] for c in listing.class_names}
    for path, label in mine:
        files[listing.class_names[label]].append(path)
    facts = copy.copy(resolved.facts)
    facts.extra = dict(resolved.facts.extra)
    facts.extra["listing"] = replace(listing, files=files)
    facts.extra.pop("validation_listing", None)
    data = data.model_copy(update={"validation": "none", "validation_directory": None, "limit": None,
                                   "batch_size": batch_size})
    return replace(resolved, facts=facts, data=data)
