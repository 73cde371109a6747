"""Cutting a clerk's sentence into words, with jieba, safely and quickly.

jieba's full dictionary (349,000 words) takes most of a second to load, and jieba keeps a parsed
copy in a file it reads back (by default in the shared temporary folder, under a predictable name).
So this module gives jieba a pruned dictionary — the 52,000 words it has seen at least
MIN_FREQUENCY times, which segment the blind sets exactly as the full one does — and lets it keep
its parsed copy only in a private folder: the user's cache folder when it is ours and not writable
by others, else a fresh temporary folder of our own. Nothing is read from a folder another user
could write to. Without jieba, a term stays whole.
"""

from __future__ import annotations

import os
import tempfile
from functools import lru_cache
from pathlib import Path

MIN_FREQUENCY = 50

_tokenizer = None  # None: not loaded yet; False: jieba is unavailable


# Cuts remembered per text: a batch's lines are distinct, but their words are not (the same
# 採購影印紙 in many lines), and jieba's cut is a pure function of the text once its dictionary is
# loaded. Bounded: an LRU of CUT_MEMO_SIZE texts (8,192 was no faster on the bench batch and took about 2 MiB more).
CUT_MEMO_SIZE = 2048
BLOCK_MEMO_SIZE = 4096  # blocks of a text (below), remembered apart: they recur more than texts


def words(text: str) -> list[str] | None:
    """The words of a text (jieba, HMM on), or None when jieba is unavailable."""
    if not _ready():
        return None
    return list(_cut(text, True))


def known_words(text: str, shortest: int = 3) -> list[str]:
    """The words of a text that jieba's dictionary holds, of at least `shortest` characters
    (會議室 in 會議室借用); none when jieba is unavailable."""
    tokenizer = _ready()
    if not tokenizer:
        return []
    cut = _cut(text, False)  # HMM would join unknown characters into "words"
    return [word for word in cut if len(word) >= shortest and tokenizer.FREQ.get(word)]


@lru_cache(maxsize=CUT_MEMO_SIZE)
def _cut(text: str, hmm: bool) -> tuple[str, ...]:
    # jieba cuts a text block by block (runs of Han, letters and digits, and what lies between),
    # each on its own: cut here the same way, each block remembered, since blocks recur far more
    # than whole texts (「採購影印紙」 in 「總務組 採購影印紙 3萬元」 and in a dozen other lines).
    # tests/test_batch_memo.py compares this with jieba's lcut of the whole text.
    return tuple(word for block in _blocks(text) if block for word in _cut_block(block, hmm))


@lru_cache(maxsize=BLOCK_MEMO_SIZE)
def _cut_block(block: str, hmm: bool) -> tuple[str, ...]:
    return tuple(_ready().lcut(block, HMM=hmm))


def _blocks(text: str) -> list[str]:
    """jieba's own split of a text into blocks (its re_han_default), which it cuts one by one."""
    global _han_blocks
    if _han_blocks is None:
        import jieba

        _han_blocks = jieba.re_han_default
    return _han_blocks.split(text)


_han_blocks = None


def _ready():
    global _tokenizer
    if _tokenizer is None:
        try:
            jieba = _import_jieba()
            jieba.setLogLevel(60)
            folder = _private_folder()
            tokenizer = jieba.Tokenizer(str(_pruned_dictionary(folder, jieba)))
            tokenizer.tmp_dir = str(folder)
            tokenizer.cache_file = f"jieba-{jieba.__version__}-{MIN_FREQUENCY}.cache"
            _tokenizer = tokenizer
        except Exception:  # a missing or broken jieba must not break a lookup
            _tokenizer = False
    return _tokenizer


def _import_jieba():
    """jieba, imported without pkg_resources. jieba._compat imports pkg_resources only to open its
    own data files (its default dictionary; we give it ours), and that import alone took 57 ms of
    a batch's 0.32 s start-up (and warns on new setuptools). A None in sys.modules makes that
    import fail, so jieba takes its fallback, a plain open() beside its own files; the entry is
    removed at once, so nothing else is kept from importing pkg_resources."""
    import sys

    blocked = "pkg_resources" not in sys.modules
    if blocked:
        sys.modules["pkg_resources"] = None  # type: ignore[assignment]
    try:
        import jieba
    finally:
        if blocked and sys.modules.get("pkg_resources", 0) is None:
            del sys.modules["pkg_resources"]
    return jieba


def _private_folder() -> Path:
    """The user's cache folder if it is a real folder of ours that nobody else can write (checked
    without following links), and caching is on; else a private temporary folder of this process,
    removed when it ends (APPROVAL_NO_CACHE leaves nothing behind)."""
    import stat

    from approval_cli.catalogue.store import cache_dir

    if not os.environ.get("APPROVAL_NO_CACHE"):
        folder = cache_dir()
        try:
            os.makedirs(folder, mode=0o700, exist_ok=True)
            info = os.lstat(folder)
            owner = os.geteuid() if hasattr(os, "geteuid") else info.st_uid
            if stat.S_ISDIR(info.st_mode) and info.st_uid == owner and not info.st_mode & 0o022:
                return folder
        except OSError:
            pass
    return _temporary_folder()


_temporary = None


def _temporary_folder() -> Path:
    global _temporary
    if _temporary is None:
        _temporary = tempfile.TemporaryDirectory(prefix="approval-")  # removed at exit
    return Path(_temporary.name)


def _pruned_dictionary(folder: Path, jieba) -> Path:
    """jieba's dictionary without its rare words, written once into the private folder."""
    target = folder / f"jieba-words-{jieba.__version__}-{MIN_FREQUENCY}.txt"
    if target.is_file() and not target.is_symlink():
        return target
    source = Path(jieba.__file__).with_name("dict.txt")
    kept = []
    with source.open("rb") as handle:
        for line in handle:
            parts = line.split()
            if len(parts) >= 2 and parts[1].isdigit() and int(parts[1]) >= MIN_FREQUENCY:
                kept.append(line if line.endswith(b"\n") else line + b"\n")
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".jieba-", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.writelines(kept)
        os.replace(temporary, target)
    except OSError:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target
