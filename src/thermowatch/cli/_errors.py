"""Turn exceptions into the exit codes of the CLI contract (0 ok, 2 bad input, 1 internal)."""

from __future__ import annotations

import logging

import typer

try:  # typer >= 0.20 vendors click and raises its own copies of click's exceptions
    from typer._click import exceptions as click_exc
except ImportError:  # pragma: no cover - older typer depends on click itself
    from click import exceptions as click_exc  # type: ignore[no-redef]
from rich.console import Console

from thermowatch.errors import InputError, NotFoundError
from thermowatch.settings import environment

_stderr = Console(stderr=True, highlight=False, soft_wrap=True)
log = logging.getLogger("thermowatch")


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print one clear line on stderr and return the Exit to raise."""
    _stderr.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code)


def _is_connection_error(exc: BaseException) -> bool:
    """A database that cannot be opened or reached (a wrong URL or path), not a bug."""
    try:
        from sqlalchemy.exc import OperationalError
    except ImportError:  # pragma: no cover
        return False
    return isinstance(exc, OperationalError) and any(
        text in str(exc).lower()
        for text in (
            "unable to open database",
            "connection refused",
            "could not connect",
            "connection failed",
            "no such host",
            "could not translate host name",
        )
    )


def run_with_error_policy(app: typer.Typer) -> int:
    """Run the Typer app; map user mistakes to exit 2 and one line, never a traceback."""
    try:
        # Without standalone mode typer returns (not raises) a command's typer.Exit code.
        code = app(standalone_mode=False)
    except (InputError, NotFoundError) as exc:
        _stderr.print(f"[bold red]error:[/] {exc}")
        return 2
    except click_exc.NoArgsIsHelpError:
        return 0
    except click_exc.UsageError as exc:
        _stderr.print(f"[bold red]usage error:[/] {exc.format_message()}")
        return 2
    except typer.Abort:
        _stderr.print("aborted")
        return 130
    except typer.Exit as exc:
        return int(exc.exit_code or 0)
    except SystemExit as exc:  # typer exits by itself on a broken pipe
        return exc.code if isinstance(exc.code, int) else 1
    except FileNotFoundError as exc:
        _stderr.print(f"[bold red]error:[/] file not found: {exc.filename or exc}")
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # internal error: one line for the user, details in the log
        if _is_connection_error(exc):  # a wrong URL or path is the user's to fix
            reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
            _stderr.print(
                f"[bold red]error:[/] cannot open the database ({reason}); check "
                "--database-url or THERMOWATCH_DATABASE_URL."
            )
            return 2
        if environment().debug:
            raise
        log.debug("internal error", exc_info=True)
        _stderr.print(
            f"[bold red]internal error:[/] {type(exc).__name__}: {exc} "
            "(set THERMOWATCH_DEBUG=1 for the traceback)"
        )
        return 1
    return code if isinstance(code, int) else 0
