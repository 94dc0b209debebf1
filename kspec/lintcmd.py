"""``kspec lint`` as a function, and a reader of its options that needs no command-line framework.

``kspec lint`` is what pre-commit hooks and CI jobs run, often once per spec, so its start-up is
most of its cost. Importing typer and building its command (a Pydantic adapter per option) costs
more than linting a spec; :func:`fast_main` reads the ``lint`` options itself and hands anything
it does not fully understand (``--help``, a misspelt option, a bad value, no path) to the full
command line in :mod:`kspec.cli` (:mod:`kspec.entry` does the hand-over), so usage errors and help read exactly as for every other command.
:func:`run_lint` is the one implementation both use.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Sequence

SPEC_SUFFIXES = (".yaml", ".yml", ".json")
FORMATS = ("auto", "full", "concise", "json", "sarif", "github")
FAIL_ON = ("error", "warning", "info", "never")
EXIT_CLEAN, EXIT_FINDINGS, EXIT_INVALID = 0, 1, 2


def _err(text: str) -> None:
    sys.stderr.write(text + "\n")


# ------------------------------------------------------------------------------------ discovery


def collect_specs(paths: Sequence[str]) -> tuple[list[Path], list[str]]:
    """Spec files named by ``paths`` (files, folders, globs) and the arguments that matched nothing."""
    import glob

    files: list[Path] = []
    missing: list[str] = []
    for arg in paths:
        p = Path(arg)
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.suffix.lower() in SPEC_SUFFIXES and f.is_file()
                           and not any(part.startswith(".") for part in f.relative_to(p).parts))
            files.extend(f for f in found if looks_like_spec(f))
        elif p.is_file() or p.exists():  # a FIFO or a device is refused, with the reason, when read
            files.append(p)
        elif any(ch in arg for ch in "*?["):
            hits = sorted(Path(h) for h in glob.glob(arg, recursive=True) if Path(h).is_file())
            if not hits:
                missing.append(arg)
            files.extend(hits)
        else:
            missing.append(arg)
    seen: set[Path] = set()
    unique = []
    for f in files:
        real = f.resolve()
        if real not in seen:
            seen.add(real)
            unique.append(f)
    return unique, missing


def looks_like_spec(path: Path) -> bool:
    """In a folder, a full spec has a top-level `model:` or `kspec:`; part files are skipped."""
    import re

    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return True
    if path.suffix.lower() == ".json":
        return bool(re.search(r'^\s{0,4}"(kspec|model)"\s*:', text, re.M))
    return bool(re.search(r"^(kspec|model)\s*:", text, re.M))


# ------------------------------------------------------------------------------------ the command


def run_lint(paths: Sequence[str], *, format: str | None = None, fail_on: str | None = None,
             select: Sequence[str] | None = None, ignore: Sequence[str] | None = None, config: Path | None = None,
             output: Path | None = None, jobs: int | None = None, specs_only: bool = False,
             overrides: Sequence[str] | None = None, probe: bool = False) -> int:
    """Everything ``kspec lint`` does after reading its options; returns the exit code. Raises
    :class:`kspec.diagnostics.KspecError` for a usage error (the caller prints it, exit 2).

    With ``probe``, each spec without errors is also trained for a moment on its data
    (:mod:`kspec.run.probe`, which needs TensorFlow and is imported only then)."""
    from .analyse.batch import lint_files
    from .analyse.config import check_selector, load_config
    from .overrides import parse as parse_overrides
    from .render import pick

    parsed = parse_overrides(overrides or ())

    if probe:
        from .run import probe as probes

        if not probes.available():
            _err('error: --probe trains the model for a moment and needs TensorFlow and Keras, which are not '
                 'installed\nhint: pip install "kspec[train]" (lint without --probe needs neither)')
            return EXIT_INVALID

    files, missing = collect_specs(paths)
    if specs_only:
        files = [f for f in files if looks_like_spec(f)]
        if not files and not missing:
            return EXIT_CLEAN
    cfg, extra = load_config(Path(paths[0]) if Path(paths[0]).exists() else Path.cwd(), config)
    split = lambda values: [v for value in values for v in value.split(",") if v.strip()]  # noqa: E731
    if select:
        cfg.select = [check_selector(s, "--select") for s in split(select)]
    if ignore:
        cfg.ignore = list(cfg.ignore) + [check_selector(s, "--ignore") for s in split(ignore)]
    fail = fail_on or extra.get("fail-on", "error")
    fmt = format or extra.get("format", "auto")
    for m in missing:
        _err(f"error: no spec file matches {m!r}")
    if not files and not missing:
        _err("error: no spec files found")
        return EXIT_INVALID
    result = lint_files(files, cfg, jobs=jobs, overrides=parsed)
    for f in result.files:
        if f.error:
            _err(f"error: {f.file}: {f.error}")
    if probe:
        _probe_files(result, cfg, parsed)
    rendered = pick(fmt)(result.diagnostics, result.sources)
    if output:
        from .atomic import write_output
        from .render.text import summary

        write_output(output, rendered)
        _err(f"{summary(result.diagnostics)} in {len(files)} spec(s); report written to {output}")
    else:
        sys.stdout.write(rendered)
        sys.stdout.flush()
    if missing or result.invalid:
        return EXIT_INVALID
    if result.fails(fail):
        return EXIT_FINDINGS
    return EXIT_CLEAN


def _probe_files(result, cfg, overrides=()) -> None:
    """Add the probes' findings to each linted spec that has no error (a spec with errors would
    only fail to build); what keeps a spec from being probed is said on stderr."""
    from .diagnostics import KspecError, Severity
    from .pipeline import Pipeline
    from .run.checks import PROBE_CHECKS
    from .run.probe import probe

    if not any(cfg.selected(c) for c in PROBE_CHECKS):
        return
    for f in result.files:
        if f.invalid or f.crashed or f.error:
            continue
        if any(d.severity is Severity.ERROR for d in f.diagnostics):
            _err(f"note: {f.file}: not probed: fix its errors first")
            continue
        try:
            found = probe(Pipeline(f.file, lint_config=cfg, overrides=overrides))
        except KspecError as e:
            _err(f"note: {f.file}: not probed: {e}")
            continue
        except Exception as e:  # the model or the data failed to build in Keras: say why, go on
            first = (str(e).strip().splitlines() or [""])[0][:300]
            _err(f"note: {f.file}: not probed: {type(e).__name__}: {first}")
            continue
        found = [d.with_severity(Severity(cfg.severity[d.code])) if d.code in cfg.severity else d
                 for d in found if cfg.selected(_check_of(d))]
        f.diagnostics = sorted(list(f.diagnostics) + found, key=lambda d: d.sort_key())


def _check_of(d):
    from .run.checks import find

    return find(d.code)


# ------------------------------------------------------------------------------------ options

_VALUED = {"--format": "format", "-f": "format", "--fail-on": "fail_on", "--select": "select",
           "--ignore": "ignore", "--config": "config", "--output": "output", "-o": "output",
           "--jobs": "jobs", "-j": "jobs", "--set": "overrides"}
_REPEATED = {"select", "ignore", "overrides"}


def parse_lint_args(argv: Sequence[str]) -> dict | None:
    """``kspec lint``'s options as :func:`run_lint` keywords (with ``paths``), or None for anything
    this reader does not handle exactly as the full command line would (help, an unknown option,
    a bad value, no path): the full command line then reads them and reports the mistake."""
    opts: dict = {"paths": [], "select": [], "ignore": [], "overrides": []}
    args = list(argv)
    i = 0
    only_paths = False
    while i < len(args):
        a = args[i]
        i += 1
        if only_paths or not a.startswith("-") or a == "-":
            if a == "-":
                return None
            opts["paths"].append(a)
            continue
        if a == "--":
            only_paths = True
            continue
        if a == "--specs-only":
            opts["specs_only"] = True
            continue
        if a == "--probe":
            opts["probe"] = True
            continue
        name, value = a, None
        if a.startswith("--") and "=" in a:
            name, value = a.split("=", 1)
        elif len(a) > 2 and not a.startswith("--") and a[:2] in _VALUED:
            name, value = a[:2], a[2:]
        key = _VALUED.get(name)
        if key is None:
            return None
        if value is None:
            if i >= len(args):
                return None
            value = args[i]
            i += 1
        if key == "format" and value not in FORMATS or key == "fail_on" and value not in FAIL_ON:
            return None
        if key == "jobs":
            try:
                value = int(value)
            except ValueError:
                return None
            if value < 1:
                return None
        if key in ("config", "output"):
            value = Path(value)
        if key in _REPEATED:
            opts[key].append(value)
        else:
            opts[key] = value
    if not opts["paths"]:
        return None
    opts["select"] = opts["select"] or None
    opts["ignore"] = opts["ignore"] or None
    opts["overrides"] = opts["overrides"] or None
    return opts


def fast_main(argv: Sequence[str]) -> int | None:
    """Run ``kspec lint ARGV`` without the full command line; None when it must handle them."""
    opts = parse_lint_args(argv)
    if opts is None:
        return None
    from .diagnostics import KspecError, SpecInvalid

    try:
        return run_lint(opts.pop("paths"), **opts)
    except SpecInvalid as e:
        from .render import pick

        _err(pick("full")(e.diagnostics, getattr(e, "sources", {})).rstrip())
        return EXIT_INVALID
    except KspecError as e:
        _err(f"error: {e}")
        return EXIT_INVALID
    except KeyboardInterrupt:
        _err("interrupted")
        return 130


def dispatch(args: Sequence[str]) -> None:
    """Exit with ``kspec lint``'s code when this module can read ``args`` itself; else return, and
    the caller hands ``args`` to the full command line (:mod:`kspec.cli`)."""
    if args and args[0] == "lint":
        code = fast_main(list(args[1:]))
        if code is not None:
            sys.exit(code)
