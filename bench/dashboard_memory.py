"""Peak RSS of a running portal while a real browser opens every dashboard tab (target: under 350 MB).

    PQP_ENCRYPTION_KEYS=... python -m bench.dashboard_memory --database-url URL [--email admin@bench.example]

Starts ``streamlit run portal_app.py`` (the launcher a deployment runs, whose session cookie keeps the
browser signed in across a page load; plain ``app.py`` has no cookie route, so opening /dashboards would
show the sign-in form) on a free port against the given database, signs in through the sign-in
form in Chromium (/usr/bin/chromium, Playwright), which opens that account's home page, then opens the
dashboards and clicks through every area, and prints the server process's peak resident memory
(VmHWM from /proc, which covers the whole life of the process) and its memory now. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
AREAS = ("Audit quality", "Observations", "Supervision and rota", "Wellbeing")
PASSWORD = "bench-password-2026"  # every account bench.generate_region makes


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _memory_kb(pid: int) -> dict[str, int]:
    """VmHWM (peak) and VmRSS (now) of the process and its children, in kB."""
    totals = {"VmHWM": 0, "VmRSS": 0}
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for p in pids:
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            key = line.split(":")[0]
            if key in totals:
                totals[key] += int(line.split()[1])
    return totals


def _wait_until_up(url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError("the portal did not start")


def _idle(page: Any) -> None:
    from playwright.sync_api import expect

    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning", timeout=300_000)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--email", default="admin@bench.example")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = os.environ | {"PQP_DATABASE_URL": args.database_url}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "portal_app.py",
            "--server.headless",
            "true",
            "--server.port",
            str(port),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_until_up(url)
        print(f"portal started: {_memory_kb(server.pid)['VmRSS'] / 1024:.0f} MB")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium")
            page = browser.new_page()
            page.goto(url)
            page.get_by_label("Email", exact=True).fill(args.email)
            page.get_by_label("Password", exact=True).fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            try:
                page.get_by_test_id("stSidebar").get_by_role("button", name="Sign out").wait_for(timeout=120_000)
            finally:
                page.screenshot(path=str(ROOT / "test-artifacts" / "dashboard-memory-sign-in.png"))
            _idle(page)
            print(f"signed in, home page: {_memory_kb(server.pid)['VmRSS'] / 1024:.0f} MB")
            page.goto(url + "/dashboards")
            _idle(page)
            for area in AREAS:
                page.get_by_role("radio", name=area).or_(page.get_by_role("button", name=area)).first.click()
                _idle(page)
                print(f"dashboard, {area}: {_memory_kb(server.pid)['VmRSS'] / 1024:.0f} MB")
            browser.close()
        memory = _memory_kb(server.pid)
        print(
            f"Peak RSS of the portal process (VmHWM): {memory['VmHWM'] / 1024:.0f} MB; now {memory['VmRSS'] / 1024:.0f} MB"
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
