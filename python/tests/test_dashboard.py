"""hqt.dashboard in a real headless browser, watching a real broadcasting backtest.

`python -m hqt.dashboard ENDPOINT --port 0` runs as its own process;
Debian's chromium, driven by selenium through the system chromedriver, opens
the page. The backtest pauses inside a strategy callback until the page
shows the deals and the equity the engine has at that moment, then runs to
the end and the page must show the final figures and the run summary.
Screenshots are kept in python/tests/artifacts/ (or $HQT_ARTIFACTS).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import PYDIR
from live_backtest import Trader, make_engine

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
ARTIFACTS = Path(os.environ.get("HQT_ARTIFACTS", PYDIR / "tests" / "artifacts"))


def _need(ok: bool, what: str) -> None:
    """Skips without the browser stack, except in CI, where scripts/setup.sh installs it."""
    if not ok:
        msg = f"{what} missing (scripts/setup.sh installs it)"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)


for _mod in ("selenium", "starlette", "uvicorn", "websockets"):
    try:
        __import__(_mod)
    except ImportError:
        _need(False, f"python package {_mod}")
_need(Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists(), "chromium / chromium-driver")

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


def money(micro: int) -> str:
    return f"{micro / 1e6:,.2f}"


@pytest.fixture
def browser():
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--window-size=1400,1100",
    ):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(20)
    yield driver
    driver.quit()


def text(driver, element_id: str) -> str:
    return driver.find_element(By.ID, element_id).text


def run_state(driver) -> str:
    """The badge's text as written (CSS shows it upper-cased)."""
    return driver.find_element(By.ID, "run-state").get_attribute("textContent")


def wait_for(driver, what: str, check, timeout: float = 10.0):
    """Waits until check(driver) is truthy; on timeout says what the page showed."""
    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.1).until(lambda d: check(d))
    except Exception:
        shown = {
            i: text(driver, i) for i in ("run-state", "trade-count", "equity", "balance", "conn")
        }
        raise AssertionError(f"page never showed {what}; it shows {shown}") from None


class Watched(Trader):
    """Trader that, at tick `pause_at` (right after opening a position: a deal, so the
    engine just broadcast TRADE and EQUITY), waits until the page shows that state."""

    def __init__(self, driver, pause_at: int) -> None:
        super().__init__()
        self.driver, self.pause_at = driver, pause_at
        self.seen_mid_run: tuple[int, str] | None = None

    def on_tick(self, e, tick) -> None:
        super().on_tick(e, tick)
        if self.i == self.pause_at:
            deals, equity = len(e.deals), e.equity_micro
            d = self.driver
            wait_for(
                d,
                f"{deals} trades and equity {equity} mid-run",
                lambda d: (
                    text(d, "trade-count") == str(deals)
                    and d.find_element(By.ID, "equity").get_attribute("data-micro") == str(equity)
                ),
            )
            assert run_state(d) == "running"
            assert text(d, "equity") == money(equity)
            assert (
                len(d.find_elements(By.CSS_SELECTOR, "#positions tbody tr")) == len(e.positions) > 0
            )
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            d.save_screenshot(str(ARTIFACTS / "dashboard-running.png"))
            self.seen_mid_run = (deals, text(d, "equity"))


def test_dashboard_follows_a_backtest_live(browser):
    e = make_engine(1200)
    endpoint = e.enable_broadcasting("tcp://127.0.0.1:*", wait_subscribers=1, wait_timeout=20.0)
    proc = subprocess.Popen(
        [sys.executable, "-m", "hqt.dashboard", endpoint, "--port", "0", "--idle-after", "1.5"],
        env={"PYTHONPATH": str(PYDIR), "PATH": "/usr/bin:/bin"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        assert line.startswith("dashboard http://127.0.0.1:"), line + proc.stdout.read()
        url = line.split()[1]
        browser.get(url)
        wait_for(browser, "the websocket connected", lambda d: text(d, "conn") == "live")
        assert run_state(browser) == "waiting" and text(browser, "trade-count") == "0"
        assert browser.find_element(By.ID, "summary").is_displayed() is False

        strategy = Watched(browser, pause_at=600)
        e.run(strategy)
        assert strategy.seen_mid_run is not None and strategy.seen_mid_run[0] < len(e.deals)

        deals = e.deals
        wait_for(
            browser,
            "the final trade count and equity",
            lambda d: (
                text(d, "trade-count") == str(len(deals))
                and d.find_element(By.ID, "equity").get_attribute("data-micro")
                == str(e.equity_micro)
            ),
        )
        # the run ends: RUN_END from a broadcaster with SESSION frames, else idle
        wait_for(
            browser, "the run summary", lambda d: d.find_element(By.ID, "summary").is_displayed()
        )
        assert run_state(browser) in ("ended", "idle")
        if run_state(browser) == "ended":  # SESSION frames and twins (docs/zmq.md 11-12)
            assert f"completed: {len(deals)} deals" in text(browser, "summary-list")
            assert text(browser, "lost") == "0"
            assert "EURUSD" in text(browser, "trades")  # names from RUN_START's symbol table
        else:
            assert text(browser, "lost") == "0?"  # no sequence numbers: no exact count
        assert text(browser, "summary-trades") == str(len(deals))
        assert text(browser, "summary-net") == money(sum(d.profit_micro for d in deals))
        assert text(browser, "summary-equity") == money(e.equity_micro)
        assert len(browser.find_elements(By.CSS_SELECTOR, "#trades tbody tr")) == min(
            len(deals), 50
        )
        stats = e.broadcast_stats()
        # One read of the whole table: the page re-renders it every second, so
        # rows found by one WebDriver call can be gone by the next (stale).
        shown = dict(
            browser.execute_script(
                "return Array.from(document.querySelectorAll('#topics tbody tr'))"
                ".map(r => [r.cells[0].innerText, r.cells[1].innerText])"
            )
        )
        assert shown["TICK"] == f"{stats['TICK'].sent:,}" == "1,200"
        assert shown["TRADE"] == str(stats["TRADE"].sent)
        path = ARTIFACTS / "dashboard.png"
        browser.save_screenshot(str(path))
        assert path.stat().st_size > 10_000
        print(f"\ndashboard screenshots: {path} and {ARTIFACTS / 'dashboard-running.png'}")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
