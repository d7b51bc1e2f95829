"""Tests for srnbook.experiments: the vanishing-gradient experiment and the command line."""

import json
import math
from pathlib import Path

import pytest
import torch

from srnbook.experiments import (EXPERIMENTS, backward_tuning, exact_learning, fastweights, fastweights_network,
                                 hessian_free, kfac, learning_ssrn, long_lags, vanishing, vanishing_sweep)
from srnbook.experiments.__main__ import main


pytestmark = pytest.mark.usefixtures("one_torch_thread")


TINY = {**vanishing.QUICK, "T": [20], "methods": ["sgd", "sgd_clip"], "max_sequences": 64, "eval_every": 32,
        "eval_size": 32, "test_size": 64}


def test_quick_runs_end_to_end():
    result = vanishing.run(vanishing.QUICK, argv=["test"])
    result = json.loads(json.dumps(result))
    assert set(result) == {"experiment", "config", "cells", "runs", "published", "torch_version", "command"}
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
    for run in result["runs"]:  # solved means: Pascanu et al.'s test, at most 1 % of fresh sequences wrong
        assert run["solved"] == (run["test_success"] >= q["target"])
        assert (run["sequences_to_solve"] is not None) <= run["solved"]


def test_full_is_pascanus_comparison_within_two_hours_on_two_cores():
    f = vanishing.FULL
    assert f["tasks"] == ["adding", "temporal_order"] and f["T"] == [50, 100] and f["seeds"] >= 5
    assert f["methods"] == ["sgd", "sgd_clip", "sgd_clip_omega"] and f["inits"] == ["pascanu"]
    assert (f["d"], f["batch_size"], f["target"], f["tol"], f["test_size"]) == (50, 20, 0.99, 0.2, 10_000)
    runs = len(f["tasks"]) * len(f["T"]) * len(f["methods"]) * len(f["inits"]) * f["seeds"]
    assert runs * f["budget_seconds"] / 2 <= 2 * 3600  # CPU budgets, two workers
    assert set(vanishing.QUICK) == set(f)


def test_cli_writes_json(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(vanishing, "QUICK", TINY)
    out = tmp_path / "sub" / "v.json"
    assert main(["vanishing", "--quick", "--no-progress", "--out", str(out)]) == out
    data = json.loads(out.read_text())
    assert data["config"]["methods"] == ["sgd", "sgd_clip"] and len(data["runs"]) == 4
    assert data["command"][-2:] == ["--out", str(out)]
    out = capsys.readouterr().out
    assert "total wall time" in out and "CPU time" in out


def test_cli_unknown_experiment(capsys):
    with pytest.raises(SystemExit) as info:
        main(["exploding"])
    assert info.value.code == 2
    assert "invalid choice: 'exploding'" in capsys.readouterr().err


def test_cli_help(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    out = capsys.readouterr().out
    assert info.value.code == 0 and "vanishing" in out and "fastweights" in out and "--quick" in out
    assert set(EXPERIMENTS) == {"vanishing", "fastweights", "fastweights_network", "hessian_free", "kfac",
                                "learning_ssrn", "long_lags", "backward_tuning", "reservoir_esn", "vanishing_sweep",
                                "exact_learning"}
    assert "--scheduler" in out and "--device" in out and "--restart" in out


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


def test_cells_are_found_by_key_and_plotted():
    result = vanishing.run({**TINY, "T": [10, 20]}, argv=["test"])
    c = vanishing.cell(result, "temporal_order", 20, "sgd_clip", "orthogonal")
    assert (c["T"], c["method"]) == (20, "sgd_clip")
    with pytest.raises(KeyError, match="no cell task='adding'"):
        vanishing.cell(result, "adding", 20, "sgd_clip", "orthogonal")
    import matplotlib.pyplot as plt
    fig = vanishing.plot_success(result)
    assert not plt.fignum_exists(fig.number) and len(fig.axes) == 1


def test_published_points_name_their_source():
    for point in vanishing.PUBLISHED:
        assert point["source"].startswith("Pascanu, Mikolov & Bengio (2013)") and point["note"]
    assert set(vanishing.METHOD_LABELS) >= set(vanishing.FULL["methods"])


@pytest.mark.parametrize("module, name", [(vanishing, "vanishing"), (vanishing_sweep, "vanishing"),
                                          (long_lags, "long_lags")])
def test_the_chapters_load_results_of_the_full_configurations(module, name):
    from pathlib import Path

    stem = module.__name__.rsplit(".", 1)[1]
    data = json.loads((Path(__file__).resolve().parents[1] / "book" / "data" / f"{stem}.json").read_text())
    f = module.FULL
    assert {k: v for k, v in data["config"].items() if k != "progress"} == \
        {k: v for k, v in json.loads(json.dumps(f)).items() if k != "progress"}
    cells = 1
    for key in ("tasks", "T", "methods", "inits", "networks"):
        cells *= len(f.get(key, [None]))
    assert len(data["runs"]) == cells * f["seeds"]
    assert data["command"][:4] == ["python", "-m", "srnbook.experiments", name]  # the sweep ran as "vanishing"


# ---------------------------------------------------------------------- long lags (gated units)

LL_TINY = {**long_lags.QUICK, "max_sequences": 128, "eval_every": 64, "eval_size": 64, "test_size": 64}


def test_long_lags_trains_every_network_with_the_same_budget():
    result = json.loads(json.dumps(long_lags.run(LL_TINY, argv=["test"])))
    assert [c["network"] for c in result["cells"]] == ["lstm1997", "gru", "srn"]
    for run in result["runs"]:
        assert run["sequences_seen"] <= LL_TINY["max_sequences"] and 0 <= run["wrong"] <= LL_TINY["test_size"]
    for cell in result["cells"]:
        assert cell["solved"] == sum(n is not None for n in cell["sequences"])
    sizes = {c["network"]: c["parameters"] for c in result["cells"]}
    assert sizes["lstm1997"] == 3 * 4 * (2 + 4 + 1) + 5  # three gates' worth of weights, and the readout
    assert result["published"] == long_lags.PUBLISHED


def test_long_lags_published_points_are_hochreiter_and_schmidhubers_tables():
    points = {(p["task"], p["T"]): p for p in long_lags.PUBLISHED}
    assert points["adding", 100]["sequences"] == 74_000 and "Table 7" in points["adding", 100]["source"]
    assert points["temporal_order", 100]["sequences"] == 31_390 and "Table 9" in points["temporal_order", 100]["source"]


@pytest.mark.parametrize("change, match", [
    ({"networks": ["transformer"]}, "config\\['networks'\\]"),
    ({"tasks": ["xor"]}, "config\\['tasks'\\]"),
    ({"T": [5]}, "config\\['T'\\] must hold integers"),
    ({"seeds": 0}, "config\\['seeds'\\] must be a positive integer"),
])
def test_long_lags_config_errors(change, match):
    with pytest.raises(ValueError, match=match):
        long_lags.run({**LL_TINY, **change})


# ---------------------------------------------------------------------- fast weights (Ba et al. 2016)

FW_TINY = {**fastweights.QUICK, "models": ["fast_weights", "lstm"], "splits": [512, 128, 128],
           "max_sequences": 256, "eval_every": 128, "batch_size": 64}


def test_fastweights_runs_every_model_and_sets_published_beside_measured():
    result = json.loads(json.dumps(fastweights.run(FW_TINY, argv=["test"])))
    assert [(r["model"], r["R"]) for r in result["runs"]] == [("fast_weights", 20), ("lstm", 20)]
    for r in result["runs"]:
        assert r["sequences_seen"] == 256 and 0 <= r["test_at_best_valid"] <= 1 and r["parameters"] > 0
    rows = fastweights.table(result)
    published = [row for row in rows if row[3].startswith("published")]
    measured = [row for row in rows if row[3].startswith("measured")]
    assert len(published) == sum(len(v) for v in result["published"].values())
    assert [row[:2] for row in measured] == [["fast weights", 20], ["LSTM", 20]]
    assert all("256 sequences" in row[3] or "sequences seen" in row[3] for row in measured)
    assert not any("seconds" in key for run in result["runs"] for key in run)


def test_fastweights_seeds_give_a_median_and_a_range_and_compare_at_equal_training():
    result = json.loads(json.dumps(fastweights.run({**FW_TINY, "models": ["lstm"], "seeds": 3}, argv=["test"])))
    errors = sorted(100 * r["test_at_best_valid"] for r in result["runs"])
    measured = [row for row in fastweights.table(result) if row[3].startswith("measured")]
    assert measured == [["LSTM", 20, f"{errors[1]:.2f} ({errors[0]:.2f} to {errors[2]:.2f})",
                         "measured, 3 seeds (256 sequences seen)"]]
    first = sorted(100 * r["history"][0][3] for r in result["runs"])[1]
    assert fastweights.validation_error_at(result, "lstm", 20, result["runs"][0]["history"][0][0]) == first
    with pytest.raises(ValueError, match="no evaluation at or before 1 sequences"):
        fastweights.validation_error_at(result, "lstm", 20, 1)


@pytest.mark.parametrize("change, match", [
    ({"models": ["gru"]}, r"config\['models'\] must be one of"),
    ({"R": [0]}, r"config\['R'\] must be a positive integer"),
    ({"splits": [10, 10]}, r"config\['splits'\] must be three sizes"),
    ({"models": "lstm"}, r"config\['models'\] must be a nonempty list"),
])
def test_fastweights_config_errors(change, match):
    with pytest.raises(ValueError, match=match):
        fastweights.run({**FW_TINY, **change})


def test_the_chapter_loads_a_result_of_the_full_fastweights_configuration():
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "book" / "data" / "fastweights.json"
    data = json.loads(path.read_text())
    f = fastweights.FULL
    assert {k: v for k, v in data["config"].items() if k != "progress"} == \
        {k: v for k, v in json.loads(json.dumps(f)).items() if k != "progress"}
    assert len(data["runs"]) == len(f["models"]) * len(f["R"]) * f["seeds"]
    assert data["command"][:4] == ["python", "-m", "srnbook.experiments", "fastweights"]


def test_the_stored_fast_weights_network_is_rebuilt_exactly():
    from srnbook.fastweights import retrieval_error

    result = json.loads(json.dumps(fastweights_network.run(fastweights_network.QUICK, argv=["test"])))
    assert set(result) == {"experiment", "config", "history", "state", "torch_version", "command"}
    assert result["history"][-1][0] >= fastweights_network.QUICK["max_sequences"]
    model = fastweights_network.load_network(result)
    test = fastweights_network.splits(result["config"]).test
    # the last row of the history is the test error of the trained network: the rebuilt one has it too
    assert retrieval_error(model, test) == result["history"][-1][4]
    with pytest.raises(ValueError, match="config has missing keys"):
        fastweights_network.run({"R": 20})


def test_the_chapter_loads_the_network_of_the_full_configuration():
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "book" / "data" / "fastweights_network.json"
    data = json.loads(path.read_text())
    assert {k: v for k, v in data["config"].items() if k != "progress"} == \
        {k: v for k, v in fastweights_network.FULL.items() if k != "progress"}
    assert data["history"][-1][0] >= fastweights_network.FULL["max_sequences"]
    assert data["command"][:4] == ["python", "-m", "srnbook.experiments", "fastweights_network"]


# ---------------------------------------------------------------------- second-order training (HF, K-FAC)


@pytest.fixture(scope="module")
def quick_results():
    """The QUICK results of the second-order experiments, run once for the tests that read them."""
    return {module: json.loads(json.dumps(module.run(module.QUICK, argv=["test"])))
            for module in (hessian_free, kfac)}


@pytest.mark.parametrize("module", [hessian_free, kfac])
def test_second_order_quick_runs_end_to_end(module, quick_results):
    result = quick_results[module]
    q = module.QUICK
    extra = {"traces", "long_runs"} if module is hessian_free else {"sweep"}
    assert set(result) == {"experiment", "config", "cells", "runs", "baselines", "published", "torch_version",
                           "command"} | extra
    assert len(result["cells"]) == len(q["tasks"]) * len(q["T"]) * len(q["methods"])
    assert len(result["runs"]) == len(result["cells"]) * q["seeds"]
    assert [r["sequences_seen"] >= q["max_sequences"] for r in result["runs"]] == [True] * len(result["runs"])
    header, rows = module.table(result)
    assert header[:3] == ["task", "T", "chance"] and len(header) == 3 + len(q["methods"])
    assert len(rows) == len(q["tasks"]) * len(q["T"])
    assert all("/" in cell and "(" in cell for row in rows for cell in row[3:])
    import matplotlib.pyplot as plt
    fig = module.plot_curves(result, q["T"][0])
    assert not plt.fignum_exists(fig.number) and len(fig.axes) == len(q["tasks"])


def test_hf_traces_compare_the_check_minibatch_with_none(quick_results):
    result = quick_results[hessian_free]
    trace = hessian_free.QUICK["trace"]
    assert list(result["traces"]) == ["check", "no_check"]
    for rows in result["traces"].values():
        assert [r["iteration"] for r in rows] == list(range(1, trace["iterations"] + 1))
        assert all(r["cg_iterations"] >= 1 and r["damping"] > 0 and 0 <= r["validation_success"] <= 1
                   for r in rows)
    no_check = result["traces"]["no_check"]
    assert all(r["check_before"] == r["loss_before"] for r in no_check)  # decisions on the gradient batch
    assert any(r["check_before"] != r["loss_before"] for r in result["traces"]["check"])
    assert hessian_free.trace_label(result, "check") == "gradient 48, decisions on a check minibatch of 16"
    import matplotlib.pyplot as plt
    fig = hessian_free.plot_traces(result)
    assert not plt.fignum_exists(fig.number) and len([ax for ax in fig.axes if ax.lines]) == 2
    fig = hessian_free.plot_losses(result, 10)
    assert len(fig.axes) == len(hessian_free.QUICK["tasks"])


def test_outlook_extrapolates_a_falling_loss_to_the_loss_of_solved_runs():
    """A run whose loss halves every 1000 sequences: the estimate is its CPU time so far plus the
    time of the halvings still needed to reach the loss at which a run of the task was solved;
    a flat run gets none."""
    def run(method, solved, losses, cpu=60.0):
        history = [[1000 * (i + 1), loss, 0.5] for i, loss in enumerate(losses)]
        return {"task": "adding", "T": 100, "method": method, "solved": solved, "success_rate": 0.5,
                "history": history, "sequences_seen": history[-1][0], "cpu_seconds": cpu}
    falling = [2.0 ** -i for i in range(8)]           # 1, 1/2, ..., 1/128 after 8000 sequences
    result = {"config": {"tasks": ["adding"], "methods": ["hf", "sgd_clip"]},
              "runs": [run("hf", False, falling), run("sgd_clip", False, [0.5] * 8),
                       {**run("hf", True, [0.1, 2.0 ** -10]), "T": 50}]}
    rows = {r["method"]: r for r in hessian_free.outlook(result, 100)}
    # HF records half the mean squared error (its objective): the outlook doubles it
    assert rows["hf"]["target_loss"] == 2.0 ** -9 and rows["hf"]["improving"] == 1
    assert rows["hf"]["decay"] == pytest.approx(100 * math.log(2))    # ln 2 per 1000 sequences
    # 3 more halvings (1/128 -> 1/1024) = 3000 sequences at 60 s / 8000 sequences
    assert rows["hf"]["estimate_cpu_minutes"] == pytest.approx((60 + 3000 * 60 / 8000) / 60)
    assert rows["sgd_clip"]["improving"] == 0 and rows["sgd_clip"]["estimate_cpu_minutes"] is None


def untimed(result: dict) -> list[dict]:
    """The runs of ``result`` without their CPU seconds (a measurement of this machine, not of the run)."""
    return [{k: v for k, v in run.items() if k != "cpu_seconds"} for run in result["runs"]]


def test_an_option_given_per_task_is_the_same_as_the_value_for_that_task():
    tiny = {**hessian_free.QUICK, "methods": ["hf"], "max_sequences": 320}
    per_task = {**tiny, "options": {"hf": {**tiny["options"]["hf"], "damping": {"adding": 0.01, "parity": 5.0}}}}
    assert untimed(hessian_free.run(tiny, argv=["a"])) == untimed(hessian_free.run(per_task, argv=["a"]))


def test_kfac_sweep_chooses_each_methods_settings_by_the_same_rule(quick_results):
    result = quick_results[kfac]
    sweep, q = result["sweep"], kfac.QUICK["sweep"]
    assert len(sweep["candidates"]) == sum(
        len(q["lr"]["kfac" if m.startswith("kfac") else m]) * (len(q["damping"]) if m.startswith("kfac") else 1)
        for m in kfac.METHODS)
    for method, chosen in sweep["chosen"].items():
        mine = [c for c in sweep["candidates"] if c["method"] == method]
        best = max(c["score"][0] for c in mine)
        winner = min((c for c in mine if c["score"][0] == best), key=lambda c: c["score"][1])
        assert chosen == {"lr": winner["lr"], "damping": winner["damping"]}
    assert result["config"] == json.loads(json.dumps({**kfac.QUICK, "progress": False}))


def test_the_long_runs_repeat_one_cell_with_a_longer_budget(quick_results):
    result, long = quick_results[hessian_free], hessian_free.QUICK["long"]
    assert [(r["task"], r["T"], r["method"], r["seed"]) for r in result["long_runs"]] == [
        (long["task"], long["T"], long["method"], seed) for seed in range(hessian_free.QUICK["seeds"])]
    grid_run = next(r for r in result["runs"] if (r["task"], r["method"]) == (long["task"], long["method"]))
    assert result["long_runs"][0]["history"] == grid_run["history"]  # the same budget here: the same run
    assert hessian_free.FULL["long"] == {"task": "temporal_order", "T": 100, "method": "hf",
                                         "budget_seconds": 480.0}


def test_a_skipped_pair_is_left_out_of_the_grid_and_its_tables():
    tiny = {**hessian_free.QUICK, "tasks": ["adding", "multiplication"], "methods": ["sgd_clip"],
            "max_sequences": 64, "skip": [["multiplication", 10]]}
    result = hessian_free.run(tiny, argv=["a"])
    assert {(r["task"], r["T"]) for r in result["runs"]} == {("adding", 10)}
    assert list(result["baselines"]) == ["adding 10"] and result["config"]["skip"] == [["multiplication", 10]]
    header, rows = hessian_free.table(result)
    assert [row[:2] for row in rows] == [["adding", "10"]]
    hessian_free.plot_summary(result)  # the left-out pair is marked, not an error


def test_hf_runs_are_seeded():
    tiny = {**hessian_free.QUICK, "methods": ["hf"], "max_sequences": 256}
    assert untimed(hessian_free.run(tiny, argv=["a"])) == untimed(hessian_free.run(tiny, argv=["a"]))


def test_second_order_full_configurations_are_the_documented_grids():
    h, k = hessian_free.FULL, kfac.FULL
    assert h["tasks"] == ["adding", "multiplication", "temporal_order"] and h["T"] == [50, 100]
    assert set(h["methods"]) == {"hf", "sgd_clip", "adam"} and h["d"] == 100 and h["activation"] == "tanh"
    assert h["init"] == "martens_sutskever" and h["options"]["hf"]["structural_damping"] == 0.03
    assert h["options"]["hf"]["check_size"] == 300 and h["options"]["hf"]["curvature_size"] == 100
    assert h["options"]["hf"]["damping"] == {"adding": 0.01, "multiplication": 0.01, "temporal_order": 0.04}
    assert h["seeds"] == 3 and k["seeds"] == 3 and h["skip"] == [["multiplication", 50]]
    assert k["tasks"] == ["adding", "temporal_order"] and set(k["methods"]) == {
        "kfac_independent", "kfac_option1", "kfac_option2", "adam", "sgd_clip"}
    assert all(k["options"][m]["inverse_every"] == 10 for m in k["methods"] if m.startswith("kfac"))
    for f in (h, k):
        assert f["budget_seconds"] > 0 and f["threads"] == 1  # one CPU budget, the same for every method
        assert set(f["batch_size"]) == set(f["methods"])


@pytest.mark.parametrize("change, match", [
    ({"methods": ["lbfgs"]}, r"config\['methods'\] must be one of"),
    ({"init": "xavier"}, r"config\['init'\] must be one of"),
    ({"batch_size": {"hf": 8}}, r"config\['batch_size'\] must give a batch size for every method"),
    ({"lr": 0.1}, r"config\['lr'\] must be a dict"),
    ({"T": [0]}, r"config\['T'\] must hold integers >= 1"),
    ({"sweep": {"seed": 1}}, r"config\['sweep'\] must be a dict with the keys"),
    ({"sweep": {**kfac.QUICK["sweep"], "lr": {"kfac": [0.1]}}}, r"config\['sweep'\]\['lr'\] must give"),
])
def test_second_order_config_errors(change, match):
    with pytest.raises(ValueError, match=match):
        kfac.run({**kfac.QUICK, **change})


@pytest.mark.parametrize("module", [hessian_free, kfac])
def test_the_chapters_load_results_of_the_full_second_order_configurations(module):
    from pathlib import Path

    name = module.__name__.rsplit(".", 1)[1]
    data = json.loads((Path(__file__).resolve().parents[1] / "book" / "data" / f"{name}.json").read_text())
    f = module.FULL
    assert {k: v for k, v in data["config"].items() if k != "progress"} == \
        {k: v for k, v in json.loads(json.dumps(f)).items() if k != "progress"}
    pairs = len(f["tasks"]) * len(f["T"]) - len(f.get("skip", []))
    assert len(data["runs"]) == pairs * len(f["methods"]) * f["seeds"]
    assert data["command"][:4] == ["python", "-m", "srnbook.experiments", name]


# ---------------------------------------------------------------------- learning saturated SRNs


def test_learning_ssrn_quick_runs_end_to_end():
    q = learning_ssrn.QUICK
    result = json.loads(json.dumps(learning_ssrn.run(q, argv=["test"])))
    assert set(result) == {"config", "runs", "curves", "torch_version", "command"}
    assert len(result["runs"]) == len(q["languages"]) * len(q["activations"]) * len(q["losses"]) * q["seeds"]
    assert len(result["curves"]) == len(q["curves"])
    for run in result["runs"]:
        assert run["test_lengths"][0] > run["train_lengths"][1]  # tested on longer words than any trained on
        for kind in ("plain", "constrained"):
            r = run[kind]
            assert r["history"]["epoch"] == [0, q["epochs"]]
            assert r["extraction"] in ("exact", "quantized") and isinstance(r["equivalent"], bool)
            assert r["levels"] in (None, *q["levels"]) and 0 <= r["train_agreement"] <= 1
            assert 0 <= r["test_accuracy"] <= 1 and 0 <= r["agreement"] <= 1
    assert len(result["curves"][0]["plain"]["history"]["epoch"]) == q["curve_epochs"] + 1
    rows = learning_ssrn.table(result)
    assert len(rows) == len(q["languages"]) * len(q["activations"])
    assert len(rows[0]) == len(learning_ssrn.TABLE_HEADER) and "/" in rows[0][3]


def test_learning_ssrn_records_an_extraction_that_does_not_close(monkeypatch):
    from srnbook.ssrn import ExtractionError

    def fail(*args, **kwargs):
        raise ExtractionError("more than max_states=1 cells")

    monkeypatch.setattr(learning_ssrn, "extract_dfa", fail)
    tiny = {**learning_ssrn.QUICK, "languages": ["tomita1"], "curves": [], "epochs": 1}
    with pytest.raises(ValueError, match="curves"):
        learning_ssrn.run(tiny)  # an empty list of curves is refused by the config check
    run = learning_ssrn.run({**tiny, "curves": learning_ssrn.QUICK["curves"]}, argv=["t"])["runs"][0]
    assert run["plain"]["extraction"] == "failed" and run["plain"]["equivalent"] is False
    assert "max_states" in run["plain"]["error"]


def test_learning_ssrn_full_is_the_documented_grid():
    f = learning_ssrn.FULL
    assert f["languages"][:7] == [f"tomita{n}" for n in range(1, 8)] and len(f["languages"]) == 16
    named = {"04.03.TLTT.4.2.3", "04.04.Zp.2.1.0", "04.04.SP.2.1.0"}  # the report's (SP: its 4-letter sibling)
    assert named <= set(f["languages"])
    classes = {name.split(".")[2] for name in f["languages"][7:]}
    assert len(classes) == 9  # nine MLRegTest languages, nine classes
    assert f["activations"] == ["sigmoid", "tanh"] and f["losses"] == ["bce", "bce_inverse_norm", "nth_root"]
    assert [c["figure"] for c in f["curves"]] == [4, 5, 6] and f["curve_epochs"] == 150  # the report's settings


@pytest.mark.parametrize("change, match", [
    ({"languages": ["tomita9"]}, "language must be"),
    ({"activations": ["relu"]}, r"config\['activations'\]"),
    ({"losses": ["mse"]}, r"config\['losses'\]"),
    ({"epochs": 0}, r"config\['epochs'\]"),
    ({"lam_test": -1.0}, r"config\['lam_test'\]"),
    ({"curves": [{"language": "tomita1"}]}, r"config\['curves'\]"),
])
def test_learning_ssrn_config_errors(change, match):
    with pytest.raises(ValueError, match=match):
        learning_ssrn.run({**learning_ssrn.QUICK, **change})


def test_language_names():
    assert learning_ssrn.language("tomita3").n_states == 5
    assert learning_ssrn.language("04.04.Zp.2.1.0").n_states == 2


def test_the_chapter_loads_a_result_of_the_full_learning_ssrn_configuration():
    from pathlib import Path

    data = json.loads((Path(__file__).resolve().parents[1] / "book" / "data" / "learning_ssrn.json").read_text())
    f = learning_ssrn.FULL
    assert {k: v for k, v in data["config"].items() if k != "progress"} == \
        {k: v for k, v in json.loads(json.dumps(f)).items() if k != "progress"}
    assert len(data["runs"]) == len(f["languages"]) * len(f["activations"]) * len(f["losses"]) * f["seeds"]
    assert [len(c["plain"]["history"]["epoch"]) for c in data["curves"]] == [f["curve_epochs"] + 1] * 3
    assert data["command"][:4] == ["python", "-m", "srnbook.experiments", "learning_ssrn"]


# ---------------------------------------------------------------------- exact learning of saturated SRNs


@pytest.fixture(scope="module")
def exact_quick():
    return json.loads(json.dumps(exact_learning.run(exact_learning.QUICK, argv=["test"])))


def test_exact_learning_reads_every_trained_network_by_every_route(exact_quick):
    q = exact_learning.QUICK
    assert len(exact_quick["runs"]) == len(q["languages"]) * q["seeds"] * len(exact_learning.TRAININGS)
    for run in exact_quick["runs"]:
        assert run["test_lengths"][0] > run["train_lengths"][1]
        routes = {"plain": {"pipeline", "quantized", "scale_jump", "normalized"},
                  "curriculum": {"curriculum"}, "soft": {"soft_pipeline", "soft_jump"}}[run["training"]]
        assert routes <= set(run)
        for route in routes:
            r = run[route]
            assert r["exact"] == (r["equivalent"] and r["saturated"])  # exact: saturated and the target
    plain = [r for r in exact_quick["runs"] if r["training"] == "plain"]
    for run in plain:
        jump = run["scale_jump"]
        assert [t["factor"] for t in jump["tries"]] == q["factors"]
        assert jump["train_accuracy"] == max(t["train_accuracy"] for t in jump["tries"])  # chosen on data
        if "failed" not in run["pipeline"]:
            assert run["pipeline"]["saturated"]  # a compiled network is saturated by construction


def test_exact_learning_tables_count_seeds_per_language_and_route(exact_quick):
    stored = json.loads((Path(__file__).resolve().parents[1] / "book" / "data" / "learning_ssrn.json").read_text())
    rows = exact_learning.exact_rows(exact_quick, stored)
    assert [row[0] for row in rows] == exact_learning.QUICK["languages"]
    assert len(rows[0]) == len(exact_learning.EXACT_HEADER)
    assert rows[0][2].startswith("0 (")  # the report's heuristic never saturates
    assert all(cell.endswith("/1") for row in rows for cell in row[3:])
    assert len(exact_learning.comparison_rows(exact_quick)) == 2
    assert [row[0] for row in exact_learning.route_rows(exact_quick)] == list(exact_learning.ROUTE_LABELS.values())
    import matplotlib.pyplot as plt
    fig = exact_learning.plot_exact(exact_quick)
    assert not plt.fignum_exists(fig.number) and len(fig.axes) == 1


def test_exact_learning_config_errors():
    with pytest.raises(ValueError, match="language must be"):
        exact_learning.run({**exact_learning.QUICK, "languages": ["tomita9"]})
    with pytest.raises(ValueError, match=r"config\['epsilon'\]"):
        exact_learning.run({**exact_learning.QUICK, "epsilon": 0.0})


def test_the_chapter_loads_a_result_of_the_full_exact_learning_configuration():
    data = json.loads((Path(__file__).resolve().parents[1] / "book" / "data" / "exact_learning.json").read_text())
    f = exact_learning.FULL
    assert {k: v for k, v in data["config"].items() if k != "progress"} == \
        {k: v for k, v in json.loads(json.dumps(f)).items() if k != "progress"}
    assert len(data["runs"]) == len(f["languages"]) * f["seeds"] * len(exact_learning.TRAININGS)
    assert len(f["languages"]) == 20 and len({n.split(".")[2] for n in f["languages"][7:]}) == 13
    assert data["command"][:4] == ["python", "-m", "srnbook.experiments", "exact_learning"]


# ---------------------------------------------------------------------- backward tuning (Vieville)

BT_TINY = {**backward_tuning.QUICK, "N": [2], "max_iterations": 5}


def test_backward_tuning_quick_runs_end_to_end():
    q = backward_tuning.QUICK
    result = json.loads(json.dumps(backward_tuning.run(q, argv=["test"])))
    assert set(result) == {"config", "runs", "published", "torch_version", "command"}
    assert len(result["runs"]) == len(q["kinds"]) * len(q["N"]) * q["seeds"] * len(q["methods"])
    for run in result["runs"]:
        assert run["T"] == 2 * run["N"] * (run["N"] + 1) and run["error"] is None and run["evaluations"] >= 1
        assert run["iterations"] == len(run["history"]) <= q["max_iterations"] + 1
        assert run["minimum"] == min(run["history"]) and run["status"] in ("converged", "max_iterations", "stalled")
    header, rows = backward_tuning.table(result)
    assert header[3:] == [f"N = {n}" for n in q["N"]]
    assert len(rows) == len(q["kinds"]) * len(backward_tuning.QUANTITIES) * (1 + len(q["methods"]))
    assert all(cell == "T.B.D." for row in rows if row[2].startswith("published") for cell in row[4:])  # N = 3
    header, rows = backward_tuning.status_table(result)
    assert len(rows) == len(q["kinds"]) * len(q["methods"]) and all("/1 (" in cell for row in rows for cell in row[2:])


def test_backward_tuning_records_a_failed_run(monkeypatch):
    def fail(*args, **kwargs):
        raise torch.linalg.LinAlgError("singular")

    monkeypatch.setattr(backward_tuning, "fit", fail)
    result = backward_tuning.run({**BT_TINY, "methods": ["backward_tuning"], "kinds": ["lnl"]}, argv=["t"])
    run, = result["runs"]
    assert run["status"] == "failed" and "singular" in run["error"] and run["history"] is None
    assert backward_tuning.status_table(result)[1][0][2] == "0/1, 1 failed"


def test_backward_tuning_full_is_the_slides_table():
    f = backward_tuning.FULL
    assert f["N"] == backward_tuning.PUBLISHED["N"] == [2, 4, 8, 16, 32] and f["kinds"] == ["lnl", "iaf"]
    assert f["max_iterations"] == 100 and f["tolerance"] == 1e-6 and f["seeds"] >= 3
    assert set(f["methods"]) == {"backward_tuning", "bptt"} and set(backward_tuning.QUICK) == set(f)
    assert "slides" in backward_tuning.PUBLISHED["source"]


@pytest.mark.parametrize("change, match", [
    ({"kinds": ["lstm"]}, r"config\['kinds'\] entries must be one of"),
    ({"methods": ["sgd"]}, r"config\['methods'\] entries must be one of"),
    ({"N": [0]}, r"config\['N'\] entries must be a positive integer"),
    ({"tolerance": 0.0}, r"config\['tolerance'\] must be a positive"),
    ({"N": "2"}, r"config\['N'\] must be a nonempty list"),
    ({"colour": "red"}, r"unknown keys \['colour'\]"),
])
def test_backward_tuning_config_errors(change, match):
    with pytest.raises(ValueError, match=match):
        backward_tuning.run({**BT_TINY, **change})


def test_the_chapter_loads_a_result_of_the_full_backward_tuning_configuration():
    from pathlib import Path

    data = json.loads((Path(__file__).resolve().parents[1] / "book" / "data" / "backward_tuning.json").read_text())
    f = backward_tuning.FULL
    assert {k: v for k, v in data["config"].items() if k != "progress"} == \
        {k: v for k, v in json.loads(json.dumps(f)).items() if k != "progress"}
    assert len(data["runs"]) == len(f["kinds"]) * len(f["N"]) * f["seeds"] * len(f["methods"])
    assert data["command"][:4] == ["python", "-m", "srnbook.experiments", "backward_tuning"]


def test_the_broad_sweep_still_runs_its_configuration():
    tiny = {**vanishing_sweep.QUICK, "T": [10], "methods": ["normalized", "adam"], "max_sequences": 64,
            "eval_every": 32, "eval_size": 32}
    result = json.loads(json.dumps(vanishing_sweep.run(tiny, argv=["test"])))
    assert result["experiment"] == "vanishing_sweep" and len(result["runs"]) == 4
    assert vanishing_sweep.FULL["seeds"] == 10 and vanishing_sweep.FULL["budget_seconds"] == 6.0
