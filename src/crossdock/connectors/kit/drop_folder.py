"""A drop folder: an inbox that other systems write files into, read safely.

An inbox is where an outside party (an SFTP account, a partner's mailbox
sync, an ERP's export job) puts files, so everything in it is untrusted. Only
*regular files placed directly in the inbox* are read:

- a symbolic link is never followed (``ln -s /proc/self/environ inbox/x.jsonl``
  would otherwise publish the hub's environment through the exception queue);
- a FIFO, socket or device is never opened (a FIFO would block the reader);
- a file with more than one hard link is not read (a link to a file elsewhere
  looks like a regular file; an export job has no reason to hard-link);
- the file is opened with ``O_NOFOLLOW`` and checked again on the open
  descriptor, so an entry swapped for a link between listing and reading is
  caught too.

Anything else is *refused*: :meth:`DropFolder.refuse` moves the entry itself
(never what a link points to) into ``rejected/`` with a ``.reason.txt`` beside
it, once; the caller files one exception naming the entry and the reason,
never its content. Hidden names and names that look like a transfer in
progress (``.tmp``, ``.part``, ``~$...``) are left alone, and subfolders
(``processed/``, ``rejected/``) are not entered.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

_IN_TRANSIT = (".tmp", ".part", ".partial", ".crdownload", ".filepart")
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
)


class UnsafeEntry(Exception):
    """An inbox entry that is not a regular file of the inbox; ``reason`` says why."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path.name}: {reason}")
        self.path = path
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Refused:
    """An entry of the inbox that will not be read, and why."""

    path: Path
    reason: str


@dataclass(frozen=True, slots=True)
class Listing:
    """What the inbox holds now: files to read (oldest first) and entries to refuse."""

    ready: list[Path]
    refused: list[Refused]


@dataclass(frozen=True, slots=True)
class FileBytes:
    """A file's content and modification time, read through one descriptor."""

    data: bytes
    mtime: datetime


def stamp(now: datetime | None = None) -> str:
    """A sortable UTC timestamp for file names: ``20240501T120102123456Z``."""
    return (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``path`` so readers see the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a regular file"


def _why_not(st: os.stat_result) -> str | None:
    """Why an entry with this (not followed) status is not read, or ``None``."""
    if not stat.S_ISREG(st.st_mode):
        return f"is {_kind(st.st_mode)}; the inbox reads only regular files placed in it"
    if st.st_nlink > 1:
        return (
            f"has {st.st_nlink} hard links; a file linked from elsewhere is not read "
            "(drop a copy, not a link)"
        )
    return None


def read_regular(path: Path, *, follow_symlinks: bool) -> FileBytes:
    """Read a regular file through one descriptor; refuse anything else.

    ``follow_symlinks=False`` (an inbox) also refuses links and multiply linked
    files; ``True`` is for a path an operator named on the command line.
    """
    flags = _OPEN_FLAGS if not follow_symlinks else _OPEN_FLAGS & ~getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UnsafeEntry(path, _why_not(path.lstat()) or "is a symbolic link") from None
        if exc.errno in (errno.ENXIO, errno.ENODEV):
            raise UnsafeEntry(path, "is a socket or device, not a regular file") from None
        raise
    with os.fdopen(fd, "rb", buffering=0, closefd=True) as f:
        st = os.fstat(fd)
        reason = _why_not(st) if not follow_symlinks else None
        if reason is None and not stat.S_ISREG(st.st_mode):
            reason = f"is {_kind(st.st_mode)}, not a regular file"
        if reason is not None:
            raise UnsafeEntry(path, reason)
        os.set_blocking(fd, True)
        data = f.read()
    return FileBytes(bytes(data), datetime.fromtimestamp(st.st_mtime, UTC))


class DropFolder:
    """An inbox folder with ``processed/`` and ``rejected/`` beside its files."""

    def __init__(self, inbox: Path, *, settle_seconds: float = 0.0) -> None:
        self.inbox = inbox
        self.processed = inbox / "processed"
        self.rejected = inbox / "rejected"
        self.settle_seconds = settle_seconds

    def make(self) -> None:
        """Create the inbox and its folders (on first use: reading a config creates nothing)."""
        for folder in (self.inbox, self.processed, self.rejected):
            folder.mkdir(parents=True, exist_ok=True)

    def scan(self) -> Listing:
        """Regular files waiting (oldest first, then by name) and entries to refuse."""
        self.make()
        now = time.time()
        found: list[tuple[int, str, Path]] = []
        refused: list[Refused] = []
        with os.scandir(self.inbox) as entries:
            for entry in entries:
                name = entry.name
                if name.startswith((".", "~$")) or name.lower().endswith(_IN_TRANSIT):
                    continue
                try:
                    st = entry.stat(follow_symlinks=False)
                except FileNotFoundError:
                    continue
                if stat.S_ISDIR(st.st_mode):
                    continue
                reason = _why_not(st)
                if reason is not None:
                    refused.append(Refused(Path(entry.path), reason))
                    continue
                if self.settle_seconds and now - st.st_mtime_ns / 1e9 < self.settle_seconds:
                    continue
                found.append((st.st_mtime_ns, name, Path(entry.path)))
        refused.sort(key=lambda r: r.path.name)
        return Listing([path for _, _, path in sorted(found)], refused)

    def ready(self) -> list[Path]:
        """Regular files waiting in the inbox, oldest first (then by name)."""
        return self.scan().ready

    def holds(self, path: Path) -> bool:
        """Whether ``path`` names an entry directly inside the inbox (no ``..``, no detour)."""
        return path.parent.resolve() == self.inbox.resolve() and path.name not in ("", ".", "..")

    def read(self, path: Path) -> FileBytes:
        """An inbox file's content; :class:`UnsafeEntry` for anything that is not safe to read."""
        if not self.holds(path):
            raise UnsafeEntry(path, f"is not directly inside the inbox {self.inbox}")
        return read_regular(path, follow_symlinks=False)

    def move(self, path: Path, folder: Path, *, now: datetime | None = None) -> Path:
        """Move an entry into ``folder`` as ``<stem>.<timestamp><ext>``, never overwriting one.

        A link is moved as the link itself; what it points to is untouched.
        """
        folder.mkdir(parents=True, exist_ok=True)  # recreated if someone removed it
        suffix = path.suffix
        stem = path.name[: -len(suffix)] if suffix else path.name
        base = f"{stem}.{stamp(now)}"
        target = folder / f"{base}{suffix}"
        n = 1
        while os.path.lexists(target):
            target = folder / f"{base}-{n}{suffix}"
            n += 1
        os.replace(path, target)
        return target

    def reject(self, path: Path, reason: str) -> Path:
        """Move an entry to ``rejected/`` with ``<name>.reason.txt`` beside it."""
        target = self.move(path, self.rejected)
        note = target.with_name(target.name + ".reason.txt")
        write_atomic(note, (reason.rstrip() + "\n").encode("utf-8"))
        return target

    def refuse(self, path: Path, reason: str) -> None:
        """Take an unsafe entry out of the inbox for good: into ``rejected/``, else removed.

        Removing a link, FIFO or device node removes the entry alone, never what
        it points to; it is the fallback when the move is not allowed, so the
        entry is never met (and reported) again.
        """
        try:
            self.reject(path, reason)
        except FileNotFoundError:
            return
        except OSError:
            path.unlink(missing_ok=True)


__all__ = [
    "DropFolder",
    "FileBytes",
    "Listing",
    "Refused",
    "UnsafeEntry",
    "read_regular",
    "stamp",
    "write_atomic",
]
