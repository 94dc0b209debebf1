"""``kspec export RUN_DIR --format savedmodel|tflite|onnx``: a trained run as deployment artifacts.

    savedmodel  ``model.export(dir)``: a TensorFlow SavedModel with a ``serve`` endpoint (TF Serving)
    tflite      ``tf.lite.TFLiteConverter`` from that SavedModel; ``--quantize`` applies
                dynamic-range quantisation (weights stored as int8, about 4x smaller)
    onnx        ``tf2onnx`` from the model's call as a ``tf.function`` (opset 13), when tf2onnx is
                installed; checked with onnxruntime when that is installed

Every export is loaded back and run on sample inputs (uniform 0..1 values of the model's input
shape, seeded); the largest difference from the Keras model's outputs is reported and must be
within the format's tolerance, or the export fails.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .diagnostics import KspecError

FORMATS = ("savedmodel", "tflite", "onnx")
TOLERANCE = {"savedmodel": 1e-6, "tflite": 1e-5, "tflite-quantized": 0.05, "onnx": 1e-5}
"""Largest absolute difference from the Keras model's outputs accepted on the sample inputs."""
SAMPLES = 16


@dataclass
class Exported:
    path: Path
    format: str
    max_abs_diff: float
    tolerance: float
    samples: int
    bytes: int

    def render(self) -> str:
        size = f"{self.bytes / 1024:.1f} KB" if self.bytes < 2**20 else f"{self.bytes / 2**20:.1f} MB"
        return (f"wrote {self.path} ({self.format}, {size}); on {self.samples} sample inputs the outputs differ from "
                f"the Keras model's by at most {self.max_abs_diff:.2g} (tolerance {self.tolerance:g})")


def sample_inputs(model, n: int = SAMPLES, seed: int = 0) -> np.ndarray:
    shape = tuple(int(d) for d in model.inputs[0].shape[1:])
    return np.random.default_rng(seed).uniform(0.0, 1.0, size=(n, *shape)).astype(np.float32)


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _quiet_export(model, path: Path) -> None:
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):
        model.export(str(path), format="tf_saved_model", verbose=False)


def export_savedmodel(model, path: Path, x: np.ndarray) -> np.ndarray:
    import tensorflow as tf

    tmp = path.with_name(f".{path.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    _quiet_export(model, tmp)
    if path.exists():
        shutil.rmtree(path)
    tmp.rename(path)
    loaded = tf.saved_model.load(str(path))
    return np.asarray(loaded.serve(tf.constant(x)))


def export_tflite(model, path: Path, x: np.ndarray, *, quantize: bool) -> np.ndarray:
    import tensorflow as tf

    from .atomic import write_bytes

    with tempfile.TemporaryDirectory() as tmp:
        saved = Path(tmp) / "saved"
        _quiet_export(model, saved)
        converter = tf.lite.TFLiteConverter.from_saved_model(str(saved))
        if quantize:
            converter.optimizations = [tf.lite.Optimize.DEFAULT]  # dynamic-range quantisation
        blob = converter.convert()
    write_bytes(path, blob)
    return run_tflite(path, x)


def run_tflite(path: Path, x: np.ndarray) -> np.ndarray:
    import warnings

    import tensorflow as tf

    with warnings.catch_warnings():  # tf.lite.Interpreter's notice that it moves to LiteRT
        warnings.simplefilter("ignore")
        interpreter = tf.lite.Interpreter(model_path=str(path))
    inp = interpreter.get_input_details()[0]
    out = interpreter.get_output_details()[0]
    interpreter.resize_tensor_input(inp["index"], x.shape)
    interpreter.allocate_tensors()
    interpreter.set_tensor(inp["index"], x)
    interpreter.invoke()
    return np.asarray(interpreter.get_tensor(out["index"]))


def export_onnx(model, path: Path, x: np.ndarray) -> np.ndarray | None:
    try:
        import tf2onnx
    except ImportError:
        raise KspecError("ONNX export needs tf2onnx, which is not installed",
                         hint="pip install tf2onnx onnxruntime (or export --format savedmodel / tflite)") from None
    import tensorflow as tf

    shape = (None,) + tuple(int(d) for d in model.inputs[0].shape[1:])
    fn = tf.function(lambda inputs: model(inputs, training=False))
    signature = (tf.TensorSpec(shape, tf.float32, name="inputs"),)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tf2onnx.convert.from_function(fn, input_signature=signature, opset=13, output_path=str(tmp))
        tmp.replace(path)
    except Exception as e:
        tmp.unlink(missing_ok=True)
        raise KspecError(f"tf2onnx could not convert the model: {type(e).__name__}: {str(e).splitlines()[0][:300]}",
                         hint="export --format savedmodel or tflite instead") from None
    try:
        import onnxruntime as ort
    except ImportError:
        return None
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return np.asarray(session.run(None, {name: x})[0])


def export_run(run_dir: str | Path, fmt: str, *, out: str | Path | None = None, quantize: bool = False) -> Exported:
    """Export a run's model; ``out`` defaults to ``RUN_DIR/export/model.<ext>``."""
    from .run.saved import SavedRun

    if fmt not in FORMATS:
        raise KspecError(f"unknown export format {fmt!r}", hint="use " + ", ".join(FORMATS))
    if quantize and fmt != "tflite":
        raise KspecError("--quantize applies to --format tflite only")
    run_dir = Path(run_dir)
    saved = SavedRun(run_dir)
    model = saved.model
    default = {"savedmodel": "savedmodel", "tflite": "model_quant.tflite" if quantize else "model.tflite",
               "onnx": "model.onnx"}[fmt]
    path = Path(out) if out else run_dir / "export" / default
    path.parent.mkdir(parents=True, exist_ok=True)
    x = sample_inputs(model)
    want = np.asarray(model.predict(x, verbose=0))
    if fmt == "savedmodel":
        got = export_savedmodel(model, path, x)
    elif fmt == "tflite":
        got = export_tflite(model, path, x, quantize=quantize)
    else:
        got = export_onnx(model, path, x)
    key = "tflite-quantized" if quantize else fmt
    tol = TOLERANCE[key]
    if got is None:  # onnx without onnxruntime: written, not checked
        return Exported(path, fmt, float("nan"), tol, 0, _size(path))
    diff = float(np.max(np.abs(got.reshape(want.shape) - want))) if want.size else 0.0
    if not diff <= tol:
        raise KspecError(f"the {fmt} export of {run_dir} gives outputs that differ from the Keras model's by {diff:.3g} "
                         f"(tolerance {tol:g}); the file is at {path}", hint="this is a converter problem; please report it")
    return Exported(path, key, diff, tol, len(x), _size(path))


__all__ = ["Exported", "FORMATS", "TOLERANCE", "export_run"]
