"""The run's figures drawn by a separate process, off the run's critical path.

Importing matplotlib and rendering the figures (``loss.png``, ``accuracy.png``, the confusion
matrix, the learning-rate sweep) takes one to two seconds of CPU time. A :class:`Drawer` starts a
small child process when training ends: it imports matplotlib while the run saves the model,
evaluates and predicts (mostly one busy core), draws each figure it is sent, and answers with the
files it wrote. It starts after training, not before, so that it never takes a core from ``fit``.
The figures are written as in-process ones are (:mod:`kspec.report.plots`, atomically), and the
run waits for all of them (:meth:`Drawer.finish`) before it lists its artifacts, so every figure
is present when the run ends.

Any trouble with the child (it cannot start, dies, answers nonsense, or a figure fails there) is
never a reason for a run to fail: the figures it did not draw are drawn in this process instead,
exactly as without a drawer.

Protocol: one JSON object per line each way. Request ``{"id": N, "kind": KIND, "args": {...}}``;
answer ``{"id": N, "paths": [...]}`` or ``{"id": N, "error": "..."}``. End of input ends the child.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

KINDS = ("history", "confusion", "lr_sweep")
WAIT_S = 60.0
"""How long the run waits for the child to end once every figure is asked for (then it is killed,
and the figures it did not draw are drawn here)."""


def _draw(kind: str, args: dict[str, Any]) -> list[str]:
    """Draw one figure in this process; the paths written."""
    from . import plots

    if kind == "history":
        return [str(p) for p in plots.plot_history(args["history"], Path(args["out_dir"]))]
    if kind == "confusion":
        import numpy as np

        path = plots.plot_confusion(np.asarray(args["matrix"], dtype=np.int64), args["class_names"],
                                    Path(args["path"]), title=args["title"])
        return [str(path)]
    if kind == "lr_sweep":
        path = plots.plot_lr_sweep(args["history"], Path(args["path"]))
        return [str(path)] if path is not None else []
    raise ValueError(f"unknown figure kind {kind!r}")


def serve(stdin=None, stdout=None) -> None:
    """The child's loop: import matplotlib at once, then draw what each request line asks."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    from . import plots

    plots.plt()  # the import is the slow part: done while the parent trains
    for line in stdin:
        if not line.strip():
            continue
        try:
            job = json.loads(line)
            answer: dict[str, Any] = {"id": job["id"], "paths": _draw(job["kind"], job["args"])}
        except Exception as e:  # the parent draws this one itself
            answer = {"id": job.get("id") if isinstance(job, dict) else None, "error": f"{type(e).__name__}: {e}"}
        stdout.write(json.dumps(answer) + "\n")
        stdout.flush()


class Drawer:
    """Figures drawn by a child process; :meth:`finish` returns every job's paths (drawing here
    whatever the child did not)."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen | None = None
        self.jobs: list[tuple[str, dict[str, Any]]] = []
        self.errors: list[str] = []

    def start(self) -> "Drawer":
        root = str(Path(__file__).resolve().parents[2])  # the folder holding this kspec package
        code = f"import sys; sys.path.insert(0, {root!r}); from kspec.report.drawer import serve; serve()"
        env = dict(os.environ, MPLBACKEND="Agg")
        try:
            self.proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=subprocess.DEVNULL, text=True, env=env)
        except OSError as e:
            self.errors.append(f"cannot start: {e}")
            self.proc = None
        return self

    def submit(self, kind: str, **args: Any) -> None:
        """Ask for a figure (drawn now by the child, or at :meth:`finish` in this process)."""
        if kind not in KINDS:
            raise ValueError(f"unknown figure kind {kind!r}")
        self.jobs.append((kind, args))
        if self.proc is None:
            return
        try:
            self.proc.stdin.write(json.dumps({"id": len(self.jobs) - 1, "kind": kind, "args": args}) + "\n")
            self.proc.stdin.flush()
        except (OSError, ValueError, TypeError) as e:  # the child is gone, or args that JSON cannot carry
            self.errors.append(f"{type(e).__name__}: {e}")
            self._stop()

    def finish(self) -> list[list[str]]:
        """Wait for the child's answers; draw here what it did not. Paths per job, in order."""
        done: dict[int, list[str]] = {}
        if self.proc is not None:
            try:
                self.proc.stdin.close()
                for line in self.proc.stdout:
                    try:
                        answer = json.loads(line)
                    except json.JSONDecodeError:
                        continue
                    if isinstance(answer, dict) and "paths" in answer and isinstance(answer.get("id"), int):
                        done[answer["id"]] = [str(p) for p in answer["paths"]]
                    elif isinstance(answer, dict) and answer.get("error"):
                        self.errors.append(str(answer["error"]))
            except (OSError, ValueError) as e:
                self.errors.append(f"{type(e).__name__}: {e}")
            self._stop()
        out = []
        for i, (kind, args) in enumerate(self.jobs):
            paths = done.get(i)
            if paths is None or not all(Path(p).is_file() for p in paths):
                paths = _draw(kind, args)
            out.append(paths)
        self.jobs = []
        return out

    def _stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        try:
            if proc.stdin and not proc.stdin.closed:
                proc.stdin.close()
        except OSError:
            pass
        try:
            proc.wait(timeout=WAIT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout:
            proc.stdout.close()

    def close(self) -> None:
        """Stop the child without drawing what is left (a run that failed or was interrupted): it
        finishes the figure it is drawing (each is written atomically) and ends."""
        self.jobs = []
        self._stop()
