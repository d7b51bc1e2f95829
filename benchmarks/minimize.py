"""Time of DFA minimization (srnbook.DFA.minimize) on chains and random DFAs (a benchmark, not a test).

Run: ``python benchmarks/minimize.py [--sizes 1000 8000 100000] [--repeats 3]``.

Two families, up to 100,000 states:

* the one-letter chain ``q_i -> q_{i+1}`` (the last state loops) with only the last state
  accepting: every state is its own block, and Moore's refinement needs one round per state;
* ``DFA.random(n, 4)``: Moore's refinement settles it in a handful of rounds.

Each row prints the median time of ``minimize()`` and two references measured in the same run:
``DFA.equivalent`` of the automaton with itself (a breadth-first search over the reachable
pairs: linear time, the floor any minimizer must pay to read the automaton), and Moore's
refinement alone, run to stability (``MOORE_ROUNDS`` raised; the algorithm ``minimize`` used
before Hopcroft's), on the sizes where it finishes in seconds. Target of issue 18: the
8,000-state chain in at most 0.5 s.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch

import srnbook.dfa as dfa_module
from srnbook.dfa import DFA

MOORE_LIMIT = 8_000  # states: Moore alone on longer chains takes minutes (one round per state)


def chain(n: int) -> DFA:
    delta = np.minimum(np.arange(n) + 1, n - 1)[:, None]
    return DFA(delta, np.arange(n) == n - 1, ("a",))


def median_seconds(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def moore_only(dfa: DFA) -> DFA:
    rounds = dfa_module.MOORE_ROUNDS
    dfa_module.MOORE_ROUNDS = 10**9
    try:
        return dfa.minimize()
    finally:
        dfa_module.MOORE_ROUNDS = rounds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 8000, 100_000])
    parser.add_argument("--repeats", type=int, default=3, help="timed runs (median reported)")
    args = parser.parse_args()
    print(f"numpy {np.__version__}, torch {torch.__version__}; median of {args.repeats} runs")
    print(f"{'family':>8} {'states':>8} {'minimal':>8} {'minimize s':>11} {'equivalent s':>13} "
          f"{'ratio':>6} {'Moore alone s':>14}")
    for family in ("chain", "random"):
        for n in args.sizes:
            dfa = chain(n) if family == "chain" else DFA.random(n, 4, seed=0)
            minimal = dfa.minimize()
            ours = median_seconds(dfa.minimize, args.repeats)
            floor = median_seconds(lambda: dfa.equivalent(dfa), args.repeats)
            moore = "-"
            if family == "random" or n <= MOORE_LIMIT:
                start = time.perf_counter()
                reference = moore_only(dfa)
                moore = f"{time.perf_counter() - start:.3f}"
                assert reference.delta.tolist() == minimal.delta.tolist()  # the same canonical table
            print(f"{family:>8} {n:>8} {minimal.n_states:>8} {ours:>11.3f} {floor:>13.3f} "
                  f"{ours / floor:>6.1f} {moore:>14}")


if __name__ == "__main__":
    main()
