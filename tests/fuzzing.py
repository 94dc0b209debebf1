"""Fuzz cases for kspec's front end, shared by ``tests/core/test_fuzz.py`` (a few thousand cases in
CI) and ``benchmarks/fuzz.py`` (ten thousand and more).

A case is the text of a spec file: a shipped spec mutated as text (lines dropped, duplicated,
re-indented or cut; YAML punctuation, tags, anchors, aliases, odd numbers and control characters
inserted), or mutated as data (a value replaced by one of another type, a key dropped or added)
and written as YAML or JSON. Each case is linted in process exactly as ``kspec lint FILE`` does
(:func:`kspec.lintcmd.run_lint`, output captured) and checked for what must never happen:

    traceback   an exception escaped (a user's file never causes one)
    internal    a KS000 internal-error finding
    unlocated   a finding with no file position
    exit        an exit code other than 0, 1 or 2
    slow        a case that took longer than ``slow_s``
"""

from __future__ import annotations

import contextlib
import io
import json
import random
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPECS = ROOT / "specs"

TOKENS = [
    "!!str ", "!!int ", "!!python/object:os.system ", "!custom ", "&a ", "*a", "*nope", "<<: *a", "{", "}", "[", "]",
    ":", ": ", "- ", ",", "'", '"', "#", "|", ">", "? ", "%YAML 1.1\n", "---\n", "...\n", "\t", "\x00", "\x1b[31m",
    "\ufeff", "\ud7ff", "é", "\U0001f600", "1e999", "-1", "0", "1_000", "0x1F", "0o7", "0b1", ".nan", "-.inf", "null",
    "~", "true", "yes", "''", '""', "[]", "{}", "[[[[[[", "]]]]", "1/0", "1/255", "2024-01-01", "9" * 40, "-" * 3,
    "type: Dense", "units: 0", "epochs: -1", "kspec: 2", "data: parts/nope.yaml", "model: ../../etc/passwd.yaml",
]


def base_texts() -> list[tuple[str, str]]:
    """(name, text) of every shipped spec and part file."""
    files = sorted(SPECS.glob("*.yaml")) + sorted(SPECS.glob("*.json")) + sorted((SPECS / "parts").glob("*.yaml"))
    return [(p.name, p.read_text(encoding="utf-8")) for p in files]


def _text_mutation(rng: random.Random, text: str) -> str:
    lines = text.split("\n")
    op = rng.randrange(8)
    i = rng.randrange(len(lines))
    if op == 0:
        del lines[i]
    elif op == 1:
        lines.insert(i, lines[rng.randrange(len(lines))])
    elif op == 2:
        lines[i] = " " * rng.choice([1, 2, 3, 8]) + lines[i]
    elif op == 3:
        lines[i] = lines[i].lstrip()
    elif op == 4:
        return text[: rng.randrange(len(text) + 1)]
    else:
        line = lines[i]
        at = rng.randrange(len(line) + 1)
        lines[i] = line[:at] + rng.choice(TOKENS) + line[at + (op == 5 and at < len(line)):]
    return "\n".join(lines)


def _values(rng: random.Random):
    return rng.choice([True, False, None, 0, -1, 1, 3, 2.5, 1e300, -0.0, "", "1", "128", "0.95", "relu", "adam",
                       "x.yaml", "1/255", [], [1], ["a", 2], {}, {"type": "Dense"}, {"bogus": 1}, "é" * 3])


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, prefix + (i,))


def _data_mutation(rng: random.Random, text: str, name: str) -> tuple[str, str]:
    from kspec.parse import loads

    doc = loads(text, name)
    if not isinstance(doc.data, dict):
        return _text_mutation(rng, text), name
    data = json.loads(json.dumps(doc.data))
    for _ in range(rng.randint(1, 3)):
        paths = [p for p in _paths(data) if p]
        if not paths:
            break
        path = rng.choice(paths)
        parent = data
        for part in path[:-1]:
            parent = parent[part]
        if rng.random() < 0.2 and isinstance(parent, dict):
            del parent[path[-1]]
        elif rng.random() < 0.1 and isinstance(parent, dict):
            parent[rng.choice(["bogus", "unit", "epoch", "layer"])] = _values(rng)
        else:
            parent[path[-1]] = _values(rng)
    if rng.random() < 0.5:
        return json.dumps(data, ensure_ascii=rng.random() < 0.5), name.rsplit(".", 1)[0] + ".json"
    import yaml

    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump(data, Dumper=dumper, default_flow_style=rng.random() < 0.5, allow_unicode=True,
                     sort_keys=False), name


def cases(n: int, seed: int = 0):
    """``n`` (name, text) cases, the same ones for the same seed."""
    rng = random.Random(seed)
    bases = base_texts()
    for _ in range(n):
        name, text = rng.choice(bases)
        if rng.random() < 0.6:
            for _ in range(rng.randint(1, 3)):
                text = _text_mutation(rng, text)
        else:
            text, name = _data_mutation(rng, text, name)
        yield name, text


@dataclass
class Report:
    cases: int = 0
    exits: dict[int, int] = field(default_factory=dict)
    problems: dict[str, list[str]] = field(default_factory=lambda: {
        "traceback": [], "internal": [], "unlocated": [], "exit": [], "slow": []})
    seconds: float = 0.0

    def ok(self) -> bool:
        return not any(self.problems.values())

    def summary(self) -> str:
        lines = [f"{self.cases} cases in {self.seconds:.1f} s; exit codes: "
                 + ", ".join(f"{k}: {v}" for k, v in sorted(self.exits.items()))]
        for kind, found in self.problems.items():
            lines.append(f"  {kind:<10} {len(found)}" + (f"   first: {found[0][:300]}" if found else ""))
        return "\n".join(lines)


def check(folder: Path, name: str, text: str, report: Report, *, slow_s: float = 5.0) -> None:
    """Lint one case as ``kspec lint`` does and record what went wrong."""
    from kspec.diagnostics import KspecError
    from kspec.lintcmd import run_lint

    path = folder / name
    # a part file that the case names must resolve next to it, as in specs/
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    report.cases += 1
    start = time.perf_counter()
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = run_lint([str(path)], format="json")
            except KspecError:
                code = 2
        findings = json.loads(out.getvalue()).get("diagnostics", []) if out.getvalue().strip() else []
    except BaseException as e:  # noqa: BLE001 - the point is to catch everything
        if isinstance(e, KeyboardInterrupt):
            raise
        report.problems["traceback"].append(f"{name}: {type(e).__name__}: {e}\n{traceback.format_exc()[-1500:]}\n"
                                            f"--- case ---\n{text[:2000]}")
        return
    elapsed = time.perf_counter() - start
    report.exits[code] = report.exits.get(code, 0) + 1
    if code not in (0, 1, 2):
        report.problems["exit"].append(f"{name}: exit {code}\n{text[:2000]}")
    for d in findings:
        if d.get("code") == "KS000":
            report.problems["internal"].append(f"{name}: {d.get('message')}\n--- case ---\n{text[:2000]}")
        elif not d.get("span"):
            report.problems["unlocated"].append(f"{name}: {d.get('code')} {d.get('message')}\n--- case ---\n{text[:2000]}")
    if elapsed > slow_s:
        report.problems["slow"].append(f"{name}: {elapsed:.1f} s\n{text[:2000]}")


def run(n: int, seed: int, folder: Path, *, slow_s: float = 5.0, progress=None) -> Report:
    import shutil

    parts = folder / "parts"
    parts.mkdir(parents=True, exist_ok=True)
    for p in (SPECS / "parts").glob("*.yaml"):
        shutil.copy(p, parts / p.name)
    report = Report()
    start = time.perf_counter()
    for i, (name, text) in enumerate(cases(n, seed), start=1):
        check(folder, name, text, report, slow_s=slow_s)
        if progress is not None and i % 1000 == 0:
            report.seconds = time.perf_counter() - start
            progress(report)
    report.seconds = time.perf_counter() - start
    return report
