"""Headless Chromium driven by selenium, shared by the tests that look at pages in a browser.

``chromium(width, height, why=...)`` starts one browser whose page viewport is exactly
``width`` x ``height`` CSS px (a headless window still counts its frame, so the size is
also set through the DevTools protocol) with the flags this machine's Chromium needs, a
fresh profile, and the browser console kept (``driver.get_log("browser")``); ``driver.size``
is that viewport. When Chromium, chromedriver or selenium is missing the test is skipped
with a reason, and fails where ``AUTOGRAD_LITE_REQUIRE_BROWSER`` is set (CI), ``why``
saying what CI must check.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pytest

FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars")


def require_or_skip(reason: str, why: str) -> None:
    if os.environ.get("AUTOGRAD_LITE_REQUIRE_BROWSER"):
        pytest.fail(f"{reason}, and AUTOGRAD_LITE_REQUIRE_BROWSER is set ({why})")
    pytest.skip(reason)


def set_viewport(driver: Any, width: int, height: int, mobile: bool = False) -> None:
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile})


@contextmanager
def chromium(width: int, height: int, *, why: str, mobile: bool = False) -> Iterator[Any]:
    """A headless Chromium with a ``width`` x ``height`` viewport, quit (and its profile removed) on exit."""
    chrome = next((p for p in (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")) if p), None)
    driver_path = shutil.which("chromedriver")
    if chrome is None or driver_path is None:
        require_or_skip("Chromium and chromedriver are needed (apt-get install chromium chromium-driver)", why)
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        require_or_skip("selenium is not installed (pip install -e '.[test]')", why)
    options = webdriver.ChromeOptions()
    options.binary_location = chrome
    profile = tempfile.mkdtemp(prefix="test-chrome-")
    for flag in FLAGS + (f"--user-data-dir={profile}", f"--window-size={width},{height}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    try:
        driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    except BaseException:
        shutil.rmtree(profile, ignore_errors=True)
        raise
    try:
        set_viewport(driver, width, height, mobile)
        driver.size = (width, height)
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def shoot(driver: Any, path: Path) -> Path:
    """A screenshot at ``path``, copied to ``$AUTOGRAD_LITE_SCREENSHOTS`` when set (to look at it)."""
    driver.save_screenshot(str(path))
    keep = os.environ.get("AUTOGRAD_LITE_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(keep) / path.name)
    return path
