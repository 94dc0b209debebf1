"""The table of every Keras layer class and its status in the spec language, from the code.

``python -m kspec.layerdoc docs/layers.md`` rewrites the table between the ``layers:start`` and
``layers:end`` markers; a test checks that the committed table is current and that it names
every layer class of the installed Keras.
"""

from __future__ import annotations

from .layers import ALIASES, LAYER_TYPES, PENDING, REFUSED, layer_class
from .mdtable import MarkedTable, cell, table

FAMILY_TITLES = {
    "core": "core", "activation": "activation", "convolution": "convolution", "pooling": "pooling",
    "recurrent": "recurrent", "normalization": "normalisation", "regularization": "regularisation",
    "reshaping": "reshaping", "preprocessing": "preprocessing / augmentation",
    "applications": "pretrained backbone (any `keras.applications` model, see transfer-learning.md)",
}


def statuses() -> dict[str, tuple[str, str]]:
    """Every class name kspec knows of -> (status, note)."""
    out: dict[str, tuple[str, str]] = {}
    for name in LAYER_TYPES:
        if name in ALIASES:
            out[name] = ("supported", f"alias of `{ALIASES[name]}` (either name may be written)")
        else:
            cls = layer_class(name)
            doc = (cls.__doc__ or "").strip().split("\n")[0]
            out[name] = ("supported", f"{FAMILY_TITLES.get(cls.family, cls.family)}: {doc}")
    for name, (why, instead) in REFUSED.items():
        out[name] = ("refused", f"{why}; instead: {instead}")
    for name, why in PENDING.items():
        out[name] = ("not yet", why)
    return out


def layers_table() -> str:
    return table(
        ["Keras class", "status", "what it is, or why not"],
        ([f"`{name}`", status, cell(note)] for name, (status, note) in sorted(statuses().items())),
    )


TABLE = MarkedTable("layers", "layer", layers_table)
table_in = TABLE.table_in
with_table = TABLE.with_table
main = TABLE.main


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
