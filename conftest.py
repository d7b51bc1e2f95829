"""Repository-wide pytest hooks (they apply to ``tests/`` and to the chapters in ``book/``):
the pinned numerics of the test processes, how pytest-xdist schedules the chapters, the check
of the kernel that runs them, and the ``--exhaustive`` option of the sampled sweeps."""

import os

import pytest

from tests.chapter_kernel import KERNEL_ENV

# The tests run with the numerics the chapters' kernel pins (one thread, AVX2 kernels, MKL's
# reproducible mode): several tests compare results bit for bit (a batch against its rows, a
# symmetric map on its axis of symmetry), and MKL's default mode computes them differently on
# CPUs with AVX-512. Set before torch is imported, so that every worker inherits them.
for _key, _value in KERNEL_ENV.items():
    os.environ.setdefault(_key, _value)


def pytest_xdist_make_scheduler(config, log):
    """Under pytest-xdist: each chapter's cells run in order on one worker (they share one
    kernel); every other test is scheduled on its own, wherever a worker is free."""
    from xdist.scheduler import LoadScopeScheduling

    class ChapterScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return path if path.endswith(".ipynb") else nodeid

    return ChapterScheduling(config, log)


def pytest_collection_modifyitems(config, items):
    """Refuse to run the chapters in a kernel whose numerics are not pinned (see chapter_kernel.py)."""
    if not any(item.nodeid.split("::")[0].endswith(".ipynb") for item in items):
        return
    from tests.chapter_kernel import KERNEL_ENV, KERNEL_NAME, spec_path
    from jupyter_client.kernelspec import KernelSpecManager

    try:
        env = KernelSpecManager().get_kernel_spec(KERNEL_NAME).env
    except Exception:  # no such kernel
        env = {}
    if any(env.get(key) != value for key, value in KERNEL_ENV.items()):
        raise pytest.UsageError(
            f"the {KERNEL_NAME!r} kernel does not pin the numerics the stored chapters were computed "
            f"with: run `make setup` (it writes {spec_path()})")


def pytest_addoption(parser):
    parser.addoption("--exhaustive", action="store_true",
                     help="run the sweeps marked 'exhaustive' over all their cases, not a seeded sample")
