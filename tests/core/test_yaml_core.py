"""Plain scalars resolve by YAML 1.2's core schema, as editors' YAML servers read them.

yaml-language-server reads YAML through the ``yaml`` JavaScript package with its default, YAML
1.2 and the core schema; kspec's two readers (libyaml's fast path and ruamel.yaml) give the same
values. Where node and that package are installed, they are asked too.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess

import pytest

from kspec.parse import loads

CORE = {
    "10": 10, "-7": -7, "+5": 5, "010": 10, "007": 7, "08": 8, "0o17": 15, "0x1F": 31, "1.5": 1.5,
    "1.": 1.0, ".5": 0.5, "1e3": 1000.0, "-2.5e-3": -0.0025, ".inf": math.inf, "-.inf": -math.inf,
    "true": True, "False": False, "null": None, "~": None,
    # not numbers in the core schema: they stay text (and a number field says so)
    "1_000": "1_000", "0b101": "0b101", "+0x10": "+0x10", "0O17": "0O17", "2024-01-31": "2024-01-31",
    "yes": "yes", "on": "on", "3:30": "3:30", "1/255": "1/255", "<<": "<<",
}


@pytest.mark.parametrize("written,value", CORE.items())
def test_plain_scalars_follow_the_core_schema(written, value):
    for text in (f"a: {written}\n", f"a: {written}\nb: &x 1\nc: *x\n"):  # the fast path, then ruamel
        got = loads(text, "f.yaml").data["a"]
        assert got == value and type(got) is type(value), (text, got)


def _node_yaml() -> str | None:
    node = shutil.which("node")
    if node is None:
        return None
    probe = subprocess.run([node, "-e", "require.resolve('yaml')"], capture_output=True, timeout=30)
    return node if probe.returncode == 0 else None


@pytest.mark.skipif(_node_yaml() is None, reason="node with the `yaml` package (yaml-language-server's reader) not installed")
def test_the_editors_reader_agrees():
    script = ("const Y=require('yaml');const out={};for(const v of JSON.parse(process.argv[1]))"
              "{const r=Y.parse('a: '+v).a;out[v]=typeof r==='number'&&!isFinite(r)?String(r):r;}"
              "console.log(JSON.stringify(out));")
    result = subprocess.run([_node_yaml(), "-e", script, json.dumps(list(CORE))], capture_output=True, text=True,
                            timeout=60)
    theirs = json.loads(result.stdout)
    for written, value in CORE.items():
        ours = loads(f"a: {written}\n", "f.yaml").data["a"]
        if isinstance(ours, float) and math.isinf(ours):
            ours = "Infinity" if ours > 0 else "-Infinity"
        assert theirs[written] == ours, written
