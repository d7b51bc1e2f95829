"""Run a list of independent jobs with a progress bar: here, in worker processes, or on a Dask cluster.

Each finished job can be saved as it finishes (a JSON line in a *checkpoint* file), so that an
interrupted experiment, run again, skips the jobs already done. The command line
(:mod:`srnbook.experiments.__main__`) sets where jobs run and where they are saved with
:func:`execution`; the experiments themselves only call :func:`run_jobs`.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import json
import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import torch
from tqdm.auto import tqdm

from .._validation import check_positive_int


@dataclass(frozen=True)
class Execution:
    """Where :func:`run_jobs` runs its jobs and saves them.

    Attributes
    ----------
    checkpoint: a JSON-lines file that receives each finished job, or ``None`` (nothing saved).
    scheduler: the address of a Dask scheduler (``"tcp://host:8786"``), or ``None`` (run locally).
    device: the torch device every job creates its tensors on (``"cpu"``, ``"cuda"``, ...).
    """

    checkpoint: Path | None = None
    scheduler: str | None = None
    device: str = "cpu"


_EXECUTION: contextvars.ContextVar[Execution] = contextvars.ContextVar("execution", default=Execution())


@contextlib.contextmanager
def execution(*, checkpoint: Path | str | None = None, scheduler: str | None = None,
              device: str = "cpu") -> Iterator[Execution]:
    """Within the block, :func:`run_jobs` saves to ``checkpoint``, sends jobs to ``scheduler`` and
    runs them on ``device``. ``device`` must exist here (a ValueError names it otherwise)."""
    settings = Execution(None if checkpoint is None else Path(checkpoint), scheduler, check_device(device))
    token = _EXECUTION.set(settings)
    try:
        yield settings
    finally:
        _EXECUTION.reset(token)


def check_device(device) -> str:
    """``device`` as a string torch accepts and this machine has; a ValueError naming it otherwise."""
    try:
        parsed = torch.device(device)
    except (RuntimeError, TypeError) as error:
        raise ValueError(f"device must be a torch device such as 'cpu' or 'cuda', got {device!r}") from error
    if parsed.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r}: this machine has no CUDA device (torch {torch.__version__})")
    if parsed.type not in ("cpu", "cuda"):
        raise ValueError(f"device must be 'cpu' or a CUDA device, got {device!r}")
    return str(parsed)


def run_jobs(function: Callable, jobs: Sequence[tuple], *, workers: int = 1, threads: int = 1,
             progress: bool = False, describe: Callable[[tuple], str] = str) -> list:
    """``[function(*job) for job in jobs]``, in order, with a tqdm bar labelled by ``describe(job)``.

    ``workers > 1`` runs that many jobs at once in spawned processes; every job runs with
    ``threads`` torch threads either way (so that CPU budgets mean the same thing), and the
    caller's thread count is restored. ``function`` must be importable (a module-level function)
    and its results JSON-able.

    Under :func:`execution`: each result is appended to the checkpoint file as soon as its job
    finishes, and a job whose result is already there (the same function and the same arguments)
    is not run again; with a scheduler the jobs go to that Dask cluster (``workers`` is then the
    cluster's business); every job runs with the device as torch's default device.
    """
    workers = check_positive_int(workers, "workers")
    threads = check_positive_int(threads, "threads")
    settings = _EXECUTION.get()
    keys = [_job_key(function, job) for job in jobs]
    done = _load_checkpoint(settings.checkpoint)
    results: list = [done.get(key) for key in keys]
    todo = [i for i, key in enumerate(keys) if key not in done]
    if settings.checkpoint is not None and len(todo) < len(jobs):
        print(f"resuming from {settings.checkpoint}: {len(jobs) - len(todo)} of {len(jobs)} runs "
              f"already done, skipped")
    with tqdm(total=len(jobs), initial=len(jobs) - len(todo), unit="run", disable=not progress,
              miniters=1) as bar:
        def finished(i: int, result) -> None:
            results[i] = _save(settings.checkpoint, keys[i], result)
            bar.set_description(describe(jobs[i]))
            bar.update(1)

        if settings.scheduler is None and workers == 1:
            for i in todo:
                finished(i, _call(function, threads, settings.device, jobs[i]))
        else:
            with _executor(settings.scheduler, workers) as pool:
                futures = {pool.submit(_call, function, threads, settings.device, jobs[i]): i for i in todo}
                try:
                    for future in as_completed(futures):
                        finished(futures[future], future.result())
                except BaseException:  # an interruption or a failed run: start nothing new
                    for future in futures:
                        future.cancel()
                    raise
    return results


def _call(function: Callable, threads: int, device: str, job: tuple):
    """``function(*job)`` with ``threads`` torch threads and ``device`` as the default device; the
    caller's settings are restored afterwards."""
    before = torch.get_num_threads(), torch.get_default_device()
    torch.set_num_threads(threads)
    move = torch.device(device) != before[1]  # a default device costs a Python hook on every torch call
    if move:
        torch.set_default_device(device)
    try:
        return function(*job)
    finally:
        torch.set_num_threads(before[0])
        if move:
            torch.set_default_device(before[1])


@contextlib.contextmanager
def _executor(scheduler: str | None, workers: int):
    """A :class:`concurrent.futures.Executor`: spawned processes, or a Dask cluster's executor."""
    if scheduler is None:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            yield pool
        return
    from distributed import Client  # only needed with a scheduler

    try:
        client = Client(scheduler, timeout="5s")
    except (OSError, TimeoutError) as error:
        raise ValueError(f"scheduler: no Dask scheduler answers at {scheduler!r} ({error})") from error
    with client, client.get_executor(pure=False) as pool:
        yield pool


def _job_key(function: Callable, job: tuple) -> str:
    """A digest of the function's name and the job's arguments: the same run, the same key (whether
    a progress bar is shown, a configuration's ``"progress"``, does not change the run)."""
    job = [{k: v for k, v in a.items() if k != "progress"} if isinstance(a, dict) else a for a in job]
    text = json.dumps([function.__module__, function.__qualname__, job], sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _load_checkpoint(path: Path | None) -> dict:
    """The results saved in ``path`` by key (a torn last line, from an interruption, is ignored)."""
    if path is None or not path.exists():
        return {}
    done = {}
    for line in path.read_text().splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        done[entry["key"]] = entry["result"]
    return done


def _save(path: Path | None, key: str, result):
    """Append ``result`` to the checkpoint; return it as it will be read back (through JSON)."""
    if path is None:
        return result
    line = json.dumps({"key": key, "result": result})
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as file:
        file.write(line + "\n")
    return json.loads(line)["result"]


def check_config(config, keys: Sequence[str], lists: Sequence[str]) -> dict:
    """``config`` as a dict with exactly ``keys``, the entries named in ``lists`` as nonempty lists.

    Raises a ValueError naming the missing and unknown keys, or the entry that is not a list.
    """
    if not isinstance(config, dict):
        raise ValueError(f"config must be a dict with the keys of QUICK, got {type(config).__name__}")
    missing = [k for k in keys if k not in config]
    unknown = [k for k in config if k not in keys]
    if missing or unknown:
        raise ValueError(f"config has missing keys {missing} and unknown keys {unknown}; expected {list(keys)}")
    for key in lists:
        if isinstance(config[key], str) or not list(config[key]):
            raise ValueError(f"config[{key!r}] must be a nonempty list, got {config[key]!r}")
    return {k: list(config[k]) if k in lists else config[k] for k in keys}
