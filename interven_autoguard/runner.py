"""``python -m interven_autoguard run [options] agent.py [args...]`` / ``run [options] -m pkg.mod [args...]``.

Works like ``opentelemetry-instrument`` and ``ddtrace-run``: puts the bootstrap ``sitecustomize``
first on ``PYTHONPATH``, turns the options into ``INTERVEN_*`` variables and ``exec``s the
interpreter. The agent's process *is* the exec'd interpreter, so exit codes, signals and the
standard streams pass through untouched, and every child Python process inherits the environment
and is guarded as well.

This module imports only the standard library (and the package's own light ``errors``) at import
time: it also runs inside the bootstrap, before the agent's first line.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .errors import ConfigurationError

EXIT_USAGE = 2
EXIT_CONFIG = 78  # EX_CONFIG from sysexits.h: the guard could not be set up as asked

_TRUE = {"1", "true", "yes", "on"}

# option -> (takes a value, environment variable it sets)
_OPTIONS: dict[str, tuple[bool, str | None]] = {
    "--mode": (True, "INTERVEN_MODE"),
    "--policy": (True, "INTERVEN_POLICY"),
    "--fail-open": (False, "INTERVEN_FAIL_OPEN"),
    "--traces": (True, "INTERVEN_TRACES"),
    "--otlp-endpoint": (True, "INTERVEN_OTLP_ENDPOINT"),
    "--exclude-hosts": (True, "INTERVEN_EXCLUDE_HOSTS"),
    "--log": (True, "INTERVEN_LOG"),
    "-h": (False, None),
    "--help": (False, None),
}

# Interpreter flags that would stop the bootstrap from loading: -E/-I ignore PYTHONPATH, -S skips
# site (and so sitecustomize). Forwarding them would run the agent unguarded.
_UNSAFE_FLAGS = {"-E", "-I", "-S"}


def bootstrap_dir() -> str:
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "_bootstrap")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m interven_autoguard run",
        description="Run a Python program with every outbound HTTP call guarded (child processes too).",
        usage="%(prog)s [options] (script.py | -m module) [args ...]",
    )
    p.add_argument("--mode", choices=("enforce", "monitor"), help="enforce (default) | monitor")
    p.add_argument("--policy", metavar="FILE", help="policy file (TOML)")
    p.add_argument("--fail-open", action="store_true", help="send anyway (recorded) if the scanner errors")
    p.add_argument("--traces", choices=("console", "otlp"), help="export a span per decision (needs [otel])")
    p.add_argument("--otlp-endpoint", metavar="URL", help="OTLP/HTTP traces URL (implies --traces otlp)")
    p.add_argument("--exclude-hosts", metavar="GLOBS", help="comma-separated hosts never scanned")
    p.add_argument("--log", choices=_LOG_LEVELS, type=str.lower,
                   help="print the guard's decisions at this level and above to stderr (warning: what "
                        "is sanitized, blocked, or in monitor mode would be)")
    return p


@dataclass(frozen=True)
class Command:
    """What ``main`` execs: kept separate so it can be inspected without replacing the process."""

    executable: str
    argv: list[str]
    env: dict[str, str]
    banner: str = ""  # the one start-up line saying which scanner decides, and where ("": say nothing)


class UsageError(Exception):
    pass


def _split(argv: Sequence[str]) -> tuple[list[str], list[str]]:
    """Split ``argv`` into our options and the target (``script args...`` or ``-m mod args...``).

    Hand-split because the target's own arguments may look like ours (``-m tool --mode x``).
    """
    ours: list[str] = []
    i = 0
    while i < len(argv):
        token = argv[i]
        if token == "--":
            return ours, list(argv[i + 1 :])
        if token == "-m":
            return ours, list(argv[i:])
        name = token.split("=", 1)[0]
        if name not in _OPTIONS:
            if token.startswith("-") and token != "-":
                raise UsageError(f"unknown option {token!r} (options go before the script or -m)")
            return ours, list(argv[i:])
        takes_value = _OPTIONS[name][0]
        if takes_value and "=" not in token:
            if i + 1 >= len(argv):
                raise UsageError(f"{token} needs a value")
            ours += [token, argv[i + 1]]
            i += 2
        else:
            ours.append(token)
            i += 1
    return ours, []


def build_command(argv: Sequence[str], environ: Mapping[str, str] | None = None) -> Command:
    """Parse ``run``'s arguments into the command to exec. Raises ``UsageError``/``ConfigurationError``."""
    environ = dict(os.environ if environ is None else environ)
    ours, target = _split(argv)
    parser = _parser()
    try:
        opts = parser.parse_args(ours)
    except SystemExit as exc:  # argparse printed the message (or the help)
        raise _ParserExit(int(exc.code or 0)) from None
    if not target or (target[0] == "-m" and len(target) < 2):
        raise UsageError("nothing to run: give a script (agent.py) or -m package.module")

    env = environ
    if opts.mode:
        env["INTERVEN_MODE"] = opts.mode
    if opts.policy:
        # The child may chdir: its path must not change meaning (``_check_policy`` reads it below).
        env["INTERVEN_POLICY"] = os.path.abspath(opts.policy)
    if opts.fail_open:
        env["INTERVEN_FAIL_OPEN"] = "1"
    if opts.exclude_hosts is not None:
        env["INTERVEN_EXCLUDE_HOSTS"] = opts.exclude_hosts
    if opts.log:
        env["INTERVEN_LOG"] = opts.log
    _log_level(env)  # an INTERVEN_LOG set by hand is checked here too, before exec
    if opts.otlp_endpoint:
        from .telemetry import otlp_traces_url

        env["INTERVEN_OTLP_ENDPOINT"] = otlp_traces_url(opts.otlp_endpoint)
        opts.traces = opts.traces or "otlp"
    if opts.traces:
        env["INTERVEN_TRACES"] = opts.traces
        _require_sdk(opts.traces)

    elif env.get("INTERVEN_POLICY"):  # from the environment: as absolute as --policy, for the same reason
        env["INTERVEN_POLICY"] = os.path.abspath(env["INTERVEN_POLICY"])

    from .config import Settings

    settings = Settings.from_env(env)  # same validation the child will do, but reported before exec
    if settings.policy:
        _check_policy(settings.policy)

    boot = bootstrap_dir()
    # An empty entry is the current directory to Python ("$PYTHONPATH:/opt/lib" with PYTHONPATH
    # unset): kept, so the command imports what it imports without ``run``.
    given = env.get("PYTHONPATH", "")
    entries = [p for p in given.split(os.pathsep) if not p or os.path.abspath(p) != boot] if given else []
    env["PYTHONPATH"] = os.pathsep.join([boot, *entries])

    exe = sys.executable or "python3"
    banner = "" if settings.disabled else f"{settings.mode} mode, scanning with {settings.describe_scanner()}"
    return Command(exe, [exe, *_forwarded_flags(), *target], env, banner)


def _check_policy(path: str) -> None:
    """Load the policy now: a typo in it must stop the launch (exit 78), not leave every child to
    fail — or, with ``--fail-open``, to run unguarded."""
    from .engine.policy import Policy

    if not os.path.isfile(path):
        raise ConfigurationError(f"policy file not found: {path}")
    try:
        Policy.load(path)
    except ConfigurationError:
        raise
    except Exception as exc:  # a TOML or schema error: say which file and what, then stop
        raise ConfigurationError(f"policy {path} is invalid: {exc}") from None


_LOG_LEVELS = ("debug", "info", "warning", "error")


def _log_level(env: Mapping[str, str]) -> int | None:
    """``INTERVEN_LOG`` as a ``logging`` level (None: unset). Raises ``ConfigurationError``."""
    name = env.get("INTERVEN_LOG", "").strip().lower()
    if not name:
        return None
    if name not in _LOG_LEVELS:
        raise ConfigurationError(f"INTERVEN_LOG must be one of {', '.join(_LOG_LEVELS)}, got {name!r}")
    return int(getattr(logging, name.upper()))


def _log_to_stderr(level: int) -> None:
    """The guard's own log lines (decisions: types, locations, redacted URLs — never a value) on
    stderr, at ``level`` and above; not passed on to the program's root logger, which would print
    them twice once it is configured."""
    log = logging.getLogger("interven_autoguard")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("interven-autoguard %(levelname)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(level)
    log.propagate = False


class _ParserExit(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def _require_sdk(kind: str) -> None:
    """Fail in the launcher, with the install hint, rather than warn in every child."""
    import importlib.util

    modules = ["opentelemetry.sdk.trace"]
    if kind == "otlp":
        modules.append("opentelemetry.exporter.otlp.proto.http.trace_exporter")
    for name in modules:
        try:
            found = importlib.util.find_spec(name) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            raise ConfigurationError(
                f"--traces {kind} needs {name.rsplit('.', 2)[0]}, which is not installed: "
                "pip install 'interven-autoguard[otel]'"
            )


def _forwarded_flags() -> list[str]:
    import subprocess

    flags = subprocess._args_from_interpreter_flags()  # type: ignore[attr-defined]
    return [f for f in flags if f not in _UNSAFE_FLAGS]


def main(argv: list[str]) -> int:
    """Entry point of the ``run`` subcommand. Only returns on error (or on Windows)."""
    try:
        cmd = build_command(argv)
    except _ParserExit as exc:
        return exc.code
    except UsageError as exc:
        _parser().print_usage(sys.stderr)
        print(f"interven-autoguard run: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ConfigurationError as exc:
        print(f"interven-autoguard run: configuration error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    if cmd.banner:  # once, here: the guarded children say nothing unless asked (--log info)
        print(f"interven-autoguard: {cmd.banner}", file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    if os.name == "nt":  # no real exec on Windows: wait for the child and hand back its status
        import subprocess

        return subprocess.call(cmd.argv, env=cmd.env)
    try:
        os.execve(cmd.executable, cmd.argv, cmd.env)
    except OSError as exc:
        print(f"interven-autoguard run: cannot start {cmd.executable}: {exc}", file=sys.stderr)
        return 127
    return 0  # pragma: no cover - execve does not return


# --------------------------------------------------------------------------------------------------
# Activation inside the guarded process (bootstrap sitecustomize, instrumentor, drop-in example)
# --------------------------------------------------------------------------------------------------


def _warn(message: str) -> None:
    try:
        sys.stderr.write(f"interven-autoguard: {message}\n")
        sys.stderr.flush()
    except Exception:  # no usable stderr (pythonw, closed fd): nothing better to do
        pass


_activated_by: str | None = None


def activated_by() -> str | None:
    """Who installed the guard at start-up in this process ("run bootstrap", ...), or ``None``."""
    return _activated_by


def activate_from_env(origin: str, environ: Mapping[str, str] | None = None) -> bool:
    """Configure tracing (if ``INTERVEN_TRACES``) and ``install()`` the guard from ``INTERVEN_*``.

    Never raises. If the guard cannot be installed the process is **ended with exit code 78**
    before any agent code runs — fail closed — unless ``INTERVEN_FAIL_OPEN`` is set (then a warning
    says the process runs unguarded) or ``INTERVEN_DISABLED`` is set (the kill switch). Returns
    whether the guard is installed.
    """
    global _activated_by
    env = os.environ if environ is None else environ
    fail_open = env.get("INTERVEN_FAIL_OPEN", "").strip().lower() in _TRUE
    disabled = env.get("INTERVEN_DISABLED", "").strip().lower() in _TRUE

    try:
        level = _log_level(env)
    except ConfigurationError as exc:  # visibility, not protection: warn and go on
        _warn(f"logging not configured ({origin}): {exc}")
        level = None
    if level is not None and not disabled:
        _log_to_stderr(level)

    traces = env.get("INTERVEN_TRACES", "").strip()
    if traces and not disabled:
        try:
            from .telemetry import configure_tracing

            configure_tracing(traces, env.get("INTERVEN_OTLP_ENDPOINT") or None)
        except Exception as exc:  # tracing is visibility, not protection: warn and go on
            _warn(f"tracing not configured ({origin}): {exc}")

    try:
        import interven_autoguard

        install = interven_autoguard.install  # type: ignore[attr-defined]
        install()
        _activated_by = origin
        return True
    except Exception as exc:
        if disabled:
            return False
        reason = f"{type(exc).__name__}: {exc}"
        if fail_open:
            _warn(f"WARNING: guard NOT installed ({origin}), running UNGUARDED because "
                  f"INTERVEN_FAIL_OPEN is set: {reason}")
            return False
        _warn(f"FATAL: guard could not be installed ({origin}): {reason}")
        if isinstance(exc, ImportError):
            # Typically a Python the agent shells out to (a system python3) that sees the package
            # through the bootstrap but has none of its dependencies: that child needs the package.
            _warn(missing_package_advice(EXIT_CONFIG))
        else:
            _warn("refusing to run unguarded (fail closed); fix the setting, or set INTERVEN_FAIL_OPEN=1 "
                  f"to run anyway. Exiting with status {EXIT_CONFIG}.")
        os._exit(EXIT_CONFIG)


def missing_package_advice(status: int) -> str:
    """What to do when this interpreter cannot import the guard (the bootstrap's words too)."""
    return (f"this Python ({sys.executable}) does not have interven-autoguard installed: install it there "
            f"({sys.executable} -m pip install interven-autoguard), or start this child process with "
            f"INTERVEN_DISABLED=1 to leave it unguarded. Refusing to run unguarded (fail closed); "
            f"exiting with status {status}.")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
