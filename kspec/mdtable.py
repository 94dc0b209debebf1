"""A generated Markdown table kept between two HTML-comment markers of a documentation file.

The rule table of docs/lint.md and the layer table of docs/layers.md are both written this way:
``python -m kspec.docs docs/lint.md`` / ``python -m kspec.layerdoc docs/layers.md`` rewrite the
table in place, and tests compare the committed table with a fresh one.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path


def cell(text: str) -> str:
    """Text that stays inside one Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def table(header: Iterable[str], rows: Iterable[Iterable[str]]) -> str:
    """A Markdown table; cells are written as given (escape them with :func:`cell`)."""
    head = list(header)
    lines = ["| " + " | ".join(head) + " |", "| " + " | ".join("---" for _ in head) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class MarkedTable:
    """A table between ``<!-- {marker}:start -->`` and ``<!-- {marker}:end -->``."""

    marker: str
    what: str
    render: Callable[[], str]

    @property
    def start(self) -> str:
        return f"<!-- {self.marker}:start -->"

    @property
    def end(self) -> str:
        return f"<!-- {self.marker}:end -->"

    def table_in(self, text: str) -> str | None:
        """The table between the markers of ``text``, or None when there are no markers."""
        if self.start not in text or self.end not in text:
            return None
        return text.split(self.start, 1)[1].split(self.end, 1)[0].strip("\n") + "\n"

    def with_table(self, text: str) -> str:
        """``text`` with the table between its markers replaced by a fresh one."""
        head, rest = text.split(self.start, 1)
        _, tail = rest.split(self.end, 1)
        return f"{head}{self.start}\n{self.render()}{self.end}{tail}"

    def main(self, argv: list[str] | None = None) -> int:
        """Print the table, or rewrite it in each named file; 2 when a file has no markers."""
        args = sys.argv[1:] if argv is None else argv
        if not args:
            sys.stdout.write(self.render())
            return 0
        for name in args:
            path = Path(name)
            text = path.read_text(encoding="utf-8")
            if self.table_in(text) is None:
                print(f"{path}: no {self.start} ... {self.end} markers", file=sys.stderr)
                return 2
            path.write_text(self.with_table(text), encoding="utf-8")
            print(f"updated the {self.what} table in {path}")
        return 0
