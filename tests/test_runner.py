"""The experiment runner: runs saved as they finish, resumed after an interruption, sent to a
Dask cluster, run on a named device."""

import functools
import json

import pytest
import torch

from srnbook.experiments import vanishing
from srnbook.experiments.__main__ import main
from srnbook.experiments._runner import execution, run_jobs

pytestmark = pytest.mark.usefixtures("one_torch_thread")

TINY = {**vanishing.QUICK, "T": [20], "methods": ["sgd", "adam"], "max_sequences": 64, "eval_every": 32,
        "eval_size": 32, "progress": False}


def square(x):
    return {"x": x, "square": x * x}


class Interrupt(Exception):
    """Stands for Ctrl-C in the middle of an experiment."""


def test_each_finished_run_is_saved_and_a_rerun_skips_it(tmp_path, capsys):
    checkpoint = tmp_path / "runs.jsonl"
    calls = []

    def counted(x):
        calls.append(x)
        if x == 3 and len(calls) == 4:
            raise Interrupt
        return square(x)

    counted.__qualname__ = "counted"  # the key names the function: the same one both times
    jobs = [(x,) for x in range(6)]
    with execution(checkpoint=checkpoint), pytest.raises(Interrupt):
        run_jobs(counted, jobs)
    assert len(checkpoint.read_text().splitlines()) == 3  # runs 0, 1, 2 finished before the interruption
    with execution(checkpoint=checkpoint):
        results = run_jobs(counted, jobs)
    assert calls == [0, 1, 2, 3, 3, 4, 5]  # only the unfinished runs ran again
    assert results == [square(x) for x in range(6)]
    assert "3 of 6 runs already done, skipped" in capsys.readouterr().out


def test_a_different_run_is_not_taken_from_the_checkpoint(tmp_path):
    checkpoint = tmp_path / "runs.jsonl"
    with execution(checkpoint=checkpoint):
        run_jobs(square, [(1,), (2,)])
        # other arguments, or another function, are other runs
        assert run_jobs(square, [(3,)]) == [square(3)]
        assert run_jobs(abs, [(-2,)]) == [2]
    assert len(checkpoint.read_text().splitlines()) == 4


def test_a_torn_last_line_is_ignored(tmp_path):
    checkpoint = tmp_path / "runs.jsonl"
    with execution(checkpoint=checkpoint):
        run_jobs(square, [(1,), (2,)])
    checkpoint.write_text(checkpoint.read_text()[:-10])  # killed while writing the second line
    with execution(checkpoint=checkpoint):
        assert run_jobs(square, [(1,), (2,)]) == [square(1), square(2)]


def test_an_interrupted_experiment_resumes_to_the_same_json(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(vanishing, "QUICK", TINY)
    whole = tmp_path / "whole.json"
    main(["vanishing", "--quick", "--no-progress", "--out", str(whole)])

    finished = []
    original = vanishing._one_run

    @functools.wraps(original)  # the same name: the same runs for the checkpoint
    def interrupted_after_two(*job):
        if len(finished) == 2:
            raise Interrupt
        finished.append(job)
        return original(*job)

    out = tmp_path / "resumed.json"
    monkeypatch.setattr(vanishing, "_one_run", interrupted_after_two)
    with pytest.raises(Interrupt):
        main(["vanishing", "--quick", "--no-progress", "--out", str(out)])
    checkpoint = tmp_path / "resumed.runs.jsonl"
    assert not out.exists() and len(checkpoint.read_text().splitlines()) == 2
    monkeypatch.setattr(vanishing, "_one_run", original)
    capsys.readouterr()
    main(["vanishing", "--quick", "--no-progress", "--out", str(out)])
    assert "2 of 4 runs already done, skipped" in capsys.readouterr().out
    assert not checkpoint.exists()  # removed once the result is written
    a, b = json.loads(whole.read_text()), json.loads(out.read_text())
    assert {**a, "command": None} == {**b, "command": None}


def test_restart_forgets_the_saved_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(vanishing, "QUICK", TINY)
    out = tmp_path / "v.json"
    checkpoint = tmp_path / "v.runs.jsonl"
    checkpoint.write_text(json.dumps({"key": "not a run of this experiment", "result": None}) + "\n")
    main(["vanishing", "--quick", "--no-progress", "--restart", "--out", str(out)])
    assert "skipped" not in capsys.readouterr().out and not checkpoint.exists()


def test_runs_sent_to_a_local_dask_cluster_give_the_same_result():
    distributed = pytest.importorskip("distributed", reason="dask.distributed is pinned in requirements.txt")
    here = vanishing.run(TINY, argv=["test"])
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0",
                                  silence_logs=40) as cluster:
        with execution(scheduler=cluster.scheduler_address):
            there = vanishing.run(TINY, argv=["test"])
    assert there == here


def test_the_command_line_takes_a_scheduler_address(tmp_path, monkeypatch):
    distributed = pytest.importorskip("distributed", reason="dask.distributed is pinned in requirements.txt")
    monkeypatch.setattr(vanishing, "QUICK", {**TINY, "methods": ["sgd"]})
    out = tmp_path / "v.json"
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0",
                                  silence_logs=40) as cluster:
        main(["vanishing", "--quick", "--no-progress", "--scheduler", cluster.scheduler_address, "--out", str(out)])
    assert len(json.loads(out.read_text())["runs"]) == 2


def test_no_scheduler_at_the_address_is_a_clear_error():
    with execution(scheduler="tcp://127.0.0.1:9"), pytest.raises(ValueError, match="no Dask scheduler answers"):
        run_jobs(square, [(1,)])


def test_runs_use_the_device_and_leave_the_callers_default():
    with execution(device="cpu"):
        assert run_jobs(_default_device, [()]) == ["cpu"]
    assert torch.get_default_device() == torch.device("cpu")


def _default_device():
    return str(torch.get_default_device())


@pytest.mark.parametrize("device, match", [
    ("gpu7", "device must be a torch device"),
    ("meta", "device must be 'cpu' or a CUDA device"),
    (3.5, "device must be a torch device"),
])
def test_a_bad_device_is_refused_before_anything_runs(device, match):
    with pytest.raises(ValueError, match=match):
        with execution(device=device):
            pass


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_a_gpu_is_refused(capsys):
    with pytest.raises(SystemExit):
        main(["vanishing", "--quick", "--device", "cuda"])
    assert "no CUDA device" in capsys.readouterr().err


def test_single_run_experiments_refuse_the_options_they_cannot_use(capsys):
    for options in (["--workers", "2"], ["--scheduler", "tcp://127.0.0.1:8786"]):
        with pytest.raises(SystemExit):
            main(["reservoir_esn", "--quick", *options])
        assert "reservoir_esn is a single run in this process" in capsys.readouterr().err
