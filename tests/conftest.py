"""Shared fixtures: a headless Chromium driven by Playwright with the network cut, and one torch thread.

Debian's Chromium is used (``.ci/run`` installs it with apt-get); Playwright's own
browser downloads are not needed. Every request that is not to a local file or to
localhost is aborted and recorded, so a page that needed another host fails the
way it would for a reader offline.
"""

import os

import pytest
import torch

from tests.page_checks import chromium_path, open_offline_page

if os.environ.get("PYTEST_XDIST_WORKER"):
    # one intra-op thread per xdist worker: two workers on two cores, no oversubscription
    torch.set_num_threads(1)

def chromium_executable() -> str:
    if chromium_path():
        return chromium_path()
    if os.environ.get("CI"):
        pytest.fail("CI must have Chromium (.ci/run installs it with apt-get)")
    pytest.skip("Chromium is not installed (apt-get install chromium); CI installs it")


@pytest.fixture(scope="session")
def browser():
    playwright_api = pytest.importorskip("playwright.sync_api")
    executable = chromium_executable()
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=executable, args=["--no-sandbox", "--disable-gpu"])
        yield chromium
        chromium.close()


@pytest.fixture
def offline_page(browser):
    """A fresh page with the network cut (see :func:`open_offline_page`)."""
    context, page = open_offline_page(browser)
    yield page
    context.close()


@pytest.fixture(scope="module")
def module_offline_page(browser):
    """One page with the network cut, shared by the tests of a module: for a page that is
    slow to open and that each test can put back in its first state."""
    context, page = open_offline_page(browser)
    yield page
    context.close()


@pytest.fixture
def one_torch_thread():
    """One intra-op torch thread for the test, restored afterwards: loops over tiny
    tensors run faster so, and do not stall when another process shares the CPU.
    Use it in a module with ``pytestmark = pytest.mark.usefixtures("one_torch_thread")``."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def memory_limit():
    """Set the package's memory limit for one test, and put the previous one back:
    ``memory_limit(2**20)`` inside the test."""
    from srnbook import set_memory_limit

    previous = []
    yield lambda nbytes: previous.append(set_memory_limit(nbytes))
    if previous:
        set_memory_limit(previous[0])


@pytest.fixture
def one_mebibyte(memory_limit):
    """The package's memory limit lowered to 1 MiB for one test."""
    memory_limit(2**20)
