"""The load test through nginx to real portal processes (``python -m bench.load --proxy N``).

Where ``bench/load.py`` on its own drives ``app.py`` under AppTest, this starts ``N`` portal
processes (``streamlit run portal_app.py``) on one database, Debian's nginx in front of them
(the configuration in docs/DEPLOY.md, without TLS), and Chromium with one browser context per
simulated user, signed in by the session cookie. Each user does ``--actions`` rounds, each one:

- **open debrief**: the Quick debrief page, through nginx;
- **save debrief**: pick a feeling, type a unique marker in "What happened?", save, and wait for
  the confirmation;
- **read my debriefs**: open "My wellbeing" and find the marker in the newest debrief.

Every step is timed in the browser (what a person waits for). Afterwards every debrief is read
back as its author (``bench.load.verify``): lost, duplicated and unaccounted entries are counted.
The report gives steps per second over the whole run and the median and 95th percentile per step.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
NGINX = "/usr/sbin/nginx"
PROXY_STEPS = ["open debrief", "save debrief", "read my debriefs"]

NGINX_CONF = """
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log;
events {{ worker_connections 1024; }}
http {{
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    access_log off;
    map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
    upstream portal {{
        hash $cookie_pqp_browser consistent;
{servers}
    }}
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 3m;
        proxy_http_version 1.1;
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_next_upstream error timeout;
        proxy_connect_timeout 2s;
        add_header X-Upstream $upstream_addr always;
        location /_stcore/stream {{
            proxy_pass http://portal;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_read_timeout 1h;
        }}
        location / {{
            proxy_pass http://portal;
        }}
    }}
}}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def nginx_config(folder: Path, backends: list[int], port: int) -> str:
    """docs/DEPLOY.md's nginx set-up without TLS, to run unprivileged from ``folder``."""
    servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=30s;" for p in backends)
    return NGINX_CONF.format(dir=folder, servers=servers, port=port)


def wait_for(url: str, process: subprocess.Popen, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not start (answering {url})")
        time.sleep(0.25)


def stop(process: subprocess.Popen) -> None:
    """Stop a process started in its own group, and everything it started."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait(timeout=10)


@contextmanager
def portal_process(database_url: str, port: int, folder: Path, cookie_secret: str) -> Iterator[subprocess.Popen]:
    env = dict(os.environ)
    env.update(PQP_DATABASE_URL=database_url, STREAMLIT_SERVER_COOKIE_SECRET=cookie_secret, PYTHONUNBUFFERED="1")
    command = [
        sys.executable, "-m", "streamlit", "run", "portal_app.py",
        "--server.headless", "true", "--server.port", str(port), "--server.address", "127.0.0.1",
        "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    with open(folder / f"portal-{port}.log", "wb") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        wait_for(f"http://127.0.0.1:{port}/health/ready", process, f"the portal process on port {port}")
        yield process
    finally:
        stop(process)


@contextmanager
def nginx_in_front(folder: Path, backends: list[int]) -> Iterator[str]:
    port = free_port()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "nginx.conf").write_text(nginx_config(folder, backends, port))
    process = subprocess.Popen(
        [NGINX, "-p", str(folder), "-c", str(folder / "nginx.conf"), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{url}/health/live", process, "nginx")
        yield url
    finally:
        stop(process)


# --- the simulated users --------------------------------------------------------------------------


async def _one_user(browser: Any, proxy: str, cookie: str, person: Any, actions: int, result: dict) -> None:
    from playwright.async_api import expect

    from pages import _registry as screens
    from qa.access.sessions import COOKIE

    context = await browser.new_context(viewport={"width": 1366, "height": 900})
    await context.add_cookies([{"name": COOKIE, "value": cookie, "url": proxy, "httpOnly": True, "sameSite": "Lax"}])
    page = await context.new_page()
    wait = 60_000

    async def settled() -> None:
        """Until no script run is in progress (a click during a rerun can be lost)."""
        await expect(page.get_by_test_id("stApp")).to_have_attribute(
            "data-test-script-state", "notRunning", timeout=wait
        )

    async def timed(step: str, action: Any) -> None:
        started = time.perf_counter()
        try:
            await action()
        except Exception as error:
            result["samples"].append((step, time.perf_counter() - started, False))
            result["errors"].append(f"{step}: {type(error).__name__}")
            raise
        result["samples"].append((step, time.perf_counter() - started, True))

    try:
        for round_number in range(actions):
            marker = f"load-{person.index:03d}-{round_number:03d}-{secrets.token_hex(3)}"

            async def open_debrief() -> None:
                await page.goto(f"{proxy}/{screens.DEBRIEF.url_path}")
                await expect(page.get_by_role("button", name="Save debrief")).to_be_visible(timeout=wait)
                await settled()
                # A fresh process's first answer to a deep link may add Streamlit's "Page not found" notice.
                if await page.get_by_role("dialog").count():
                    await page.keyboard.press("Escape")

            async def save_debrief(marker: str = marker) -> None:
                form = page.get_by_test_id("stForm")
                await form.get_by_role("button", name="anxious", exact=True).click()
                await form.get_by_text("Add more (optional)").click()
                await form.get_by_label("What happened?", exact=True).fill(marker)
                await settled()
                result["debriefs_attempted"].append(marker)
                await form.get_by_role("button", name="Save debrief").click()
                await expect(page.get_by_test_id("stAlertContentSuccess")).to_be_visible(timeout=wait)
                result["debriefs_confirmed"].append(marker)

            async def read_debriefs(marker: str = marker) -> None:
                await page.goto(f"{proxy}/{screens.MY_WELLBEING.url_path}")
                await expect(page.get_by_role("heading", name="My debriefs")).to_be_visible(timeout=wait)
                # Each debrief's text is inside its (closed) expander, already on the page.
                await expect(page.get_by_text(marker, exact=True)).to_have_count(1, timeout=wait)

            try:
                await timed("open debrief", open_debrief)
                await timed("save debrief", save_debrief)
                await timed("read my debriefs", read_debriefs)
            except Exception:
                continue
            result["rounds_done"] += 1
    finally:
        await context.close()


async def _all_users(proxy: str, cookies: dict[int, str], people: list, actions: int, results: list[dict]) -> float:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        started = time.perf_counter()
        await asyncio.gather(
            *(
                _one_user(browser, proxy, cookies[person.user_id], person, actions, result)
                for person, result in zip(people, results, strict=True)
            )
        )
        elapsed = time.perf_counter() - started
        await browser.close()
    return elapsed


def run_through_proxy(url: str, processes: int, users: int, actions: int, replace: bool) -> dict:
    """Start ``processes`` portal processes and nginx on ``url``, run the users, and report."""
    from bench.load import _fresh_database, build_organisation, percentile, verify
    from db import engine as db_engine
    from db.engine import session_scope
    from db.sessions import SignInMethod
    from qa.access import sessions

    problem = _fresh_database(url, replace)
    if problem:
        raise RuntimeError(problem)
    db_engine.configure(url)
    people = build_organisation(users)
    with session_scope() as session:
        cookies = {p.user_id: sessions.start(session, p.user_id, SignInMethod.PASSWORD, "bench") for p in people}
    results: list[dict[str, Any]] = [
        {
            "index": p.index,
            "user_id": p.user_id,
            "role": p.role,
            "samples": [],
            "errors": [],
            "notes_confirmed": [],
            "notes_attempted": [],
            "debriefs_confirmed": [],
            "debriefs_attempted": [],
            "rounds_done": 0,
        }
        for p in people
    ]
    secret = secrets.token_urlsafe(32)
    with tempfile.TemporaryDirectory(prefix="pqp-proxy-load-") as temp, ExitStack() as stack:
        folder = Path(temp)
        ports = [free_port() for _ in range(processes)]
        for port in ports:
            stack.enter_context(portal_process(url, port, folder, secret))
        proxy = stack.enter_context(nginx_in_front(folder / "nginx", ports))
        elapsed = asyncio.run(_all_users(proxy, cookies, people, actions, results))
    check = verify(people, results)
    steps: dict[str, dict[str, float]] = {}
    for step in PROXY_STEPS:
        times = [t for r in results for s, t, ok in r["samples"] if s == step and ok]
        steps[step] = {
            "count": len(times),
            "median": percentile(times, 0.5),
            "p95": percentile(times, 0.95),
        }
    all_times = [t for r in results for _s, t, ok in r["samples"] if ok]
    failed = sum(1 for r in results for _s, _t, ok in r["samples"] if not ok)
    return {
        "processes": processes,
        "users": users,
        "actions": actions,
        "seconds": elapsed,
        "steps_done": len(all_times),
        "steps_failed": failed,
        "steps_per_second": len(all_times) / elapsed if elapsed else 0.0,
        "p95": percentile(all_times, 0.95),
        "per_step": steps,
        "debriefs_expected": check.debriefs_expected,
        "debriefs_found": check.debriefs_found,
        "lost": len(check.lost),
        "duplicated": len(check.duplicated),
        "unaccounted": check.unaccounted,
        "errors": sorted({e for r in results for e in r["errors"]}),
    }


def format_proxy_report(report: dict) -> str:
    lines = [
        f"Through nginx to {report['processes']} portal process(es): {report['users']} users x "
        f"{report['actions']} rounds in {report['seconds']:.1f} s",
        f"  steps done {report['steps_done']}, failed {report['steps_failed']}: "
        f"{report['steps_per_second']:.2f} steps/s, p95 {report['p95']:.2f} s",
    ]
    for step, figures in report["per_step"].items():
        lines.append(
            f"  {step:<18} n={figures['count']:<4} median {figures['median']:.2f} s  p95 {figures['p95']:.2f} s"
        )
    lines.append(
        f"  debriefs confirmed {report['debriefs_expected']}, found {report['debriefs_found']}; "
        f"lost {report['lost']}, duplicated {report['duplicated']}, unaccounted {report['unaccounted']}"
    )
    if report["errors"]:
        lines.append("  errors: " + "; ".join(report["errors"]))
    return "\n".join(lines)
