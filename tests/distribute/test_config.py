"""The distribute setting, clusters, CLI overrides and KS6xx lint rules: no TensorFlow cluster."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from kspec.analyse.lint import LintConfig
from kspec.diagnostics import KspecError, Severity
from kspec.emit.strategy import Cluster, cluster_of, free_ports, parse_tf_config, per_replica_batch
from kspec.pipeline import Pipeline
from kspec.run.worker import apply_overrides, child_args, parse_workers
from kspec.spec import MirroredDistribute, MultiWorkerDistribute, TrainSpec

from .helpers import env_for

BASE = """\
kspec: 1
data: {type: keras, name: fashion_mnist, rescale: 1/255}
model:
  layers:
    - {type: Flatten}
    - {type: Dense, units: 10, activation: softmax}
compile: {optimizer: adam, loss: sparse_categorical_crossentropy, metrics: [accuracy]}
"""


def lint(train: str, data: str | None = None, tmp_path=None) -> list:
    text = BASE if data is None else BASE.replace("data: {type: keras, name: fashion_mnist, rescale: 1/255}", data)
    p = Pipeline(text=text + train, file="t.yaml", base_dir=tmp_path, lint_config=LintConfig(select=["KS6"]))
    assert p.valid, p.spec_diagnostics
    return p.diagnostics


# ------------------------------------------------------------------------------------ the setting


def test_distribute_defaults_to_one_device_and_takes_a_bare_name():
    assert TrainSpec().distribute.type == "default"
    d = TrainSpec.model_validate({"distribute": "multi_worker"}).distribute
    assert isinstance(d, MultiWorkerDistribute) and d.workers is None and d.startup_timeout == 300


def test_resolved_spec_has_the_distribute_setting_and_global_batch_explicit():
    p = Pipeline(text=BASE + "train: {batch_size: 64, distribute: {type: multi_worker, workers: 2}}\n", file="t.yaml")
    train = p.resolved.to_json()["train"]
    assert train["batch_size"] == 64
    assert train["distribute"] == {"type": "multi_worker", "workers": 2, "worker_index": None,
                                   "communication": "auto", "startup_timeout": 300}


@pytest.mark.parametrize("train, fragment", [
    ("train: {distribute: gpus}\n", "distribute"),
    ("train: {distribute: {type: multi_worker, workers: [localhost]}}\n", "workers"),
    ("train: {distribute: {type: mirrored, devices: [gpu0]}}\n", "devices"),
    ("train: {distribute: {type: mirrored, colour: red}}\n", "colour"),
])
def test_invalid_distribute_settings_are_schema_errors(train, fragment):
    p = Pipeline(text=BASE + train, file="t.yaml")
    errors = [d for d in p.spec_diagnostics if d.severity is Severity.ERROR]
    assert errors and any(fragment in (d.path + d.message) for d in errors), [(d.path, d.message) for d in errors]


# ------------------------------------------------------------------------------------ clusters


def cfg(workers, index=0, typ="worker", chief=None):
    cluster = {"worker": workers}
    if chief:
        cluster["chief"] = chief
    return json.dumps({"cluster": cluster, "task": {"type": typ, "index": index}})


def test_tf_config_workers_and_chief():
    c = parse_tf_config(cfg(["h1:1", "h2:2"], 1))
    assert c.workers == ("h1:1", "h2:2") and c.index == 1 and not c.is_chief and c.source == "TF_CONFIG"
    c = parse_tf_config(cfg(["h1:1"], 0, "chief", chief=["h0:9"]))
    assert c.workers == ("h0:9", "h1:1") and c.index == 0 and c.is_chief and c.task_type == "chief"
    c = parse_tf_config(cfg(["h1:1", "h2:2"], 1, chief=["h0:9"]))
    assert c.index == 2 and c.tf_config()["task"] == {"type": "worker", "index": 1}


@pytest.mark.parametrize("text, words", [
    ("{not json", "not valid JSON"),
    (json.dumps({"task": {"type": "worker", "index": 0}}), "no \"cluster\""),
    (json.dumps({"cluster": {"worker": ["a:1"]}}), "which of the workers"),
    (cfg(["a:1", "b:2"], 2), "not in the cluster"),
    (json.dumps({"cluster": {"worker": ["a:1"], "ps": ["p:1"]}, "task": {"type": "worker", "index": 0}}),
     "parameter_server"),
    (cfg(["a:1", "a:1"], 0), "twice"),
])
def test_bad_tf_config_says_what_is_wrong(text, words):
    with pytest.raises(KspecError) as e:
        parse_tf_config(text)
    assert words in str(e.value)


def test_cluster_from_spec_cli_or_tf_config():
    mw = MultiWorkerDistribute(type="multi_worker")
    assert cluster_of(mw, env={}) is None  # a single local worker
    c = cluster_of(mw.model_copy(update={"workers": ["a:1", "b:2"], "worker_index": 1}), env={})
    assert c.index == 1 and c.source == "spec" and c.jobs == {"worker": ["a:1", "b:2"]}
    with pytest.raises(KspecError, match="which of the 2 workers"):
        cluster_of(mw.model_copy(update={"workers": ["a:1", "b:2"]}), env={})
    env = {"TF_CONFIG": cfg(["a:1", "b:2"], 1)}
    assert cluster_of(mw, env=env).index == 1
    assert cluster_of(mw.model_copy(update={"workers": ["a:1", "b:2"]}), env=env).index == 1
    with pytest.raises(KspecError, match="expects 3 workers but TF_CONFIG lists 2"):
        cluster_of(mw.model_copy(update={"workers": 3}), env=env)
    with pytest.raises(KspecError) as e:
        cluster_of(mw.model_copy(update={"workers": 2}), env={})
    assert "--local" in e.value.hint


def test_free_ports_are_distinct():
    ports = free_ports(4)
    assert len(set(ports)) == 4 and all(1024 < p < 65536 for p in ports)


def test_per_replica_batch():
    assert per_replica_batch(64, 4) == 16
    with pytest.raises(KspecError, match="does not divide among 3 replicas"):
        per_replica_batch(64, 3)


def test_cluster_rejects_an_out_of_range_index():
    with pytest.raises(KspecError, match="out of range"):
        Cluster.of_workers(["a:1"], 1, "spec")


# ------------------------------------------------------------------------------------ CLI options


def test_overrides():
    t = TrainSpec()
    apply_overrides(t, distribute="mirrored")
    assert isinstance(t.distribute, MirroredDistribute)
    t = TrainSpec()
    apply_overrides(t, workers="2", local=True)
    assert isinstance(t.distribute, MultiWorkerDistribute) and t.distribute.workers == 2
    t = TrainSpec()
    apply_overrides(t, local=True)
    assert t.distribute.workers == 2
    t = TrainSpec.model_validate({"distribute": {"type": "multi_worker", "startup_timeout": 9}})
    apply_overrides(t, workers="a:1,b:2", worker_index=1)
    assert t.distribute.workers == ["a:1", "b:2"] and t.distribute.worker_index == 1 and t.distribute.startup_timeout == 9
    with pytest.raises(KspecError, match="--local picks its own addresses"):
        apply_overrides(TrainSpec(), workers="a:1,b:2", local=True)
    with pytest.raises(KspecError, match="applies to multi_worker"):
        apply_overrides(TrainSpec(), distribute="mirrored", workers="2")


@pytest.mark.parametrize("text, want", [("3", 3), ("a:1, b:2", ["a:1", "b:2"])])
def test_parse_workers(text, want):
    assert parse_workers(text) == want


@pytest.mark.parametrize("text", ["0", "a", "a:b", ""])
def test_parse_workers_rejects(text):
    with pytest.raises(KspecError):
        parse_workers(text)


def test_child_args_forward_the_run_options():
    args = child_args("s.yaml", resume=None, out="runs", seed=3, epochs=2, quiet=True, no_lint=True, fmt="full",
                      distribute="multi_worker", workers=2)
    assert args == ["s.yaml", "--out", "runs", "--seed", "3", "--epochs", "2", "--distribute", "multi_worker",
                    "--workers", "2", "--no-lint", "--quiet", "--format", "full"]
    assert child_args(None, resume="r", out=None, seed=None, epochs=None, quiet=False, no_lint=False, fmt=None,
                      distribute=None, workers=None) == ["--resume", "r"]


@pytest.mark.parametrize("args, words", [
    (["--resume", "runs/x", "--distribute", "mirrored"], "keeps its distribute setting"),
    (["{spec}", "--distribute", "mirrored", "--workers", "2"], "applies to multi_worker"),
    (["{spec}", "--workers", "a:1,b:2", "--local"], "picks its own addresses"),
])
def test_cli_mistakes_are_clean_errors(tmp_path, args, words):
    spec = tmp_path / "s.yaml"
    spec.write_text(BASE)
    r = subprocess.run([sys.executable, "-m", "kspec.cli", "run", *[a.format(spec=spec) for a in args]],
                       capture_output=True, text=True, env=env_for(), timeout=60, cwd=tmp_path)
    assert r.returncode == 2, r.stdout + r.stderr
    assert words in r.stderr and "Traceback" not in r.stderr


def test_default_creates_no_strategy_and_imports_no_tensorflow():
    code = ("import sys; from kspec.pipeline import Pipeline; from kspec.run.distribute import start;"
            f"p = Pipeline(text={BASE!r}, file='t.yaml'); d = start(p.resolved);"
            "assert d.strategy is None and d.is_chief and not d.custom_loop;"
            "assert d.describe(32) == {'strategy': 'default', 'replicas': 1, 'global_batch': 32, 'per_replica_batch': 32};"
            "print('tensorflow' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env_for(), timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "False"


def test_parameter_server_is_validated_then_refused(monkeypatch):
    from kspec.emit.strategy import create_strategy
    from kspec.spec import ParameterServerDistribute

    ps = ParameterServerDistribute(type="parameter_server")
    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(KspecError, match="needs a cluster in TF_CONFIG"):
        create_strategy(ps)
    cluster = {"chief": ["c:1"], "worker": ["w:1"], "ps": ["p:1"]}
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": {"worker": ["w:1"]}, "task": {"type": "worker", "index": 0}}))
    with pytest.raises(KspecError, match="one chief, workers and ps"):
        create_strategy(ps)
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": cluster, "task": {"type": "ps", "index": 0}}))
    with pytest.raises(KspecError, match="ps task"):
        create_strategy(ps)
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": cluster, "task": {"type": "chief", "index": 0}}))
    with pytest.raises(KspecError, match="Keras 3 cannot train under ParameterServerStrategy"):
        create_strategy(ps)


# ------------------------------------------------------------------------------------ lint


def codes(found):
    return [d.code for d in found]


def test_ks601_batch_not_divisible():
    found = lint("train: {batch_size: 50, distribute: {type: multi_worker, workers: 4}}\n")
    assert codes(found) == ["KS601"]
    d = found[0]
    assert d.severity is Severity.ERROR and d.path == "train.batch_size" and "48 or 52" in d.hint
    assert codes(lint("train: {batch_size: 48, distribute: {type: multi_worker, workers: 4}}\n")) == []
    # devices of mirrored count too; an unknown number of replicas (TF_CONFIG) says nothing
    assert codes(lint("train: {batch_size: 50, distribute: {type: mirrored, devices: ['/gpu:0', '/gpu:1', '/gpu:2']}}\n")) == ["KS601"]
    assert codes(lint("train: {batch_size: 50, distribute: multi_worker}\n")) == []
    assert codes(lint("train: {batch_size: 51, distribute: {type: multi_worker, workers: ['a:1', 'b:2']}}\n")) == ["KS601"]


def test_ks602_replicas_idle():
    # 60,000 % 64 = 32 samples in the last step: 4 of 8 replicas idle
    found = lint("train: {batch_size: 64, distribute: {type: multi_worker, workers: 8}}\n")
    assert codes(found) == ["KS602"] and "4 of them get no sample" in found[0].message
    assert "steps_per_epoch: 937" in found[0].hint
    # a partial last step that still reaches every replica: 60,000 % 128 = 96 samples, 64 per replica
    assert codes(lint("train: {batch_size: 128, distribute: {type: multi_worker, workers: 2}}\n")) == []
    assert codes(lint("train: {batch_size: 64, steps_per_epoch: 937, distribute: {type: multi_worker, workers: 8}}\n")) == []


def test_ks603_unshardable_data(tmp_path):
    found = lint("train: {batch_size: 4, distribute: {type: multi_worker, workers: 4}}\n",
                 data="data: {type: keras, name: fashion_mnist, rescale: 1/255, limit: 3}")
    assert "KS603" in codes(found)
    assert [d for d in found if d.code == "KS603"][0].severity is Severity.WARNING
    from PIL import Image

    for c in ("a", "b"):
        (tmp_path / "tree" / c).mkdir(parents=True)
        Image.new("L", (4, 4)).save(tmp_path / "tree" / c / "1.png")
    folder = "data: {type: image_folder, directory: tree, target_size: [4, 4], color_mode: grayscale, class_mode: sparse}"
    found = lint("train: {batch_size: 4, distribute: {type: multi_worker, workers: 4}}\n", data=folder, tmp_path=tmp_path)
    d = [d for d in found if d.code == "KS603"][0]
    assert d.severity is Severity.ERROR and "cannot build their input pipeline" in d.message
    found = lint("train: {batch_size: 2, distribute: {type: multi_worker, workers: 2}}\n", data=folder, tmp_path=tmp_path)
    assert "KS603" not in codes(found)


def test_lint_findings_are_printed_by_one_process_of_a_cluster(monkeypatch):
    from kspec.run import worker
    from kspec.run.worker import LOCAL_CLUSTER_ENV, reports_lint

    dist = MultiWorkerDistribute(type="multi_worker")
    cfg = lambda i: json.dumps({"cluster": {"worker": ["127.0.0.1:1", "127.0.0.1:2"]}, "task": {"type": "worker", "index": i}})  # noqa: E731
    assert reports_lint(dist, {}) and reports_lint(TrainSpec().distribute, {})
    assert reports_lint(dist, {"TF_CONFIG": cfg(0)}) and not reports_lint(dist, {"TF_CONFIG": cfg(1)})
    assert not reports_lint(dist, {"TF_CONFIG": cfg(0), LOCAL_CLUSTER_ENV: "1"})  # --local: the launcher did
    seen = []
    real = subprocess.Popen

    def popen(args, env=None, **kw):  # a tiny child in place of `kspec run`, with the launcher's environment
        seen.append(env)
        return real([sys.executable, "-c", "print('ok')"], env=env, **kw)

    monkeypatch.setattr(worker.subprocess, "Popen", popen)
    result = worker.launch(["spec.yaml"], 2, timeout=60)
    assert result.returncode == 0 and len(seen) == 2
    assert all(e[LOCAL_CLUSTER_ENV] == "1" and not reports_lint(dist, e) for e in seen)
