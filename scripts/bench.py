"""Performance benchmark of the `approval` CLI against the targets of the performance issue.

Every target runs interleaved with its baseline (baseline, target, ... per round) so that machine
drift hits both sides alike; the report gives medians, min/max, ratios and PASS/FAIL. Generated
inputs (a 10,000-line batch file, a 50,000-row catalogue) and the compiled cache live in a private
temporary directory. Standard library only, so it runs in any environment that has the package.

    .venv/bin/python scripts/bench.py [--runs 15] [--json] [--strict] [--keep]
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import math
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASELINE = [sys.executable, "-c", "import typer"]
UNITS = ["總務組", "文書組", "國際事務組", "機要組", "市民服務組", "媒體事務組", "會計室", "人事室", "政風室"]
PLAIN_TASKS = [
    "議員索取資料",
    "檔案應用申請",
    "硬碟報廢",
    "退文改分",
    "志工招募",
    "替代役退役",
    "記者會",
    "印信借用",
    "公務車調派",
    "出國訪問",
    "网站资料异动",
    "颱風停班",
    "市長信箱陳情",
    "公文稽催",
    "人員甄選",
    "國家賠償",
    "財產報廢",
    "新聞稿發布",
    "外賓接待",
    "兩性平權宣導",
]
AMOUNT_TASKS = [
    "採購 {}",
    "購買筆電 {}",
    "辦公室修繕 {}",
    "委託研究案 {}",
    "加班費核發 {}",
    "出國訪問經費 {}",
]
BIG_ROWS = 50_000
BATCH_LINES = 10_000
BATCH_BUDGET = 60.0  # seconds of timed batch runs after which further rounds skip the batch
# Peak RSS of one command, measured in a fresh wrapper process so earlier children cannot inflate it.
RSS_WRAPPER = (
    "import resource, subprocess, sys\n"
    "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode\n"
    "print(code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
)


def approval_command() -> list[str]:
    script = Path(sys.executable).parent / "approval"
    return [str(script)] if script.exists() else [sys.executable, "-m", "approval_cli"]


def run_timed(
    cmd: list[str], env: dict[str, str], out: Path | None = None, ok: tuple[int, ...] = (0,)
) -> float:
    """Wall seconds of one run; a failing command aborts the benchmark rather than timing an error path."""
    with open(out, "wb") if out else open(os.devnull, "wb") as sink:
        start = time.perf_counter()
        proc = subprocess.run(cmd, env=env, stdout=sink, stderr=subprocess.PIPE)
        elapsed = time.perf_counter() - start
    if proc.returncode not in ok:
        tail = proc.stderr.decode(errors="replace").strip()[-800:]
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}:\n{tail}")
    return elapsed


def peak_rss_mib(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, peak RSS in MiB) of one run of cmd."""
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", RSS_WRAPPER, *cmd], env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    code, maxrss = proc.stdout.split()
    if code != "0":
        raise RuntimeError(f"{' '.join(cmd)} exited {code}:\n{proc.stderr[-800:]}")
    per_mib = 1024 * 1024 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
    return elapsed, int(maxrss) / per_mib


def build_big_catalogue(approval: list[str], env: dict[str, str], path: Path) -> list[dict]:
    """Replicate the built-in entries under renamed units, so the index grows as with a real big catalogue.

    Returns the built-in entries, which also feed the batch file.
    """
    exported = subprocess.run(
        [*approval, "export", "--format", "json"], env=env, capture_output=True, check=True
    )
    data = json.loads(exported.stdout)
    base = data["entries"]
    entries, units = [], []
    for k in range(math.ceil(BIG_ROWS / len(base))):
        suffix = str(k) if k else ""
        units.extend(f"{unit}{suffix}" for unit in data["metadata"]["units"])
        entries.extend(
            {**e, "unit": f"{e['unit']}{suffix}", "id": f"{e['id']}-R{k}" if k else e["id"]} for e in base
        )
    data["entries"] = entries[:BIG_ROWS]
    data["metadata"]["units"] = list(dict.fromkeys(e["unit"] for e in data["entries"]))
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return base


def format_amount(rng: random.Random, value: int) -> str:
    """An amount in one of the shapes clerks actually type: digits, commas, NT$, 萬/千."""
    shapes = [f"{value}元", f"{value:,}元", f"NT${value:,}"]
    if value >= 10_000 and value % 1000 == 0:
        wan, qian = divmod(value // 1000, 10)
        shapes += [
            f"{wan}萬{qian}千元" if qian else f"{wan}萬",
            f"新臺幣{wan}萬元" if not qian else f"{wan}.{qian}萬",
        ]
    return rng.choice(shapes)


def random_task(rng: random.Random) -> str:
    if rng.random() >= 0.4:
        return rng.choice(PLAIN_TASKS)
    if rng.random() < 0.1:
        amount = rng.choice(["三十萬", "十五萬元", "一百萬元", "五千元", "二十萬"])
    else:
        amount = format_amount(rng, rng.choice([5, 15, 30, 80, 120, 200, 500, 1000, 3000]) * 1000)
    return rng.choice(AMOUNT_TASKS).format(amount)


def catalogue_task(rng: random.Random, entry: dict) -> str:
    """A unit's own task in the table's words, with an amount inside its band when it has one."""
    text = rng.choice([entry["item"], entry["content"] or entry["item"]])
    band = entry.get("amount_range")
    if band:
        low = band["min"] or 1000
        high = band["max"] or low * 4
        value = min(max(round(rng.randint(low, high), -4 if low >= 10_000 else -3), low), high)
        text = f"{text} {format_amount(rng, value)}"
    return text


def nonsense(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return "".join(chr(rng.randint(0x4E00, 0x9FA5)) for _ in range(rng.randint(2, 12)))
    return "".join(rng.choice("qwertyuiop1234567890!?% ") for _ in range(rng.randint(3, 20)))


def build_batch_file(path: Path, entries: list[dict]) -> None:
    """Deterministic mix: ~3% empty, ~5% no unit, ~5% unknown unit, ~5% nonsense, the rest routable.

    Routable lines are half the unit's own rows and half everyday phrasings, which may belong to
    another unit; an all-miss batch would time only the slow no-match path.
    """
    rng = random.Random(42)
    by_unit = {unit: [e for e in entries if e["unit"] == unit] for unit in UNITS}
    lines = []
    for _ in range(BATCH_LINES):
        draw, unit = rng.random(), rng.choice(UNITS)
        if draw < 0.03:
            lines.append("")
        elif draw < 0.08:
            lines.append(random_task(rng))
        elif draw < 0.13:
            lines.append(f"資訊局\t{random_task(rng)}")
        elif draw < 0.18:
            lines.append(f"{unit}\t{nonsense(rng)}")
        elif by_unit[unit] and rng.random() < 0.5:
            lines.append(f"{unit}\t{catalogue_task(rng, rng.choice(by_unit[unit]))}")
        else:
            lines.append(f"{unit}\t{random_task(rng)}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def check_batch_output(path: Path) -> tuple[int, int]:
    """(valid JSON objects out, of which with an "error" field); a line that is not JSON does not count."""
    parsed = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            parsed.append(json.loads(line))
        except ValueError:
            continue
    objects = [item for item in parsed if isinstance(item, dict)]
    return len(objects), sum("error" in item for item in objects)


def summary(times: list[float]) -> dict[str, float]:
    return {"median": statistics.median(times), "min": min(times), "max": max(times)}


def row(
    name: str,
    stats: dict[str, float],
    base: float | None,
    ratio_limit: float | None,
    abs_limit: float | None,
    unit: str,
) -> dict:
    ratio = stats["median"] / base if base and ratio_limit is not None else None
    if ratio_limit is not None:
        ok, limit = ratio is not None and ratio <= ratio_limit, f"<= {ratio_limit:g}x"
    else:
        ok, limit = stats["median"] <= abs_limit, f"<= {abs_limit:g} {unit}"
    return {
        "target": name,
        "unit": unit,
        **stats,
        "baseline": base,
        "ratio": ratio,
        "limit": limit,
        "result": "PASS" if ok else "FAIL",
    }


def machine_facts() -> dict[str, str]:
    return {
        "python": f"{platform.python_version()} ({sys.executable})",
        # Same figure as `nproc`: the CPUs this process may run on, not the machine total.
        "nproc": str(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()),
        "typer": importlib.metadata.version("typer"),
        "platform": platform.platform(),
    }


def benchmark(runs: int, work: Path) -> dict:
    approval = approval_command()
    env = {k: v for k, v in os.environ.items() if k not in ("APPROVAL_NO_CACHE", "APPROVAL_CATALOGUE")}
    env["APPROVAL_CACHE_DIR"] = str(work / "cache")
    big, batch_in, batch_out = work / "big.json", work / "batch.txt", work / "batch.out.jsonl"
    builtin = build_big_catalogue(approval, env, big)
    build_batch_file(batch_in, builtin)
    commands = {
        "baseline": BASELINE,
        "route": [*approval, "route", "--unit", "文書組", "--amount", "300000", "--json"],
        "find": [*approval, "find", "採購"],
        "find_big": [*approval, "--catalogue", str(big), "find", "採購"],
        "batch": [*approval, "batch", str(batch_in)],
    }

    def once(name: str) -> float:
        # batch exits 1/2 when some lines had no match or were bad input: that is its normal report.
        if name == "batch":
            return run_timed(commands[name], env, out=batch_out, ok=(0, 1, 2))
        return run_timed(commands[name], env)

    # Warm-up: builds the compiled caches (the targets may reuse them) and primes the OS file cache.
    warmup = {name: once(name) for name in commands if name != "find_big"}
    warmup["find_big"], first_big_rss = peak_rss_mib(commands["find_big"], env)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name in commands:
            # A batch far over its limit would stretch the run to many minutes; its figure is clear by then.
            if name != "batch" or sum(times["batch"]) < BATCH_BUDGET:
                times[name].append(once(name))
    lines_out, errors = check_batch_output(batch_out)
    _, baseline_rss = peak_rss_mib(BASELINE, env)
    big_rss = max(peak_rss_mib(commands["find_big"], env)[1] for _ in range(3))

    # One cache file per catalogue is expected; more means a rebuild inside the timed runs (the
    # package changed under the benchmark, or the cache key is unstable), which skews the maxima.
    cache_files = sum(1 for _ in (work / "cache").iterdir()) if (work / "cache").is_dir() else 0
    stats = {name: summary(values) for name, values in times.items()}
    base, find_median = stats["baseline"]["median"], stats["find"]["median"]
    rows = [
        row("cold route --json", stats["route"], base, 1.5, None, "s"),
        row("cold find (human)", stats["find"], base, 2.0, None, "s"),
        row(f"batch {BATCH_LINES} lines", stats["batch"], base, None, 3.0, "s"),
        row(f"find {BIG_ROWS} rows", stats["find_big"], find_median, 3.0, None, "s"),
        row(
            f"peak RSS find {BIG_ROWS}",
            {"median": big_rss, "min": big_rss, "max": big_rss},
            baseline_rss,
            None,
            300,
            "MiB",
        ),
    ]
    if lines_out != BATCH_LINES:
        rows[2]["result"] = "FAIL"
    return {
        "machine": machine_facts(),
        "settings": {
            "runs": runs,
            "command": approval,
            "workdir": str(work),
            "catalogue_rows": {"builtin": len(builtin), "big": BIG_ROWS},
        },
        "targets": rows,
        "batch": {
            "runs": len(times["batch"]),
            "lines_in": BATCH_LINES,
            "lines_out": lines_out,
            "lines_with_error": errors,
        },
        "warmup_seconds": warmup,
        "first_find_big_peak_rss_mib": first_big_rss,
        "cache_files": cache_files,
        "notes": [
            "runs interleaved per round: baseline, route, find, find big, batch; one warm-up of each first",
            "the warm-up builds the compiled cache in the private APPROVAL_CACHE_DIR; timed runs reuse it",
            "baseline of the cold-start rows: python -c 'import typer'; of the big find: the built-in find",
            f"batch row: absolute limit on the median; timed in every round until {BATCH_BUDGET:g} s of batch runs"
            " are spent; baseline column = import typer, for context",
            "peak RSS: ru_maxrss of RUSAGE_CHILDREN in a fresh wrapper process, max of 3 runs; baseline = import typer",
        ],
    }


def print_table(report: dict) -> None:
    for key, value in report["machine"].items():
        print(f"{key:<9} {value}")
    print(
        f"runs      {report['settings']['runs']} (+1 warm-up each), command: {' '.join(report['settings']['command'])}\n"
    )
    header = f"{'target':<24} {'median':>8} {'min':>8} {'max':>8} {'baseline':>9} {'ratio':>7}  {'limit':<12} result"
    print(header)
    print("-" * len(header))
    for r in report["targets"]:
        fmt = ".1f" if r["unit"] == "MiB" else ".3f"
        base = f"{r['baseline']:{fmt}}" if r["baseline"] is not None else "-"
        ratio = f"{r['ratio']:.2f}x" if r["ratio"] is not None else "-"
        print(
            f"{r['target']:<24} {r['median']:>8{fmt}} {r['min']:>8{fmt}} {r['max']:>8{fmt}} {base:>9} {ratio:>7}  {r['limit']:<12} {r['result']}"
        )
    b = report["batch"]
    print(
        f'\nbatch ({b["runs"]} timed runs): {b["lines_in"]} lines in, {b["lines_out"]} JSON lines out, {b["lines_with_error"]} with an "error" field'
    )
    print("warm-up (s): " + ", ".join(f"{k} {v:.3f}" for k, v in report["warmup_seconds"].items()))
    print(
        f"first find on the big catalogue (builds its cache): peak RSS {report['first_find_big_peak_rss_mib']:.1f} MiB"
    )
    if report["cache_files"] != 2:
        print(
            f"WARNING: {report['cache_files']} files in the cache directory, 2 expected: a cache was rebuilt mid-run"
        )
    for note in report["notes"]:
        print(f"note: {note}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="timed rounds (default 15)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    parser.add_argument("--strict", action="store_true", help="exit 1 when any target fails")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="approval-bench-"))
    try:
        report = benchmark(max(1, args.runs), work)
    except (RuntimeError, subprocess.CalledProcessError, ValueError) as exc:
        print(f"benchmark aborted: {exc}", file=sys.stderr)
        return 2
    finally:
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=1))
    else:
        print_table(report)
    failed = any(r["result"] == "FAIL" for r in report["targets"])
    return 1 if args.strict and failed else 0


if __name__ == "__main__":
    sys.exit(main())
