"""Tests of the developer runtime: embedded PostgreSQL/Redis and the process supervisor.

No Django and no project database: each test works in its own temporary directory, with
servers on free ports of 127.0.0.1, and the supervisor is exercised with dummy ``python -c``
children in a separate interpreter (so that we can send it real signals).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from fluicity.devserver.services import (
    DevServices,
    EmbeddedPostgres,
    EmbeddedRedis,
    pid_alive,
)

# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def workdir() -> Iterator[Path]:
    """A temporary directory the PostgreSQL run-as user can enter.

    pytest's tmp_path lives under a 0700 per-user directory; when the tests run as root,
    PostgreSQL runs as an unprivileged user who could not reach it.
    """
    path = Path(tempfile.mkdtemp(prefix="fluicity-devserver-test-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


# --------------------------------------------------------------------------- PostgreSQL


def test_postgres_starts_restarts_and_keeps_data(workdir: Path) -> None:
    import psycopg

    pg = EmbeddedPostgres(workdir / "postgres", database="fluicity_test")
    try:
        pid, port = pg.start()
        assert port not in (5432, 6379)
        url = pg.url(port)
        with psycopg.connect(url, autocommit=True) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
            conn.execute("CREATE TABLE kept (value text)")
            conn.execute("INSERT INTO kept VALUES ('survives restarts')")

        # Starting again while it runs reuses the same server.
        assert pg.start() == (pid, port)

        assert pg.stop() is True
        assert not pid_alive(pid)
        assert pg.running_pid_port() is None
        assert pg.stop() is False  # idempotent

        pid2, port2 = pg.start()
        assert pid2 != pid
        assert port2 == port  # remembered port: stable DATABASE_URL between runs
        with psycopg.connect(pg.url(port2)) as conn:
            assert conn.execute("SELECT value FROM kept").fetchall() == [("survives restarts",)]
    finally:
        pg.stop()


# --------------------------------------------------------------------------- Redis


def test_redis_starts_restarts_and_keeps_data(workdir: Path) -> None:
    import redis

    server = EmbeddedRedis(workdir / "redis")
    try:
        pid, port = server.start()
        assert port not in (5432, 6379)
        client = redis.Redis.from_url(server.url(port))
        assert client.ping() is True
        client.set("fluicity:test", "kept")
        client.close()

        assert server.start() == (pid, port)
        assert server.stop() is True
        assert not pid_alive(pid)
        assert server.running_pid_port() is None

        pid2, port2 = server.start()
        assert pid2 != pid and port2 == port
        client = redis.Redis.from_url(server.url(port2))
        assert client.get("fluicity:test") == b"kept"
        client.close()
    finally:
        server.stop()


def test_state_file_reuse_and_stale_cleanup(workdir: Path) -> None:
    services = DevServices(workdir / "var")
    try:
        (first,) = services.ensure(["redis"], started_by="env")
        assert not first.reused and not first.owned
        state = json.loads(services.state_file.read_text())["services"]
        assert state["redis"]["pid"] == first.pid
        assert state["redis"]["url"] == first.url
        assert state["redis"]["started_by"] == "env"

        # A later command (e.g. `make run`) reuses it and does not take ownership.
        (second,) = services.ensure(["redis"], started_by="run")
        assert second.reused and not second.owned and second.pid == first.pid
        assert services.release([second]) == []
        assert pid_alive(first.pid)

        # The process disappears behind our back: the record is detected as stale and removed.
        os.kill(first.pid, signal.SIGKILL)
        deadline = time.monotonic() + 5
        while pid_alive(first.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert services.status() == {}
        assert not services.state_file.exists()

        # A `run` that started the service owns it and stops it on release.
        (third,) = services.ensure(["redis"], started_by="run")
        assert third.owned and not third.reused

        # That `run` is SIGKILLed (simulated: its owner pid is now a finished process): the next
        # `run` adopts the orphaned server, and stops it when it ends.
        gone = subprocess.Popen([sys.executable, "-c", "pass"])
        gone.wait()
        state = services.read_state()
        state["redis"]["owner_pid"] = gone.pid
        services.state_file.write_text(json.dumps({"services": state}))
        (fourth,) = services.ensure(["redis"], started_by="run")
        assert fourth.owned and fourth.reused and fourth.pid == third.pid
        assert services.read_state()["redis"]["owner_pid"] == os.getpid()

        assert services.release([fourth]) == ["redis"]
        assert not pid_alive(fourth.pid)
        assert services.read_state() == {}
    finally:
        services.stop(["redis"])


# --------------------------------------------------------------------------- supervisor

DRIVER = textwrap.dedent(
    """
    import json, os, sys
    from pathlib import Path
    from fluicity.devserver.supervisor import ChildSpec, Output, Supervisor

    specs = [ChildSpec(name, argv) for name, argv in json.loads(sys.argv[1])]
    supervisor = Supervisor(
        specs, cwd=Path.cwd(), env=os.environ, output=Output(sys.stdout, colour=False),
        stop_timeout=float(sys.argv[2]),
    )
    sys.exit(supervisor.run())
    """
)

# A child that records its pid, greets, optionally spawns a grandchild, then loops forever.
CHILD = textwrap.dedent(
    """
    import os, signal, subprocess, sys, time
    pid_file, name, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    if mode == "stubborn":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    pids = [os.getpid()]
    if mode == "parent":
        grandchild = subprocess.Popen([sys.executable, "-c", "import time\\nwhile True: time.sleep(0.1)"])
        pids.append(grandchild.pid)
    open(pid_file + ".tmp", "w").write(" ".join(map(str, pids)))
    os.replace(pid_file + ".tmp", pid_file)
    print("hello from", name, flush=True)
    if mode == "die":
        time.sleep(0.5)
        print("giving up", flush=True)
        sys.exit(3)
    while True:
        time.sleep(0.1)
    """
)


class Driver:
    """A supervisor running in a subprocess, with its output collected line by line."""

    def __init__(self, workdir: Path, children: dict[str, str], stop_timeout: float = 5.0) -> None:
        self.workdir = workdir
        self.pid_files = {name: workdir / f"{name}.pid" for name in children}
        specs = [
            [name, [sys.executable, "-c", CHILD, str(self.pid_files[name]), name, mode]]
            for name, mode in children.items()
        ]
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            [sys.executable, "-c", DRIVER, json.dumps(specs), str(stop_timeout)],
            cwd=workdir,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.05)
        raise AssertionError("timed out; supervisor output:\n" + "\n".join(self.lines))

    def child_pids(self) -> list[int]:
        return [int(p) for f in self.pid_files.values() for p in f.read_text().split()]

    def all_started(self) -> bool:
        return all(f.exists() for f in self.pid_files.values())

    def finish(self, timeout: float = 30.0) -> int:
        code = self.proc.wait(timeout=timeout)
        self._reader.join(timeout=5)
        return code

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for pid in self.child_pids() if self.all_started() else []:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _wait_dead(pids: list[int], timeout: float = 5.0) -> list[int]:
    deadline = time.monotonic() + timeout
    alive = pids
    while alive and time.monotonic() < deadline:
        alive = [pid for pid in pids if pid_alive(pid)]
        time.sleep(0.05)
    return alive


def test_supervisor_prefixes_output_and_stops_all_on_sigint(workdir: Path) -> None:
    driver = Driver(workdir, {"alpha": "loop", "beta": "parent"})
    try:
        driver.wait_for(
            lambda: (
                driver.all_started()
                and any(line.startswith("alpha   | hello from alpha") for line in driver.lines)
                and any(line.startswith("beta    | hello from beta") for line in driver.lines)
            )
        )
        pids = driver.child_pids()
        assert len(pids) == 3  # alpha, beta and beta's grandchild

        driver.proc.send_signal(signal.SIGINT)
        assert driver.finish() == 0
        assert _wait_dead(pids) == []
        assert any("SIGINT" in line for line in driver.lines)
        assert any(line.startswith("dev") and "alpha stopped" in line for line in driver.lines)
    finally:
        driver.kill()


def test_supervisor_sigterm_kills_stubborn_child_after_timeout(workdir: Path) -> None:
    driver = Driver(workdir, {"polite": "loop", "stubborn": "stubborn"}, stop_timeout=1.0)
    try:
        driver.wait_for(lambda: driver.all_started() and len(driver.lines) >= 2)
        pids = driver.child_pids()
        started = time.monotonic()
        driver.proc.send_signal(signal.SIGTERM)
        assert driver.finish() == 0
        assert time.monotonic() - started < 10
        assert _wait_dead(pids) == []
        assert any("stubborn still running, killing it" in line for line in driver.lines)
    finally:
        driver.kill()


def test_supervisor_exits_nonzero_when_a_child_dies(workdir: Path) -> None:
    driver = Driver(workdir, {"steady": "loop", "flaky": "die"})
    try:
        code = driver.finish()
        assert code != 0
        assert any(line.startswith("flaky   | giving up") for line in driver.lines)
        assert any("flaky exited unexpectedly (exit code 3)" in line for line in driver.lines)
        assert _wait_dead(driver.child_pids()) == []
    finally:
        driver.kill()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux-only")
def test_children_die_with_a_killed_supervisor(workdir: Path) -> None:
    driver = Driver(workdir, {"orphan": "loop"})
    try:
        driver.wait_for(driver.all_started)
        pids = driver.child_pids()
        driver.proc.kill()  # no chance to clean up: the kernel must stop the child
        driver.finish()
        assert _wait_dead(pids) == []
    finally:
        driver.kill()
