"""``report``: measured-vs-predicted reports from the results store."""

from __future__ import annotations

import json
from pathlib import Path

import click

from probe.cli_support import (
    db_option,
    format_option,
    machine_options,
    run_main,
    stderr_console,
    stdout_console,
    write_output,
)
from probe.errors import UserError

DB = db_option()


def _ids(text: str | None) -> list[int] | None:
    if not text:
        return None
    try:
        return [int(x) for x in text.split(",")]
    except ValueError as exc:
        raise UserError(f"cannot read sweep ids {text!r}", hint="give ids like 3 or 3,4") from exc


def _db(db: Path | None) -> Path | None:
    """A subcommand's --db, else the one given to `report` itself."""
    ctx = click.get_current_context()
    return db or ctx.find_root().params.get("db")


def _require(db: Path | None) -> None:
    from bench.store import default_path

    path = db or default_path()
    if not path.exists():
        raise UserError(
            f"no results database at {path}",
            hint="run a sweep first: bench sweep --model synth:llama:250M:Q4_K_M",
        )


@click.group(
    invoke_without_command=True, help="Measured-vs-predicted reports from rigbench's results store."
)
@click.version_option(package_name="rigbench")
@DB
@click.option("--sweep", "sweep", default=None, help="Sweep id(s), e.g. 3 or 3,4,5.")
@click.option("--latest", is_flag=True, help="The most recent sweep (the default).")
@format_option("text", "md", "html", "json")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.pass_context
def cli(
    ctx: click.Context,
    db: Path | None,
    sweep: str | None,
    latest: bool,
    fmt: str,
    output: Path | None,
) -> None:
    if ctx.invoked_subcommand is not None:
        return
    import report
    from report import _data, _render

    _require(db)
    if fmt == "text" and output is None:
        stdout_console().print(_render.render_text(_data.load(db, None if latest else _ids(sweep))))
        return
    write_output(report.render(db, None if latest else _ids(sweep), fmt), output)


@cli.command("import")
@DB
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@machine_options
def import_cmd(db: Path | None, path: Path, hardware: str | None, host_file: Path | None) -> None:
    """Import llama-bench output (JSON, JSONL, CSV or SQL/SQLite) and predict every point."""
    db = _db(db)
    import probe
    from bench import Store
    from report._import import import_records

    host = probe.load_host(hardware, host_file)
    store = Store.open(db)
    try:
        sid, n, how = import_records(store, host, path)
    finally:
        store.close()
    stderr_console().print(f"imported {n} points as sweep {sid} (model spec {how})")
    click.echo(str(sid))


@cli.command()
@DB
@click.argument("a", type=int)
@click.argument("b", type=int)
@format_option("text", "md", "json")
def compare(db: Path | None, a: int, b: int, fmt: str) -> None:
    """Two sweeps side by side: speedup of B over A per matching point, and significance."""
    db = _db(db)
    from report import _compare, _data

    _require(db)
    deltas = _compare.compare(_data.load(db, [a]), _data.load(db, [b]))
    if not deltas:
        raise UserError(
            f"sweeps {a} and {b} have no point with the same configuration",
            hint="compare sweeps run with the same axes",
        )
    if fmt == "json":
        write_output(json.dumps(_compare.to_json_dict(deltas), indent=2), None)
        return
    lines = [
        f"| test | config | sweep {a} t/s | sweep {b} t/s | speedup | p | significant |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for d in deltas:
        p = "" if d.p_value is None else f"{d.p_value:.3f}"
        lines.append(
            f"| {d.test} | {d.config} | {d.a_tps:.1f} | {d.b_tps:.1f} | "
            f"{d.speedup:.3f}x | {p} | {'yes' if d.significant else 'no'} |"
        )
    write_output("\n".join(lines) + "\n", None)


@cli.command()
@DB
@click.option("--baseline", type=int, required=True, help="The sweep to compare against.")
@click.option("--candidate", type=int, default=None, help="Default: the latest sweep.")
@click.option("--max-regression", default="5%", show_default=True)
def gate(db: Path | None, baseline: int, candidate: int | None, max_regression: str) -> None:
    """Exit 1 when a significant regression exceeds the threshold (for CI)."""
    db = _db(db)
    from report import _compare, _data

    _require(db)
    limit = float(max_regression.rstrip("%")) / (100 if max_regression.endswith("%") else 1)
    cand = _data.load(db, [candidate] if candidate else None)
    deltas = _compare.compare(_data.load(db, [baseline]), cand)
    bad = _compare.regressions(deltas, limit)
    for d in deltas:
        mark = "REGRESSION" if d in bad else "ok"
        click.echo(
            f"{mark:10s} {d.test} {d.config}: {d.speedup:.3f}x "
            f"(p {d.p_value if d.p_value is not None else 'n/a'})"
        )
    if not deltas:
        raise UserError(
            "no point of the candidate matches the baseline",
            hint="run the candidate sweep with the baseline's axes",
        )
    if bad:
        raise UserError(
            f"{len(bad)} point(s) regressed by more than {limit:.0%} (significant at p < 0.05)",
            hint="see the REGRESSION lines above",
        )


def main(argv: list[str] | None = None) -> None:
    run_main(cli, argv)


if __name__ == "__main__":
    main()
