"""A tiny process supervisor: run a few long-lived children, tag their output, stop them together.

Each child runs in its own session (process group).  That keeps the terminal's Ctrl-C away from
the children, so that *we* decide the shutdown order and can tell "stopped on request" apart
from "died"; and it lets us clean up grandchildren (runserver's reloader child, Celery's pool)
by signalling the whole group.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO, TextIO

__all__ = ["ChildSpec", "Output", "Supervisor", "run_step"]

# ANSI SGR codes; names so callers need not know them.
COLOURS: Mapping[str, str] = {
    "red": "31",
    "green": "32",
    "yellow": "33",
    "blue": "34",
    "magenta": "35",
    "cyan": "36",
    "bold": "1",
}


def _use_colour(stream: TextIO) -> bool:
    """Colour on a terminal, unless NO_COLOR (https://no-color.org); FORCE_COLOR overrides."""
    if os.environ.get("FORCE_COLOR"):
        return True
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class Output:
    """Thread-safe writer of ``tag | line`` output, shared by all reader threads."""

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        colour: bool | None = None,
        tag_width: int = 7,
    ) -> None:
        self.stream = stream if stream is not None else sys.stdout
        self.colour = _use_colour(self.stream) if colour is None else colour
        self.tag_width = tag_width
        # Re-entrant: a signal handler may print while the main thread is inside write().
        self.lock = threading.RLock()

    def paint(self, text: str, colour: str) -> str:
        if not self.colour or colour not in COLOURS:
            return text
        return f"\033[{COLOURS[colour]}m{text}\033[0m"

    def line(self, tag: str, text: str, colour: str = "cyan") -> None:
        prefix = self.paint(f"{tag:<{self.tag_width}} |", colour)
        self.write(f"{prefix} {text}")

    def message(self, text: str, colour: str = "bold") -> None:
        """A message from the devserver itself."""
        self.line("dev", text, colour)

    def write(self, text: str) -> None:
        with self.lock:
            try:
                self.stream.write(text + "\n")
                self.stream.flush()
            except (BrokenPipeError, ValueError):
                pass  # stdout closed (e.g. piped into `head`): keep supervising regardless


@dataclass(frozen=True)
class ChildSpec:
    """A long-running child: a short name for the tag, its argv, and the tag colour."""

    name: str
    argv: Sequence[str]
    colour: str = "cyan"


@dataclass
class _Child:
    spec: ChildSpec
    proc: subprocess.Popen[bytes]
    reader: threading.Thread
    exited_at: float | None = field(default=None)


def _pump(pipe: IO[bytes], emit: Callable[[str], None]) -> None:
    """Forward a child's output line by line (bytes decoded leniently: logs may be anything)."""
    with pipe:
        for raw in iter(pipe.readline, b""):
            emit(raw.decode("utf-8", errors="replace").rstrip("\r\n"))


def _signal_group(pid: int, sig: int) -> bool:
    """Signal a child's process group; False if nothing is left in it."""
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# Children live in their own sessions, so nothing would stop them if we were SIGKILLed.  On
# Linux a tiny shim asks the kernel to SIGTERM the child when we die (PR_SET_PDEATHSIG survives
# exec), then execs the real command.  A shim rather than preexec_fn: preexec_fn is unsafe once
# our output threads run.
_PDEATHSIG_SHIM = """\
import ctypes, os, signal, sys
ctypes.CDLL(None).prctl(1, int(signal.SIGTERM))  # 1 = PR_SET_PDEATHSIG
if os.getppid() != int(sys.argv[1]):  # parent already gone before prctl took effect
    sys.exit(1)
os.execvp(sys.argv[2], sys.argv[2:])
"""


def _with_parent_death_signal(argv: Sequence[str]) -> list[str]:
    if not sys.platform.startswith("linux"):
        return list(argv)
    return [sys.executable, "-c", _PDEATHSIG_SHIM, str(os.getpid()), *argv]


def _spawn(
    spec: ChildSpec, *, cwd: Path, env: Mapping[str, str], output: Output
) -> tuple[subprocess.Popen[bytes], threading.Thread]:
    proc = subprocess.Popen(  # noqa: S603 (argv built by our CLI/tests, no shell)
        _with_parent_death_signal(spec.argv),
        cwd=cwd,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    assert proc.stdout is not None
    reader = threading.Thread(
        target=_pump,
        args=(proc.stdout, lambda text: output.line(spec.name, text, spec.colour)),
        name=f"output-{spec.name}",
        daemon=True,
    )
    reader.start()
    return proc, reader


class Supervisor:
    """Run children until a stop is requested (SIGINT/SIGTERM) or one of them exits.

    :meth:`run` returns 0 after a requested stop and 1 if a child exited on its own (its name
    is in :attr:`failed`).  Stopping sends SIGTERM to each child, waits ``stop_timeout``
    seconds, then SIGKILLs what is left, including stray grandchildren.
    """

    def __init__(
        self,
        specs: Sequence[ChildSpec],
        *,
        cwd: Path,
        env: Mapping[str, str],
        output: Output | None = None,
        stop_timeout: float = 10.0,
    ) -> None:
        self.specs = list(specs)
        self.cwd = cwd
        self.env = dict(env)
        self.output = output or Output()
        self.stop_timeout = stop_timeout
        self.children: list[_Child] = []
        self.failed: str | None = None
        #: Set once shutdown begins; lets helper threads (readiness probe) give up early.
        self.stopping = threading.Event()
        self._stop_requests = 0
        self._stop_reason: str | None = None

    # -- control

    def request_stop(self, reason: str = "stop requested") -> None:
        """Ask the main loop to stop everything; a second request skips the graceful wait.

        Safe to call from a signal handler: it only updates plain attributes (taking locks or
        setting an Event there could deadlock against the interrupted main thread).
        """
        self._stop_requests += 1
        if self._stop_reason is None:
            self._stop_reason = reason

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self.request_stop(signal.Signals(signum).name)

    def start(self) -> None:
        for spec in self.specs:
            proc, reader = _spawn(spec, cwd=self.cwd, env=self.env, output=self.output)
            self.children.append(_Child(spec, proc, reader))
            self.output.message(f"started {spec.name} (pid {proc.pid})")

    def run(self, poll_interval: float = 0.1) -> int:
        """Start the children (if not yet) and supervise them; returns the exit code."""
        # SIGHUP: the terminal was closed; stop as cleanly as for Ctrl-C.
        handled = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
        previous = {sig: signal.signal(sig, self._on_signal) for sig in handled}
        try:
            if not self.children:
                self.start()
            while not self._stop_requests and self.failed is None:
                for child in self.children:
                    code = child.proc.poll()
                    if code is not None:
                        self.failed = child.spec.name
                        self.output.message(
                            f"{child.spec.name} exited unexpectedly (exit code {code}); stopping everything",
                            "red",
                        )
                        break
                else:
                    time.sleep(poll_interval)
            if self.failed is None:
                self.output.message(
                    f"{self._stop_reason}: stopping (press Ctrl-C again to kill at once)",
                    "yellow",
                )
            self.stopping.set()
            self.shutdown()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return 1 if self.failed else 0

    def shutdown(self) -> None:
        """SIGTERM every child, wait up to ``stop_timeout``, SIGKILL the rest and their groups."""
        for child in self.children:
            if child.proc.poll() is None:
                # The leader only: Celery and Django forward the stop to their own children in
                # order (a TERM straight to Celery's pool processes would lose running tasks).
                with contextlib.suppress(ProcessLookupError):
                    child.proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout
        forced = False
        while time.monotonic() < deadline:
            if all(child.proc.poll() is not None for child in self.children):
                break
            if self._stop_requests >= 2:
                forced = True
                break
            time.sleep(0.05)
        if forced:
            self.output.message("second stop request: killing children", "red")
        for child in self.children:
            if child.proc.poll() is None:
                self.output.message(f"{child.spec.name} still running, killing it", "red")
                _signal_group(child.proc.pid, signal.SIGKILL)
            child.proc.wait()
            # Grandchildren that outlived their parent (the group id survives while they do).
            if _signal_group(child.proc.pid, 0):
                _signal_group(child.proc.pid, signal.SIGTERM)
                time.sleep(0.5)
                _signal_group(child.proc.pid, signal.SIGKILL)
        for child in self.children:
            child.reader.join(timeout=2)
            self.output.message(f"{child.spec.name} stopped (exit code {child.proc.returncode})")


def run_step(
    name: str,
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    output: Output,
    colour: str = "yellow",
) -> int:
    """Run a one-off command to completion with tagged output; return its exit code.

    On KeyboardInterrupt the command is terminated (it runs in its own session, so the
    terminal's Ctrl-C reaches only us) and the interrupt propagates.
    """
    proc, reader = _spawn(ChildSpec(name, argv, colour), cwd=cwd, env=env, output=output)
    try:
        code = proc.wait()
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            _signal_group(proc.pid, signal.SIGKILL)
            proc.wait()
        raise
    finally:
        reader.join(timeout=2)
    return code
