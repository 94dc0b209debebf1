"""``kspec import``: a saved Keras model as a spec's model (and compile) section.

Reads the model's configuration without TensorFlow: ``config.json`` inside a ``.keras`` file, the
text of ``model.to_json()``, or the ``model_config`` / ``training_config`` attributes of an HDF5
file (through h5py). A ``Sequential`` model whose layers are all kspec layers becomes a model
section with only the arguments that differ from kspec's defaults; anything a spec cannot say
(a functional or subclassed model, a custom or unsupported layer, a regularizer, a constraint, a
seeded initializer) is refused with a message naming the layer and the argument. Compile settings
a spec cannot hold (gradient clipping, a learning-rate schedule, loss weights) are left out with
a note.
"""

from __future__ import annotations

import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .diagnostics import KspecError

_IGNORED_DEFAULTS: dict[str, Any] = {
    "trainable": True, "data_format": "channels_last", "groups": 1, "axis": -1, "synchronized": False,
    "fill_value": 0.0, "value_range": [0, 255], "noise_shape": None, "lora_rank": None, "lora_alpha": None,
    "quantization_config": None, "kernel_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
    "kernel_constraint": None, "bias_constraint": None, "beta_regularizer": None, "gamma_regularizer": None,
    "beta_constraint": None, "gamma_constraint": None, "beta_initializer": "zeros", "gamma_initializer": "ones",
    "moving_mean_initializer": "zeros", "moving_variance_initializer": "ones", "renorm": False, "keepdims": False,
}
_INITIALIZER_ALIASES = {"uniform": "random_uniform", "normal": "random_normal"}
"""Keras's short initializer names and the class each one builds."""
"""Keras arguments a spec has no field for, and the value they must have for the model to be a spec's."""

_OPTIMIZER_TYPES = {"SGD": "sgd", "Adam": "adam", "RMSprop": "rmsprop", "AdamW": "adamw", "Adagrad": "adagrad",
                    "Nadam": "nadam"}
_OPTIMIZER_IGNORED = {"name": None, "weight_decay": None, "clipnorm": None, "global_clipnorm": None, "clipvalue": None,
                      "use_ema": False, "ema_momentum": 0.99, "ema_overwrite_frequency": None,
                      "loss_scale_factor": None, "gradient_accumulation_steps": None, "jit_compile": True,
                      "is_legacy_optimizer": False, "decay": 0.0}


@dataclass
class Imported:
    spec: dict[str, Any]
    """``name``, ``model`` and, when the file has them, ``compile`` settings."""
    notes: list[str] = field(default_factory=list)
    source: str = ""
    yaml: str = ""
    """The spec file ``kspec import`` writes (set by ``kspec.import_model``)."""


def _snake(name: str) -> str:
    s = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()


def _f32(v: Any) -> Any:
    """A float stored as float32 (``0.0010000000474974513``) as the decimal one wrote (``0.001``)."""
    if isinstance(v, float):
        import numpy as np

        if float(np.float32(v)) == v:
            return float(str(np.float32(v)))
    return v


# ------------------------------------------------------------------------------------ reading files


def read_config(path: Path) -> tuple[dict[str, Any], dict[str, Any] | None, str]:
    """(model config, compile config or None, what the file was) of a .keras, JSON or HDF5 file."""
    path = Path(path)
    if not path.is_file():
        raise KspecError(f"{path} does not exist", hint="give a .keras file, a model JSON file or an .h5 file")
    with path.open("rb") as f:
        head = f.read(8)
    if head.startswith(b"PK"):
        try:
            with zipfile.ZipFile(path) as z:
                config = json.loads(z.read("config.json"))
        except (zipfile.BadZipFile, KeyError, json.JSONDecodeError) as e:
            raise KspecError(f"{path} is not a readable .keras file: {e}") from None
        return config, config.get("compile_config"), ".keras file"
    if head.startswith(b"\x89HDF"):
        try:
            import h5py
        except ImportError:
            raise KspecError("reading an HDF5 model needs h5py", hint="pip install h5py") from None
        with h5py.File(path, "r") as f:
            raw = f.attrs.get("model_config")
            if raw is None:
                raise KspecError(f"{path} is an HDF5 file without a model configuration (weights only?)",
                                 hint="save the whole model: model.save('model.h5') or model.save('model.keras')")
            training = f.attrs.get("training_config")
        decode = lambda v: json.loads(v.decode() if isinstance(v, bytes) else v)  # noqa: E731
        return decode(raw), _legacy_compile(decode(training)) if training is not None else None, "HDF5 file"
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise KspecError(f"{path} is neither a .keras file, an HDF5 file nor model JSON: {e}") from None
    if not isinstance(config, dict) or "class_name" not in config:
        raise KspecError(f"{path} is JSON but not a Keras model (no class_name)",
                         hint="write it with model.to_json()")
    return config, config.get("compile_config"), "model JSON"


def _legacy_compile(training: dict[str, Any]) -> dict[str, Any]:
    metrics = training.get("metrics") or []
    if metrics and isinstance(metrics[0], list):
        metrics = metrics[0]
    return {"optimizer": training.get("optimizer_config"), "loss": training.get("loss"), "metrics": metrics,
            "loss_weights": training.get("loss_weights")}


# ------------------------------------------------------------------------------------ layers


def _initializer(value: Any, where: str) -> str:
    if isinstance(value, str):
        return _snake(value) if value[:1].isupper() else value
    if isinstance(value, dict):
        name = _snake(value.get("class_name", ""))
        cfg = {k: v for k, v in (value.get("config") or {}).items() if v is not None}
        defaults = {"random_normal": {"mean": 0.0, "stddev": 0.05}, "random_uniform": {"minval": -0.05, "maxval": 0.05},
                    "truncated_normal": {"mean": 0.0, "stddev": 0.05}, "orthogonal": {"gain": 1.0}}.get(name, {})
        extra = {k: v for k, v in cfg.items() if defaults.get(k, object()) != v}
        if extra:
            raise KspecError(f"{where}: initializer {value.get('class_name')} with {extra} cannot be written in a spec "
                             "(a spec names initializers with their default arguments)")
        return name
    raise KspecError(f"{where}: an initializer {value!r} cannot be written in a spec")


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return list(a) == list(b)
    return a == b


def _layer(i: int, item: dict[str, Any], classes: dict[str, Any]) -> dict[str, Any]:
    cls_name = item.get("class_name")
    cfg = dict(item.get("config") or {})
    label = f"layer {i} ({cls_name} {cfg.get('name')!r})"
    if item.get("registered_name") and item.get("registered_name") != cls_name:
        raise KspecError(f"{label} is a custom object ({item['registered_name']}); a spec holds only kspec's layers",
                         hint="rewrite it with supported layers (`kspec import` lists them), or keep that model in Python")
    cls = classes.get(cls_name)
    if cls is None:
        raise KspecError(f"{label} is not a layer kspec supports",
                         hint="supported layers: " + ", ".join(sorted(classes)))
    fields = cls.model_fields
    out: dict[str, Any] = {"type": cls_name}
    for key, value in cfg.items():
        if key in ("name", "dtype", "batch_input_shape", "batch_shape", "input_shape", "build_config",
                   "zero_output_for_mask"):  # the last one Keras sets itself on recurrent layers
            continue
        where = f"{label}: {key}"
        if key.endswith("_initializer") and key in fields:
            value = _initializer(value, where)
            default = fields[key].default
            if isinstance(default, str) and _INITIALIZER_ALIASES.get(default, default) == value:
                continue
        elif key in _IGNORED_DEFAULTS:
            want = _IGNORED_DEFAULTS[key]
            got = _initializer(value, where) if key.endswith("_initializer") else value
            if not _same(got, want):
                raise KspecError(f"{where} = {json.dumps(value)[:200]} has no place in a spec (it must be {want!r})",
                                 hint="remove it from the Keras model, or keep that model in Python")
            continue
        if key not in fields:
            if value in (None, False):
                continue
            raise KspecError(f"{where} = {json.dumps(value)[:200]}: a spec's {cls_name} has no `{key}`",
                             hint=f"{cls_name} in a spec takes: " + ", ".join(k for k in fields if k != "type"))
        if key == "backward_layer" and isinstance(value, dict) and isinstance(cfg.get("layer"), dict):
            skip = ("name", "go_backwards")
            mine = {k: v for k, v in _layer(i, value, classes).items() if k not in skip}
            fwd = {k: v for k, v in _layer(i, cfg["layer"], classes).items() if k not in skip}
            if mine == fwd:
                continue  # the mirror Keras builds itself from `layer`
        if isinstance(value, dict) and key in ("layer", "backward_layer") and "class_name" in value:
            out[key] = _layer(i, value, classes)  # a wrapper's nested layer
            continue
        if isinstance(value, dict):
            raise KspecError(f"{where} is a {value.get('class_name', 'custom object')}, which a spec cannot hold")
        out[key] = value
    return _minimal(cls, out)


_POOLING = {"GlobalAveragePooling2D": "avg", "GlobalMaxPooling2D": "max"}


def _application(i: int, item: dict[str, Any], notes: list[str]) -> dict[str, Any] | None:
    """An ``Application`` layer, or None when ``item`` is not one: either as kspec emits it
    (``emit.applications``: a small model named after the application, ``Input -> preprocess_input as
    layers -> the keras.applications backbone``) or a plain ``keras.applications`` model placed in
    the Sequential as the course does (``MobileNetV2(include_top=False, ...)``), found by its layer
    names. The backbone's variant (alpha, minimalistic, include_preprocessing) is found from its
    layer names, width and model name; trainable / fine_tune_from from its layers' trainable flags;
    batch_norm_momentum from its BatchNormalization layers when they all share one other than Keras's.
    The configuration holds no weights, so ``weights`` is null (with a note)."""
    from .layerdefs.applications import APPLICATIONS, table

    cfg = item.get("config") or {}
    name = cfg.get("name")
    if item.get("class_name") not in ("Functional", "Model"):
        return None
    if name not in APPLICATIONS:
        return _plain_backbone(i, item, notes)
    inner = cfg.get("layers") or []
    backbones = [l for l in inner if l.get("class_name") in ("Functional", "Model")]
    if len(backbones) != 1:
        return None
    stem = name.lower()
    entry = table()[name]
    pre = [(l.get("class_name"), (l.get("config") or {}).get("name")) for l in inner
           if l.get("class_name") not in ("Functional", "Model", "InputLayer")]
    expected = {"tf": [("Rescaling", f"{stem}_preprocess")],
                "torch": [("Rescaling", f"{stem}_rescale"), ("Normalization", f"{stem}_normalize")],
                "caffe": [("Conv2D", f"{stem}_preprocess")]}.get(entry["preprocess"], [])
    if pre and pre != expected:
        return None
    label = f"layer {i} (Application {name!r})"
    bb = backbones[0].get("config") or {}
    candidates = _variants(name, bb)
    if not candidates:
        raise KspecError(f"{label}: its backbone {bb.get('name')!r} is none of the variants of keras.applications.{name} "
                         "that kspec knows (the layer names differ)",
                         hint="rebuild it with keras.applications or kspec's Application layer, or keep that model in Python")
    out = _backbone_fields(name, bb, candidates, label, notes, frozen=cfg.get("trainable") is False)
    if not pre and expected:
        out["preprocess_input"] = False
    return _finish_application(out, notes, label)


def _plain_backbone(i: int, item: dict[str, Any], notes: list[str]) -> dict[str, Any] | None:
    """A plain ``keras.applications`` model as a layer of the Sequential: the application whose
    layer names the model's start with. Keras's preprocessing is not part of such a model (the
    course applies ``preprocess_input`` to the data, or puts a Rescaling layer before it), so the
    layer says ``preprocess_input: false`` where the application has a ``preprocess_input``."""
    from .layerdefs.applications import APPLICATIONS, table

    cfg = item.get("config") or {}
    names = _layer_names(cfg)
    if not names:
        return None
    found = [(app, c) for app in APPLICATIONS for c in [_variants(app, cfg, names)] if c]
    if not found:
        return None
    longest = max(len(c[0][3]) for _, c in found)  # VGG19 also starts as VGG16 does: the whole match wins
    found = [(app, c) for app, c in found if len(c[0][3]) == longest]
    if len(found) > 1:  # the same layers (ResNet50 and the first blocks of ResNet101 cannot both match whole)
        raise KspecError(f"layer {i} ({item.get('class_name')} {cfg.get('name')!r}): its layers match "
                         f"{', '.join(app for app, _ in found)} alike",
                         hint="write the Application layer in the spec by hand")
    app, candidates = found[0]
    label = f"layer {i} (keras.applications.{app} {cfg.get('name')!r})"
    out = _backbone_fields(app, cfg, candidates, label, notes, frozen=False)
    if table()[app]["preprocess"] != "internal":
        out["preprocess_input"] = False
        notes.append(f"{label}: a plain keras.applications model does not preprocess its input, so "
                     "`preprocess_input: false` was written; if the data is not preprocessed before it, remove "
                     "that line and kspec applies the application's preprocess_input in the model")
    return _finish_application(out, notes, label)


def _layer_names(cfg: dict[str, Any]) -> list[str]:
    return [(l.get("config") or {}).get("name") for l in cfg.get("layers") or [] if l.get("class_name") != "InputLayer"]


def _unnumbered(name: str | None) -> str | None:
    """A layer name less a process counter (``rescaling_1`` -> ``rescaling``): Keras numbers the
    preprocessing layers of a backbone by how many were made before it in the process."""
    return re.sub(r"_\d+$", "", name) if name else name


def _variants(app: str, bb: dict[str, Any], bnames: list[str] | None = None) -> list[tuple]:
    """The variants of ``app`` whose layer names ``bb``'s layers start with: (alpha, minimalistic,
    include_preprocessing, names, table entry), ``include_preprocessing`` False where the backbone
    lacks the preprocessing layers the variant starts with."""
    from .layerdefs.applications import backbone_layers, table, takes

    bnames = _layer_names(bb) if bnames is None else bnames
    have = [_unnumbered(n) for n in bnames]
    entry = table()[app]
    out = []
    for key, variant in entry["variants"].items():
        opts = dict(kv.split("=") for kv in key.split(",") if kv)
        alpha = float(opts["alpha"]) if "alpha" in opts else None
        minimal = opts["minimalistic"] == "True" if "minimalistic" in opts else None
        names = backbone_layers(app, alpha, minimal)[0]
        want = [_unnumbered(n) for n in names]
        if have[:len(want)] == want:
            out.append((alpha, minimal, None, names, variant))
        elif takes(app, "include_preprocessing"):
            skip = len((variant.get("preprocessing") or [[]])[0])
            if skip and have[:len(want) - skip] == want[skip:]:
                out.append((alpha, minimal, False, names[skip:], variant))
    return out


def _backbone_fields(name: str, bb: dict[str, Any], candidates: list[tuple], label: str, notes: list[str], *,
                     frozen: bool) -> dict[str, Any]:
    """The Application layer's fields read from the backbone model's configuration ``bb``."""
    blayers = [l for l in bb.get("layers") or [] if l.get("class_name") != "InputLayer"]
    bnames = [(l.get("config") or {}).get("name") for l in blayers]
    by_name = {n: l for n, l in zip(bnames, blayers)}
    out: dict[str, Any] = {"type": "Application", "name": name, "weights": None}
    top = by_name.get("predictions")
    out["include_top"] = top is not None and top.get("class_name") == "Dense"
    if out["include_top"]:
        out["classes"] = top["config"].get("units")
        out["classifier_activation"] = top["config"].get("activation")
    else:
        out["pooling"] = _POOLING.get(blayers[-1].get("class_name")) if blayers else None
    if len(candidates) > 1:
        m = re.search(r"_(\d+\.\d+)_", bb.get("name") or "")  # mobilenetv2_0.35_48
        if m:
            candidates = [c for c in candidates if c[0] is not None and abs(c[0] - float(m.group(1))) < 1e-9] or candidates
    if len(candidates) > 1:  # the width of the last convolution of the feature extractor
        convs = [by_name[n] for n in candidates[0][3] if by_name.get(n, {}).get("class_name") == "Conv2D"]
        width = (convs[-1].get("config") or {}).get("filters") if convs else None
        candidates = [c for c in candidates if c[4].get("features") == width] or candidates
    alpha, minimal, preprocessing, _, _ = candidates[0]
    if len(candidates) > 1:
        notes.append(f"{label}: its width (alpha) could not be told apart from the configuration; "
                     f"alpha {alpha} was written, check it")
    if alpha is not None and alpha != 1.0:  # 1.0: Keras's default, as a spec without alpha has it
        out["alpha"] = alpha
    if minimal:
        out["minimalistic"] = True
    if preprocessing is False:
        out["include_preprocessing"] = False
    depthwise = next((l for l in blayers if l.get("class_name") == "DepthwiseConv2D"), None)
    if name == "MobileNet" and depthwise is not None and (depthwise["config"].get("depth_multiplier") or 1) != 1:
        out["depth_multiplier"] = depthwise["config"]["depth_multiplier"]
    if out["include_top"]:
        drop = by_name.get("dropout")
        if drop is not None and name in ("MobileNet", "MobileNetV3Small", "MobileNetV3Large"):
            rate = (drop.get("config") or {}).get("rate")
            out["dropout" if name == "MobileNet" else "dropout_rate"] = rate
    flags = [(l.get("config") or {}).get("trainable", True) is not False for l in blayers]
    if bb.get("trainable") is False or frozen or (flags and not any(flags)):
        out["trainable"] = False
    elif not all(flags):
        start = flags.index(True)
        bn = [l.get("class_name") == "BatchNormalization" for l in blayers]
        # fine_tune_from keeps every BatchNormalization frozen: one after the first trainable layer may be either
        stuck = [n for n, f, b in zip(bnames[start:], flags[start:], bn[start:]) if not f and not b]
        if stuck:
            raise KspecError(f"{label}: layers {stuck[:3]} are frozen after trainable layer {bnames[start]!r}; a spec "
                             "freezes the backbone whole (trainable: false) or below one layer (fine_tune_from)",
                             hint="freeze the backbone below one layer only, or keep that model in Python")
        out["fine_tune_from"] = bnames[start]
        training = [n for n, f, b in zip(bnames[start:], flags[start:], bn[start:]) if f and b]
        if training:
            notes.append(f"{label}: {len(training)} BatchNormalization layer(s) from {bnames[start]!r} on are trainable "
                         f"({training[0]!r}, ...); with fine_tune_from kspec keeps every BatchNormalization frozen "
                         "(inference mode), as Keras's fine-tuning guide does")
    _batch_norm_momentum(name, blayers, out, label, notes)
    return out


def _batch_norm_momentum(name: str, blayers: list[dict[str, Any]], out: dict[str, Any], label: str,
                         notes: list[str]) -> None:
    """``batch_norm_momentum`` when the backbone's BatchNormalization layers all share a momentum other
    than the one Keras builds the application with (the table's ``bn_momentum``); a note when they differ."""
    from .layerdefs.applications import table

    own = table()[name].get("bn_momentum") or []
    momenta = {(l.get("config") or {}).get("momentum") for l in blayers if l.get("class_name") == "BatchNormalization"}
    if not momenta or momenta == set(own):
        return
    if out.get("trainable") is False or out.get("fine_tune_from") is not None:
        notes.append(f"{label}: its BatchNormalization momenta {sorted(momenta, key=str)} were left out: the spec "
                     "keeps those layers frozen (trainable: false / fine_tune_from), where the momentum changes nothing")
    elif len(momenta) == 1 and isinstance(next(iter(momenta)), float):
        out["batch_norm_momentum"] = next(iter(momenta))
    else:
        notes.append(f"{label}: its BatchNormalization layers have momenta {sorted(momenta, key=str)}, which no "
                     f"one batch_norm_momentum gives; the spec keeps Keras's {', '.join(map(str, own))}")


def _finish_application(out: dict[str, Any], notes: list[str], label: str) -> dict[str, Any]:
    from .layerdefs.applications import Application

    notes.append(f"{label}: the configuration holds no weights, so `weights: null` was written; write `imagenet` "
                 "if the backbone started from the ImageNet weights, or a .weights.h5 file saved with "
                 "model.save_weights")
    return _minimal(Application, out)


def _minimal(cls, layer: dict[str, Any]) -> dict[str, Any]:
    """Only the arguments that differ from kspec's defaults, pairs of equal ints as one int."""
    fields = cls.model_fields
    if layer.get("activation") == "linear" and fields.get("activation") is not None \
            and fields["activation"].default is None:
        layer["activation"] = None
    for key in ("kernel_size", "strides", "pool_size", "dilation_rate"):
        v = layer.get(key)
        if isinstance(v, list) and v and all(x == v[0] for x in v):
            layer[key] = v[0]
    for key, v in list(layer.items()):  # Keras keeps a bare augmentation factor f as the range (-f, f)
        if key.endswith("factor") and isinstance(v, (list, tuple)) and len(v) == 2 \
                and all(isinstance(x, (int, float)) for x in v) and v[0] == -v[1] and v[1] > 0:
            layer[key] = v[1]
    if "pool_size" in layer and "strides" in fields and _same(layer.get("strides"), layer.get("pool_size")):
        layer["strides"] = None
    out = {"type": layer["type"]}
    for key, value in layer.items():
        if key == "type":
            continue
        f = fields[key]
        if not f.is_required() and _same(value, f.default):
            continue
        out[key] = _f32(value)
    return out


def _auto_names(types: list[str]) -> list[str]:
    counts: dict[str, int] = {}
    names = []
    for t in types:
        stem = _snake(t)
        n = counts.get(stem, 0)
        counts[stem] = n + 1
        names.append(stem if n == 0 else f"{stem}_{n}")
    return names


# ------------------------------------------------------------------------------------ compile


def _optimizer(opt: Any, notes: list[str]) -> Any:
    if isinstance(opt, str):
        return opt.lower()
    if not isinstance(opt, dict):
        return None
    cls_name = opt.get("class_name", "")
    kind = _OPTIMIZER_TYPES.get(cls_name)
    if kind is None:
        notes.append(f"the optimizer {cls_name} is not one a spec names; compile.optimizer is left as adam")
        return None
    from .compiling import Adagrad, Adam, AdamW, Nadam, RMSprop, SGD

    model = {"sgd": SGD, "adam": Adam, "rmsprop": RMSprop, "adamw": AdamW, "adagrad": Adagrad, "nadam": Nadam}[kind]
    fields = model.model_fields
    out: dict[str, Any] = {"type": kind}
    for key, value in (opt.get("config") or {}).items():
        if key == "name" and isinstance(value, str) and re.fullmatch(
                re.escape(kind.replace("_", "")) + r"\d*", value.lower().replace("_", "")):
            continue  # Keras's own default name for this optimizer
        if key in fields and key != "type":
            if isinstance(value, dict):
                notes.append(f"optimizer {key} is a {value.get('class_name', 'schedule')}, which a spec cannot hold; "
                             "left at the default")
                continue
            value = _f32(value)
            if not _same(value, fields[key].default):
                out[key] = value
        elif key in _OPTIMIZER_IGNORED and not _same(value, _OPTIMIZER_IGNORED[key]) and key != "name":
            notes.append(f"optimizer {key} = {value!r} cannot be written in a spec; left out")
    return out if len(out) > 1 else kind


def _loss(loss: Any, notes: list[str]) -> Any:
    if isinstance(loss, str):
        return loss
    if isinstance(loss, dict):
        kind = _snake(loss.get("class_name", ""))
        from .compiling import BinaryCrossentropy, CategoricalCrossentropy, Huber, SparseCategoricalCrossentropy

        models = {"binary_crossentropy": BinaryCrossentropy, "categorical_crossentropy": CategoricalCrossentropy,
                  "sparse_categorical_crossentropy": SparseCategoricalCrossentropy, "huber": Huber}
        cfg = loss.get("config") or {}
        if kind not in models:
            return kind
        fields = models[kind].model_fields
        out: dict[str, Any] = {"type": kind}
        for key, value in cfg.items():
            if key in fields and key != "type" and not _same(value, fields[key].default):
                out[key] = _f32(value)
        return out if len(out) > 1 else kind
    if loss is not None:
        notes.append(f"the loss {loss!r} cannot be written in a spec; left out")
    return None


def _compile(cc: dict[str, Any], notes: list[str]) -> dict[str, Any] | None:
    if not cc:
        return None
    loss = _loss(cc.get("loss"), notes)
    if loss is None:
        return None
    out: dict[str, Any] = {"optimizer": _optimizer(cc.get("optimizer"), notes) or "adam", "loss": loss}
    metrics = [m for m in (cc.get("metrics") or []) if isinstance(m, str)]
    if len(metrics) != len(cc.get("metrics") or []):
        notes.append("metrics that are objects cannot be written in a spec; only named metrics are kept")
    if metrics:
        out["metrics"] = metrics
    if cc.get("loss_weights"):
        notes.append("loss_weights cannot be written in a spec; left out")
    return out


# ------------------------------------------------------------------------------------ the model


def import_model(path: str | Path) -> Imported:
    from .layers import LAYER_CLASSES

    path = Path(path)
    config, compile_config, what = read_config(path)
    kind = config.get("class_name")
    if kind != "Sequential":
        layers = (config.get("config") or {}).get("layers") or []
        named = ", ".join(f"{l.get('class_name')} {l.get('config', {}).get('name')!r}" for l in layers[:4])
        reason = ("a functional model" if kind in ("Functional", "Model") and layers else
                  f"a subclassed model ({kind})" if kind else "not a Keras model")
        raise KspecError(f"{path}: the model is {reason}; a spec describes a Sequential stack of layers"
                         + (f" (it has {named}{', ...' if len(layers) > 4 else ''})" if named else ""),
                         hint="rebuild it as keras.Sequential([...]) of supported layers to import it")
    cfg = config.get("config") or {}
    items = list(cfg.get("layers") or [])
    input_shape = None
    if items and items[0].get("class_name") == "InputLayer":
        first = items.pop(0).get("config") or {}
        shape = first.get("batch_shape") or first.get("batch_input_shape")
        input_shape = list(shape[1:]) if shape else None
    if input_shape is None and items:
        c0 = items[0].get("config") or {}
        shape = c0.get("batch_input_shape") or c0.get("batch_shape")
        if shape:
            input_shape = list(shape[1:])
    if input_shape is None:
        shape = (config.get("build_config") or cfg.get("build_input_shape") and {"input_shape": cfg["build_input_shape"]}
                 or {}).get("input_shape")
        input_shape = list(shape[1:]) if shape else None
    if not items:
        raise KspecError(f"{path}: the Sequential model has no layers")
    classes = {c.model_fields["type"].annotation.__args__[0]: c for c in LAYER_CLASSES}
    notes: list[str] = []
    layers = [_application(i, item, notes) or _layer(i, item, classes) for i, item in enumerate(items)]
    names = [(item.get("config") or {}).get("name") for item in items]
    for layer, name, auto in zip(layers, names, _auto_names([l["type"] for l in layers])):
        if name and name != auto and layer["type"] != "Application":  # an Application's name is the model's
            layer["name"] = name
    model: dict[str, Any] = {}
    if input_shape is not None:
        if any(d is None for d in input_shape):
            raise KspecError(f"{path}: the input shape {input_shape} has an unknown dimension; a spec's input_shape "
                             "is fixed")
        model["input_shape"] = input_shape
    model["layers"] = layers
    spec: dict[str, Any] = {"kspec": 1, "name": cfg.get("name") or path.stem, "model": model}
    compiled = _compile(compile_config or {}, notes)
    if compiled:
        spec["compile"] = compiled
    else:
        notes.append("the file has no compile settings; add a compile section (optimizer, loss, metrics)")
    return Imported(spec=spec, notes=notes, source=what)


def to_yaml(imported: Imported, origin: str) -> str:
    """The imported sections as a spec file, with what is left to write as comments."""
    import io

    from ruamel.yaml import YAML

    y = YAML()
    y.indent(mapping=2, sequence=4, offset=2)
    y.width = 100
    buf = io.StringIO()
    spec = dict(imported.spec)
    model = spec["model"]
    model["layers"] = [_flow(l) for l in model["layers"]]
    if "input_shape" in model:
        model["input_shape"] = _flow_list(model["input_shape"])
    if "compile" in spec and isinstance(spec["compile"].get("metrics"), list):
        spec["compile"] = dict(spec["compile"], metrics=_flow_list(spec["compile"]["metrics"]))
    y.dump(spec, buf)
    head = [f"# Imported by `kspec import` from {origin} ({imported.source}).",
            "# Add the data and train sections, e.g.:",
            "#   data: {type: npz, path: data.npz, rescale: 1/255, validation: 0.1}",
            "#   train: {epochs: 5, seed: 0}"]
    head += [f"# note: {n}" for n in imported.notes]
    return "\n".join(head) + "\n" + buf.getvalue()


def _flow_list(values: list):
    from ruamel.yaml.comments import CommentedSeq

    s = CommentedSeq(values)
    s.fa.set_flow_style()
    return s


def _flow(d: dict[str, Any]):
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    m = CommentedMap()
    for k, v in d.items():
        if isinstance(v, list):
            s = CommentedSeq(v)
            s.fa.set_flow_style()
            v = s
        m[k] = v
    m.fa.set_flow_style()
    return m


__all__ = ["Imported", "import_model", "read_config", "to_yaml"]
