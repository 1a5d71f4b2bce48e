"""What the three command-line tools share: the error-to-message map and common options."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console

from probe.errors import UserError

F = TypeVar("F", bound=Callable[..., Any])

EXIT_USER_ERROR = 1


def format_option(*choices: str) -> Callable[[F], F]:
    """``--format text|json[...]``, text by default."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(choices),
        default=choices[0],
        show_default=True,
        help="Output format; json is the stored, schema-versioned record.",
    )


def output_option() -> Callable[[F], F]:
    return click.option(
        "--output",
        "-o",
        "output",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="Write to this file instead of stdout.",
    )


def stdout_console(**kwargs: Any) -> Console:
    """The console data goes to. Markup and emoji codes are off: user text (model names, paths,
    repo ids) prints as typed; our own colours are Text objects."""
    return Console(soft_wrap=False, markup=False, emoji=False, highlight=False, **kwargs)


def stderr_console() -> Console:
    """The console progress, warnings and hints go to (markup and emoji off, as stdout's)."""
    return Console(stderr=True, soft_wrap=True, markup=False, emoji=False, highlight=False)


def write_output(text: str, output: Path | None) -> None:
    """Write data to ``output`` or stdout; an unwritable path is a UserError."""
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
        return
    try:
        output.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    except OSError as exc:
        raise UserError(
            f"cannot write {output}: {exc.strerror or exc}",
            hint="choose a writable path, e.g. --output ./host.json",
        ) from exc


def run_main(group: click.Group, argv: list[str] | None = None) -> None:
    """Run a click group; map UserError to one line + hint + exit 1.

    Unexpected exceptions keep their traceback; RIGBENCH_DEBUG=1 shows tracebacks for all.
    """
    debug = os.environ.get("RIGBENCH_DEBUG") == "1"
    try:
        group.main(args=argv, standalone_mode=False)
    except UserError as exc:
        if debug:
            raise
        from rich.text import Text

        err = stderr_console()
        # Text, not markup: messages quote user input and names like synth:llama:250M, which
        # rich would otherwise read as markup or :emoji: codes.
        err.print(Text.assemble(("error:", "bold red"), " ", exc.message))
        if exc.hint:
            err.print(Text(f"hint: {exc.hint}"))
        sys.exit(EXIT_USER_ERROR)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)


def db_option() -> Callable[[F], F]:
    """``--db PATH``: the results database (default: the user's data dir)."""
    return click.option(
        "--db",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="Results database (default: ~/.local/share/rigbench/results.db).",
    )


def machine_options(f: F) -> F:
    """``--hardware NAME`` or ``--host FILE``: the machine to plan or predict for."""
    f = click.option(
        "--host",
        "host_file",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="A machine from its `probe detect --format json` file.",
    )(f)
    return click.option(
        "--hardware", default=None, help="A machine from the built-in catalog (bench hardware)."
    )(f)
