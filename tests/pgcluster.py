"""A throw-away PostgreSQL cluster on a loopback port, for gradebook tests and benchmarks.

It uses Debian's PostgreSQL server programs (`make test` installs the package when it can). As root
the server runs as the `postgres` user, since PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import quote

from support import free_port

PASSWORD = "grader p@ss"  # a space and an @ on purpose: the URL must encode them


def server_bin() -> Path | None:
    """The newest installed PostgreSQL server's bin folder, if any."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(found[-1]).parent if found else None


class Cluster:
    """initdb + pg_ctl start in ``folder``; ``database()`` makes a fresh database and returns its URL."""

    def __init__(self, folder: Path):
        self.bin = server_bin()
        if self.bin is None:
            raise RuntimeError("PostgreSQL's server programs are not installed (Debian package: postgresql)")
        self.folder = folder
        self.data = folder / "data"
        self.port = free_port()
        self.count = 0
        self.as_postgres = os.geteuid() == 0

    def _run(self, *args: str, **kwargs) -> subprocess.CompletedProcess:
        command = ["runuser", "-u", "postgres", "--", *args] if self.as_postgres else list(args)
        return subprocess.run(command, check=True, capture_output=True, text=True, **kwargs)

    def start(self) -> "Cluster":
        self.folder.mkdir(parents=True, exist_ok=True)
        pwfile = self.folder / "pw"
        pwfile.write_text(PASSWORD + "\n")
        if self.as_postgres:
            shutil.chown(self.folder, "postgres")
            shutil.chown(pwfile, "postgres")
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth-local=trust",
                  "--auth-host=scram-sha-256", f"--pwfile={pwfile}", "--no-sync")
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.folder / "log"), "-w",
                  "-o", options, "start")
        return self

    def stop(self) -> None:
        if self.data.exists():
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def database(self) -> str:
        """Create a new empty database and return its SQLAlchemy URL (password URL-encoded)."""
        self.count += 1
        name = f"gradebook{self.count}"
        self._run(str(self.bin / "psql"), "-h", str(self.folder), "-p", str(self.port), "-U", "postgres", "-d", "postgres",
                  "-c", f"CREATE DATABASE {name}")
        return f"postgresql+psycopg://postgres:{quote(PASSWORD, safe='')}@127.0.0.1:{self.port}/{name}"
