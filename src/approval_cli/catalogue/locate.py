"""Where the catalogue is (--catalogue, then APPROVAL_CATALOGUE, then the built-in one), and
reading its bytes within a size limit.

Separate from schema.py so a cached lookup finds and fingerprints its file without
importing yaml or pydantic.
"""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

from approval_cli.errors import CatalogueError, os_reason

# A 50,000-row catalogue is about 42 MB of JSON; nothing near this size is a real catalogue, and
# reading stops here, so `--catalogue /dev/zero` costs 64 MB, not all the memory there is.
MAX_CATALOGUE_BYTES = 64 * 1024 * 1024
_CHUNK = 1024 * 1024
# A catalogue that fails to load while it is being rewritten in place is read again, this many
# times in all (each after changed_since's short wait): a rewrite loop beside lookups used to
# fail one run in six with "目錄檔是空的".
READ_ATTEMPTS = 6


def builtin_path() -> Path:
    """Inside an installed wheel the catalogue sits in the package; in a checkout, in data/."""
    package = Path(__file__).resolve().parents[1]  # approval_cli/, this file being in catalogue/
    packaged = package / "data" / "tables.yaml"
    if packaged.exists():
        return packaged
    return package.parents[1] / "data" / "tables.yaml"


def resolve_path(explicit: str | os.PathLike[str] | None) -> Path:
    """--catalogue wins over APPROVAL_CATALOGUE, which wins over the built-in catalogue."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("APPROVAL_CATALOGUE")
    if env:
        return Path(env)
    return builtin_path()


def _too_large(path: Path) -> CatalogueError:
    return CatalogueError(
        f"目錄檔 {path} 超過 {MAX_CATALOGUE_BYTES // (1024 * 1024)} MB，不像是分層負責明細表。",
        "請確認 --catalogue 或 APPROVAL_CATALOGUE 指向正確的檔案。",
    )


def _read_error(path: Path, exc: OSError) -> CatalogueError:
    """Why the catalogue could not be opened or read, said the same way wherever it happens."""
    if isinstance(exc, IsADirectoryError):
        return CatalogueError(f"{path} 是資料夾，不是目錄檔。", "請指定 .yaml 或 .json 檔。")
    return CatalogueError(f"無法讀取目錄檔 {path}：{os_reason(exc)}。", "請檢查檔案權限。")


def _open(path: Path):
    try:
        return open(path, "rb")  # the callers close it
    except FileNotFoundError:
        raise CatalogueError(
            f"找不到目錄檔 {path}。", "請確認 --catalogue 或 APPROVAL_CATALOGUE 的路徑。"
        ) from None
    except OSError as exc:
        raise _read_error(path, exc) from None


def signature(st: os.stat_result) -> tuple[int, int, int, int]:
    """What changes when a file is rewritten: device, inode, size, modification time."""
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


def read_catalogue_bytes(path: Path) -> tuple[bytes, tuple | None]:
    """The file's bytes (at most MAX_CATALOGUE_BYTES) and its signature before the read.

    A regular file that changed while it was read (a writer rewriting it in place) is read
    again, a few times; the signature is None for pipes and devices, which have none.
    """
    for _ in range(5):
        with _open(path) as handle:
            try:
                before = os.fstat(handle.fileno())
                data = handle.read(MAX_CATALOGUE_BYTES + 1)
            except OSError as exc:
                raise _read_error(path, exc) from None
        if len(data) > MAX_CATALOGUE_BYTES:
            raise _too_large(path)
        if not stat.S_ISREG(before.st_mode):
            return data, None
        try:
            after = os.stat(path)
        except OSError:
            after = None
        if after is not None and signature(after) == signature(before) and len(data) == before.st_size:
            return data, signature(before)
        time.sleep(0.02)
    return data, signature(before)


def changed_since(path: Path, before: tuple | None, length: int, wait: float = 0.05) -> bool:
    """Whether the file is being rewritten: its signature moved, or it no longer has `length` bytes.

    Asked only after a catalogue failed to load, so the short wait costs nothing on success.
    """
    if before is None:
        return False
    if length == 0:
        # Read right after a writer truncated it (cp's first step) and before it wrote again: an
        # empty catalogue is never a valid one, so it is looked at again after the pause, within
        # READ_ATTEMPTS (a busy machine kept the writer off the CPU past one look: CI failed once).
        time.sleep(wait)
        return True
    try:
        now = signature(os.stat(path))
        if now != before or now[2] != length:
            return True
        time.sleep(wait)
        return signature(os.stat(path)) != before
    except OSError:
        return False


_OPENSSL_FROM = 8 * 1024 * 1024


def content_hash(size: int = 0):
    """A hasher for `size` bytes: BLAKE2b-256 from the builtin _blake2 module for a catalogue of
    usual size, because importing hashlib loads OpenSSL (~2.5 ms, 3% of a whole lookup); from
    8 MB on, OpenSSL's SHA-256, twice as fast per byte here. Both resist deliberate collisions;
    which one is a function of the content (its length), so a key never depends on the run."""
    if size >= _OPENSSL_FROM:
        import hashlib

        return hashlib.sha256()
    try:
        from _blake2 import blake2b
    except ImportError:  # an interpreter built without it
        from hashlib import blake2b
    return blake2b(digest_size=32)


def catalogue_digest(path: Path) -> str:
    """A hash of the file's content, read in chunks: the cache key (a same-size edit that keeps
    the mtime, as `cp -p` or `rsync -t` make, must not be served stale). Regular files only.

    A file that changes while it is hashed gets a digest that matches no cache, so the caller
    reads and compiles it afresh: a torn read can cost time, never an answer.
    """
    buffer = bytearray(_CHUNK)
    view = memoryview(buffer)
    total = 0
    with _open(path) as handle:
        try:
            digest = content_hash(os.fstat(handle.fileno()).st_size)
            while size := handle.readinto(buffer):
                total += size
                if total > MAX_CATALOGUE_BYTES:
                    raise _too_large(path)
                digest.update(view[:size])
        except OSError as exc:
            raise _read_error(path, exc) from None
    return digest.hexdigest()
