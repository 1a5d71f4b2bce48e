"""``report``: measured-vs-predicted reports from the results store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from probe.cli_support import (
    db_option,
    format_option,
    machine_options,
    output_option,
    run_main,
    stderr_console,
    stdout_console,
    write_output,
)
from probe.errors import UserError

if TYPE_CHECKING:
    from bench import Store
    from report._bundle import Bundle

DB = db_option()


def _ids(text: str | None, what: str = "sweep") -> list[int] | None:
    if not text:
        return None
    try:
        return [int(x) for x in text.split(",")]
    except ValueError as exc:
        raise UserError(f"cannot read {what} ids {text!r}", hint="give ids like 3 or 3,4") from exc


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
@click.option(
    "--objective",
    type=click.Choice(["tg", "pp", "ttft", "balanced"]),
    default="tg",
    show_default=True,
    help="What the best configuration is best at: generation, prompt processing, time to "
    "first token, or the geometric mean of normalised pp and tg.",
)
@click.pass_context
def cli(
    ctx: click.Context,
    db: Path | None,
    sweep: str | None,
    latest: bool,
    fmt: str,
    output: Path | None,
    objective: str,
) -> None:
    if ctx.invoked_subcommand is not None:
        return
    import report
    from report import _data, _render

    _require(db)
    ids = None if latest else _ids(sweep)
    if fmt == "text" and output is None:
        stdout_console().print(_render.render_text(_data.load(db, ids), objective))
        return
    write_output(report.render(db, ids, fmt, objective), output)


@cli.command("import")
@DB
@click.argument(
    "paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@machine_options
def import_cmd(
    db: Path | None, paths: tuple[Path, ...], hardware: str | None, host_file: Path | None
) -> None:
    """Import results bundles (`report export`: idempotent, each machine kept apart) or
    llama-bench output (JSON, JSONL, CSV or SQL/SQLite: every point predicted for --hardware
    or --host, default this machine). Prints the new sweep ids."""
    db = _db(db)
    from bench import Store
    from report import _bundle

    bundles = {p: _bundle.read(p) for p in paths if _bundle.is_bundle(p)}  # all checked first
    store = Store.open(db)
    try:
        for path in paths:
            if path in bundles:
                _import_bundle(store, bundles[path])
            else:
                _import_llama_bench(store, path, hardware, host_file)
    finally:
        store.close()


def _import_bundle(store: Store, bundle: Bundle) -> None:
    from report import _bundle

    done = _bundle.import_bundle(store, bundle)
    stderr_console().print(
        f"{bundle.source}: machine {done.machine}: {len(done.added)} sweep(s) with "
        f"{done.points} points imported, {len(done.present)} already there"
    )
    for sid in done.added:
        click.echo(str(sid))


def _import_llama_bench(
    store: Store, path: Path, hardware: str | None, host_file: Path | None
) -> None:
    import probe
    from report._import import import_records

    sid, n, how = import_records(store, probe.load_host(hardware, host_file), path)
    stderr_console().print(f"imported {n} points as sweep {sid} (model spec {how})")
    click.echo(str(sid))


@cli.command()
@DB
@click.option("--sweep", "sweep", default=None, help="Sweep id(s) of one machine, e.g. 3 or 3,4.")
@click.option("--latest", is_flag=True, help="The most recent sweep (the default).")
@click.option(
    "--label",
    default=None,
    help="This machine's CI runner label (e.g. self-hosted-gpu-cuda): how fleet reports and "
    "the gate name and match it.",
)
@output_option()
def export(
    db: Path | None, sweep: str | None, latest: bool, label: str | None, output: Path | None
) -> None:
    """Write sweeps of one machine as a portable results bundle: host, engine, model facts,
    every point with its raw samples, prediction and failure, and the calibration in force."""
    db = _db(db)
    from bench import Store
    from report import _bundle

    _require(db)
    store = Store.open(db, readonly=True)
    try:
        data = _bundle.export(store, None if latest else _ids(sweep), label)
    finally:
        store.close()
    write_output(_bundle.dumps(data), output)
    n = sum(len(s["points"]) for s in data["sweeps"])
    where = data["label"] or data["host"]["fingerprint"]
    stderr_console().print(f"exported {len(data['sweeps'])} sweep(s), {n} points of {where}")


@cli.command()
@DB
@click.option(
    "--sweep", default=None, help="Sweep ids (default: each machine's latest of each model)."
)
@click.option(
    "--depth",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="The context depth at which machines are ranked by tg tokens/s.",
)
@format_option("text", "md", "html", "json")
@output_option()
def fleet(db: Path | None, sweep: str | None, depth: int, fmt: str, output: Path | None) -> None:
    """Machines x models x tests: measured vs predicted on each machine, each machine's
    calibration, accuracy, failures and peak memory, and which machine to pick for a model."""
    db = _db(db)
    from report import _fleet, _fleet_render

    _require(db)
    write_output(_fleet_render.render(_fleet.load_fleet(db, _ids(sweep), depth), fmt), output)


@cli.command()
@DB
@click.option(
    "--run", "run", default=None, help="Serve run id(s), e.g. 2 or 2,3 (default: latest)."
)
@format_option("text", "md", "html", "json")
@output_option()
def serve(db: Path | None, run: str | None, fmt: str, output: Path | None) -> None:
    """`bench serve` runs: TTFT, per-user and aggregate tokens/s and J/token per users x prompt
    level, measured beside predicted (HTML: TTFT vs prompt and tokens/s vs users charts)."""
    db = _db(db)
    from report import _serve

    _require(db)
    write_output(_serve.render(_serve.load_serve(db, _ids(run, "serve run")), fmt), output)


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
@click.option(
    "--baseline",
    required=True,
    help="A sweep id of this store, or baseline bundles: a directory of *.rigbench.json "
    "(report baseline update) or one bundle; each machine is gated against its own.",
)
@click.option("--candidate", type=int, default=None, help="Default: the latest sweep.")
@click.option("--max-regression", default="5%", show_default=True)
def gate(db: Path | None, baseline: str, candidate: int | None, max_regression: str) -> None:
    """Exit 1 when a significant regression exceeds the threshold (for CI). A machine with no
    baseline bundle is reported, not failed."""
    db = _db(db)
    _require(db)
    limit = _limit(max_regression)
    if baseline.isdigit():
        _gate_sweeps(db, int(baseline), candidate, limit)
    else:
        _gate_bundles(db, Path(baseline), candidate, limit)


def _limit(text: str) -> float:
    try:
        return float(text.rstrip("%")) / (100 if text.endswith("%") else 1)
    except ValueError as exc:
        raise UserError(f"cannot read --max-regression {text!r}", hint="give 5% or 0.05") from exc


def _gate_sweeps(db: Path | None, baseline: int, candidate: int | None, limit: float) -> None:
    from report import _compare, _data

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


def _gate_bundles(db: Path | None, path: Path, candidate: int | None, limit: float) -> None:
    from report import _fleet

    if candidate is not None:
        raise UserError(
            "--candidate goes with a sweep id baseline",
            hint="with baseline bundles, every machine's latest sweep of each model is gated",
        )
    if not path.exists() and path.name.endswith(".json"):
        raise UserError(
            f"no baseline sweep id or bundle at {path}",
            hint="write baselines with: report baseline update --dir baseline/",
        )
    results = _fleet.gate(db, [path], limit)
    for line in _fleet.gate_lines(results, limit):
        click.echo(line)
    missing = [g for g in results if g.baseline is None]
    if missing:
        stderr_console().print(
            f"warning: {len(missing)} machine/model(s) have no baseline in {path}\n"
            "hint: write them with: report baseline update --dir baseline/, then commit them"
        )
    bad = [g for g in results if g.regressed]
    if bad:
        raise UserError(
            f"{sum(len(g.regressed) for g in bad)} point(s) regressed by more than {limit:.0%} "
            f"(significant at p < 0.05) on {', '.join(sorted({g.machine for g in bad}))}",
            hint="see the REGRESSION lines above",
        )


@cli.group()
def baseline() -> None:
    """Baseline bundles, one per machine, for `report gate --baseline DIR`."""


@baseline.command("update")
@DB
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("baseline"),
    show_default=True,
    help="Where the bundles go (commit them to the repository).",
)
def baseline_update(db: Path | None, directory: Path) -> None:
    """Write each machine's latest sweep of each model as its baseline bundle."""
    db = _db(db)
    from report import _fleet

    _require(db)
    for path in _fleet.update_baselines(db, directory):
        click.echo(str(path))


def main(argv: list[str] | None = None) -> None:
    run_main(cli, argv)


if __name__ == "__main__":
    main()
