"""``kspec eject`` for ``train.distribute``: the strategy kspec creates, written out.

``mirrored`` is ``tf.distribute.MirroredStrategy`` with the spec's devices (CPUs split into logical
devices first when it names ``/cpu:1`` ...) and cross-device ops; the model is built and compiled
in its scope and trained with ``model.fit``, as kspec does.

``multi_worker`` is ``tf.distribute.MultiWorkerMirroredStrategy`` with the spec's cluster and
collective implementation. Keras 3's ``fit`` cannot train under it (keras-team/keras#20585), so
kspec runs a loop of its own (:mod:`kspec.run.distribute`); the script has the same loop in a
few lines: Keras's ``train_step`` / ``test_step`` in ``strategy.run``, metrics read across
workers, the same callbacks and History. In-memory data is one pipeline of global batches,
sharded by data (auto-shard ``DATA``), as kspec shards it. An image folder on a cluster of more
than one worker is sharded by file, as kspec shards it: each worker reads every N-th training
file and batches per replica; validation images are whole, sharded by data.
"""

from __future__ import annotations

from ..spec import MirroredDistribute, MultiWorkerDistribute

STRATEGY_HEAD = {
    "mirrored": '''
# the strategy first: TensorFlow configures devices when it first runs anything
{logical}strategy = tf.distribute.MirroredStrategy(devices={devices!r}{ops})
print(f"MirroredStrategy: {{strategy.num_replicas_in_sync}} replica(s)")
''',
    "multi_worker": '''
# the strategy first: collective ops are configured when TensorFlow first runs anything
{cluster}strategy = tf.distribute.MultiWorkerMirroredStrategy(
    communication_options=tf.distribute.experimental.CommunicationOptions(
        implementation=tf.distribute.experimental.CommunicationImplementation.{impl}))
resolver = strategy.cluster_resolver
IS_CHIEF = resolver.task_type in (None, "chief") or (
    resolver.task_id == 0 and "chief" not in resolver.cluster_spec().as_dict())  # worker 0 without a chief job
print(f"MultiWorkerMirroredStrategy: {{strategy.num_replicas_in_sync}} replica(s)")
''',
}

CLUSTER = '''WORKERS = {workers!r}  # the chief first
WORKER_INDEX = int(os.environ.get("WORKER_INDEX", sys.argv[1] if len(sys.argv) > 1 else 0))  # this worker
os.environ["TF_CONFIG"] = json.dumps({{"cluster": {{"worker": WORKERS}}, "task": {{"type": "worker", "index": WORKER_INDEX}}}})
'''

LOGICAL = '''cpus = tf.config.list_physical_devices("CPU")  # {n} logical CPUs, so that {devices} exist
if len(cpus) < {n}:
    tf.config.set_logical_device_configuration(cpus[0], [tf.config.LogicalDeviceConfiguration()] * {n})
'''

LOOP = '''

def sharded(ds):
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return strategy.experimental_distribute_dataset(ds.with_options(options))


@tf.function
def all_reduce(value):
    """The sum of ``value`` over every replica of every worker (each worker must call it)."""
    return strategy.reduce("SUM", strategy.run(tf.identity, args=(value,)), axis=None)


def distributed_fit(model, train, steps_per_epoch, validation, validation_steps, epochs, callbacks, verbose):
    """model.fit for MultiWorkerMirroredStrategy, which Keras 3's fit does not support: Keras's own
    train_step / test_step in strategy.run, metrics read across all workers, the same callbacks."""
    with strategy.scope():
        model.optimizer.build(model.trainable_variables)
    train_step = tf.function(lambda batch: strategy.run(model.train_step, args=(batch,)))
    test_step = tf.function(lambda batch: strategy.run(model.test_step, args=(batch,)))
    metrics = tf.function(model.get_metrics_result)  # cross-replica: summed over every worker

    def read():
        return {k: float(v) for k, v in metrics().items()}

    cbs = keras.callbacks.CallbackList(callbacks, add_history=True, add_progbar=verbose != 0, model=model,
                                       verbose=verbose, epochs=epochs, steps=steps_per_epoch)
    batches = iter(train)
    validation_batches = iter(validation) if validation is not None else None
    model.stop_training = False
    logs = {}
    cbs.on_train_begin()
    for epoch in range(epochs):
        model.reset_metrics()
        cbs.on_epoch_begin(epoch)
        for step in range(steps_per_epoch):
            cbs.on_train_batch_begin(step)
            train_step(next(batches))
            cbs.on_train_batch_end(step, {})
        logs = read()
        if validation is not None:
            model.reset_metrics()
            cbs.on_test_begin()
            for _ in range(validation_steps):
                test_step(next(validation_batches))
            val = read()
            cbs.on_test_end(val)
            logs.update({f"val_{k}": v for k, v in val.items()})
        cbs.on_epoch_end(epoch, logs)
        # a stop asked on any worker (threshold, early stopping) stops all of them at this epoch
        model.stop_training = float(all_reduce(tf.constant(float(model.stop_training), tf.float64))) > 0
        if model.stop_training:
            break
    cbs.on_train_end(logs)
    return model.history
'''


def kind(r) -> str:
    dist = r.train.distribute
    if isinstance(dist, MirroredDistribute):
        return "mirrored"
    if isinstance(dist, MultiWorkerDistribute):
        return "multi_worker"
    return "default"


def strategy_code(r) -> list[str]:
    """The lines that create the strategy (before anything else runs in TensorFlow)."""
    dist = r.train.distribute
    k = kind(r)
    if k == "mirrored":
        devices = list(dist.devices) if dist.devices else None
        logical = ""
        if devices:
            n = 1 + max((int(d.rsplit(":", 1)[1]) for d in devices if "cpu" in d.lower()), default=0)
            if n > 1:
                logical = LOGICAL.format(n=n, devices=", ".join(devices))
        ops = {"auto": "", "nccl": ", cross_device_ops=tf.distribute.NcclAllReduce()",
               "hierarchical_copy": ", cross_device_ops=tf.distribute.HierarchicalCopyAllReduce()",
               "reduce_to_one": ", cross_device_ops=tf.distribute.ReductionToOneDevice()"}[dist.cross_device_ops]
        text = STRATEGY_HEAD[k].format(logical=logical, devices=devices, ops=ops)
    else:
        cluster = CLUSTER.format(workers=list(dist.workers)) if isinstance(dist.workers, list) else \
            "# the cluster: TF_CONFIG on every worker (none: this process alone)\n"
        text = STRATEGY_HEAD[k].format(cluster=cluster, impl=dist.communication.upper())
    return text.strip("\n").splitlines() + [""]


def loop_code() -> list[str]:
    return LOOP.strip("\n").splitlines() + ["", ""]


def multi_worker_fit_code(r, images: bool, verbose) -> list[str]:
    """Distributed datasets and the loop, for the arrays (x, y, validation) or image datasets."""
    t = r.train
    lines = []
    if images:
        lines += ["if N_WORKERS > 1:  # each worker's own files: no auto-sharding on top",
                  "    off = tf.data.Options()",
                  "    off.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.OFF",
                  "    dtrain = strategy.distribute_datasets_from_function(lambda ctx: train.with_options(off))",
                  "else:",
                  "    dtrain = sharded(train)",
                  "dvalidation = sharded(validation.repeat()) if validation is not None else None"]
        steps, vsteps = "STEPS_PER_EPOCH", "VALIDATION_STEPS"
    else:
        shuffle = r.data.shuffle
        lines += ["ds = tf.data.Dataset.from_tensor_slices((x, y))"]
        if shuffle:
            lines += ["ds = ds.shuffle(len(x), seed=SEED, reshuffle_each_iteration=True)"]
        if t.steps_per_epoch:
            lines += ["dtrain = sharded(ds.repeat().batch(BATCH_SIZE).prefetch(2))  # global batches across passes",
                      f"STEPS_PER_EPOCH = {t.steps_per_epoch}"]
        else:
            lines += ["dtrain = sharded(ds.batch(BATCH_SIZE).repeat().prefetch(2))  # each pass reshuffled, as fit's epochs",
                      "STEPS_PER_EPOCH = math.ceil(len(x) / BATCH_SIZE)"]
        lines += ["dvalidation, VALIDATION_STEPS = None, None", "if validation is not None and len(validation[0]):"]
        if t.validation_steps:
            lines += ["    vds = tf.data.Dataset.from_tensor_slices(validation).repeat().batch(BATCH_SIZE).prefetch(2)",
                      f"    dvalidation, VALIDATION_STEPS = sharded(vds.repeat()), {t.validation_steps}"]
        else:
            lines += ["    vds = tf.data.Dataset.from_tensor_slices(validation).batch(BATCH_SIZE)",
                      "    dvalidation, VALIDATION_STEPS = sharded(vds.repeat()), math.ceil(len(validation[0]) / BATCH_SIZE)"]
        steps, vsteps = "STEPS_PER_EPOCH", "VALIDATION_STEPS"
    lines += [f"history = distributed_fit(model, dtrain, {steps}, dvalidation, {vsteps}, EPOCHS, callbacks, "
              f"verbose={verbose!r})"]
    return lines


__all__ = ["kind", "loop_code", "multi_worker_fit_code", "strategy_code"]
