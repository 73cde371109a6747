"""Turn the 分層負責明細表 text dump into data/tables.yaml, deterministically.

    python scripts/parse_dump.py            # write data/tables.yaml and data/tables.compiled
    python scripts/parse_dump.py --check    # exit 1 if either committed file differs from a fresh one

data/tables.compiled is the built-in catalogue compiled for lookups (store.compile_shipped, a
data-only file): it ships with the package, so a clerk's first lookup needs no compiling.

The parser lives in the package (approval_cli.catalogue.importer, also `approval import DUMP`); this script
only names the repository's own files and keeps the --check for CI.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))  # parse from a plain checkout too

from approval_cli.catalogue.importer import DumpError, read_vocabulary  # noqa: E402, F401
from approval_cli.catalogue.importer import import_dump as parse_dump  # noqa: E402
from approval_cli.catalogue.schema import dump_yaml  # noqa: E402 - the tests use it from here too
from approval_cli.catalogue.store import SHIPPED_NAME, compile_shipped, shipped_is_current  # noqa: E402
from approval_cli.errors import ApprovalError  # noqa: E402

DEFAULT_DUMP = ROOT / "data" / "source" / "000_e869757213248338.txt"
DEFAULT_OUT = ROOT / "data" / "tables.yaml"
DEFAULT_VOCABULARY = ROOT / "data" / "vocabulary.yaml"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dump", type=Path, default=DEFAULT_DUMP)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--vocabulary", type=Path, default=DEFAULT_VOCABULARY, help="the office's vocabulary")
    parser.add_argument("--check", action="store_true", help="fail if --out differs from a fresh parse")
    args = parser.parse_args(argv)
    try:
        catalogue = parse_dump(args.dump.read_bytes(), args.dump.name, read_vocabulary(args.vocabulary))
    except (ApprovalError, OSError, UnicodeDecodeError) as exc:
        print(f"parse_dump: {args.dump}: {exc}", file=sys.stderr)
        return 2
    text = dump_yaml(catalogue)
    compiled_path = args.out.with_name(SHIPPED_NAME)
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else None
        stale = [args.out] if current != text else []
        if not stale and not shipped_is_current(args.out, compiled_path):
            stale.append(compiled_path)
        if stale:
            print(
                f"parse_dump --check: {', '.join(map(str, stale))} differ(s) from a fresh parse of {args.dump}; "
                "run `python scripts/parse_dump.py` and commit the result.",
                file=sys.stderr,
            )
            return 1
        print(f"parse_dump --check: {args.out} and {compiled_path.name} are up to date ({len(catalogue.entries)} entries).")
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    compiled_path.write_bytes(compile_shipped(args.out))
    flagged = sum(1 for entry in catalogue.entries if entry.flags)
    print(f"parse_dump: wrote {args.out}: {len(catalogue.entries)} entries, {flagged} flagged.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
