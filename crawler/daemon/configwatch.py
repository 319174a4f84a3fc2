"""Schedule changes without a restart: notice when the config file changed, reload it.

The daemon calls `poll()` once per tick. A stat (mtime, size, inode) is cheap;
only when it changed is the file read and hashed, and only when the content
changed is it loaded and validated. A config that no longer validates is
reported once per content and the last good one stays in force, so a typo
saved in an editor never stops the crawls: while the file is broken, crawl
children read a copy of the last good file (`crawl_config_path()`), written
next to it so that relative paths in it (the archive) resolve the same way.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path

from crawler.config.loader import Config, ConfigError, load_config

logger = logging.getLogger(__name__)

LAST_GOOD_SUFFIX = ".last-good"


def _stamp(path) -> tuple | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def _read(path) -> bytes | None:
    try:
        return Path(path).read_bytes()
    except OSError:
        return None


def _digest(content: bytes | None) -> str | None:
    return None if content is None else hashlib.sha256(content).hexdigest()


class ConfigWatcher:
    def __init__(self, config: Config):
        self.config = config                    # the config in force: the last that validated
        self._stamp = _stamp(config.file)
        self._good = _read(config.file)         # its bytes, for the children while the file is bad
        self._digest = _digest(self._good)      # of what the file held when last looked at

    @property
    def last_good_path(self) -> Path:
        return Path(str(self.config.file) + LAST_GOOD_SUFFIX)

    def poll(self) -> Config | None:
        """A new config when the file changed and validates; else None (nothing to do)."""
        stamp = _stamp(self.config.file)
        if stamp == self._stamp:
            return None
        self._stamp = stamp
        content = _read(self.config.file)
        digest = _digest(content)
        if digest == self._digest:
            return None
        self._digest = digest
        try:
            config = load_config(self.config.file)
        except ConfigError as exc:
            logger.error("the config file changed but does not validate; the previous one stays "
                         "in force: %s", exc)
            return None
        self.config, self._good = config, content
        self.last_good_path.unlink(missing_ok=True)   # only needed while the file was broken
        return config

    def crawl_config_path(self) -> Path:
        """The file a crawl child should read: the config file, or a copy of the last good one."""
        if self._digest == _digest(self._good) or self._good is None:
            return self.config.file
        path = self.last_good_path
        try:
            if _read(path) != self._good:
                handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".newsmon-config-")
                with os.fdopen(handle, "wb") as out:
                    out.write(self._good)
                os.replace(temporary, path)
        except OSError as exc:
            logger.error("cannot write %s (%s): crawls read the broken config file", path, exc)
            return self.config.file
        return path
