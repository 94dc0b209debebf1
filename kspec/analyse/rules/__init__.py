"""The rule registry: every lint rule, in one explicit tuple. Codes are never reused.

Groups (hundreds digit): 0 spec and tool, 1 shapes and structure, 2 output, loss and labels,
3 data, 4 training and callbacks, 5 layer hygiene, 6 distribution, 9 run diagnostics.
"""

from __future__ import annotations

from .meta import UnusedSuppression
from .shapes import ImpossibleShape, InputShapeMismatch
from .output import LastLayerUnitsMismatch

RULES = (
    UnusedSuppression,
    ImpossibleShape,
    InputShapeMismatch,
    LastLayerUnitsMismatch,
)

BY_CODE = {r.code: r for r in RULES}
BY_NAME = {r.name: r for r in RULES}


def find(key: str):
    """A rule by code (``KS201``, any case) or name (``last-layer-units-mismatch``), or None."""
    return BY_CODE.get(key.upper()) or BY_NAME.get(key)
