"""Labelled words per second of srnbook.sampling (section 8.1) (a benchmark, not a test).

Run: ``python benchmarks/word_sampling.py [--words N] [--repeats R]``. For
``DFA.random(10, 4, seed=0)`` (|Q| = 10, |Σ| = 4) and λ = 10 it times, in one
process, interleaved, median of R runs:

* ``sample_words``: N labelled words (default 1,000,000), "equal" distribution;
* ``balanced_dataset``: N words, half of them accepted;
* a lower bound: numpy alone drawing the N Poisson lengths and one uniform
  number per letter (the random numbers ``sample_words`` needs, nothing else);
* a reference: a plain Python loop, one word at a time (``random.Random``,
  ``bisect`` in the cumulative row of the current state), timed on N/50 words
  and extrapolated to N;
* ``balanced_dataset`` for 10,000 words, the size the report generated "in seconds".
"""

from __future__ import annotations

import argparse
import bisect
import random
import statistics
import time

import numpy as np

from srnbook.dfa import DFA
from srnbook.sampling import balanced_dataset, letter_distribution, sample_words


def python_loop(dfa: DFA, n: int, lam: float, seed: int) -> tuple[list[str], list[bool]]:
    """The textbook implementation: one word, one letter at a time."""
    rng = np.random.default_rng(seed)
    lengths = rng.poisson(lam, size=n).tolist()
    draw = random.Random(seed).random
    cum = np.cumsum(letter_distribution(dfa, "equal"), axis=1).tolist()
    delta, alphabet, accepting = dfa.delta.tolist(), dfa.alphabet, dfa.accepting.tolist()
    words, labels = [], []
    for length in lengths:
        q, letters = 0, []
        for _ in range(length):
            a = min(bisect.bisect_right(cum[q], draw()), len(alphabet) - 1)
            letters.append(alphabet[a])
            q = delta[q][a]
        words.append("".join(letters))
        labels.append(accepting[q])
    return words, labels


def numpy_floor(n: int, lam: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    lengths = rng.poisson(lam, size=n)
    rng.random(int(lengths.sum()))


def seconds(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=1_000_000, help="words per timed run")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per method (median reported)")
    args = parser.parse_args()
    n, lam = args.words, 10.0
    dfa = DFA.random(10, 4, seed=0)
    small = max(n // 50, 1)
    methods = {
        "sample_words": lambda: sample_words(dfa, n, lam=lam, seed=1),
        "balanced_dataset": lambda: balanced_dataset(dfa, n, lam=lam, seed=1),
        "numpy lower bound": lambda: numpy_floor(n, lam, seed=1),
        "Python loop (extrap.)": lambda: python_loop(dfa, small, lam, seed=1),
        "balanced, 10,000 words": lambda: balanced_dataset(dfa, 10_000, lam=lam, seed=1),
    }
    scale = {"Python loop (extrap.)": n / small}
    times = {name: [] for name in methods}
    for fn in methods.values():  # warm-up
        fn()
    for _ in range(args.repeats):
        for name, fn in methods.items():
            times[name].append(seconds(fn) * scale.get(name, 1.0))
    words = sample_words(dfa, n, lam=lam, seed=1)
    print(f"numpy {np.__version__}, |Q|=10, |Σ|=4, λ={lam}, N={n:,} words "
          f"({int(words.lengths.sum()):,} letters, {words.labels.mean():.1%} accepted), median of {args.repeats} runs")
    ref = statistics.median(times["sample_words"])
    print(f"{'method':>24} {'seconds':>9} {'words/s':>12} {'time / sample_words':>20}")
    for name in methods:
        med = statistics.median(times[name])
        count = 10_000 if name.startswith("balanced, 10") else n
        ratio = f"{med / ref:.2f}" if count == n else "-"
        print(f"{name:>24} {med:>9.3f} {count / med:>12,.0f} {ratio:>20}")


if __name__ == "__main__":
    main()
