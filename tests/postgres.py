"""A real PostgreSQL server for tests: ``initdb`` and ``pg_ctl`` from Debian's package, run as
an unprivileged user, on a free loopback port, in a throwaway folder."""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.app_server import free_port

USER = "moviebot"


def binaries() -> Path | None:
    """Where initdb and pg_ctl are, if PostgreSQL is installed."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(versions[-1]).parent if versions else None


class PostgresServer:
    """``start()`` it, connect with ``url``, ``stop()`` it (its folder goes too)."""

    def __init__(self) -> None:
        found = binaries()
        if found is None:
            raise FileNotFoundError("PostgreSQL is not installed (apt-get install postgresql)")
        self.bin = found
        self.root = Path(tempfile.mkdtemp(prefix="moviebot-pg-"))
        self.port = free_port()
        self._as: list[str] = []
        if os.geteuid() == 0:  # initdb refuses root: run it as Debian's postgres user
            account = pwd.getpwnam("postgres")
            os.chown(self.root, account.pw_uid, account.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]
        self.url = f"postgresql://{USER}@127.0.0.1:{self.port}/moviebot"

    def _run(self, *args: str) -> None:
        subprocess.run(
            [*self._as, *args], check=True, capture_output=True, text=True, cwd=self.root
        )

    def start(self) -> PostgresServer:
        data = self.root / "data"
        self._run(
            str(self.bin / "initdb"), "-D", str(data), "-U", USER, "--auth=trust", "-E", "UTF8"
        )
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(self.root / "server.log"),
            "-o",
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1",
            "-w",
            "start",
        )
        self._run(
            str(self.bin / "createdb"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            USER,
            "moviebot",
        )
        return self

    def restart(self) -> None:
        """Stop and start the server (clients' connections die with it)."""
        data, log = str(self.root / "data"), str(self.root / "server.log")
        self._run(str(self.bin / "pg_ctl"), "-D", data, "-l", log, "-m", "fast", "-w", "restart")

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.root / "data"), "-m", "fast", "stop")
        shutil.rmtree(self.root, ignore_errors=True)
