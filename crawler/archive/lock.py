"""An exclusive lock on an archive, so that two crawls never write it at once.

Why the whole archive and not one source: crawls link copies across sources
at write time (crawler/archive/articles.py reads "is this body already
stored?" and then inserts). Two crawl processes writing one archive could both
read "not stored" and both insert, missing a syndicated copy or colliding on
the unique URL index. One crawl at a time per archive rules that out; the
daemon (scheduler.py) runs its crawls one after another for the same reason.

Why `flock` on a sidecar file (`<archive>.lock`) and not a PID file: the
kernel releases a flock when the holding process dies, however it dies
(SIGKILL, OOM killer, power cut), so the lock can never go stale and nothing
has to guess whether a PID is still alive. The sidecar keeps it apart from
SQLite's own POSIX byte-range locks on the database file (flock and fcntl
locks are independent on local Linux filesystems, but a separate file does not
depend on that). Its content (pid, start time, command) is only there to make
the "locked" message useful; the file is never deleted, because unlinking a
flock file lets a third process lock a fresh inode while the second still
waits on the old one.

Not for NFS: flock over NFS is emulated with byte-range locks and is only as
reliable as the server's lock manager.
"""

from __future__ import annotations

import fcntl
import logging
import os
import sys
from pathlib import Path

from crawler.text.utc import iso_now

logger = logging.getLogger(__name__)

LOCK_SUFFIX = ".lock"


class ArchiveLocked(Exception):
    """Another process holds the lock; `holder` is what it wrote into the lock file."""

    def __init__(self, lock_path: Path, holder: str):
        self.lock_path, self.holder = lock_path, holder
        who = f" ({holder})" if holder else ""
        super().__init__(f"another process holds {lock_path}{who}")


def lock_path_for(archive_path: str | os.PathLike, suffix: str = LOCK_SUFFIX) -> Path:
    return Path(str(archive_path) + suffix)


def read_holder(lock_path: Path) -> str:
    """What the holder wrote (best effort: it may be mid-write or gone)."""
    try:
        return lock_path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return ""


class ArchiveLock:
    """`with ArchiveLock(archive_path): ...` or acquire()/release(); never blocks."""

    def __init__(self, archive_path: str | os.PathLike, suffix: str = LOCK_SUFFIX):
        self.path = lock_path_for(archive_path, suffix)
        self._fd: int | None = None

    def acquire(self) -> ArchiveLock:
        """Take the lock at once or raise ArchiveLocked; the fd is not inherited by children."""
        if self._fd is not None:
            return self
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise ArchiveLocked(self.path, read_holder(self.path)) from None
        self._fd = fd
        self._write_holder(fd)
        logger.debug("locked %s", self.path)
        return self

    def _write_holder(self, fd: int) -> None:
        since = iso_now()
        command = " ".join(os.path.basename(a) if i == 0 else a for i, a in enumerate(sys.argv))
        text = f"pid {os.getpid()} since {since}: {command}\n"
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, text.encode("utf-8", errors="replace"), 0)
        except OSError as exc:   # a full disk: the lock holds all the same, only unlabelled
            logger.warning("cannot write the holder into %s: %s", self.path, exc)

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            os.ftruncate(fd, 0)
        except OSError:
            pass
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
        logger.debug("unlocked %s", self.path)

    def __enter__(self) -> ArchiveLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
