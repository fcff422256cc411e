"""What every hip3 command shares: exit codes, one-line errors, logging, JSON output.

Exit codes (the same for every command):

* 0 -- success;
* 1 -- runtime failure (the venue refused, the network did not answer, a bug);
* 2 -- bad usage or an invalid config (the message names the file and the key);
* 130 -- interrupted (Ctrl-C).

An error is one line on stderr, ``error: ...``; a traceback only with ``--debug``
(or ``HIP3_DEBUG=1``). Every failure leaves a command as one :class:`CommandError`
(a ``click.ClickException``): :func:`user_errors` maps exceptions to it, and click prints it
and exits with its code. Messages never contain a private key: hip3's errors are
written not to, and keys are only ever held in :class:`hip3.signing.PrivateKey`,
whose repr and str hide the secret.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import warnings
from collections.abc import Callable, Iterator
from typing import Any, NoReturn, TypeVar

import click
import orjson

from hip3.errors import ConfigError, Hip3Error

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

EXIT_CODES_HELP = (
    "Exit codes: 0 ok, 1 runtime failure (venue or network), "
    "2 bad usage or invalid config, 130 interrupted (Ctrl-C)."
)

F = TypeVar("F", bound=Callable[..., Any])


def debug_option(fn: F) -> F:
    return click.option(
        "--debug",
        is_flag=True,
        envvar="HIP3_DEBUG",
        help="Show tracebacks and debug logs (also HIP3_DEBUG=1).",
    )(fn)


def json_option(fn: F) -> F:
    return click.option(
        "--json", "as_json", is_flag=True, help="Print one JSON object on stdout (for programs)."
    )(fn)


class Interrupted(KeyboardInterrupt):
    """A Ctrl-C whose consequences the user must be told (its str says what to do)."""


class UsageProblem(Exception):
    """A usage mistake found deep inside a command (exit 2, one line)."""


class CommandError(click.ClickException):
    """How every hip3 command fails: the one place where a failure becomes output and an
    exit code.

    click's ``main`` catches it, calls :meth:`show` and exits with :attr:`exit_code`:
    one ``error: ...`` line on stderr and, for a ``--json`` command, the
    ``{"error": ..., "exit_code": ...}`` object on stdout, so a program reading stdout
    always gets one JSON object.
    """

    label = "error"

    def __init__(
        self,
        message: str,
        exit_code: int = EXIT_FAILURE,
        *,
        as_json: bool = False,
        json_fields: dict[str, Any] | None = None,
    ):
        super().__init__(message)
        # click declares exit_code on the class; each failure here carries its own code
        self.exit_code = exit_code  # type: ignore[misc]
        self.as_json = as_json
        self.json_fields = dict(json_fields or {})  # more keys for the JSON object

    def show(self, file: Any = None) -> None:
        line = f"{self.label}: {self.message}" if self.message else self.label
        click.echo(line, err=True)
        if self.as_json:
            text = self.message if self.label == "error" else line
            echo_json({**self.json_fields, "error": text, "exit_code": self.exit_code})


class InterruptedExit(CommandError):
    """Ctrl-C: exit 130 with ``interrupted: <what was left undone>`` (stdout flushed first)."""

    label = "interrupted"

    def __init__(self, detail: str = "", *, as_json: bool = False):
        super().__init__(detail, EXIT_INTERRUPTED, as_json=as_json)

    def show(self, file: Any = None) -> None:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
        super().show(file)


def report_interrupt(exc: BaseException | None = None, *, as_json: bool = False) -> NoReturn:
    """Exit 130 after Ctrl-C (raises :class:`InterruptedExit`)."""
    detail = str(exc) if isinstance(exc, Interrupted) else ""
    raise InterruptedExit(detail, as_json=as_json)


def fail(
    message: str,
    code: int = EXIT_FAILURE,
    *,
    as_json: bool = False,
    json_fields: dict[str, Any] | None = None,
) -> NoReturn:
    """Fail the command with ``message`` and exit ``code`` (raises :class:`CommandError`)."""
    raise CommandError(message, code, as_json=as_json, json_fields=json_fields)


def error_exit_code(exc: BaseException) -> int:
    """The documented exit code of a failure: 2 for the user's mistakes (usage, config),
    130 for an interrupt, 1 for everything else."""
    if isinstance(exc, KeyboardInterrupt | trio_cancelled()):
        return EXIT_INTERRUPTED
    if isinstance(exc, ConfigError | UsageProblem):
        return EXIT_USAGE
    return EXIT_FAILURE


def leaf_error(exc: BaseException) -> BaseException:
    """The error worth reporting inside (possibly nested) exception groups.

    A config error beats any other (it is the user's to fix), then hip3's own errors,
    then whatever came first.
    """
    leaves: list[BaseException] = []

    def walk(e: BaseException) -> None:
        if isinstance(e, BaseExceptionGroup):
            for inner in e.exceptions:
                walk(inner)
        else:
            leaves.append(e)

    walk(exc)
    for kind in (
        CommandError,
        Interrupted,
        KeyboardInterrupt,
        UsageProblem,
        ConfigError,
        Hip3Error,
    ):
        for leaf in leaves:
            if isinstance(leaf, kind):
                return leaf
    return leaves[0] if leaves else exc


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text


@contextlib.contextmanager
def user_errors(debug: bool, *, as_json: bool = False) -> Iterator[None]:
    """Turn any failure into one line and the documented exit code (and, for a ``--json``
    command, an ``{"error": ...}`` object on stdout: see :func:`fail`); warnings become
    ``warning: ...`` lines (see :func:`clean_warnings`)."""
    try:
        with clean_warnings():
            yield
    except SystemExit:
        raise
    except click.exceptions.Exit:
        raise
    except click.ClickException:
        raise
    except BaseException as exc:  # re-raised under --debug; otherwise one CommandError
        leaf = leaf_error(exc)
        if debug and not isinstance(leaf, KeyboardInterrupt):
            raise
        if isinstance(leaf, CommandError):
            raise leaf from None
        code = error_exit_code(leaf)
        if code == EXIT_INTERRUPTED:
            report_interrupt(leaf, as_json=as_json)
        if isinstance(leaf, ConfigError | UsageProblem | Hip3Error | OSError):
            fail(_one_line(leaf), code, as_json=as_json)
        if isinstance(leaf, Exception):
            fail(
                f"unexpected {type(leaf).__name__}: {_one_line(leaf)} "
                "(run with --debug for the traceback)",
                code,
                as_json=as_json,
            )
        raise


@contextlib.contextmanager
def clean_warnings() -> Iterator[None]:
    """Show Python warnings (a key file others can read...) as one ``warning: ...`` line on
    stderr, without the category and source line Python prints by default."""

    def show(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: Any = None,
        line: str | None = None,
    ) -> None:
        click.echo(f"warning: {_one_line(Exception(str(message)))}", err=True)

    with warnings.catch_warnings():
        warnings.showwarning = show
        yield


def trio_cancelled() -> type[BaseException]:
    import trio

    return trio.Cancelled


def echo_json(value: Any) -> None:
    """One JSON object on one line of stdout, flushed (a reader may be waiting on a pipe).

    Decimals print as plain decimal strings; any other non-JSON value as its ``str``."""
    click.echo(orjson.dumps(value, default=_default).decode())
    sys.stdout.flush()


def _default(value: Any) -> Any:
    from decimal import Decimal

    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


class _StderrHandler(logging.Handler):
    """Writes to whatever ``sys.stderr`` is at emit time (rich's live view swaps it)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
        except Exception:
            self.handleError(record)


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data = {
            "t": round(record.created, 3),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        event = getattr(record, "hip3_event", None)  # hip3.ops.events: structured fields
        if isinstance(event, dict):
            data.update({k: v for k, v in event.items() if k not in data})
        return orjson.dumps(data, default=str).decode()


@contextlib.contextmanager
def logging_to_stderr(level: str, fmt: str = "text", *, debug: bool = False) -> Iterator[None]:
    """Log to stderr at ``level`` (``debug`` forces debug) as text or JSON lines, for the
    duration of a command; the root logger is left as it was found (tests run many
    commands in one process, and a library user may have configured logging)."""
    handler = _StderrHandler()
    if fmt == "json":
        handler.setFormatter(_JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S")
        )
    root = logging.getLogger()
    httpx_logger = logging.getLogger("httpx")
    saved = (root.level, httpx_logger.level)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if debug else getattr(logging, level.upper(), logging.INFO))
    # httpx logs every request at info: too chatty for a trading view.
    httpx_logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(saved[0])
        httpx_logger.setLevel(saved[1])
