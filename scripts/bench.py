"""Performance benchmark of the `approval` CLI against the targets of issue 10, with same-run baselines.

Every timed command runs as its own process, under `/usr/bin/time -v` for its peak RSS (or, where
that is missing, a fresh Python wrapper reading RUSAGE_CHILDREN), with wall time taken around it.
time -v reports the largest single process; so that memory spread over child processes cannot
hide, the whole process tree's summed PSS and RSS are also sampled every 20 ms (Linux /proc), and
the peak judged is the larger of time -v's and the tree's PSS. The sampler costs the processes it
samples CPU (4-11 % of the distinct batch's wall time on 2 cores), so the batches' timed runs are
not sampled: their memory is sampled in runs of their own, whose wall times are printed apart.
Each target runs right beside its baseline (import typer, the warm route, the 272-row find, the
distinct batch), the order swapped every round, so that drift and load spikes of this shared machine
hit both sides alike; a ratio is judged as the median of the per-pair ratios (the ratio of the medians
and of the fastest runs are printed beside it). "First call" measurements run in a fresh, empty
APPROVAL_CACHE_DIR each time (no compiled catalogue, no jieba cache); warm ones share a cache built
by one warm-up run, and the cache directories are checked afterwards for rebuilds.

Generated inputs, all seeded (--seed):
- a 10,000-line batch of distinct, varied lines: the clerk phrasings of scripts/bench_phrasings.yaml
  and purchase wordings (a purchase word + a thing bought), with amounts in many written forms, the
  unit as `unit<TAB>description` (about half), written inside the description, or absent;
- a repetitive batch: 10,000 lines drawn from ~200 of those lines;
- 50,000- and 200,000-row catalogues made from the built-in rows with varied texts, unique ids,
  units and source lines (`raw` kept, as in an exported catalogue).

    .venv/bin/python scripts/bench.py [--quick] [--rounds N] [--json] [--save FILE] [--strict] [--profile]

Needs the package installed in the running interpreter's environment (it reads the phrasings with
PyYAML, a dependency of the package). --strict exits 1 when a target FAILs.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PHRASINGS = HERE / "bench_phrasings.yaml"
BASELINE = [sys.executable, "-c", "import typer"]
TIME_BIN = "/usr/bin/time"
BATCH_LINES = 10_000
REPEATED_WORDINGS = 200
BIG_ROWS = (50_000, 200_000)
# A ~30-character sentence: longer than six characters, so find cuts it into words with jieba.
LONG_SENTENCE = "今年要統一採買駕駛和技工的工作服，要訂領用原則和置裝標準，誰決行"
# (baseline, target) pairs timed side by side in every round.
PAIRS = [
    ("baseline", "route"),
    ("route", "route_cold"),
    ("baseline", "find"),
    ("baseline", "find_long"),
    ("find", "find_50k"),
    ("baseline", "batch_one"),
]
BASE_LABELS = {
    "baseline": "typer",
    "route": "warm route",
    "find": "272-row find",
    "batch_distinct": "distinct",
}
ROUTE_ARGS = ["route", "--unit", "文書組", "--amount", "300000", "--json"]
FIND_ARGS = ["find", "採購"]
# Fallback when /usr/bin/time is missing: a fresh process whose only child is the command, so
# RUSAGE_CHILDREN's peak is that command's. Prints exit code, wall seconds, peak RSS in KiB.
RSS_WRAPPER = (
    "import resource, subprocess, sys, time\n"
    "out = open(sys.argv[1], 'wb') if sys.argv[1] else subprocess.DEVNULL\n"
    "start = time.perf_counter()\n"
    "code = subprocess.run(sys.argv[3:], stdout=out, stderr=open(sys.argv[2], 'wb')).returncode\n"
    "wall = time.perf_counter() - start\n"
    "rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "print(code, wall, rss // 1024 if sys.platform == 'darwin' else rss)\n"
)

# ---------------------------------------------------------------- generated wordings

# Things bought, by what can be done to them: goods are bought; equipment also rented, repaired,
# maintained; printed matter printed; services contracted out.
BUY = ["買", "採購", "購買", "購置", "添購", "採買", "訂購"]
THINGS = {
    "goods": [
        "影印紙",
        "碳粉匣",
        "文具",
        "礦泉水",
        "盆栽",
        "紀念品",
        "國旗",
        "工作服",
        "清潔用品",
        "隨身碟",
        "外接硬碟",
        "LED燈管",
        "飲水機濾心",
        "茶葉",
        "外賓禮品",
        "會議餐盒",
        "公文封",
        "防毒軟體",
    ],
    "equipment": [
        "筆電",
        "冷氣機",
        "辦公桌椅",
        "投影機",
        "公務車",
        "會議室音響",
        "飲水機",
        "監視器",
        "印表機",
        "掃描器",
        "平板電腦",
        "桌上型電腦",
        "伺服器",
        "檔案櫃",
        "碎紙機",
        "滅火器",
        "電梯",
        "發電機",
        "不斷電系統",
        "窗簾",
        "地毯",
        "無線麥克風",
        "數位相機",
        "攝影機",
        "網路交換器",
        "無線基地台",
        "電話總機",
        "傳真機",
        "除濕機",
        "空氣清淨機",
        "會議桌",
        "門禁系統",
        "簡報系統",
        "公務手機",
        "電子看板",
        "公務機車",
        "行車紀錄器",
        "咖啡機",
    ],
    "printed": ["名片", "宣導海報", "活動手冊", "桌曆", "年報", "邀請卡", "識別證"],
    "services": [
        "口譯服務",
        "場地布置",
        "新聞剪報服務",
        "檔案掃描服務",
        "清潔服務",
        "保全服務",
        "網站維護",
        "活動攝影",
        "外語翻譯",
    ],
}
VERBS = {
    "goods": BUY,
    "equipment": [*BUY, "汰換", "租用", "續租", "維修", "修繕"],
    "printed": [*BUY, "印製"],
    "services": ["採購", "委外", "委託辦理", "續約", "發包"],
}
QUANTITY_WORDS = {
    "goods": ["箱", "批", "份"],
    "equipment": ["台", "組", "套"],
    "printed": ["份", "批"],
    "services": ["案"],
}
SERVICES = ["維護委外", "保養合約", "租賃", "維修", "採購案", "汰換", "委外", "維護案", "續約", "議價"]
PERIODS = ["年度", "下半年", "一年期", "115年度", "全年", ""]
PREFIXES = ["", "", "", "請問", "關於", "有關", "想確認", "簽辦", "本案", "擬辦理"]
SUFFIXES = ["", "", "", "事宜", "案", "一案", "，誰決行？", "，要會辦誰", "的流程", "，請示"]
AMOUNT_JOINS = ["{d} {a}", "{d} {a}", "{d}，金額{a}", "{d}（{a}）", "{d}約{a}", "{d}，預算{a}", "{d}{a}"]
DIGITS_CN = "零一二三四五六七八九"
FORMAL_CN = "零壹貳參肆伍陸柒捌玖"


def cn_number(n: int, formal: bool = False) -> str:
    """1..9999 in Chinese numerals as clerks write them: 十五, 二十五, 一百二十, 三千零五."""
    digits, units = (FORMAL_CN, "拾佰仟") if formal else (DIGITS_CN, "十百千")
    out, zero = [], False
    for power in (3, 2, 1, 0):
        d = n // 10**power % 10
        if d == 0:
            zero = bool(out)
            continue
        if zero:
            out.append(digits[0])
            zero = False
        if not (power == 1 and d == 1 and not out and not formal):
            out.append(digits[d])
        if power:
            out.append(units[power - 1])
    return "".join(out)


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "0" <= c <= "9" or c == "," else c for c in text)


def amount_value(rng: random.Random) -> int:
    draw = rng.random()
    if draw < 0.45:
        return (
            rng.choice(
                [1, 2, 3, 5, 8, 10, 12, 15, 18, 20, 25, 30, 35, 40, 45, 50, 60, 80, 100, 120, 150, 300]
            )
            * 10_000
        )
    if draw < 0.65:
        return rng.randint(1, 9) * 1000
    if draw < 0.85:
        return rng.randint(1, 99) * 10_000 + rng.randint(1, 9) * 1000
    return rng.randint(1_000, 2_000_000)


def amount_text(rng: random.Random, value: int) -> str:
    """One of the written forms of an amount: 30萬, 三十萬元, NT$300,000, 1萬5,000元, ３０萬, 8千元…"""
    forms = [f"{value}元", f"{value:,}元", f"NT${value:,}", f"新臺幣{value:,}元", f"{value}"]
    wan, rest = divmod(value, 10_000)
    if wan and not rest:
        forms += [
            f"{wan}萬",
            f"{wan}萬元",
            f"{cn_number(wan)}萬元",
            f"{cn_number(wan)}萬",
            f"新台幣{wan}萬元整",
            f"{cn_number(wan, formal=True)}萬元",
        ]
    elif wan and rest % 1000 == 0:
        forms += [
            f"{wan}萬{rest:,}元",
            f"{wan}萬{rest // 1000}千元",
            f"{cn_number(wan)}萬{cn_number(rest // 1000)}千元",
            f"{value / 10_000:g}萬",
        ]
    elif not wan and rest % 1000 == 0:
        forms += [f"{rest // 1000}千元", f"{cn_number(rest // 1000)}千元", f"{rest // 1000}千"]
    text = rng.choice(forms)
    return full_width(text) if rng.random() < 0.12 else text


def with_amount(rng: random.Random, description: str) -> str:
    return rng.choice(AMOUNT_JOINS).format(d=description, a=amount_text(rng, amount_value(rng)))


def purchase_wording(rng: random.Random) -> str:
    """買筆電, 影印紙採購, 冷氣機年度維護委外, 購置12台投影機…, mostly with an amount."""
    kind = rng.choice(["goods", "equipment", "equipment", "printed", "services"])
    thing, verb, draw = rng.choice(THINGS[kind]), rng.choice(VERBS[kind]), rng.random()
    if draw < 0.4:
        text = f"{verb}{thing}"
    elif draw < 0.6:
        text = f"{thing}{verb}"
    elif draw < 0.8 and kind == "equipment":
        text = f"{thing}{rng.choice(PERIODS)}{rng.choice(SERVICES)}"
    else:
        text = f"{verb}{rng.randint(2, 40)}{rng.choice(QUANTITY_WORDS[kind])}{thing}"
    return with_amount(rng, text) if rng.random() < 0.85 else text


HAS_AMOUNT = re.compile(r"[0-9０-９][0-9０-９,，.]*\s*[萬千元]|[一二三四五六七八九十百千]+萬|[0-9]{4,}")


def phrasing_wording(rng: random.Random, phrasing: str) -> str:
    """A phrasing with a lead-in or a closing word; an amount added to some that state none."""
    text = f"{rng.choice(PREFIXES)}{phrasing}{rng.choice(SUFFIXES)}"
    return with_amount(rng, text) if rng.random() < 0.15 and not HAS_AMOUNT.search(phrasing) else text


def place_unit(rng: random.Random, unit_form: str, description: str) -> str:
    """`unit<TAB>description` for about half; the unit written inside the description, or absent."""
    draw = rng.random()
    if draw < 0.5:
        return f"{unit_form}\t{description}"
    if draw < 0.75 and unit_form not in description:
        return rng.choice(
            [
                f"{unit_form} {description}",
                f"{unit_form}{description}",
                f"{unit_form}：{description}",
                f"{unit_form}要{description}",
            ]
        )
    return description


def unit_form(rng: random.Random, unit: str, short_forms: dict[str, list[str]]) -> str:
    shorts = short_forms.get(unit) or []
    return rng.choice(shorts) if shorts and rng.random() < 0.4 else unit


def load_phrasings() -> list[dict]:
    import yaml

    data = yaml.safe_load(PHRASINGS.read_text(encoding="utf-8"))
    return [{"unit": v["unit"], "phrasings": v["phrasings"]} for _, v in sorted(data.items())]


def distinct_lines(rng: random.Random, units: list[str], short_forms: dict[str, list[str]]) -> list[str]:
    """BATCH_LINES varied lines (65 % clerk phrasings, 35 % purchases), drawn freely: duplicates stay."""
    rows = load_phrasings()
    lines = []
    for _ in range(BATCH_LINES):
        if rng.random() < 0.65:
            row = rng.choice(rows)
            unit = row["unit"] if rng.random() < 0.85 else rng.choice(units)  # some ask the wrong unit
            description = phrasing_wording(rng, rng.choice(row["phrasings"]))
        else:
            unit, description = rng.choice(units), purchase_wording(rng)
        lines.append(place_unit(rng, unit_form(rng, unit, short_forms), description))
    return lines


def repetitive_lines(rng: random.Random, pool: list[str]) -> list[str]:
    wordings = rng.sample(sorted(set(pool)), REPEATED_WORDINGS)
    return [rng.choice(wordings) for _ in range(BATCH_LINES)]


# ---------------------------------------------------------------- big catalogues


def big_catalogue(data: dict, rows: int, rng: random.Random, path: Path) -> tuple[int, int]:
    """`rows` entries from the built-in ones: copy k is under renamed units (總務組k), with unique
    ids and source lines, and its texts varied by words taken from other rows. (bytes, units)."""
    base = data["entries"]
    pieces = [
        e["content"][i : i + n]
        for e in base
        for n in (2, 3, 4)
        for i in range(0, max(len(e["content"]) - n, 0), 3)
    ]
    entries = []
    for n in range(rows):
        k, e = divmod(n, len(base))
        e = base[e]
        if k == 0:
            entries.append(e)
            continue
        varied = dict(e)
        varied["id"] = f"{e['id']}-R{k}"
        varied["unit"] = f"{e['unit']}{k}"
        varied["source_line"] = k * 1000 + e["source_line"]
        varied["content"] = f"{e['content']}（{rng.choice(pieces)}{rng.choice(pieces)}）"
        if rng.random() < 0.5:
            varied["item"] = f"{rng.choice(pieces)}{e['item']}"
        entries.append(varied)
    units = list(dict.fromkeys(e["unit"] for e in entries))
    out = {**data, "metadata": {**data["metadata"], "units": units}, "entries": entries}
    text = json.dumps(out, ensure_ascii=False).encode("utf-8")
    path.write_bytes(text)
    return len(text), len(units)


# ---------------------------------------------------------------- measuring


class TreeMemory:
    """Samples, every 20 ms while a command runs, the summed RSS and PSS of its process and every
    descendant (Linux /proc); keeps the peaks. Elsewhere, or where /proc cannot be read, zeros."""

    def __init__(self, pid: int) -> None:
        import threading

        self.root = pid
        self.peak_rss_kib = self.peak_pss_kib = self.most_processes = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._done.set()
        self._thread.join()

    def _tree(self) -> list[int]:
        found, todo = [], [self.root]
        while todo:
            pid = todo.pop()
            found.append(pid)
            try:  # a process of the tree may end while it is walked
                tasks = list(Path(f"/proc/{pid}/task").glob("*/children"))
            except OSError:
                continue
            for task in tasks:
                with contextlib.suppress(OSError):
                    todo += [int(child) for child in task.read_text().split()]
        return found

    @staticmethod
    def _field(path: str, name: str) -> int:
        with contextlib.suppress(OSError):
            for line in Path(path).read_text().splitlines():
                if line.startswith(name):
                    return int(line.split()[1])
        return 0

    def _watch(self) -> None:
        while not self._done.wait(0.02):
            pids = self._tree()
            rss = sum(self._field(f"/proc/{pid}/status", "VmRSS:") for pid in pids)
            pss = sum(self._field(f"/proc/{pid}/smaps_rollup", "Pss:") for pid in pids)
            self.peak_rss_kib = max(self.peak_rss_kib, rss)
            self.peak_pss_kib = max(self.peak_pss_kib, pss)
            self.most_processes = max(self.most_processes, len(pids))


class Runner:
    def __init__(self, work: Path, env: dict[str, str]) -> None:
        self.work, self.env = work, env
        self.use_time = os.access(TIME_BIN, os.X_OK)
        self.dirs = 0
        self.tree_peaks: list[tuple[str, int, int, int]] = []  # (command end, RSS sum, PSS sum, processes)

    def fresh_dir(self) -> Path:
        self.dirs += 1
        path = self.work / f"cache-empty-{self.dirs}"
        path.mkdir(mode=0o700)
        return path

    def run(
        self, cmd: list[str], cache: Path, out: Path | None = None, ok=(0,), sample_tree: bool = True
    ) -> tuple[float, float, int]:
        """(wall seconds, peak RSS MiB, exit code) of one run of cmd with APPROVAL_CACHE_DIR=cache.
        `sample_tree`: also sample the process tree's PSS every 20 ms (which costs the measured
        processes CPU: a batch's timed runs are not sampled, its memory runs are)."""
        env = {**self.env, "APPROVAL_CACHE_DIR": str(cache)}
        err, stats = self.work / "stderr.txt", self.work / "time.txt"
        if self.use_time:
            with open(out, "wb") if out else open(os.devnull, "wb") as sink, open(err, "wb") as errs:
                start = time.perf_counter()
                proc = subprocess.Popen([TIME_BIN, "-v", "-o", str(stats), *cmd], env=env, stdout=sink, stderr=errs)
                tree = TreeMemory(proc.pid) if sample_tree else None
                proc.wait()
                wall = time.perf_counter() - start
                if tree is not None:
                    tree.stop()
            report = stats.read_text(errors="replace")
            code = int(re.search(r"Exit status: (\d+)", report).group(1))
            kib = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", report).group(1))
            # time -v gives the largest single process; a batch answered by several processes is
            # judged on their memory together: the sampled peak of the tree's summed PSS (shared
            # pages split between the processes that share them). The summed RSS (shared pages
            # counted in each) is kept too, for the report.
            if tree is not None:
                kib = max(kib, tree.peak_pss_kib)
                self.tree_peaks.append((" ".join(cmd[-3:]), tree.peak_rss_kib, tree.peak_pss_kib, tree.most_processes))
        else:
            proc = subprocess.run(
                [sys.executable, "-c", RSS_WRAPPER, str(out or ""), str(err), *cmd],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            code_text, wall_text, kib_text = proc.stdout.split()
            code, wall, kib = int(code_text), float(wall_text), int(kib_text)
        if code not in ok:
            tail = err.read_text(encoding="utf-8", errors="replace").strip()[-800:]
            raise RuntimeError(f"{' '.join(cmd)} exited {code}:\n{tail}")
        return wall, kib / 1024, code


def approval_command() -> list[str]:
    script = Path(sys.executable).parent / "approval"
    return [str(script)] if script.exists() else [sys.executable, "-m", "approval_cli"]


def patched_command(limit_bytes: int) -> list[str]:
    """The CLI with the catalogue read limit (and the cache file limit) raised in its own process:
    what a larger catalogue would cost if src allowed it. Nothing in src is changed."""
    code = (
        "import sys, approval_cli.catalogue.locate as L, approval_cli.catalogue.store as S\n"
        f"L.MAX_CATALOGUE_BYTES = S.MAX_CACHE_FILE_BYTES = {limit_bytes}\n"
        "S.MAX_CACHE_TOTAL_BYTES = 4 * S.MAX_CACHE_FILE_BYTES\n"
        "from approval_cli.cli import main\n"
        "sys.argv[0] = 'approval'\n"
        "main()\n"
    )
    return [sys.executable, "-c", code]


def cache_files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.glob("catalogue-*.cache")) if directory.is_dir() else []


def stats_of(samples: list[tuple[float, float, int]]) -> dict:
    walls, rss = [s[0] for s in samples], [s[1] for s in samples]
    return {
        "n": len(samples),
        "median": statistics.median(walls),
        "min": min(walls),
        "max": max(walls),
        "rss_median": statistics.median(rss),
        "rss_max": max(rss),
        "samples": [round(w, 4) for w in walls],
    }


def check_batch_output(path: Path) -> dict:
    """JSON objects out, by status; a line that is not a JSON object counts as bad."""
    statuses: dict[str, int] = {}
    objects = bad = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            bad += 1
            continue
        if not isinstance(item, dict):
            bad += 1
            continue
        objects += 1
        statuses[item.get("status", "?")] = statuses.get(item.get("status", "?"), 0) + 1
    return {
        "objects": objects,
        "not_json": bad,
        "statuses": dict(sorted(statuses.items(), key=lambda kv: -kv[1])),
    }


# ---------------------------------------------------------------- the benchmark


def benchmark(args: argparse.Namespace, work: Path) -> dict:
    approval = approval_command()
    env = {k: v for k, v in os.environ.items() if not k.startswith("APPROVAL_")}
    runner = Runner(work, env)
    load_before = os.getloadavg() if hasattr(os, "getloadavg") else None
    started = time.perf_counter()
    rng = random.Random(args.seed)

    # Inputs. The export also serves as the first call that builds the warm cache.
    warm = work / "cache-warm"
    warm.mkdir(mode=0o700)
    exported = subprocess.run(
        [*approval, "export", "--format", "json"],
        env={**env, "APPROVAL_CACHE_DIR": str(warm)},
        capture_output=True,
        check=True,
    )
    data = json.loads(exported.stdout)
    units = data["metadata"]["units"]
    short_forms: dict[str, list[str]] = {}
    for short, unit in (data.get("vocabulary") or {}).get("unit_aliases", {}).items():
        short_forms.setdefault(unit, []).append(short)
    distinct = distinct_lines(rng, units, short_forms)
    repetitive = repetitive_lines(rng, distinct)
    batch_distinct, batch_repetitive = work / "batch-distinct.txt", work / "batch-repetitive.txt"
    batch_one = work / "batch-one.txt"  # start-up of a batch: imports, store, jieba, one line
    batch_one.write_text(f"文書組\t{LONG_SENTENCE}\n", encoding="utf-8")
    batch_distinct.write_text("\n".join(distinct) + "\n", encoding="utf-8")
    batch_repetitive.write_text("\n".join(repetitive) + "\n", encoding="utf-8")
    inputs = {
        "batch_distinct": {
            "lines": len(distinct),
            "distinct": len(set(distinct)),
            "distinct_share": len(set(distinct)) / len(distinct),
            "with_tab": sum("\t" in line for line in distinct) / len(distinct),
            "bytes": batch_distinct.stat().st_size,
            "examples": distinct[:8],
        },
        "batch_repetitive": {"lines": len(repetitive), "distinct": len(set(repetitive))},
        "long_sentence": {"text": LONG_SENTENCE, "chars": len(LONG_SENTENCE)},
    }
    bigs = {}
    for rows in BIG_ROWS if not args.quick else BIG_ROWS[:1]:
        path = work / f"catalogue-{rows}.json"
        size, unit_count = big_catalogue(data, rows, random.Random(args.seed + rows), path)
        bigs[rows] = path
        inputs[f"catalogue_{rows}"] = {"rows": rows, "bytes": size, "units": unit_count}
    inputs["catalogue_builtin_rows"] = len(data["entries"])
    if hasattr(os, "sync"):
        os.sync()  # the generated files' writeback must not land inside the timed runs
    del data, exported

    commands = {
        "baseline": BASELINE,
        "route": [*approval, *ROUTE_ARGS],
        "route_cold": [*approval, *ROUTE_ARGS],
        "find": [*approval, *FIND_ARGS],
        "find_long": [*approval, "find", LONG_SENTENCE],
        "find_50k": [*approval, "--catalogue", str(bigs[BIG_ROWS[0]]), *FIND_ARGS],
        "batch_one": [*approval, "batch", str(batch_one)],
        "batch_distinct": [*approval, "batch", str(batch_distinct)],
        "batch_repetitive": [*approval, "batch", str(batch_repetitive)],
    }
    warm_50k = work / "cache-warm-50k"
    warm_50k.mkdir(mode=0o700)
    batch_out = {
        name: work / f"{name}.out.jsonl" for name in ("batch_one", "batch_distinct", "batch_repetitive")
    }
    heavy = ("batch_distinct", "batch_repetitive")

    cold_built = []  # per empty-cache run: did it write a compiled catalogue (so it really was cold)?

    def cold(cmd: list[str]) -> tuple[float, float, int]:
        directory = runner.fresh_dir()  # no compiled catalogue, no jieba cache
        sample = runner.run(cmd, directory)
        cold_built.append(bool(cache_files(directory)))
        shutil.rmtree(directory, ignore_errors=True)
        return sample

    def once(name: str, memory_run: bool = False) -> tuple[float, float, int]:
        cmd = commands[name]
        if name == "route_cold":
            return cold(cmd)
        if name == "find_50k":
            return runner.run(cmd, warm_50k)
        if name.startswith("batch"):
            # A batch exits 1, 2 or 4 when some lines had no match, bad input or no single decider.
            # Its timed runs are not sampled: sampling the tree's PSS every 20 ms took 4-11 % of
            # the wall time of the distinct batch on 2 cores (the sampler reads smaps_rollup,
            # which walks each process's pages). Its memory is measured in runs of its own below.
            sample = memory_run or name not in heavy
            return runner.run(cmd, warm, out=batch_out[name], ok=(0, 1, 2, 4), sample_tree=sample)
        return runner.run(cmd, warm)

    # Warm-up: the jieba cache in the warm directory, the 50k cache in its own, the OS file cache.
    warmup = {name: round(once(name)[0], 3) for name in commands if name not in heavy}
    warm_files = {"builtin": cache_files(warm), "50k": cache_files(warm_50k)}

    # Rounds of pairs: each target right beside its baseline, the order swapped every round (ABBA),
    # so drift and load spikes of this shared machine hit both alike; the ratio judged is the median
    # of the per-pair ratios. The batches pair only while their budget lasts.
    samples: dict[str, list] = {name: [] for name in commands}
    paired: dict[str, tuple[str, list[float]]] = {}
    batch_spent = 0.0
    for round_no in range(args.rounds):
        plan = list(PAIRS)
        if round_no < args.batch_rounds and batch_spent <= args.batch_budget:
            plan.append(heavy)
        for base, name in plan:
            order = (base, name) if round_no % 2 == 0 else (name, base)
            got = {n: once(n) for n in order}
            samples[base].append(got[base])
            samples[name].append(got[name])
            paired.setdefault(name, (base, []))[1].append(got[name][0] / got[base][0])
            if name in heavy:
                batch_spent += got[base][0] + got[name][0]
    outputs = {name: check_batch_output(batch_out[name]) for name in heavy}
    # The batches' memory: runs of their own with the process tree sampled (their wall time is kept
    # apart, for the report: the sampler slows what it samples).
    memory_runs = {name: [once(name, memory_run=True) for _ in range(max(1, min(2, args.batch_rounds)))] for name in heavy}

    # Long-sentence find with nothing cached (builds the catalogue cache and jieba's parsed dictionary).
    long_cold = [cold(commands["find_long"]) for _ in range(args.first_calls)]

    # First calls on the big catalogues, each in an empty cache directory, each beside a baseline run.
    first: dict[int, list] = {}
    first_base: list = []
    big_warm: dict[int, list] = {}
    shipped: dict[int, dict] = {}
    for rows, path in bigs.items():
        cmd = [*approval, "--catalogue", str(path), *FIND_ARGS]
        if rows == BIG_ROWS[0]:
            first[rows] = []
            for _ in range(args.first_calls):
                first_base.append(runner.run(BASELINE, warm))
                first[rows].append(cold(cmd))
            continue
        # 200,000 rows: as shipped, then (if refused) with the read limit raised in the process only.
        wall, rss, code = runner.run(cmd, runner.fresh_dir(), ok=(0, 1, 2, 3, 4, 5, 6))
        message = (work / "stderr.txt").read_text(encoding="utf-8", errors="replace").strip()
        shipped[rows] = {"wall": wall, "rss": rss, "exit": code, "message": message[:300]}
        if code != 0:
            cmd = [*patched_command(1 << 30), "--catalogue", str(path), *FIND_ARGS]
        cache = runner.fresh_dir()
        first[rows] = [runner.run(cmd, cache)]
        shipped[rows]["cache_written"] = bool(cache_files(cache))
        big_warm[rows] = [runner.run(cmd, cache) for _ in range(args.big_warm)]
        shipped[rows]["cache_files_after_warm"] = len(cache_files(cache))

    rebuilt = {
        "builtin": cache_files(warm) != warm_files["builtin"],
        "50k": cache_files(warm_50k) != warm_files["50k"],
    }
    s = {name: stats_of(values) for name, values in samples.items() if values}
    for name, runs in memory_runs.items():
        if name in s:
            s[name]["rss_max"] = max(s[name]["rss_max"], *(rss for _, rss, _ in runs))
            s[name]["memory_runs_wall"] = [round(wall, 4) for wall, _, _ in runs]
    s["find_long_cold"] = stats_of(long_cold)
    s["baseline_beside_first_calls"] = stats_of(first_base) if first_base else None
    for rows in bigs:
        s[f"first_{rows}"] = stats_of(first[rows])
        if rows in big_warm:
            s[f"find_{rows // 1000}k"] = stats_of(big_warm[rows])

    for name, (base, ratios) in paired.items():
        s[name]["paired_with"] = BASE_LABELS[base]
        s[name]["paired_ratios"] = [round(r, 4) for r in ratios]
    rows_out = targets(s, outputs, inputs, bigs, shipped)
    return {
        "machine": machine_facts(),
        "settings": {
            "rounds": args.rounds,
            "batch_rounds": args.batch_rounds,
            "first_calls": args.first_calls,
            "seed": args.seed,
            "quick": args.quick,
            "command": approval,
            "peak_rss_by": "/usr/bin/time -v" if runner.use_time else "RUSAGE_CHILDREN in a fresh wrapper",
        },
        "load_average": {"before": load_before, "after": os.getloadavg() if load_before else None},
        "inputs": inputs,
        "targets": rows_out,
        "stats": s,
        "batch_outputs": outputs,
        "warmup_seconds": warmup,
        "cache_rebuilt_mid_run": rebuilt,
        "empty_cache_runs_that_built_a_cache": [sum(cold_built), len(cold_built)],
        "catalogue_200k": shipped.get(BIG_ROWS[1]),
        "batch_process_trees": {
            name: {
                "processes": max((p for c, _, _, p in runner.tree_peaks if c.endswith(str(path))), default=0),
                "rss_sum_mib": round(max((r for c, r, _, _ in runner.tree_peaks if c.endswith(str(path))), default=0) / 1024, 1),
                "pss_sum_mib": round(max((q for c, _, q, _ in runner.tree_peaks if c.endswith(str(path))), default=0) / 1024, 1),
            }
            for name, path in (("batch_distinct", batch_distinct), ("batch_repetitive", batch_repetitive))
        },
        "elapsed_seconds": round(time.perf_counter() - started, 1),
    }


def target(
    name: str,
    st: dict | None,
    *,
    value: str = "median",
    base: dict | None = None,
    base_name: str = "",
    ratio_limit: float | None = None,
    limit: float | None = None,
    unit: str = "s",
    info: bool = False,
) -> dict:
    """One row of the report. value: which statistic is judged (median wall, or max peak RSS).
    A ratio is the median of the per-pair ratios when the target was paired with this baseline,
    else the ratio of the medians; both, and the ratio of the fastest runs, are kept."""
    if st is None:
        return {"target": name, "result": "SKIP"}
    figure = st["rss_max"] if value == "rss_max" else st[value]
    ratio = ratio_of_medians = ratio_of_mins = None
    if base is not None and value != "rss_max":
        ratio_of_medians, ratio_of_mins = st["median"] / base["median"], st["min"] / base["min"]
        pairs = st.get("paired_ratios")
        ratio = statistics.median(pairs) if pairs and st.get("paired_with") == base_name else ratio_of_medians
    if ratio_limit is not None:
        ok, shown = ratio is not None and ratio <= ratio_limit, f"<= {ratio_limit:g}x {base_name}"
    elif limit is not None:
        ok, shown = figure <= limit, f"<= {limit:g} {unit}"
    else:
        ok, shown = True, "(report)"
    judged = ratio_limit is not None or limit is not None
    result = ("PASS" if ok else "FAIL") if judged and not info else "info"
    if info and judged:
        shown = f"({shown}: {'within' if ok else 'over'})"
    return {
        "target": name,
        "unit": unit,
        "figure": figure,
        "judged": value,
        "median": st["median"],
        "min": st["min"],
        "max": st["max"],
        "n": st["n"],
        "rss_max": st["rss_max"],
        "baseline": base["median"] if base else None,
        "baseline_name": base_name,
        "ratio": ratio,
        "ratio_of_medians": ratio_of_medians,
        "ratio_of_mins": ratio_of_mins,
        "limit": shown,
        "result": result,
    }


def targets(s: dict, outputs: dict, inputs: dict, bigs: dict, shipped: dict) -> list[dict]:
    typer, small = s["baseline"], BIG_ROWS[0]
    long_name = f"find {inputs['long_sentence']['chars']}-char sentence (jieba)"
    rows = [
        target("route --json (warm)", s["route"], base=typer, base_name="typer", ratio_limit=1.4),
        target(
            "route --json, empty cache",
            s["route_cold"],
            base=s["route"],
            base_name="warm route",
            ratio_limit=2,
        ),
        target("find 採購 (human, warm)", s["find"], base=typer, base_name="typer", ratio_limit=1.6),
        target(long_name, s["find_long"], base=typer, base_name="typer", ratio_limit=1.6, info=True),
        target("  same, empty cache", s["find_long_cold"], base=typer, base_name="typer", info=True),
        target("batch, 1 line (start-up)", s["batch_one"], base=typer, base_name="typer", info=True),
        target("batch 10,000 distinct", s.get("batch_distinct"), limit=3.0),
        target("  peak RSS (max)", s.get("batch_distinct"), value="rss_max", limit=100, unit="MiB"),
        target(
            "batch 10,000 repetitive",
            s.get("batch_repetitive"),
            base=s.get("batch_distinct"),
            base_name="distinct",
            ratio_limit=1.0,
        ),
        target(
            "  peak RSS (max)", s.get("batch_repetitive"), value="rss_max", limit=100, unit="MiB", info=True
        ),
        target(f"{small:,} rows: first call", s[f"first_{small}"], limit=4.0),
        target("  peak RSS (max)", s[f"first_{small}"], value="rss_max", limit=250, unit="MiB"),
        target(
            f"{small:,} rows: find (warm)",
            s["find_50k"],
            base=s["find"],
            base_name="272-row find",
            ratio_limit=2,
        ),
    ]
    if BIG_ROWS[1] in bigs:
        big = BIG_ROWS[1]
        tag = "*" if shipped[big]["exit"] != 0 else ""
        rows += [
            target(f"{big:,} rows: first call{tag}", s[f"first_{big}"], info=True),
            target("  peak RSS", s[f"first_{big}"], value="rss_max", unit="MiB", info=True),
            target(
                f"{big:,} rows: find (warm){tag}",
                s[f"find_{big // 1000}k"],
                base=s["find"],
                base_name="272-row find",
                info=True,
            ),
        ]
    for name in ("batch_distinct", "batch_repetitive"):
        out = outputs.get(name)
        if out and out["objects"] != BATCH_LINES:
            for row in rows:
                if row["target"].startswith(f"batch 10,000 {name.split('_')[1]}"):
                    row["result"] = "FAIL"
                    row["limit"] += f" ({out['objects']} lines out)"
    return rows


def machine_facts() -> dict[str, str]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor() or "?"
    return {
        "python": f"{platform.python_version()} ({sys.executable})",
        # Same figure as `nproc`: the CPUs this process may run on, not the machine total.
        "nproc": str(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()),
        "cpu": cpu,
        "typer": importlib.metadata.version("typer"),
        "approval-cli": importlib.metadata.version("approval-cli"),
        "platform": platform.platform(),
    }


def pad(text: str, width: int) -> str:
    """Left-justify to `width` terminal cells (CJK characters take two)."""
    import unicodedata

    cells = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(width - cells, 0)


def print_table(report: dict) -> None:
    for key, value in report["machine"].items():
        print(f"{key:<13} {value}")
    st = report["settings"]
    print(
        f"rounds        {st['rounds']} of side-by-side pairs, order swapped each round (batches: {st['batch_rounds']}), "
        f"first calls: {st['first_calls']}, "
        f"seed {st['seed']}, peak RSS by {st['peak_rss_by']}"
    )
    if report["load_average"]["before"]:
        print(
            "load average  before "
            + " ".join(f"{x:.2f}" for x in report["load_average"]["before"])
            + ", after "
            + " ".join(f"{x:.2f}" for x in report["load_average"]["after"])
        )
    b = report["inputs"]["batch_distinct"]
    print(
        f"batch input   {b['lines']:,} lines, {b['distinct']:,} distinct ({b['distinct_share']:.2%}), "
        f"{b['with_tab']:.0%} as unit<TAB>description; repetitive: "
        f"{report['inputs']['batch_repetitive']['distinct']} distinct wordings"
    )
    for key, value in report["inputs"].items():
        if key.startswith("catalogue_") and isinstance(value, dict):
            print(
                f"catalogue     {value['rows']:,} rows, {value['units']:,} units, {value['bytes'] / 2**20:.1f} MiB JSON"
            )
    print()
    header = (
        f"{'target':<38} {'median':>7} {'min':>7} {'max':>7} {'n':>3} {'RSS max':>8} {'baseline':>9} "
        f"{'ratio':>6}  {'limit':<28} result"
    )
    print(header)
    print("-" * len(header))
    for r in report["targets"]:
        if r["result"] == "SKIP":
            print(f"{pad(r['target'], 38)} (skipped)")
            continue
        if r["judged"] == "rss_max":
            print(
                f"{pad(r['target'], 38)} {'':>7} {'':>7} {'':>7} {r['n']:>3} {r['rss_max']:>7.1f}M {'':>9} {'':>6}  "
                f"{r['limit']:<28} {r['result']}"
            )
            continue
        base = f"{r['baseline']:.3f}" if r["baseline"] is not None else "-"
        ratio = f"{r['ratio']:.2f}x" if r["ratio"] is not None else "-"
        print(
            f"{pad(r['target'], 38)} {r['median']:>7.3f} {r['min']:>7.3f} {r['max']:>7.3f} {r['n']:>3} "
            f"{r['rss_max']:>7.1f}M {base:>9} {ratio:>6}  {r['limit']:<28} {r['result']}"
        )
    print()
    print(
        "ratio = median of the per-pair ratios (target / baseline run beside it); the ratio of the medians and"
    )
    print("of the fastest runs, for the spread:")
    for r in report["targets"]:
        if r.get("ratio_of_medians") is not None:
            print(
                f"  {pad(r['target'].strip(), 44)} judged {r['ratio']:.2f}x, of medians {r['ratio_of_medians']:.2f}x, "
                f"of mins {r['ratio_of_mins']:.2f}x  (vs {r['baseline_name']})"
            )
    print()
    s = report["stats"]
    print(
        f"baseline `python -c 'import typer'`: median {s['baseline']['median']:.3f} s "
        f"(min {s['baseline']['min']:.3f}, max {s['baseline']['max']:.3f}), peak RSS {s['baseline']['rss_max']:.1f} MiB"
    )
    if s.get("baseline_beside_first_calls"):
        print(f"baseline beside the first calls: median {s['baseline_beside_first_calls']['median']:.3f} s")
    for name, out in report["batch_outputs"].items():
        print(
            f"{name}: {out['objects']:,} JSON lines out ({out['not_json']} not JSON); statuses {out['statuses']}"
        )
    big = report.get("catalogue_200k")
    if big:
        if big["exit"]:
            print(
                "* the 200,000-row file is over the 64 MB catalogue read limit (locate.MAX_CATALOGUE_BYTES): "
                "measured with that limit and the cache-file limit raised inside the measured process only"
            )
        print(
            f"200,000 rows as shipped: exit {big['exit']} after {big['wall']:.2f} s, peak RSS {big['rss']:.1f} MiB"
            + (f": {big['message'].splitlines()[0] if big['message'] else ''}" if big["exit"] else "")
            + f"; the run with the limit raised wrote its cache: {big['cache_written']}"
        )
    print("warm-up (s): " + ", ".join(f"{k} {v:.2f}" for k, v in report["warmup_seconds"].items()))
    built, runs = report["empty_cache_runs_that_built_a_cache"]
    print(f"empty-cache runs that compiled and wrote the catalogue cache: {built} of {runs}")
    for name, tree in report.get("batch_process_trees", {}).items():
        print(
            f"{name}: up to {tree['processes']} processes (with /usr/bin/time); their memory together, sampled "
            f"every 20 ms: PSS {tree['pss_sum_mib']:.1f} MiB (judged), RSS summed {tree['rss_sum_mib']:.1f} MiB "
            "(pages they share counted in each); wall time of those sampled runs (not judged): "
            + ", ".join(f"{w:.2f} s" for w in report["stats"].get(name, {}).get("memory_runs_wall", []))
        )
    rebuilt = [k for k, v in report["cache_rebuilt_mid_run"].items() if v]
    if rebuilt:
        print(f"WARNING: cache rebuilt mid-run for {', '.join(rebuilt)}: warm figures may include rebuilds")
    print(f"elapsed {report['elapsed_seconds']:.0f} s")
    print(
        "notes: wall time per process, start-up included; time limits judged on the median, peak RSS limits "
        "on the max over runs (peak RSS = the larger of time -v's and the sampled PSS of the whole process "
        "tree); 'first call' = an empty APPROVAL_CACHE_DIR of its own."
    )


# ---------------------------------------------------------------- profile (--profile)


def profile(work: Path, batch_file: Path, env: dict[str, str], cache: Path, timing: dict | None) -> dict:
    """cProfile of one warm distinct batch: the top functions, and the per-line work split into
    disjoint parts (make_query, jieba, ranked, evaluate_conditions, _choices, JSON never nest in one
    another; their callers were checked). `timing`: {"batch": s, "one_line": s} from the timed runs,
    to turn the profiled shares into real milliseconds per line."""
    import pstats

    out = work / "batch.prof"
    cmd = [sys.executable, "-m", "cProfile", "-o", str(out), "-m", "approval_cli", "batch", str(batch_file)]
    start = time.perf_counter()
    subprocess.run(cmd, env={**env, "APPROVAL_CACHE_DIR": str(cache)}, stdout=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - start
    stats = pstats.Stats(str(out)).stats
    total = sum(v[2] for v in stats.values())

    def key(file: str, func: str):
        return next((k for k in stats if k[0].endswith(os.sep + file) and k[2] == func), None)

    def cum(file: str, func: str) -> float:
        k = key(file, func)
        return stats[k][3] if k else 0.0

    def calls(file: str, func: str) -> int:
        k = key(file, func)
        return stats[k][1] if k else 0

    def cum_via(file: str, func: str, caller: str) -> float:
        k = key(file, func)
        return sum(v[3] for c, v in stats[k][4].items() if c[2] == caller) if k else 0.0

    jieba_in_query = cum_via("segment.py", "words", "_protected_cut")
    jieba_all = cum("segment.py", "words")
    parts = {
        "understanding (make_query, without jieba)": cum("match.py", "make_query") - jieba_in_query,
        "jieba (segment.words)": jieba_all,
        "ranking (core.ranked)": cum("core.py", "ranked"),
        "conditions (evaluate_conditions)": cum("core.py", "evaluate_conditions"),
        "split tasks (core._choices, without jieba)": cum("core.py", "_choices")
        - (jieba_all - jieba_in_query),
    }
    per_line = cum("batch.py", "answer_line")
    parts["other route/find work"] = per_line - sum(parts.values())
    parts["JSON (json_line + write)"] = cum("jsonout.py", "json_line") + cum("batch.py", "emit")
    work_total = per_line + parts["JSON (json_line + write)"]
    scale = None
    if timing and timing.get("batch") and timing.get("one_line") is not None:
        scale = max(timing["batch"] - timing["one_line"], 0.0) / work_total if work_total else None
    breakdown = {
        label: {
            "profiled": value,
            "share": value / work_total if work_total else 0.0,
            "ms_per_line": 1000 * value * scale / BATCH_LINES if scale else None,
        }
        for label, value in parts.items()
    }
    notes = {
        "make_query calls": calls("match.py", "make_query"),
        "make_query calls from answer_line (unit read from the text, then again in route/find)": calls_via(
            stats, key("match.py", "make_query"), "answer_line"
        ),
        "make_query seconds from answer_line": cum_via("match.py", "make_query", "answer_line"),
        "lines answered (answer_line calls)": calls("batch.py", "answer_line"),
        "ranked calls": calls("core.py", "ranked"),
        "ranked seconds via find (lines with no unit: every unit ranked)": cum_via(
            "core.py", "ranked", "find"
        ),
        "_route_without_unit calls / seconds": [
            calls("batch.py", "_route_without_unit"),
            cum("batch.py", "_route_without_unit"),
        ],
        "jieba seconds in make_query / in split tasks": [jieba_in_query, jieba_all - jieba_in_query],
        "match._score calls / seconds": [calls("match.py", "_score"), cum("match.py", "_score")],
    }
    # The call stack above the per-line work (exec, runpy, cli.main, click, batch_command, run_batch)
    # holds ~100 % each; it is listed apart so the top 15 says where the time goes.
    ordered = sorted(stats.items(), key=lambda kv: -kv[1][3])
    stack = [kv for kv in ordered if kv[1][3] >= 0.9 * total]
    below = [kv for kv in ordered if kv[1][3] < 0.9 * total]

    def shown(k) -> str:
        return f"{Path(k[0]).name}:{k[1]}({k[2]})"

    return {
        "wall_under_profiler": wall,
        "profiled_total": total,
        "stack_frames": [shown(k) for k, _ in stack],
        "top15_cumulative": [
            {"function": shown(k), "calls": v[1], "tottime": v[2], "cumulative": v[3]} for k, v in below[:15]
        ],
        "top10_self": [
            {"function": shown(k), "calls": v[1], "tottime": v[2], "cumulative": v[3]}
            for k, v in sorted(stats.items(), key=lambda kv: -kv[1][2])[:10]
        ],
        "breakdown": breakdown,
        "timing": timing,
        "notes": notes,
    }


def calls_via(stats: dict, k, caller: str) -> int:
    return sum(v[1] for c, v in stats[k][4].items() if c[2] == caller) if k else 0


def print_profile(result: dict) -> None:
    print(
        f"\nprofile of one warm distinct batch: {result['wall_under_profiler']:.2f} s under cProfile "
        f"({result['profiled_total']:.2f} s profiled)"
    )
    print("call stack above the work (~100 % each): " + ", ".join(result["stack_frames"]))
    print(f"{'cumulative':>10} {'tottime':>8} {'calls':>8}  function (top 15 by cumulative time below it)")
    for row in result["top15_cumulative"]:
        print(f"{row['cumulative']:>10.3f} {row['tottime']:>8.3f} {row['calls']:>8}  {row['function']}")
    print(f"{'tottime':>10} {'cumul.':>8} {'calls':>8}  function (top 10 by own time)")
    for row in result["top10_self"]:
        print(f"{row['tottime']:>10.3f} {row['cumulative']:>8.3f} {row['calls']:>8}  {row['function']}")
    timing = result["timing"] or {}
    print(f"\n{'per-line work (disjoint parts)':<44} {'profiled s':>10} {'share':>6} {'real ms/line':>12}")
    for label, part in result["breakdown"].items():
        real = f"{part['ms_per_line']:.3f}" if part["ms_per_line"] is not None else "-"
        print(f"{label:<44} {part['profiled']:>10.3f} {part['share']:>6.1%} {real:>12}")
    if timing:
        print(
            f"start-up (a 1-line batch, timed without profiler): {timing['one_line']:.3f} s; "
            f"10,000-line batch median {timing['batch']:.3f} s; real ms/line = profiled share x "
            f"(batch - start-up) / 10,000"
        )
    for label, value in result["notes"].items():
        shown = (
            ", ".join(f"{v:.3f}" if isinstance(v, float) else str(v) for v in value)
            if isinstance(value, list)
            else (f"{value:.3f}" if isinstance(value, float) else str(value))
        )
        print(f"  {label}: {shown}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15, help="rounds of side-by-side pairs (15)")
    parser.add_argument("--batch-rounds", type=int, default=5, help="rounds that also pair both batches (5)")
    parser.add_argument(
        "--batch-budget",
        type=float,
        default=120.0,
        help="seconds of batch runs after which later rounds skip the batches (120)",
    )
    parser.add_argument(
        "--first-calls", type=int, default=3, help="empty-cache runs per first-call target (3)"
    )
    parser.add_argument("--big-warm", type=int, default=3, help="warm finds on the 200,000-row catalogue (3)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="3 rounds, 2 with batches, 1 first call, no 200,000-row catalogue (~1 min)",
    )
    parser.add_argument("--seed", type=int, default=10, help="seed of every generated input (10)")
    parser.add_argument("--profile", action="store_true", help="also profile one distinct batch (cProfile)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    parser.add_argument("--strict", action="store_true", help="exit 1 when any target FAILs")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--save", metavar="FILE", help="also write the JSON report to FILE")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.batch_rounds, args.first_calls = 3, 2, 1
    args.rounds, args.first_calls = max(1, args.rounds), max(1, args.first_calls)
    work = Path(tempfile.mkdtemp(prefix="approval-bench-"))
    try:
        report = benchmark(args, work)
        if args.profile:
            env = {k: v for k, v in os.environ.items() if not k.startswith("APPROVAL_")}
            timing = (
                {
                    "batch": report["stats"]["batch_distinct"]["median"],
                    "one_line": report["stats"]["batch_one"]["median"],
                }
                if "batch_distinct" in report["stats"]
                else None
            )
            report["profile"] = profile(work, work / "batch-distinct.txt", env, work / "cache-warm", timing)
    except (RuntimeError, subprocess.CalledProcessError, ValueError, OSError) as exc:
        print(f"benchmark aborted: {exc}", file=sys.stderr)
        return 2
    finally:
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    if args.save:
        Path(args.save).write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=1))
    else:
        print_table(report)
        if "profile" in report:
            print_profile(report["profile"])
    failed = any(r["result"] == "FAIL" for r in report["targets"])
    return 1 if args.strict and failed else 0


if __name__ == "__main__":
    sys.exit(main())
