"""Real-browser fixtures: a live ``streamlit run portal_app.py`` (the launcher) on a fresh demo
database, driven by Debian's Chromium through Playwright.

Never run ``playwright install`` for these: we use the system browser at
``/usr/bin/chromium``. Without it the tests skip on a developer machine, but
fail when ``CI`` is set, so a broken CI image cannot pass silently.

When a browser test fails (in the test or in setting up its fixtures), every
page open in the browser at that moment is screenshotted into
``test-artifacts/browser/``; the run's summary and ``.ci/run`` print the folder.

Fixtures: ``page`` (one fresh session), ``signed_in(email)`` (a fresh session
signed in through the real form, as many as a journey needs),
``save_screenshot`` and ``review_screenshot`` (whole-page shots; the latter
into ``PQP_SCREENSHOTS`` when it is set).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
#: The features Playwright turns off in every Chromium it launches (Playwright 1.65's list; the
#: guard test ``test_chromium_flags`` checks it against the installed Playwright). Chromium reads
#: only the last ``--disable-features`` it is given, so ours must repeat Playwright's.
PLAYWRIGHT_DISABLED_FEATURES = [
    "AvoidUnnecessaryBeforeUnloadCheckSync", "DestroyProfileOnBrowserClose", "HttpsUpgrades",
    "HttpsFirstBalancedModeAutoEnable", "LensOverlay", "MediaRouter", "PaintHolding",
    "ThirdPartyStoragePartitioning", "AvoidCorsURLLoaderRestartOnRedirect", "TcpPortRandomizationWin",
    "OptimizationHints", "NetworkTimeServiceQuerying", "AimEnabled", "PreconnectToSearch",
    "msForceBrowserSignIn", "msEdgeUpdateLaunchServicesPreferredVersion",
]  # fmt: skip
#: Chromium 156 gives every window (each test session is one) two pages of its own browser
#: interface, the address bar's drop-down (chrome://omnibox-popup.top-chrome), which it keeps
#: up to date as the portal's address changes on every move between pages. Headless, nobody
#: sees them; over the whole suite they were a fifth of Chromium's CPU (docs/DEVELOPING.md).
UNSEEN_BROWSER_INTERFACE = ["WebUIOmniboxPopup", "WebUIOmniboxAimPopup"]
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-features=" + ",".join(PLAYWRIGHT_DISABLED_FEATURES + UNSEEN_BROWSER_INTERFACE),
]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
SERVER_START_TIMEOUT = 60  # seconds
SIGN_IN_WAIT = 20_000  # ms, for the sign-in form and the signed-in sidebar to appear
#: Wide enough that Streamlit keeps the sidebar open (it collapses on narrow screens).
VIEWPORT = {"width": 1366, "height": 900}

_failure_shots = pytest.StashKey[list[Path]]()
#: The session's Chromium, once started, so a failure can screenshot every page in it.
_open_browser: list = []


# ----------------------------------------------------------- parallel runs


#: Seconds each module took, alone on this 2-core machine (7 December 2026), to share the modules
#: fairly between the two browser workers. A module not listed counts as 20 s; the balance only
#: affects speed, never what is tested.
MODULE_SECONDS = {
    "test_privacy": 101, "test_accessibility": 98, "test_sign_in": 65, "test_home_work": 53,
    "test_sessions": 46, "test_role_journeys": 35, "test_fault_text_kept": 34, "test_hostile_input": 34,
    "test_failover": 30, "test_learn_journey": 27, "test_observation_journey": 26, "test_sso": 26,
    "test_data_protection": 22, "test_notifications": 22, "test_meeting_mode": 22, "test_concurrent_edit": 18,
    "test_supervision_journey": 16, "test_limits": 13, "test_notification_email": 12, "test_chromium_flags": 3,
}  # fmt: skip
BROWSER_GROUPS = 2


def browser_groups(modules: list[str], groups: int = BROWSER_GROUPS) -> dict[str, int]:
    """Each module's group: the longest first, each into the group with the least so far."""
    seconds = {module: MODULE_SECONDS.get(module, 20) for module in modules}
    load = [0] * groups
    chosen = {}
    for module in sorted(modules, key=lambda m: (-seconds[m], m)):
        chosen[module] = load.index(min(load))
        load[chosen[module]] += seconds[module]
    return chosen


def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist (``--dist loadgroup``, in pyproject's addopts) the browser tests run on
    two workers, whole modules at a time (an ``xdist_group`` each), each worker with its own
    demo database, live portal and Chromium; the other tests fill in around them. The browser
    suite is most of CI's time, and one worker alone took twelve minutes, waiting on the portal
    and Chromium for part of it. Each worker would have its own demo database and free port
    anyway, so this is for speed, not safety."""
    here = Path(__file__).parent
    browser_items = [item for item in items if here in Path(item.path).parents]
    groups = browser_groups(sorted({Path(item.path).stem for item in browser_items}))
    for item in browser_items:
        item.add_marker(pytest.mark.browser)
        item.add_marker(pytest.mark.xdist_group(f"browser-{groups[Path(item.path).stem] + 1}"))


# ------------------------------------------------------------ failure reports


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item (``item.rep_setup``, ``item.rep_call``),
    and when a browser test fails in setup or in the test itself, screenshot
    every page still open in the browser, whichever fixture or test opened it
    (before the fixtures close them)."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
    if report.failed and report.when in ("setup", "call") and _open_browser:
        try:
            pages = [page for context in _open_browser[0].contexts for page in context.pages if not page.is_closed()]
        except Exception as exc:  # a crashed browser must not hide the real failure
            print(f"Could not list the browser's pages for screenshots: {exc}")
            pages = []
        for number, page in enumerate(pages, start=1):
            _screenshot_failure(page, item, suffix=f"page{number}" if len(pages) > 1 else "")


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    shots = config.stash.get(_failure_shots, [])
    if shots:
        terminalreporter.section("browser test screenshots")
        terminalreporter.write_line(f"{len(shots)} screenshot(s) of failed browser tests in {ARTIFACTS}")
        for shot in shots:
            terminalreporter.write_line(f"  {shot}")


# -------------------------------------------------------------------- chromium


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} not found; install Debian's chromium (apt-get install -y chromium)."
        if os.environ.get("CI"):
            pytest.fail(f"CI is set and {message}", pytrace=False)
        pytest.skip(f"browser tests need a system Chromium: {message}")
    return CHROMIUM


@pytest.fixture(scope="session")
def browser(chromium_executable):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=chromium_executable, args=CHROMIUM_ARGS)
        _open_browser.append(chromium)
        try:
            yield chromium
        finally:
            _open_browser.remove(chromium)
            chromium.close()


def _new_page(browser):
    context = browser.new_context(viewport=VIEWPORT, locale="en-GB", timezone_id="Europe/London")
    return context.new_page()


@pytest.fixture
def page(browser):
    """A page in a fresh browser context, so every test is a new portal session."""
    page = _new_page(browser)
    try:
        yield page
    finally:
        page.context.close()


@pytest.fixture
def signed_in(browser, portal_url, demo_database_url):
    """``signed_in(email)``: a page in a new portal session (its own browser
    context), signed in as ``email`` with the demo password. Call it once per
    person in a multi-user journey; every session is closed after the test
    (screenshotted first if it failed).

    With the demo password, the session is made in the database and its cookie
    put in the browser (helpers.sign_in_fast): one page load instead of the
    form's two, which matters over about fifty journeys. The form itself, the
    ticket exchange and the cookie are tested in test_sign_in.py and
    test_sessions.py. Another password goes through the real form."""
    from playwright.sync_api import expect

    from db.demo import DEMO_PASSWORD
    from tests.browser.helpers import sign_in_fast

    pages = []

    def open_session(email: str, password: str = DEMO_PASSWORD):
        page = _new_page(browser)
        pages.append(page)
        if password == DEMO_PASSWORD:
            sign_in_fast(page, portal_url, demo_database_url, email)
            return page
        page.goto(portal_url)
        expect(page.get_by_label("Email", exact=True)).to_be_visible(timeout=SIGN_IN_WAIT)
        page.get_by_label("Email", exact=True).fill(email)
        page.get_by_label("Password", exact=True).fill(password)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_test_id("stSidebar").get_by_role("button", name="Sign out")).to_be_visible(
            timeout=SIGN_IN_WAIT
        )
        return page

    try:
        yield open_session
    finally:
        for page in pages:
            page.context.close()


def full_screenshot(page, path: Path | str) -> None:
    """Screenshot the whole portal page, not just the visible part.

    Streamlit scrolls its main column inside the window, so Playwright's
    ``full_page`` sees only one viewport; grow the viewport to the content's
    height for the shot, then put it back."""
    viewport = page.viewport_size or VIEWPORT
    # Streamlit keeps adding elements (tables draw late) after the title shows:
    # wait until the content height has stopped changing, for up to 5 s.
    height, deadline = -1, time.monotonic() + 5
    while time.monotonic() < deadline:
        page.wait_for_timeout(500)
        now = page.evaluate(
            """() => Math.max(window.innerHeight, ...['stMain', 'stSidebarContent']
                .map(id => document.querySelector(`[data-testid="${id}"]`))
                .filter(Boolean).map(e => e.scrollHeight))"""
        )
        if now == height:
            break
        height = now
    page.set_viewport_size({"width": viewport["width"], "height": min(int(height), 10_000)})
    try:
        page.wait_for_timeout(300)  # let the layout settle at the new size
        page.screenshot(path=str(path), full_page=True)
    finally:
        page.set_viewport_size(viewport)


@pytest.fixture
def save_screenshot():
    """``save_screenshot(page, path)``: a screenshot of the whole portal page."""
    return full_screenshot


@pytest.fixture
def review_screenshot():
    """``review_screenshot(page, "name")``: a whole-page screenshot saved as
    ``name.png`` in the folder named by ``PQP_SCREENSHOTS``, for a human to
    look at; does nothing when that variable is not set. With
    ``whole=False``, only what is in the window (the top of a long page)."""
    folder = os.environ.get("PQP_SCREENSHOTS")

    def save(page, name: str, whole: bool = True) -> Path | None:
        if not folder:
            return None
        Path(folder).mkdir(parents=True, exist_ok=True)
        path = Path(folder) / f"{name}.png"
        if whole:
            full_screenshot(page, path)
        else:
            page.screenshot(path=str(path))
        return path

    return save


def _screenshot_failure(page, item, suffix: str = "") -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", item.nodeid).strip("_")[:150] + (f"-{suffix}" if suffix else "")
    path = ARTIFACTS / f"{name}.png"
    try:
        full_screenshot(page, path)
    except Exception as exc:  # a crashed page must not hide the real failure
        print(f"Could not save a screenshot of the failed browser test: {exc}")
        return
    item.config.stash.setdefault(_failure_shots, []).append(path)
    print(f"Screenshot of the failed browser test saved in {ARTIFACTS}: {path.name}")


# ---------------------------------------------------------------------- server


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(base_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=2) as response:
            return response.status == 200 and response.read().decode().strip() == "ok"
    except (urllib.error.URLError, OSError):
        return False


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Linux: have the server killed if pytest itself is killed (CI timeouts),
    when no fixture finaliser gets a chance to run."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def _stop(process: subprocess.Popen) -> None:
    """Stop the server and anything it started (it runs in its own process group)."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait(timeout=10)
    else:
        # The leader is gone; make sure no child outlived it.
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


@pytest.fixture(scope="session")
def demo_database_url(tmp_path_factory) -> str:
    """A fresh, migrated SQLite database holding the demo organisation.

    Loaded by ``python -m portal ... demo`` in a subprocess so that nothing in this
    test process (the engine's configured URL) is touched."""
    return load_demo_database(tmp_path_factory.mktemp("browser-db") / "portal.db")


def load_demo_database(path: Path) -> str:
    """A new SQLite file at ``path`` holding the demo organisation; its URL."""
    url = f"sqlite:///{path}"
    result = subprocess.run(
        [sys.executable, "-m", "portal", "--database-url", url, "demo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    if result.returncode != 0:
        pytest.fail(f"loading the demo organisation failed:\n{result.stdout}\n{result.stderr}", pytrace=False)
    return url


@pytest.fixture(scope="session")
def portal_url(chromium_executable, demo_database_url, tmp_path_factory) -> Iterator[str]:
    """Base URL of a live ``streamlit run portal_app.py`` on the demo database."""
    with start_portal(demo_database_url, tmp_path_factory.mktemp("browser-server")) as base_url:
        yield base_url


@contextmanager
def start_portal(
    database_url: str,
    folder: Path,
    env: dict[str, str] | None = None,
    args: list[str] | None = None,
    port: int | None = None,
    started: list[subprocess.Popen] | None = None,
) -> Iterator[str]:
    """Run ``streamlit run portal_app.py`` (the launcher: app.py served through st.App with the
    portal's routes, headers and session cookie) on ``database_url`` until the block ends; yields
    its base URL. ``env`` adds environment variables and ``args`` Streamlit
    options (for a portal with a short idle time, or with single sign-on);
    the server's log goes into ``folder``."""
    port = port or _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = dict(os.environ) | (env or {})
    env["PQP_DATABASE_URL"] = database_url
    env["PYTHONUNBUFFERED"] = "1"
    log_path = folder / "streamlit.log"
    command = [
        sys.executable, "-m", "streamlit", "run", "portal_app.py",
        "--server.headless", "true",
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
        *(args or []),
    ]  # fmt: skip
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
        )
    if started is not None:  # for a test that kills the process itself (test_failover.py)
        started.append(process)
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while not _healthy(base_url):
            if process.poll() is not None:
                pytest.fail(
                    f"streamlit exited with code {process.returncode} before answering:\n{log_path.read_text()}",
                    pytrace=False,
                )
            if time.monotonic() > deadline:
                pytest.fail(
                    f"streamlit did not answer {base_url}/_stcore/health within {SERVER_START_TIMEOUT} s:\n"
                    f"{log_path.read_text()}",
                    pytrace=False,
                )
            time.sleep(0.25)
        yield base_url
    finally:
        _stop(process)
