"""Run a list of independent jobs, in this process or in worker processes, with a progress bar."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed

import torch
from tqdm.auto import tqdm

from .._validation import check_positive_int


def run_jobs(function: Callable, jobs: Sequence[tuple], *, workers: int = 1, threads: int = 1,
             progress: bool = False, describe: Callable[[tuple], str] = str) -> list:
    """``[function(*job) for job in jobs]``, in order, with a tqdm bar labelled by ``describe(job)``.

    ``workers > 1`` runs that many jobs at once in spawned processes; every job runs with
    ``threads`` torch threads either way (so that CPU budgets mean the same thing), and the
    caller's thread count is restored. ``function`` must be importable (a module-level function).
    """
    workers = check_positive_int(workers, "workers")
    threads = check_positive_int(threads, "threads")
    results: list = [None] * len(jobs)
    with tqdm(total=len(jobs), unit="run", disable=not progress, miniters=1) as bar:
        if workers == 1:
            before = torch.get_num_threads()
            torch.set_num_threads(threads)
            try:
                for i, job in enumerate(jobs):
                    bar.set_description(describe(job))
                    results[i] = function(*job)
                    bar.update(1)
            finally:
                torch.set_num_threads(before)
        else:
            context = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(workers, mp_context=context, initializer=torch.set_num_threads,
                                     initargs=(threads,)) as pool:
                futures = {pool.submit(function, *job): i for i, job in enumerate(jobs)}
                for future in as_completed(futures):
                    results[futures[future]] = future.result()
                    bar.set_description(describe(jobs[futures[future]]))
                    bar.update(1)
    return results


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
