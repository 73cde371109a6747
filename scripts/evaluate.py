"""Score the lookup on a frozen, blind-written evaluation set (tests/data/blind/<set>/).

    python scripts/evaluate.py                 # every set, the summary
    python scripts/evaluate.py set1 --misses   # one set, with every miss listed
    python scripts/evaluate.py --json          # the figures as JSON

A set is what writers who never saw the code wrote from the dump and DOMAIN.md alone
(see ../shared/BLIND_SETS.md): find_*.yaml (query, unit, expect lines, class), route*.yaml (unit,
query, amount, expect lines, final approver), directives*.yaml (a directive's text in a meeting
record of the set, the units, expect lines). Labels change only when the dump proves them wrong,
in a commit that says which and why. This script only reads them; it never tunes anything.

The scores go through the library functions the CLI uses (approval_cli.answers.core), so what is measured
is what a clerk gets.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))  # run from a plain checkout too

BLIND = ROOT / "tests" / "data" / "blind"
ROLE_WORDS = {"秘書長": "處長", "副秘書長": "副處長"}
# The seed record as the writers cited it, and its byte-identical copy in tests/data.
SEED_COPIES = {"004_8c74ff8139f25c9b.txt": "minutes_seed_108.txt"}


def load_yaml(path: Path) -> list[dict]:
    import yaml

    return yaml.safe_load(path.read_text(encoding="utf-8")) or []


def canonical_role(text: str | None) -> str | None:
    """「副處長（副秘書長）」, 「秘書長」 and 「處長」 alike name one role."""
    if text is None:
        return None
    role = str(text).split("（")[0].split("(")[0].strip()
    return ROLE_WORDS.get(role, role)


def _refused(result: dict) -> bool:
    return not result.get("matches") or result.get("status") == "no_match"


def score_find(store, items: list[dict]) -> dict:
    from approval_cli.answers.core import find
    from approval_cli.errors import ApprovalError

    totals: dict = defaultdict(lambda: [0, 0, 0])  # class → [n, top1, top3]
    ranked_first = 0  # top-1 had nothing been refused: tells ranking from the answer threshold
    misses: list[dict] = []
    no_row = [0, 0]  # [n, refused]
    wrong_refusals = 0
    for item in items:
        try:
            result = find(store, item["query"], item.get("unit"), limit=10)
        except ApprovalError as error:
            result = {"matches": [], "error": error.message}
        lines = [m["source_line"] for m in result.get("matches", [])]
        refused = _refused(result)
        if not item["expect"]:
            no_row[0] += 1
            no_row[1] += refused
            if not refused:
                misses.append({**item, "got": lines[:3], "why": "answered a no-row query"})
            continue
        top1 = not refused and bool(lines) and lines[0] in item["expect"]
        top3 = not refused and bool(set(lines[:3]) & set(item["expect"]))
        wrong_refusals += refused
        ranked_first += bool(lines) and lines[0] in item["expect"]
        for key in (item["class"], "all"):
            totals[key][0] += 1
            totals[key][1] += top1
            totals[key][2] += top3
        if not top1:
            misses.append({**item, "got": lines[:3], "why": "refused" if refused else "ranked"})
    n = totals["all"][0]
    return {
        "answerable": n,
        "top1": _share(totals["all"][1], n),
        "top3": _share(totals["all"][2], n),
        "wrong_refusals": wrong_refusals,
        "top1_ignoring_refusals": _share(ranked_first, n),
        "no_row": no_row[0],
        "no_row_refused": no_row[1],
        "by_class": {k: {"n": v[0], "top1": _share(v[1], v[0]), "top3": _share(v[2], v[0])}
                     for k, v in sorted(totals.items()) if k != "all"},
        "misses": misses,
    }  # fmt: skip


def score_route(store, items: list[dict]) -> dict:
    from approval_cli.answers.core import route
    from approval_cli.errors import ApprovalError
    from approval_cli.text.amounts import parse_amount

    right = answerable = wrong_refusals = no_row = no_row_refused = 0
    by_class: dict = defaultdict(lambda: [0, 0])
    misses: list[dict] = []
    for item in items:
        try:
            amount = parse_amount(str(item["amount"])) if item.get("amount") not in (None, "") else None
            result = route(store, item["query"], item["unit"], amount)
        except ApprovalError as error:
            result = {"match": None, "reason": "error", "error": error.message}
        match = result.get("match")
        choices = result.get("choices") or []
        # What the clerk is shown as the answer: the row, the parts of a split task, and the topical
        # row shown beside a purchase's band.
        shown = ([match] if match else []) + choices + (result.get("related") or [])
        got_lines = list(dict.fromkeys(row["source_line"] for row in shown))
        final = canonical_role(result.get("final_approver"))
        if not item["expect"]:
            no_row += 1
            refused = match is None and not choices
            no_row_refused += refused
            if not refused:
                misses.append({**item, "got": got_lines, "got_final": final, "why": "answered a no-row case"})
            continue
        answerable += 1
        by_class[item["class"]][0] += 1
        wanted = canonical_role(item.get("final"))
        if wanted == "ambiguous":
            ok = set(item["expect"]) <= set(got_lines)
        else:
            ok = bool(got_lines) and got_lines[0] in item["expect"] and final == wanted
        refused = match is None and not choices
        wrong_refusals += refused
        right += ok
        by_class[item["class"]][1] += ok
        if not ok:
            why = result.get("reason") or ("refused" if refused else "wrong row or approver")
            misses.append({**item, "got": got_lines, "got_final": final, "why": why})
    return {
        "answerable": answerable,
        "right": _share(right, answerable),
        "wrong_refusals": wrong_refusals,
        "wrong_refusal_rate": _share(wrong_refusals, answerable),
        "no_row": no_row,
        "no_row_refused": no_row_refused,
        "by_class": {k: {"n": v[0], "right": _share(v[1], v[0])} for k, v in sorted(by_class.items())},
        "misses": misses,
    }


def score_triage(store, items: list[dict], folder: Path) -> dict:
    from approval_cli.answers.core import triage_record
    from approval_cli.text.normalize import fold

    records: dict[str, list[dict]] = {}
    with_row = right = without_row = kept_quiet = found = 0
    misses: list[dict] = []
    for item in items:
        name = item["file"]
        if name not in records:
            path = folder / name
            if not path.exists():
                path = ROOT / "tests" / "data" / SEED_COPIES.get(name, name)
            records[name] = triage_record(store, path.read_bytes()).to_dict()["items"]
        key = fold(item["text"])
        owner = next((it for it in records[name] if key and key in fold(it.get("text") or "")), None)
        if owner is None:
            owner = next((it for it in records[name] if key and key in fold(it.get("context") or "")), None)
        lines = [m["source_line"] for m in (owner or {}).get("matches", [])]
        found += owner is not None
        if item["expect"]:
            with_row += 1
            ok = bool(set(lines) & set(item["expect"]))
            right += ok
            if not ok:
                misses.append({**item, "got": lines, "why": "not an item" if owner is None else "no right row"})
        else:
            without_row += 1
            quiet = not lines
            kept_quiet += quiet
            if not quiet:
                misses.append({**item, "got": lines, "why": "suggested a row where none fits"})
    return {
        "directives": len(items),
        "found_as_items": found,
        "with_row": with_row,
        "right": _share(right, with_row),
        "without_row": without_row,
        "kept_quiet": _share(kept_quiet, without_row),
        "misses": misses,
    }


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def evaluate(store, folder: Path) -> dict:
    out: dict = {"set": folder.name}
    finds = [item for path in sorted(folder.glob("find*.yaml")) for item in load_yaml(path)]
    routes = [item for path in sorted(folder.glob("route*.yaml")) for item in load_yaml(path)]
    directives = [item for path in sorted(folder.glob("directives*.yaml")) for item in load_yaml(path)]
    if finds:
        out["find"] = score_find(store, finds)
    if routes:
        out["route"] = score_route(store, routes)
    if directives:
        out["triage"] = score_triage(store, directives, folder)
    return out


def summary(report: dict) -> str:
    lines = [f"== {report['set']}"]
    if "find" in report:
        f = report["find"]
        lines.append(
            f"find   {f['answerable']} answerable: top-1 {f['top1']:.1%}, top-3 {f['top3']:.1%}, "
            f"wrong refusals {f['wrong_refusals']} (top-1 {f['top1_ignoring_refusals']:.1%} had none been "
            f"refused); no-row {f['no_row_refused']}/{f['no_row']} refused"
        )
        lines.append("       by class: " + ", ".join(
            f"{k} {v['top1']:.0%}/{v['top3']:.0%} (n={v['n']})" for k, v in f["by_class"].items()))  # fmt: skip
    if "route" in report:
        r = report["route"]
        lines.append(
            f"route  {r['answerable']} answerable: right row + final {r['right']:.1%}, wrong refusals "
            f"{r['wrong_refusals']} ({r['wrong_refusal_rate']:.1%}); no-row {r['no_row_refused']}/{r['no_row']} refused"
        )
        lines.append("       by class: " + ", ".join(
            f"{k} {v['right']:.0%} (n={v['n']})" for k, v in r["by_class"].items()))  # fmt: skip
    if "triage" in report:
        t = report["triage"]
        lines.append(
            f"triage {t['directives']} directives ({t['found_as_items']} found as items): right row for "
            f"{t['right']:.1%} of {t['with_row']} with a row; quiet on {t['kept_quiet']:.1%} of {t['without_row']} without"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="*", help="set folders under tests/data/blind (default: all)")
    parser.add_argument("--misses", action="store_true", help="list every miss")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--catalogue", help="another catalogue file")
    args = parser.parse_args(argv)
    from approval_cli.catalogue.store import load_store

    store = load_store(args.catalogue, use_cache=False)
    folders = [BLIND / name for name in args.sets] if args.sets else sorted(p for p in BLIND.iterdir() if p.is_dir())
    reports = [evaluate(store, folder) for folder in folders]
    if args.json:
        print(json.dumps(reports, ensure_ascii=False, indent=1))
        return 0
    for report in reports:
        print(summary(report))
        if args.misses:
            for part in ("find", "route", "triage"):
                for miss in report.get(part, {}).get("misses", []):
                    shown = {k: miss.get(k) for k in ("id", "class", "unit", "query", "text", "amount", "expect",
                                                      "final", "got", "got_final", "why") if k in miss}
                    print(f"  {part} miss: {json.dumps(shown, ensure_ascii=False)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
