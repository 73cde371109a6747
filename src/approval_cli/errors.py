"""Errors a clerk can act on. The CLI turns each into one stderr paragraph and an exit code."""

from __future__ import annotations

EXIT_NO_MATCH = 1
EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 3
# The output could not be written: disk full (ENOSPC), quota (EDQUOT), file too large (EFBIG),
# device error (EIO), e.g. `> /dev/full` or `export -o` on a full disk.
EXIT_OUTPUT_FAILED = 5
# The reader of our output went away (`approval list | head -1`): 128 + SIGPIPE, what a shell
# reports for any program a closed pipe stops. Nothing is printed for it.
EXIT_BROKEN_PIPE = 141
# The task is found but no single decider can be named: the source marks no 核定, or the table
# splits the task and the words do not say which part (status choose_one). Not an answer.
EXIT_NO_DECIDER = 4
# batch's summary exit code is its worst line's, in this order (bad input first).
EXIT_SEVERITY = {0: 0, EXIT_NO_MATCH: 1, EXIT_NO_DECIDER: 2, EXIT_BAD_INPUT: 3}


class ApprovalError(Exception):
    """Bad input of some kind: exit code 2 unless a subclass says otherwise."""

    exit_code = EXIT_BAD_INPUT

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message} {self.hint}"


class CatalogueError(ApprovalError):
    """The catalogue file is missing, unreadable, not UTF-8, malformed, off-schema or too large."""


class AmountError(ApprovalError, ValueError):
    """Text that should be an amount of money is not one."""


class UnitError(ApprovalError):
    """A unit name that is not in the catalogue."""


class UsageError(ApprovalError):
    """Arguments that do not make a question (e.g. empty query)."""


class OutputError(ApprovalError):
    """The answer could not be written (disk full, device error): exit 4."""

    exit_code = EXIT_OUTPUT_FAILED


_OS_REASONS = {
    "ENOENT": "找不到這個檔案",
    "EACCES": "沒有權限",
    "EPERM": "沒有權限",
    "EISDIR": "這是資料夾，不是檔案",
    "ENOTDIR": "路徑中有一段不是資料夾",
    "ENOSPC": "磁碟已滿",
    "EROFS": "這個位置是唯讀的",
    "ENAMETOOLONG": "檔名太長",
}


def os_reason(error: OSError) -> str:
    """An operating-system error in the clerk's words (「找不到這個檔案」), not the English of strerror."""
    import errno

    name = errno.errorcode.get(error.errno or 0, "")
    return _OS_REASONS.get(name) or error.strerror or str(error)
