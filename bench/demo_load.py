"""Time ``python -m portal demo`` into a fresh SQLite file: a few rounds, the median.

    python -m bench.demo_load [--rounds 3]

Each round runs the real command in a new process (imports, migration, the argon2 hash, the
load, the rollups), as the Quick start does, into a new file in a temporary folder. It prints
each round's wall time, the median and the machine's load average. Nothing is asserted: the
target (under 20 s on SQLite) is recorded in bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

from db import encryption

ROOT = Path(__file__).resolve().parent.parent


def one_round(folder: Path, n: int) -> float:
    url = f"sqlite:///{folder / f'demo-{n}.db'}"
    env = {**os.environ, "PQP_DATABASE_URL": url}
    env.setdefault(encryption.ENV_VAR, encryption.new_key())
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "portal", "demo"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"python -m portal demo failed:\n{done.stderr}")
    if n == 1:
        print(done.stdout.splitlines()[0])
    return seconds


def main(argv: Iterable[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.demo_load", description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args(list(argv) if argv is not None else None)
    print(f"Load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as folder:
        times = [one_round(Path(folder), n) for n in range(1, args.rounds + 1)]
    for n, seconds in enumerate(times, start=1):
        print(f"  round {n}: {seconds:.2f} s")
    print(f"Median of {len(times)}: {statistics.median(times):.2f} s (target: under 20 s)")
    print(f"Load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
