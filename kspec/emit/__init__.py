"""Stage 5, emit: a resolved spec -> Keras objects (model, optimizer, loss, callbacks) and input data.

This is the first stage that imports TensorFlow/Keras; nothing below it may.
"""

import os

TF_ENV = {
    "TF_CPP_MIN_LOG_LEVEL": "2",
    # TensorFlow's caching (BFC) allocator for CPU memory. The default allocator is malloc, which
    # maps every block over 32 MB afresh and page-faults it in: a batch of 128 300x300 RGB images is
    # 34 MB as uint8 and 138 MB as float32, so a cached image epoch spent most of its time in the
    # kernel (330k minor faults per epoch). BFC keeps freed blocks for the next batch: a cached
    # epoch then takes about an eighth of the CPU time (benchmarks/input_pipeline.py).
    "TF_CPU_ALLOCATOR_USE_BFC": "true",
}
"""Environment kspec gives TensorFlow before it starts (a variable already set is left as it is)."""


def tf_environment(env: dict | None = None) -> dict:
    """Set :data:`TF_ENV` in ``env`` (default: this process's environment, before TensorFlow is
    imported) where not set already; returns ``env``."""
    target = os.environ if env is None else env
    for k, v in TF_ENV.items():
        target.setdefault(k, v)
    return target
