"""Noticing edits of feeds.yaml while the service runs: the file's stamp (mtime, size, inode)
looked at on every tick, and the new configuration loaded when it changed and is valid."""

from __future__ import annotations

import os

from veille.errors import ConfigError, VeilleError
from veille.models import Config
from veille.service_log import log

Stamp = tuple[int, int, int]


def file_stamp(path: str) -> Stamp | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


class ConfigWatch:
    """feeds.yaml as last seen; ``poll`` says when it has changed into a valid configuration."""

    def __init__(self, path: str):
        self.path = path
        self.stamp = file_stamp(path)

    def poll(self) -> Config | None:
        """The new configuration when the file changed since the last look and is valid; else
        None (a missing or invalid file is logged, and the previous configuration stays)."""
        stamp = file_stamp(self.path)
        if stamp == self.stamp:
            return None
        self.stamp = stamp
        if stamp is None:
            log.error("%s disappeared; keeping the current sources", self.path)
            return None
        from veille.config import load_config
        from veille.digest import digest_settings

        try:
            new = load_config(self.path)
            digest_settings(new.settings)
        except (ConfigError, VeilleError) as e:
            log.error("%s is invalid after an edit; keeping the previous configuration: %s",
                      self.path, " / ".join(str(e).splitlines()))
            return None
        return new
