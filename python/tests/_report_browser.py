"""Headless Chromium for the report's browser test: Debian's ``chromium`` and
``chromium-driver`` (scripts/setup.sh installs them) driven by selenium.

Selenium is pointed at the system chromedriver (no Selenium Manager
download: the machines reach no browser builds). ``chrome()`` skips the test
when the browser, its driver or selenium is missing.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

#: screenshots and other browser artefacts, kept after the run (gitignored)
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


def _find(*names: str) -> str | None:
    for n in names:
        p = shutil.which(n)
        if p:
            return p
    return None


@contextmanager
def chrome(width: int = 1400, height: int = 2600) -> Iterator[Any]:
    """A headless Chromium WebDriver (window `width` x `height`), quit on exit."""
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    binary = _find("chromium", "chromium-browser")
    driver_path = _find("chromedriver")
    if binary is None or driver_path is None:
        pytest.skip(
            "chromium / chromedriver not installed (apt-get install chromium chromium-driver)"
        )
    opts = webdriver.ChromeOptions()
    opts.binary_location = binary
    for arg in (
        "--headless=new",
        "--no-sandbox",  # root in a container: the sandbox needs user namespaces
        "--disable-dev-shm-usage",
        "--disable-gpu",
        f"--window-size={width},{height}",
    ):
        opts.add_argument(arg)
    service = Service(executable_path=driver_path, log_output=os.devnull)
    driver = webdriver.Chrome(options=opts, service=service)
    try:
        driver.set_page_load_timeout(60)
        yield driver
    finally:
        driver.quit()
