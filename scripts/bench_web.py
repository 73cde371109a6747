"""Load benchmark of `approval serve` (not a timed test): starts `approval serve --workers 2` on
127.0.0.1, sends route requests with distinct questions (units × task phrasings × amounts) for
--seconds (30 by default) and reports each figure beside its target:

    ≥ 800 route requests/s across workers, p99 ≤ 50 ms, 0 errors, peak RSS per worker ≤ 120 MiB

The load generator runs on the same machine, so it is kept cheap: a minimal HTTP/1.1 keep-alive
client on asyncio streams (--client httpx uses httpx.AsyncClient instead, for comparison).
Errors are failed connections, 5xx, and 4xx other than 404 (404 is the API's "no row" answer).
Peak RSS is each worker's VmHWM from /proc after the run (Linux).

    python scripts/bench_web.py [--seconds 30] [--workers 2] [--connections 8] [--client raw|httpx] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import platform
import random
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

TARGETS = {"requests_per_second": 800, "p99_ms": 50, "errors": 0, "peak_rss_mib": 120}

# How clerks ask for a purchase or a service of an amount (DOMAIN.md, "What clerks really type").
PHRASINGS = [
    "採購", "買筆電", "冷氣機年度維護委外", "碎紙機", "購置辦公桌椅", "租賃影印機", "標案", "委外服務",
    "採購 無爭議", "采购", "採構", "印表機碳粉", "公務車保養", "辦理採購案件", "飲水機", "會議室投影機",
]  # fmt: skip


def amounts() -> list[str]:
    """Distinct amounts across every band, written the ways clerks write them."""
    out = []
    for value in range(3_000, 2_000_000, 1_901):
        form = value % 4
        if form == 0:
            out.append(str(value))
        elif form == 1:
            out.append(f"{value:,}")
        elif form == 2:
            out.append(f"NT${value:,}")
        else:
            out.append(f"{value / 10_000:g}萬")
    return out


def questions(units: list[str], seed: int = 13) -> list[str]:
    combos = [
        "/api/route?" + urllib.parse.urlencode({"unit": unit, "q": phrase, "amount": amount})
        for unit, phrase, amount in itertools.product(units, PHRASINGS, amounts())
    ]
    random.Random(seed).shuffle(combos)
    return combos


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def approval_command() -> list[str]:
    found = Path(sys.executable).parent / "approval"
    return [str(found)] if found.exists() else [sys.executable, "-m", "approval_cli"]


class Server:
    """`approval serve --workers N` in a subprocess; ready when every worker has started."""

    def __init__(self, workers: int, port: int) -> None:
        self.port, self.workers = port, workers
        self.process = subprocess.Popen(
            [*approval_command(), "serve", "--workers", str(workers), "--port", str(port), "--no-access-log"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        self.started = 0
        self.log: list[str] = []
        self._ready = threading.Event()
        threading.Thread(target=self._read_log, daemon=True).start()
        if not self._ready.wait(120):
            self.stop()
            raise SystemExit("bench_web: the server did not start:\n" + "".join(self.log[-20:]))

    def _read_log(self) -> None:
        for line in self.process.stderr:
            self.log.append(line)
            if "Application startup complete" in line:
                self.started += 1
                if self.started >= self.workers:
                    self._ready.set()

    def worker_pids(self) -> list[int]:
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                status = (entry / "status").read_text()
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            parent = re.search(r"^PPid:\s+(\d+)", status, re.M)
            ours = parent and int(parent.group(1)) == self.process.pid
            if ours and b"multiprocessing" in cmdline and b"resource_tracker" not in cmdline:
                pids.append(int(entry.name))
        return sorted(pids) or [self.process.pid]

    @staticmethod
    def peak_rss_mib(pid: int) -> float:
        status = Path(f"/proc/{pid}/status").read_text()
        return int(re.search(r"^VmHWM:\s+(\d+)", status, re.M).group(1)) / 1024

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class Stats:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.statuses: dict[int, int] = {}
        self.failures = 0
        self.recording = False

    def add(self, status: int, seconds: float) -> None:
        if self.recording:
            self.latencies.append(seconds)
            self.statuses[status] = self.statuses.get(status, 0) + 1

    @property
    def errors(self) -> int:
        bad = sum(count for status, count in self.statuses.items() if status >= 500 or (400 <= status != 404))
        return bad + self.failures


async def raw_worker(port: int, paths, stats: Stats, stop: asyncio.Event) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while not stop.is_set():
            path = next(paths)
            started = time.perf_counter()
            writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n\r\n".encode())
            try:
                head = await reader.readuntil(b"\r\n\r\n")
                status = int(head[9:12])
                length = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head)
                await reader.readexactly(int(length.group(1)) if length else 0)
            except (asyncio.IncompleteReadError, ConnectionError, ValueError):
                if stats.recording:
                    stats.failures += 1
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                continue
            stats.add(status, time.perf_counter() - started)
    finally:
        writer.close()


async def httpx_worker(port: int, paths, stats: Stats, stop: asyncio.Event, client) -> None:
    while not stop.is_set():
        path = next(paths)
        started = time.perf_counter()
        try:
            response = await client.get(f"http://127.0.0.1:{port}{path}")
        except Exception:
            if stats.recording:
                stats.failures += 1
            continue
        stats.add(response.status_code, time.perf_counter() - started)


async def load(port: int, paths: list[str], seconds: float, connections: int, client_kind: str,
               warm_up: float) -> tuple[Stats, float]:  # fmt: skip
    stats, stop = Stats(), asyncio.Event()
    cycle = itertools.cycle(paths)
    if client_kind == "httpx":
        import httpx

        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        async with httpx.AsyncClient(limits=limits, timeout=30) as client:
            tasks = [asyncio.create_task(httpx_worker(port, cycle, stats, stop, client)) for _ in range(connections)]
            measured = await _run(stats, stop, tasks, seconds, warm_up)
    else:
        tasks = [asyncio.create_task(raw_worker(port, cycle, stats, stop)) for _ in range(connections)]
        measured = await _run(stats, stop, tasks, seconds, warm_up)
    return stats, measured


async def _run(stats: Stats, stop: asyncio.Event, tasks, seconds: float, warm_up: float) -> float:
    await asyncio.sleep(warm_up)
    stats.recording = True
    started = time.perf_counter()
    await asyncio.sleep(seconds)
    stats.recording = False
    measured = time.perf_counter() - started
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    return measured


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def machine() -> str:
    model = ""
    with contextlib.suppress(OSError, AttributeError):
        model = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text()).group(1).strip()
    return f"{os.cpu_count()} CPU ({model or platform.machine()}), {platform.system()}, Python {platform.python_version()}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="measured load duration (default 30)")
    parser.add_argument("--warm-up", type=float, default=3.0, help="unmeasured load first (default 3 s)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=8, help="concurrent keep-alive connections (default 8)")
    parser.add_argument("--client", choices=("raw", "httpx"), default="raw")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)

    port = free_port()
    server = Server(args.workers, port)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/units", timeout=10) as response:
            units = [row["unit"] for row in json.load(response)]
        paths = questions(units)
        stats, measured = asyncio.run(load(port, paths, args.seconds, args.connections, args.client, args.warm_up))
        workers = server.worker_pids()
        rss = {pid: round(Server.peak_rss_mib(pid), 1) for pid in workers}
    finally:
        server.stop()

    count = len(stats.latencies)
    figures = {
        "machine": machine(),
        "workers": args.workers,
        "connections": args.connections,
        "client": args.client,
        "seconds": round(measured, 2),
        "distinct_questions": len(paths),
        "repeated_questions": max(0, count - len(paths)),
        "requests": count,
        "statuses": {str(k): v for k, v in sorted(stats.statuses.items())},
        "requests_per_second": round(count / measured, 1),
        "p50_ms": round(1000 * percentile(stats.latencies, 0.50), 2),
        "p99_ms": round(1000 * percentile(stats.latencies, 0.99), 2),
        "errors": stats.errors,
        "peak_rss_mib": rss,
    }
    peak = max(rss.values())
    checks = [
        ("requests/s (all workers)", figures["requests_per_second"], f"≥ {TARGETS['requests_per_second']}",
         figures["requests_per_second"] >= TARGETS["requests_per_second"]),
        ("p50 latency (ms)", figures["p50_ms"], "—", True),
        ("p99 latency (ms)", figures["p99_ms"], f"≤ {TARGETS['p99_ms']}", figures["p99_ms"] <= TARGETS["p99_ms"]),
        ("errors", figures["errors"], f"= {TARGETS['errors']}", figures["errors"] == TARGETS["errors"]),
        ("peak RSS per worker (MiB)", ", ".join(f"{v}" for v in rss.values()), f"≤ {TARGETS['peak_rss_mib']}",
         peak <= TARGETS["peak_rss_mib"]),
    ]  # fmt: skip
    figures["met"] = {name: ok for name, _, _, ok in checks}
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, indent=2))
    else:
        print(f"approval serve --workers {args.workers}: {count} route requests in {measured:.1f} s over "
              f"{args.connections} connections ({args.client} client), {len(paths)} distinct questions")
        print(f"machine: {figures['machine']}; statuses: {figures['statuses']}")
        for name, value, target, ok in checks:
            print(f"  {name:<28} {value!s:>14}   target {target:<8} {'ok' if ok else 'MISSED'}")
    return 1 if args.strict and not all(ok for *_, ok in checks) else 0


if __name__ == "__main__":
    sys.exit(main())
