"""Tests for srnbook.experiments: the vanishing-gradient experiment and the command line."""

import json

import pytest
import torch

from srnbook.experiments import EXPERIMENTS, vanishing
from srnbook.experiments.__main__ import main


pytestmark = pytest.mark.usefixtures("one_torch_thread")


TINY = {**vanishing.QUICK, "T": [20], "methods": ["sgd", "adam"], "max_sequences": 64, "eval_every": 32,
        "eval_size": 32}


def test_quick_runs_end_to_end():
    result = vanishing.run(vanishing.QUICK, argv=["test"])
    result = json.loads(json.dumps(result))
    assert set(result) == {"experiment", "config", "cells", "runs", "torch_version", "command"}
    assert result["config"] == json.loads(json.dumps(vanishing.QUICK))
    q = vanishing.QUICK
    assert len(result["cells"]) == len(q["tasks"]) * len(q["T"]) * len(q["methods"]) * len(q["inits"])
    assert len(result["runs"]) == len(result["cells"]) * q["seeds"]
    for cell in result["cells"]:
        assert set(cell) == {"task", "T", "method", "init", "seeds", "solved", "median_sequences",
                             "median_success_rate"}
        assert 0 <= cell["solved"] <= cell["seeds"] == q["seeds"]
        assert (cell["median_sequences"] is None) == (2 * cell["solved"] <= cell["seeds"])
    assert result["command"] == ["test"]
    assert not any("seconds" in key for run in result["runs"] for key in run)


def test_full_is_the_documented_grid():
    f = vanishing.FULL
    assert f["tasks"] == ["adding", "temporal_order"] and f["seeds"] >= 10 and f["budget_seconds"] > 0
    assert set(f["methods"]) == {"sgd", "sgd_clip", "sgd_clip_omega", "normalized", "adam"}
    assert set(vanishing.QUICK) == set(f)


def test_cli_writes_json(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(vanishing, "QUICK", TINY)
    out = tmp_path / "sub" / "v.json"
    assert main(["vanishing", "--quick", "--no-progress", "--out", str(out)]) == out
    data = json.loads(out.read_text())
    assert data["config"]["methods"] == ["sgd", "adam"] and len(data["runs"]) == 4
    assert data["command"][-2:] == ["--out", str(out)]
    assert "total wall time" in capsys.readouterr().out


def test_cli_unknown_experiment(capsys):
    with pytest.raises(SystemExit) as info:
        main(["exploding"])
    assert info.value.code == 2
    assert "invalid choice: 'exploding'" in capsys.readouterr().err


def test_cli_help(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    out = capsys.readouterr().out
    assert info.value.code == 0 and "vanishing" in out and "--quick" in out
    assert set(EXPERIMENTS) == {"vanishing"}


@pytest.mark.parametrize("change, match", [
    ({"methods": ["lbfgs"]}, r"config\['methods'\] must be one of"),
    ({"inits": ["xavier"]}, r"config\['inits'\] must be one of"),
    ({"T": [9]}, r"config\['T'\] must hold integers >= 10"),
    ({"seeds": 0}, r"config\['seeds'\] must be a positive integer"),
    ({"tasks": "adding"}, r"config\['tasks'\] must be a nonempty list"),
    ({"colour": "red"}, r"unknown keys \['colour'\]"),
])
def test_config_errors(change, match):
    with pytest.raises(ValueError, match=match):
        vanishing.run({**TINY, **change})


def test_config_missing_key():
    config = dict(TINY)
    del config["seeds"]
    with pytest.raises(ValueError, match=r"missing keys \['seeds'\]"):
        vanishing.run(config)


def test_workers_give_the_same_runs_as_one_process():
    config = {**TINY, "max_sequences": 96}
    one = vanishing.run(config, argv=["test"])
    two = vanishing.run(config, argv=["test"], workers=2)
    assert one == two


def test_workers_must_be_a_positive_integer():
    with pytest.raises(ValueError, match="workers must be a positive integer"):
        vanishing.run(TINY, workers=0)
