"""The table of every Keras layer class and its status in the spec language, from the code.

``python -m kspec.layerdoc docs/layers.md`` rewrites the table between the ``layers:start`` and
``layers:end`` markers; a test checks that the committed table is current and that it names
every layer class of the installed Keras.
"""

from __future__ import annotations

import sys

from .layers import ALIASES, LAYER_TYPES, PENDING, REFUSED, layer_class

START, END = "<!-- layers:start -->", "<!-- layers:end -->"

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


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def layers_table() -> str:
    rows = ["| Keras class | status | what it is, or why not |", "| --- | --- | --- |"]
    for name, (status, note) in sorted(statuses().items()):
        rows.append(f"| `{name}` | {status} | {_cell(note)} |")
    return "\n".join(rows) + "\n"


def table_in(text: str) -> str | None:
    if START not in text or END not in text:
        return None
    return text.split(START, 1)[1].split(END, 1)[0].strip("\n") + "\n"


def with_table(text: str) -> str:
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{layers_table()}{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    from pathlib import Path

    args = sys.argv[1:] if argv is None else argv
    if not args:
        sys.stdout.write(layers_table())
        return 0
    for name in args:
        path = Path(name)
        text = path.read_text(encoding="utf-8")
        if table_in(text) is None:
            print(f"{path}: no {START} ... {END} markers", file=sys.stderr)
            return 2
        path.write_text(with_table(text), encoding="utf-8")
        print(f"updated the layer table in {path}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
