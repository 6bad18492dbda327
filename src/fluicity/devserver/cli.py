"""Command line of the developer runtime: ``python -m fluicity.devserver {run,env,stop,status}``."""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import shlex
import signal
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from types import FrameType

from .paths import RepositoryNotFound, find_repo_root, var_dir
from .services import DevServices, ServiceError, ServiceHandle, ServiceName
from .supervisor import ChildSpec, Output, Supervisor, run_step

__all__ = ["main"]

SERVICE_ENV: dict[ServiceName, str] = {"postgres": "DATABASE_URL", "redis": "REDIS_URL"}
LABELS: dict[ServiceName, str] = {"postgres": "PostgreSQL", "redis": "Redis"}


class Interrupted(Exception):
    """SIGTERM/SIGHUP received outside the supervisor loop (during start-up or setup)."""


def _raise_interrupted(_signum: int, _frame: FrameType | None) -> None:
    raise Interrupted


@contextlib.contextmanager
def _shielded(output: Output) -> Iterator[None]:
    """Ignore Ctrl-C/SIGTERM while stopping the databases: half-stopped is worse than slow."""

    def note(_signum: int, _frame: FrameType | None) -> None:
        output.message("still stopping PostgreSQL/Redis, please wait...", "yellow")

    previous = {sig: signal.signal(sig, note) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _describe(handle: ServiceHandle) -> str:
    how = "reusing running" if handle.reused else "started"
    return f"{how} embedded {LABELS[handle.name]} (pid {handle.pid}) at {handle.url}"


# --------------------------------------------------------------------------- run


def _url_box(port: int, base_domain: str, output: Output, health_status: int | None) -> str:
    def url(sub: str = "", path: str = "/") -> str:
        host = f"{sub}.{base_domain}" if sub else base_domain
        return f"http://{host}:{port}{path}"

    rows = [
        ("Public site", url()),
        ("Demo city", url("demo")),
        ("Demo region", url("region")),
        ("Operators", url(path="/admin/")),
        ("API docs", url(path="/api/docs/")),
        ("City API docs", url("demo", "/api/docs/")),
    ]
    lines = ["Fluicity is running", ""]
    lines += [f"  {label:<14} {link}" for label, link in rows]
    lines.append("")
    if base_domain == "localhost" or base_domain.endswith(".localhost"):
        lines.append("Browsers and curl resolve *.localhost to 127.0.0.1 by themselves.")
    else:
        lines.append(f"Make sure {base_domain} and *.{base_domain} resolve to this machine.")
    if health_status not in (None, 200):
        lines.append(f"Note: /healthz answered HTTP {health_status}, not 200.")
    lines.append("Press Ctrl-C to stop everything.")

    width = max(len(line) for line in lines) + 2
    unicode_ok = (getattr(output.stream, "encoding", None) or "").lower().replace("-", "") == "utf8"
    h, v, tl, tr, bl, br = ("─", "│", "╭", "╮", "╰", "╯") if unicode_ok else ("-", "|", "+", "+", "+", "+")
    body = [f"{v} {line:<{width - 1}}{v}" for line in lines]
    box = [tl + h * width + tr, *body, bl + h * width + br]
    return "\n".join(output.paint(row, "green") for row in box)


def _probe(host: str, port: int, host_header: str) -> int | None:
    """HTTP status of /healthz, or None if nothing answers yet."""
    conn = http.client.HTTPConnection(host, port, timeout=2)
    try:
        conn.request("GET", "/healthz", headers={"Host": host_header})
        return conn.getresponse().status
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()


def _announce_when_ready(
    supervisor: Supervisor,
    host: str,
    port: int,
    base_domain: str,
    timeout: float = 300.0,
    unhealthy_grace: float = 15.0,
) -> None:
    """Poll /healthz; print the URL box once it returns 200.

    If the server answers but not with 200 (e.g. /healthz not written yet), the box is still
    shown after ``unhealthy_grace`` seconds, with a note, so the URLs are never hidden.
    """
    deadline = time.monotonic() + timeout
    first_answer: float | None = None
    status: int | None = None
    while not supervisor.stopping.is_set():
        now = time.monotonic()
        status = _probe(host, port, base_domain)
        if status == 200:
            break
        if status is not None:
            first_answer = first_answer or now
            if now - first_answer >= unhealthy_grace:
                break
        elif now > deadline:
            supervisor.output.message(
                f"web server did not answer on {host}:{port} within {timeout:.0f}s",
                "red",
            )
            return
        supervisor.stopping.wait(0.5)
    if not supervisor.stopping.is_set():
        supervisor.output.write(_url_box(port, base_domain, supervisor.output, status))


def cmd_run(args: argparse.Namespace) -> int:
    output = Output()
    try:
        root = find_repo_root()
    except RepositoryNotFound as exc:
        output.message(str(exc), "red")
        return 2
    var = var_dir(root)
    services = DevServices(var, repo_root=root)
    env = dict(os.environ)
    # Children write to a pipe: without this their output would arrive in 4 KiB bursts.
    env["PYTHONUNBUFFERED"] = "1"
    port = int(args.port)
    bind = args.host
    base_domain = env.get("BASE_DOMAIN") or "localhost"
    python = sys.executable

    handles: list[ServiceHandle] = []
    # Until the supervisor installs its own handlers, SIGTERM must unwind through `finally`
    # (stopping the databases) instead of killing us on the spot.
    previous = {sig: signal.signal(sig, _raise_interrupted) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        needed: list[ServiceName] = [name for name, var_name in SERVICE_ENV.items() if not env.get(var_name)]
        for name, var_name in SERVICE_ENV.items():
            if name not in needed:
                output.message(f"{var_name} is set: not starting embedded {LABELS[name]}")
        if needed:
            output.message(f"starting embedded {' and '.join(LABELS[n] for n in needed)} (data in {var})...")
            handles = services.ensure(needed, started_by="run")
        for handle in handles:
            env[SERVICE_ENV[handle.name]] = handle.url
            output.message(_describe(handle), "green")

        if not (root / "manage.py").is_file():
            output.message(f"{root / 'manage.py'} not found: the Django project is missing", "red")
            return 1
        if not args.skip_setup:
            steps = [
                (
                    "migrate",
                    [python, "manage.py", "migrate_schemas"],
                    "migrate_schemas",
                ),
                ("seed", [python, "manage.py", "seed_demo"], "seed_demo"),
            ]
            for tag, argv, label in steps:
                output.message(f"running manage.py {label}...")
                code = run_step(tag, argv, cwd=root, env=env, output=output)
                if code != 0:
                    output.message(
                        f"manage.py {label} failed (exit code {code}); see the output above",
                        "red",
                    )
                    return 1

        schedule = var / "celerybeat-schedule"
        supervisor = Supervisor(
            [
                ChildSpec("web", [python, "manage.py", "runserver", f"{bind}:{port}"], "green"),
                ChildSpec(
                    "worker",
                    [
                        python,
                        "-m",
                        "celery",
                        "-A",
                        "fluicity",
                        "worker",
                        "-Q",
                        "default,heavy,email",
                        "-l",
                        "info",
                        "--concurrency",
                        "2",
                    ],
                    "blue",
                ),
                ChildSpec(
                    "beat",
                    [
                        python,
                        "-m",
                        "celery",
                        "-A",
                        "fluicity",
                        "beat",
                        "-l",
                        "info",
                        "-s",
                        str(schedule),
                    ],
                    "magenta",
                ),
            ],
            cwd=root,
            env=env,
            output=output,
            stop_timeout=args.stop_timeout,
        )
        # Wildcard binds are probed on loopback (a comparison, not a bind: hence the noqa).
        probe_host = "127.0.0.1" if bind in ("0.0.0.0", "", "::") else bind  # noqa: S104
        threading.Thread(
            target=_announce_when_ready,
            args=(supervisor, probe_host, port, base_domain),
            name="ready-probe",
            daemon=True,
        ).start()
        code = supervisor.run()  # starts the children under its own signal handlers
        if supervisor.failed:
            output.message(f"stopped because {supervisor.failed} died", "red")
        return code
    except (KeyboardInterrupt, Interrupted):
        output.message("interrupted", "yellow")
        return 0
    except ServiceError as exc:
        output.message(f"embedded services: {exc}", "red")
        return 1
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        with _shielded(output):
            _stop_owned(services, handles, output)


def _stop_owned(services: DevServices, handles: Sequence[ServiceHandle], output: Output) -> None:
    kept = [h for h in handles if not h.owned]
    try:
        stopped = services.release(handles)
    except ServiceError as exc:
        output.message(f"could not stop embedded services cleanly: {exc}", "red")
        return
    for name in stopped:
        output.message(f"stopped embedded {LABELS[name]} (data kept)")
    if kept:
        names = " and ".join(LABELS[h.name] for h in kept)
        output.message(f"{names} keep running (started elsewhere); `python -m fluicity.devserver stop` stops them")


# --------------------------------------------------------------------------- env / stop / status


def _services_here() -> DevServices:
    root = find_repo_root()
    return DevServices(var_dir(root), repo_root=root)


def cmd_env(_args: argparse.Namespace) -> int:
    # Messages to stderr so that `eval "$(python -m fluicity.devserver env)"` only sees exports.
    output = Output(sys.stderr)
    try:
        services = _services_here()
        handles = services.ensure(["postgres", "redis"], started_by="env")
    except (RepositoryNotFound, ServiceError) as exc:
        output.message(str(exc), "red")
        return 1
    for handle in handles:
        output.message(_describe(handle))
        print(f"export {SERVICE_ENV[handle.name]}={shlex.quote(handle.url)}")
    if any(h.reused and not h.owned for h in handles):
        state = services.read_state()
        if any(rec.get("started_by") == "run" for rec in state.values()):
            output.message(
                "note: some were started by a running `make run` and stop with it",
                "yellow",
            )
    output.message("stop them with: python -m fluicity.devserver stop")
    return 0


def cmd_stop(args: argparse.Namespace) -> int:
    output = Output()
    try:
        services = _services_here()
        state = services.status()
    except (RepositoryNotFound, ServiceError) as exc:
        output.message(str(exc), "red")
        return 1
    owners: set[int] = {
        int(rec["owner_pid"]) for rec in state.values() if rec.get("started_by") == "run" and rec.get("owner_pid")
    }
    if owners and not args.force:
        pids = ", ".join(str(p) for p in sorted(owners))
        output.message(
            f"in use by a running `devserver run` (pid {pids}): stop it with Ctrl-C, or use --force",
            "red",
        )
        return 1
    try:
        stopped = services.stop(["postgres", "redis"])
    except ServiceError as exc:
        output.message(str(exc), "red")
        return 1
    if not stopped:
        output.message("no embedded service was running")
    for name in stopped:
        output.message(f"stopped embedded {LABELS[name]} (data kept)")
    return 0


def cmd_status(_args: argparse.Namespace) -> int:
    output = Output()
    try:
        state = _services_here().status()
    except (RepositoryNotFound, ServiceError) as exc:
        output.message(str(exc), "red")
        return 1
    if not state:
        output.message("no embedded service is running")
        return 0
    for name, rec in sorted(state.items()):
        owner = f", owner pid {rec['owner_pid']}" if rec.get("owner_pid") else ""
        output.message(f"{name}: pid {rec.get('pid')}, {rec.get('url')} (started by {rec.get('started_by')}{owner})")
    return 0


# --------------------------------------------------------------------------- entry point


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m fluicity.devserver",
        description="Developer runtime: embedded PostgreSQL/Redis plus web, Celery worker and beat.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser(
        "run",
        help="start everything in the foreground (what `make run` does)",
        description="Start embedded services (unless DATABASE_URL/REDIS_URL are set), migrate, "
        "seed the demo, then run web + worker + beat until Ctrl-C.",
    )
    run.add_argument(
        "--port",
        default=os.environ.get("PORT", "8000"),
        help="web port (env PORT, default 8000)",
    )
    run.add_argument(
        "--host",
        default=os.environ.get("HOST", "127.0.0.1"),
        help="bind address (env HOST, default 127.0.0.1; 0.0.0.0 to expose on the network)",
    )
    run.add_argument("--skip-setup", action="store_true", help="skip migrate_schemas and seed_demo")
    run.add_argument(
        "--stop-timeout",
        type=float,
        default=10.0,
        help="grace period before SIGKILL (s)",
    )
    run.set_defaults(func=cmd_run)

    env = sub.add_parser(
        "env",
        help="start embedded services in the background and print export lines",
        description='Usage: eval "$(python -m fluicity.devserver env)"',
    )
    env.set_defaults(func=cmd_env)

    stop = sub.add_parser("stop", help="stop background embedded services (data kept)")
    stop.add_argument("--force", action="store_true", help="stop even if a `run` is using them")
    stop.set_defaults(func=cmd_stop)

    status = sub.add_parser("status", help="show running embedded services")
    status.set_defaults(func=cmd_status)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "port", None) is not None and not str(args.port).isdigit():
        build_parser().error(f"invalid port: {args.port!r}")
    code: int = args.func(args)
    return code
