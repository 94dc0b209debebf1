"""Generates ``kspec/layerdefs/applications.json`` and ``application_layers.json.gz``: the static
facts of every ``keras.applications`` model that the ``Application`` layer needs at lint time
(without TensorFlow).

Each application is built on Keras with ``weights=None`` (no download) for every variant kspec
accepts (``alpha``, ``minimalistic``), without and with its classification top, and at two input
sizes of different parity. From the builds it keeps:

* the spatial operations along one path from the input to the output (windows, paddings;
  ``correct_pad`` paddings, which depend on the parity of their input, are told apart from fixed
  ones by the two builds), so the output size is known for any input size;
* the feature channels, the trainable and non-trainable parameter counts, the parameters of the
  classification top as ``c0 + c1 * classes`` (with the flatten width of VGG's top);
* the minimum and default input sizes Keras checks (read from ``obtain_input_shape``);
* the name and trainable parameter count of every layer of the backbone, and which are
  BatchNormalization layers, for ``fine_tune_from``;
* the momentum of its BatchNormalization layers (``bn_momentum``: the distinct values, empty for a
  backbone without any), for ``batch_norm_momentum``.

Run ``python -m kspec.emit.appgen`` (all applications; long) or ``python -m kspec.emit.appgen
MobileNetV2 ResNet50`` (merges those into the committed table). ``--check NAME...`` rebuilds the
named ones and reports any difference from the committed table (exit 1).
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

import os

HERE = Path(os.environ.get("KSPEC_APPGEN_DIR") or Path(__file__).resolve().parents[1] / "layerdefs")
TABLE = HERE / "applications.json"
LAYERS = HERE / "application_layers.json.gz"

# name -> (module, preprocess mode kspec applies in the model, {argument: values kspec accepts})
APPS: dict[str, tuple[str, str, dict[str, list]]] = {
    "MobileNet": ("mobilenet", "tf", {"alpha": [0.25, 0.5, 0.75, 1.0]}),
    "MobileNetV2": ("mobilenet_v2", "tf", {"alpha": [0.35, 0.5, 0.75, 1.0, 1.3, 1.4]}),
    "MobileNetV3Small": ("mobilenet_v3", "internal", {"alpha": [0.75, 1.0], "minimalistic": [False, True]}),
    "MobileNetV3Large": ("mobilenet_v3", "internal", {"alpha": [0.75, 1.0], "minimalistic": [False, True]}),
    **{f"EfficientNetB{i}": ("efficientnet", "internal", {}) for i in range(8)},
    **{f"EfficientNetV2{s}": ("efficientnet_v2", "internal", {}) for s in ("B0", "B1", "B2", "B3", "S", "M", "L")},
    **{f"ResNet{d}": ("resnet", "caffe", {}) for d in (50, 101, 152)},
    **{f"ResNet{d}V2": ("resnet_v2", "tf", {}) for d in (50, 101, 152)},
    "VGG16": ("vgg16", "caffe", {}), "VGG19": ("vgg19", "caffe", {}),
    "InceptionV3": ("inception_v3", "tf", {}), "InceptionResNetV2": ("inception_resnet_v2", "tf", {}),
    "Xception": ("xception", "tf", {}),
    **{f"DenseNet{d}": ("densenet", "torch", {}) for d in (121, 169, 201)},
    "NASNetMobile": ("nasnet", "tf", {}), "NASNetLarge": ("nasnet", "tf", {}),
    **{f"ConvNeXt{s}": ("convnext", "internal", {}) for s in ("Tiny", "Small", "Base", "Large", "XLarge")},
}
WEIGHT_SIZES = {"MobileNet": [128, 160, 192, 224], "MobileNetV2": [96, 128, 160, 192, 224]}
"""Input sizes with their own imagenet weights (other sizes load the 224 ones)."""
OWN_CHECKS = {"MobileNetV3Small": (32, 224), "MobileNetV3Large": (32, 224)}
"""(minimum, default size) of the applications that check their input without obtain_input_shape
(MobileNetV3 warns, and loads the 224 weights, at any other size, with or without its top)."""
LINEAR = {"MobileNet": "depth_multiplier"}
"""Integer arguments (default 1) that any positive value may take, whose parameter counts grow
linearly with them (MobileNet's depth_multiplier widens every depthwise convolution and what follows
it): the table keeps the growth per unit, per variant and per layer, checked at a third value."""
PREPROCESSING_CLASSES = ("Rescaling", "Normalization")
WINDOW = ("Conv2D", "DepthwiseConv2D", "SeparableConv2D", "MaxPooling2D", "AveragePooling2D")


def variants(name: str) -> list[dict]:
    args = APPS[name][2]
    out = [{}]
    for key, values in args.items():
        out = [{**v, key: x} for v in out for x in values]
    return out


def variant_key(kwargs: dict) -> str:
    return ",".join(f"{k}={kwargs[k]}" for k in sorted(kwargs))


def _keras():
    from .model import keras

    return keras()


def _history(node) -> str | None:
    """The layer name of the first tensor among a node's arguments."""
    if isinstance(node, dict):
        if node.get("class_name") == "__keras_tensor__":
            return node["config"]["keras_history"][0]
        for v in node.values():
            found = _history(v)
            if found:
                return found
    elif isinstance(node, (list, tuple)):
        for v in node:
            found = _history(v)
            if found:
                return found
    return None


def build(name: str, kwargs: dict, size: int, include_top: bool = False, classes: int = 10) -> dict:
    """Builds one application and returns what the table keeps of it."""
    import math

    k = _keras()
    k.backend.clear_session()
    from keras.src.applications import imagenet_utils

    seen: dict = {}
    real = imagenet_utils.obtain_input_shape

    def spy(*args, **kw):
        names = ("input_shape", "default_size", "min_size", "data_format", "require_flatten", "weights")
        seen.update(dict(zip(names, args)), **kw)
        return real(*args, **kw)

    imagenet_utils.obtain_input_shape = spy
    try:
        extra = {"classes": classes} if include_top else {}
        model = getattr(k.applications, name)(input_shape=(size, size, 3), include_top=include_top, weights=None,
                                              **kwargs, **extra)
    finally:
        imagenet_utils.obtain_input_shape = real
    from .applications import batch_norm_layers

    bn_momentum = sorted({float(l.momentum) for l in batch_norm_layers(model)})
    config = model.get_config()
    by_name = {l["name"]: l for l in config["layers"]}
    layers = []
    inputs = {n[0] for n in _nodes(config["input_layers"])}
    for layer in model.layers:
        if layer.name in inputs:
            continue
        tr = sum(math.prod(w.shape) for w in layer.trainable_weights)
        nt = sum(math.prod(w.shape) for w in layer.non_trainable_weights)
        layers.append((layer.name, type(layer).__name__, int(tr), int(nt)))
    path = []
    at = _nodes(config["output_layers"])[0][0]
    while at in by_name and by_name[at]["inbound_nodes"]:
        path.append(at)
        at = _history(by_name[at]["inbound_nodes"][0])
    path.reverse()
    shapes = {l.name: l.output.shape for l in model.layers}
    ops: list = []
    prev = (size, size)
    for lname in path if not include_top else []:
        if lname not in shapes:
            continue  # an operation such as ConvNeXt's ``inputs + x``, not a layer: it keeps the size
        layer = model.get_layer(lname)
        out = tuple(shapes[lname][1:3]) if len(shapes[lname]) == 4 else None
        if out is None:
            break
        if out == prev:
            continue
        cls = type(layer).__name__
        if cls in ("Sequential", "Functional"):  # ConvNeXt's stem and downsampling blocks
            for sub in layer.layers:
                op = _op(sub)
                if op is not None:
                    ops.append(op + [list(prev)])
        else:
            op = _op(layer)
            if op is None:
                raise RuntimeError(f"{name}: {cls} {lname} changes the spatial size {prev} -> {out}")
            ops.append(op + [list(prev)])
        prev = out
    features = int(model.output.shape[-1]) if not include_top else None
    if not include_top:
        spatial = list(model.output.shape[1:3])
    else:
        spatial = None
    return {"layers": layers, "ops": ops, "features": features, "spatial": spatial,
            "min_size": seen.get("min_size"), "default_size": seen.get("default_size"),
            "trainable": sum(l[2] for l in layers), "non_trainable": sum(l[3] for l in layers),
            "last_in": _last_in(model) if include_top else None, "output": list(model.output.shape[1:]),
            "bn_momentum": bn_momentum}


def _op(layer) -> list | None:
    """The spatial operation of one layer, or None for a layer that keeps the size."""
    cls = type(layer).__name__
    c = layer.get_config()
    if cls == "ZeroPadding2D":
        return ["pad", [list(p) for p in c["padding"]]]
    if cls == "Cropping2D":
        return ["crop", [list(p) for p in c["cropping"]]]
    if cls in WINDOW:
        kernel = c.get("kernel_size") or c.get("pool_size")
        return ["win", list(kernel), list(c["strides"]), c["padding"], list(c.get("dilation_rate", (1, 1)))]
    return None


def _nodes(value: list) -> list:
    """``[name, node, tensor]`` or a list of them, as a list."""
    return [value] if value and isinstance(value[0], str) else value


def _last_in(model) -> int:
    """The input width of the classifier (the last layer with a kernel)."""
    for layer in reversed(model.layers):
        kernel = getattr(layer, "kernel", None)
        if kernel is not None:
            return int(kernel.shape[-2])
    raise RuntimeError("no classifier layer")


def _merge_ops(a: dict, b: dict, name: str) -> list:
    """The chain of spatial operations from builds at two sizes; paddings that differ are correct_pad."""
    if len(a["ops"]) != len(b["ops"]):
        raise RuntimeError(f"{name}: the two builds have different paths")
    out = []
    for x, y in zip(a["ops"], b["ops"]):
        if x[0] == "pad" and x[1] != y[1]:
            right = [p[1] for p in x[1]]
            for op in (x, y):
                want = [[r - (1 - n % 2), r] for r, n in zip(right, op[-1])]
                if want != op[1]:
                    raise RuntimeError(f"{name}: a padding {op[1]} that is neither fixed nor correct_pad")
            out.append(["cpad", right])
        elif x[0] != y[0] or x[1:-1] != y[1:-1]:
            raise RuntimeError(f"{name}: operations differ between sizes: {x} / {y}")
        else:
            out.append(x[:-1])
    return out


def spatial_after(ops: list, size: tuple[int, int]) -> tuple[int, int]:
    """Output size along each axis after the chain (lengths below 1 are returned as they are)."""
    from ..layerdefs.applications import chain_output

    return chain_output(ops, size)


def _kin(name: str, family: dict) -> dict | None:
    """What an earlier member of the same family (same module) established: its chain, and its
    top as ``r * features`` when the classifier is a Dense on the pooled features."""
    module = APPS[name][0]
    for other, entry in family.items():
        if other != name and APPS[other][0] == module and "ops" in entry and not variants(other)[1:]:
            out = {"ops": entry["ops"]}
            v = next(iter(entry["variants"].values()))
            c0, c1 = v["top"]
            if c1 == v["features"] + 1 and c0 % v["features"] == 0 and "top_flatten" not in v:
                out["top_per_feature"] = c0 // v["features"]
            return out
    return None


def _same_path(raw: list, merged: list) -> bool:
    """The raw operations of one build follow the merged chain (a correct_pad is a padding whose right
    side is the chain's)."""
    if len(raw) != len(merged):
        return False
    for r, m in zip(raw, merged):
        if m[0] == "cpad":
            if r[0] != "pad" or [p[1] for p in r[1]] != m[1]:
                return False
        elif r[:-1] != m:
            return False
    return True


def generate(name: str, sizes: tuple[int, int] | None = None, family: dict | None = None) -> tuple[dict, dict]:
    """The table entries of one application. ``family``: entries already made (the committed table),
    whose chain and top a later member of the same family reuses after checking its own path."""
    family = family or {}
    module, mode, _ = APPS[name]
    default = {}
    if name.startswith("NASNet") or name.startswith(("Inception", "Xception")):
        a_size = 160
    else:
        a_size = 128
    a_size, b_size = sizes or (a_size, a_size + 1)
    entry: dict = {"module": module, "preprocess": mode, "variants": {}}
    layer_entry: dict = {}
    first_names = None
    for i, kwargs in enumerate(variants(name)):
        a = build(name, kwargs, a_size)
        key = variant_key(kwargs)
        kin = _kin(name, family)
        if i == 0 and kin is not None and _same_path(a["ops"], kin["ops"]):
            entry["ops"] = kin["ops"]  # the family's chain, told apart at two sizes for its first member
            if list(spatial_after(entry["ops"], (a_size, a_size))) != a["spatial"]:
                raise RuntimeError(f"{name}: the family's chain does not give Keras's output at {a_size}")
            entry["min_size"] = a["min_size"]
            entry["default_size"] = a["default_size"]
            default = a
        elif i == 0:
            b = build(name, kwargs, b_size)
            entry["ops"] = _merge_ops(a, b, name)
            for built, s in ((a, a_size), (b, b_size)):
                got = list(spatial_after(entry["ops"], (s, s)))
                if got != built["spatial"]:
                    raise RuntimeError(f"{name}: chain gives {got} at {s}, Keras {built['spatial']}")
            entry["min_size"] = a["min_size"] or OWN_CHECKS[name][0]
            entry["default_size"] = b["default_size"] or OWN_CHECKS[name][1]  # MobileNet's depends on the size
            if name in WEIGHT_SIZES:
                entry["weight_sizes"] = WEIGHT_SIZES[name]
            if name in OWN_CHECKS:
                entry["top_any_size"] = True
            default = a
        flatten = name.startswith("VGG")
        if kin is not None and not flatten and not variants(name)[1:] and "top_per_feature" in kin:
            c1 = a["features"] + 1  # the family's top: c0 = r * features, then Dense(classes)
            c0 = kin["top_per_feature"] * a["features"]
        else:
            top_size = a["default_size"] if flatten else a_size
            t = build(name, kwargs, top_size, include_top=True, classes=10)
            top = t["trainable"] - a["trainable"]
            c1 = t["last_in"] + 1
            c0 = top - 10 * c1
            if t["non_trainable"] != a["non_trainable"]:
                raise RuntimeError(f"{name}: the top has non-trainable parameters")
        pre = [l for l in a["layers"] if l[1] in PREPROCESSING_CLASSES]
        v = {"features": a["features"], "trainable": a["trainable"], "non_trainable": a["non_trainable"],
             "top": [c0, c1],
             "preprocessing": [[l[0] for l in pre], sum(l[2] for l in pre), sum(l[3] for l in pre)]}
        if flatten:
            h, w = spatial_after(entry["ops"], (top_size, top_size))
            units = c1 - 1
            v["top_flatten"] = [units, c0 - (h * w * a["features"] + 1) * units]
        names = [l[0] for l in a["layers"]]
        layer_entry[key] = {"names": None if names == first_names else " ".join(names),
                            "trainable": [l[2] for l in a["layers"]],
                            "batch_norm": [j for j, l in enumerate(a["layers"]) if l[1] == "BatchNormalization"]}
        if name in LINEAR:
            v["per_" + LINEAR[name]], layer_entry[key]["per_" + LINEAR[name]] = _linear(name, kwargs, a, a_size)
        entry["variants"][key] = v
        if i == 0:
            entry["bn_momentum"] = a["bn_momentum"]
        elif a["bn_momentum"] != entry["bn_momentum"]:
            raise RuntimeError(f"{name} {kwargs}: BatchNormalization momentum {a['bn_momentum']}, "
                               f"the first variant's {entry['bn_momentum']}")
        if first_names is None:
            first_names = names
    entry["sample"] = [a_size, default.get("output")]  # the output Keras gave at a_size x a_size
    return entry, layer_entry


def _linear(name: str, kwargs: dict, one: dict, size: int) -> tuple[list[int], list[int]]:
    """The growth of the parameter counts per unit of the LINEAR argument (from builds at 1 and 2),
    after checking that a build at 3 follows it and that the output does not change."""
    arg = LINEAR[name]
    two, three = (build(name, {**kwargs, arg: n}, size) for n in (2, 3))
    per = [two["trainable"] - one["trainable"], two["non_trainable"] - one["non_trainable"]]
    per_layer = [b[2] - a[2] for a, b in zip(one["layers"], two["layers"])]
    for built, n in ((two, 2), (three, 3)):
        if [l[0] for l in built["layers"]] != [l[0] for l in one["layers"]] or built["output"] != one["output"] \
                or built["ops"] != one["ops"]:
            raise RuntimeError(f"{name}: {arg}={n} changes the layers or the output")
    if [three["trainable"], three["non_trainable"]] != [one["trainable"] + 2 * per[0], one["non_trainable"] + 2 * per[1]] \
            or [l[2] for l in three["layers"]] != [l[2] + 2 * d for l, d in zip(one["layers"], per_layer)]:
        raise RuntimeError(f"{name}: the parameters do not grow linearly with {arg}")
    return per, per_layer


def drift(name: str, kwargs: dict, size: int) -> list[str]:
    """Differences between one build on the installed Keras (one variant, no top, at ``size``) and
    the committed table: empty when the table is current for it."""
    from ..layerdefs.applications import backbone_layers, batch_norm_indices, chain_output, table

    built = build(name, kwargs, size)
    entry = table()[name]
    lin = LINEAR.get(name)
    n = kwargs.get(lin, 1) if lin else 1
    v = dict(entry["variants"][variant_key({k: x for k, x in kwargs.items() if k != lin})])
    if n != 1:
        v["trainable"] += (n - 1) * v["per_" + lin][0]
        v["non_trainable"] += (n - 1) * v["per_" + lin][1]
    out = []
    for key in ("features", "trainable", "non_trainable"):
        if built[key] != v[key]:
            out.append(f"{name} {kwargs} {key}: Keras {built[key]}, table {v[key]}")
    if list(chain_output(entry["ops"], (size, size))) != built["spatial"]:
        out.append(f"{name} at {size}: Keras {built['spatial']}, table {chain_output(entry['ops'], (size, size))}")
    if built["bn_momentum"] != entry.get("bn_momentum"):
        out.append(f"{name} BatchNormalization momentum: Keras {built['bn_momentum']}, table {entry.get('bn_momentum')}")
    if built["min_size"] != entry["min_size"]:
        out.append(f"{name} min_size: Keras {built['min_size']}, table {entry['min_size']}")
    names, per_layer = backbone_layers(name, kwargs.get("alpha"), kwargs.get("minimalistic"),
                                       kwargs.get("depth_multiplier"))
    if [l[0] for l in built["layers"]] != names or [l[2] for l in built["layers"]] != per_layer:
        out.append(f"{name} {kwargs}: the layer names or their parameters differ")
    bn = [j for j, l in enumerate(built["layers"]) if l[1] == "BatchNormalization"]
    if bn != batch_norm_indices(name, kwargs.get("alpha"), kwargs.get("minimalistic")):
        out.append(f"{name} {kwargs}: the BatchNormalization layers differ")
    return out


def load_tables() -> tuple[dict, dict]:
    table = json.loads(TABLE.read_text()) if TABLE.exists() else {"apps": {}}
    layers = json.loads(gzip.decompress(LAYERS.read_bytes())) if LAYERS.exists() else {}
    return table, layers


def write_tables(table: dict, layers: dict) -> None:
    apps = ",\n".join(f" {json.dumps(k)}: {json.dumps(v, separators=(',', ':'))}" for k, v in sorted(table["apps"].items()))
    TABLE.write_text(f'{{"keras": {json.dumps(table.get("keras"))}, "apps": {{\n{apps}\n}}}}\n')
    LAYERS.write_bytes(gzip.compress(json.dumps(dict(sorted(layers.items())), separators=(",", ":")).encode(),
                                     mtime=0))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    check = bool(args and args[0] == "--check")
    names = args[1:] if check else args
    names = names or list(APPS)
    unknown = [n for n in names if n not in APPS]
    if unknown:
        print(f"unknown application(s): {unknown}", file=sys.stderr)
        return 2
    table, layers = load_tables()
    table["keras"] = _keras().__version__
    bad = 0
    for name in names:
        entry, layer_entry = generate(name, family={} if check else table["apps"])
        if check:
            if table["apps"].get(name) != entry or layers.get(name) != layer_entry:
                print(f"{name}: differs from the committed table", file=sys.stderr)
                bad += 1
            else:
                print(f"{name}: same")
            continue
        table["apps"][name] = entry
        layers[name] = layer_entry
        write_tables(table, layers)
        print(f"{name}: {len(layer_entry)} variant(s), {len(entry['ops'])} spatial operations", flush=True)
    return 1 if bad else 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
