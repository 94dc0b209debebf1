"""A fast path for the parse stage: libyaml (PyYAML's C binding) composes the node tree, and this
module turns it into exactly what :mod:`kspec.parse` gets from ruamel.yaml's round-trip loader:
the same plain data, the same spans of values and keys.

ruamel's pure-Python round-trip loader costs about 5 ms for a small spec, libyaml about 0.2 ms;
on a corpus of specs that is most of ``kspec lint``'s time. The fast path only decides documents
it can decide exactly: scalars are resolved by YAML 1.2 rules as ruamel does (``on`` and ``yes``
stay strings), and anything unusual (an explicit tag, an anchor or alias, a merge key, a duplicate
or non-string key, a timestamp, a number written with ``_``, ``0x``, ``+`` or a leading zero,
an empty value, several documents, a syntax error) returns None, so the caller uses ruamel, whose diagnostics
(duplicate keys, forbidden tags, syntax errors) stay the reference. A test compares the two
loaders on every spec and fixture and on a list of tricky scalars.

Without PyYAML's libyaml binding, :func:`load` always returns None.
"""

from __future__ import annotations

import re
from typing import Any

Path = tuple
_PLAIN, _QUOTED, _TAGGED, _SEQ, _MAP = "kspec:plain", "kspec:quoted", "kspec:tagged", "kspec:seq", "kspec:map"

try:  # pragma: no branch
    import yaml as _yaml
    from yaml.cyaml import CParser as _CParser

    _AVAILABLE = bool(getattr(_yaml, "__with_libyaml__", False))
except ImportError:  # pragma: no cover - PyYAML (or libyaml) not installed
    _AVAILABLE = False


class _Unsure(Exception):
    """The fast path cannot decide this document exactly: use ruamel."""


if _AVAILABLE:
    from yaml.nodes import ScalarNode, SequenceNode

    class _Loader(_CParser):
        """libyaml's parser and composer with a resolver that only marks how a scalar was written;
        :func:`_scalar` resolves plain scalars itself."""

        def __init__(self, stream: str):
            _CParser.__init__(self, stream)

        def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
            if kind is ScalarNode:
                plain, quoted = implicit
                return _PLAIN if plain else _QUOTED if quoted else _TAGGED
            return _SEQ if kind is SequenceNode else _MAP

        def descend_resolver(self, *args: Any) -> None:
            pass

        def ascend_resolver(self, *args: Any) -> None:
            pass


_DIRECTIVE = re.compile(r"^%", re.M)
"""A ``%YAML 1.1`` directive changes how scalars resolve: leave such texts to ruamel."""
_INT = re.compile(r"-?(?:0|[1-9][0-9]*)")
_FLOAT = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+(?:[eE][-+]?[0-9]+)?|[eE][-+]?[0-9]+)")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_NULL = {"~", "null", "Null", "NULL"}
# ruamel.yaml's YAML 1.2 implicit resolvers that start with these characters (int, float,
# timestamp, merge, value): a plain scalar starting with one is a number, a date or special
# unless it matches none of them. The ones the fast path handles are _INT and _FLOAT above.
_SPECIAL_START = set("-+0123456789.<=")
_RUAMEL_12 = re.compile(
    r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
    |[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN)
    |[-+]?0b[0-1_]+
    |[-+]?0o?[0-7_]+
    |[-+]?[0-9_]+
    |[-+]?0x[0-9a-fA-F_]+
    |<<
    |=
    |[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]
    |[0-9][0-9][0-9][0-9]\ *-[0-9][0-9]?\ *-[0-9][0-9]?(?:[Tt]|[\ \t]+)[0-9][0-9]?\ *:[0-9][0-9]\ *:[0-9][0-9]\ *(?:\.[0-9]*)?
     (?:[\ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$""",
    re.X,
)


def join_surrogates(text: str) -> str:
    """JSON writes characters beyond U+FFFF as two escapes (``\\ud83d\\ude00``); YAML readers
    keep them as two lone surrogates. Join each pair back into its character."""
    if not any("\ud800" <= ch <= "\udfff" for ch in text):
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def _scalar(node: Any) -> Any:
    value = node.value
    if node.tag == _QUOTED:
        return join_surrogates(value)
    if node.tag != _PLAIN:
        raise _Unsure
    if value == "":
        raise _Unsure  # an empty value: ruamel places it on the next line
    if value in _BOOL:
        return _BOOL[value]
    if value in _NULL:
        return None
    if value[0] in _SPECIAL_START:
        if _INT.fullmatch(value):
            return int(value)
        if _FLOAT.fullmatch(value):
            return float(value)
        if _RUAMEL_12.match(value):
            raise _Unsure  # a number form, a date or a special key ruamel resolves its own way
    return value


class _Builder:
    def __init__(self) -> None:
        self.spans: dict[Path, tuple] = {}
        self.key_spans: dict[Path, tuple] = {}
        self.seen: set[int] = set()

    def _value_span(self, node: Any, value: Any, path: Path) -> None:
        line, col = node.start_mark.line + 1, node.start_mark.column + 1
        end = None
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            end = col + len(str(value))
        self.spans[path] = (line, col, line if end else None, end)

    def build(self, node: Any, path: Path) -> Any:
        if id(node) in self.seen:
            raise _Unsure  # an alias: ruamel's round-trip data differs in subtle ways
        self.seen.add(id(node))
        if node.tag == _MAP:
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, ScalarNode):
                    raise _Unsure
                key = _scalar(key_node)
                if not isinstance(key, str) or key == "<<" or key in out:
                    raise _Unsure  # non-string, merge or duplicate key: ruamel reports it
                child = path + (key,)
                kl, kc = key_node.start_mark.line + 1, key_node.start_mark.column + 1
                self.key_spans[child] = (kl, kc, kl, kc + len(key))
                out[key] = self.build(value_node, child)
                self._value_span(value_node, out[key], child)
            return out
        if node.tag == _SEQ:
            items = []
            for i, item in enumerate(node.value):
                value = self.build(item, path + (i,))
                self._value_span(item, value, path + (i,))
                items.append(value)
            return items
        if isinstance(node, ScalarNode):
            return _scalar(node)
        raise _Unsure  # an explicitly tagged collection


def load(text: str) -> tuple[Any, dict[Path, tuple], dict[Path, tuple]] | None:
    """(data, value spans, key spans) of a one-document YAML or JSON text, or None when the fast
    path cannot decide it exactly. Spans are (line, col, end_line, end_col), 1-based."""
    if not _AVAILABLE or _DIRECTIVE.search(text):
        return None
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except Exception:  # any YAML error: ruamel reports it with its own wording
        return None
    if node is None:
        return None
    builder = _Builder()
    try:
        data = builder.build(node, ())
    except (_Unsure, RecursionError):
        return None
    return data, builder.spans, builder.key_spans


def available() -> bool:
    return _AVAILABLE
