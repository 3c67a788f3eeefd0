"""The Dagster UI in a real browser after the small demo: Playwright drives a system Chromium (loopback only).

Skipped with the reason when Playwright or a Chromium binary is missing (``.ci/run``
installs both where the machine allows; Playwright's own browser download is never used).
"""

import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from phenodag.core.report.run import SECTIONS
from phenodag.definitions import build_definitions
from phenodag.defs.shared.settings import DagsterSettings
from phenodag_tests.conftest import Demo
from phenodag_tests.e2e.conftest import stop
from phenodag_tests.helpers import free_port

REPO = Path(__file__).resolve().parents[2]
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def chromium() -> str:
    """The browser binary: ``PHENODAG_CHROMIUM`` or the first of :data:`BROWSERS` on the PATH; skip without."""
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
    found = os.environ.get("PHENODAG_CHROMIUM") or next(filter(None, map(shutil.which, BROWSERS)), None)
    if not found:
        pytest.skip("no Chromium binary (apt-get install chromium, or set PHENODAG_CHROMIUM)")
    return found


def _wait_http(url: str, proc: subprocess.Popen[bytes], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            time.sleep(1)
    raise AssertionError(f"{url} did not answer within {seconds} s")


@pytest.fixture
def served(small_demo: Demo, tmp_path: Path) -> Iterator[tuple[str, DagsterSettings]]:
    """The demo's home served: dagster-webserver, dagster-daemon and the MLflow UI, each on loopback."""
    settings = DagsterSettings.from_env(small_demo.home)
    port = free_port()
    env = {
        **os.environ,
        "PHENODAG_HOME": str(settings.home),
        "DAGSTER_HOME": str(settings.dagster_home),
        "PHENODAG_SENSOR_INTERVAL_S": "5",
        "PHENODAG_MLFLOW_UI": f"http://127.0.0.1:{small_demo.mlflow_port}",
    }
    binaries = Path(sys.executable).parent
    commands = {
        "web": [str(binaries / "dagster-webserver"), "-h", "127.0.0.1", "-p", str(port), "-w", "workspace.yaml"],
        "daemon": [str(binaries / "dagster-daemon"), "run", "-w", "workspace.yaml"],
        "mlflow": [
            str(binaries / "mlflow"),
            "ui",
            "--backend-store-uri",
            settings.mlflow_tracking_uri,
            "--host",
            "127.0.0.1",
            "--port",
            str(small_demo.mlflow_port),
        ],
    }
    procs = {
        name: subprocess.Popen(
            cmd,
            cwd=REPO,
            env=env,
            stdout=(tmp_path / f"{name}.log").open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        for name, cmd in commands.items()
    }
    try:
        _wait_http(f"http://127.0.0.1:{port}/server_info", procs["web"], 150)
        _wait_http(f"http://127.0.0.1:{small_demo.mlflow_port}/health", procs["mlflow"], 90)
        yield f"http://127.0.0.1:{port}", settings
    finally:
        for proc in procs.values():
            stop(proc)


def _status_after(tokens: list[str], name: str) -> str:
    """The catalog's status of asset ``name``: ``Materialized``, ``Never materialized`` or ``<n> of <m>`` partitions.

    A partitioned row reads ``<materialised> <missing> <failed> <running> <m> partitions``,
    with ``All`` for the first count when every partition is materialised.
    """
    if name not in tokens:
        return "not found"
    start = tokens.index(name)
    for i in range(start + 1, len(tokens)):
        token = tokens[i]
        if token in ("Materialized", "Never materialized"):
            return token
        if m := re.fullmatch(r"(\d+) partitions", token):  # materialised, missing, failed, running, "N partitions"
            counts = [t for t in tokens[start:i] if t.isdigit() or t == "All"][-4:]
            materialised = m[1] if counts and counts[0] == "All" else (counts[0] if counts else "?")
            return f"{materialised} of {m[1]}"
    return "not found"


def _click_past_dialogs(page: Any, target: Any, seconds: float = 90) -> None:
    """Click ``target``, skipping the webserver's first-visit newsletter dialog when it covers the page."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            target.click(timeout=5_000)
            return
        except Exception:  # playwright's TimeoutError: something covered the button
            if time.monotonic() > deadline:
                raise
            skip = page.locator("button", has_text=re.compile(r"^Skip$"))
            if skip.count() and skip.first.is_visible():
                skip.first.click()
            else:
                page.keyboard.press("Escape")


@pytest.mark.e2e
@pytest.mark.timeout(600)
def test_demo_home_in_the_browser(served: tuple[str, DagsterSettings]) -> None:
    from playwright.sync_api import sync_playwright

    base, settings = served
    names = sorted(k.to_user_string() for k in build_definitions(settings).resolve_asset_graph().get_all_asset_keys())
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1600, "height": 8000})  # tall: every catalog row rendered

        # the catalog: every asset of the card is there and materialised (partitioned: some partitions)
        page.goto(f"{base}/assets")
        deadline, status = time.monotonic() + 120, {}
        while time.monotonic() < deadline:  # the catalog fills in as its queries answer: read until every row is in
            page.wait_for_timeout(2000)
            tokens = [t.strip() for t in page.inner_text("body").split("\n") if t.strip()]
            status = {name: _status_after(tokens, name) for name in names}
            if "not found" not in status.values():
                break
        unmaterialised = {n: s for n, s in status.items() if s in ("Never materialized", "not found") or s[0] == "0"}
        assert not unmaterialised, unmaterialised

        # one asset page: the plate's contact sheet is drawn inline, served by the MLflow UI
        page.goto(f"{base}/assets/raw_images")
        sheet = page.locator("img[alt='wells over time']").first
        sheet.wait_for(timeout=60_000)
        page.wait_for_function("img => img.complete && img.naturalWidth > 100", arg=sheet.element_handle())

        # the screen report, opened from its asset page: the MLflow UI shows the page with every section
        page.goto(f"{base}/assets/screen_report")
        link = page.locator("a[href*='/artifacts/screen_report.html']").first
        link.wait_for(timeout=60_000)
        page.goto(str(link.get_attribute("href")))
        report = page.frame_locator("iframe")
        for anchor in SECTIONS:
            assert report.locator(f"section#{anchor} h2").first.inner_text(timeout=60_000)
        assert (
            report.locator("section#growth img").first.get_attribute("src", timeout=10_000).startswith("data:image/png")
        )

        # a Materialize click on plate_summary launches a run that the daemon carries to success
        with dg.DagsterInstance.from_config(str(settings.dagster_home)) as instance:
            before = {r.run_id for r in instance.get_runs()}
            page.goto(f"{base}/assets/plate_summary")
            page.get_by_text("Latest materialization").first.wait_for(timeout=90_000)
            # the button's icon hides its accessible name from get_by_role; its text is "Materialize"
            _click_past_dialogs(page, page.locator("button", has_text=re.compile(r"^Materialize$")).first)
            deadline, launched = time.monotonic() + 240, []
            while time.monotonic() < deadline:
                launched = [r for r in instance.get_runs() if r.run_id not in before]
                if launched and all(r.is_finished for r in launched):
                    break
                time.sleep(3)
            assert launched and all(r.status == dg.DagsterRunStatus.SUCCESS for r in launched), launched
            assert all("plate_summary" in str(r.asset_selection) for r in launched)  # automation launched nothing
        browser.close()
