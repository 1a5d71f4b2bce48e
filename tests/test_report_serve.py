"""`report serve` (issue 17): stored serve runs rendered as text, Markdown, JSON and one
self-contained HTML page with the TTFT and tokens/s charts."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from bench.store import Store
from report.cli import cli
from tests._browser import browse


def _level(users: int, n_prompt: int, ttft: float, jpt: float | None) -> dict[str, object]:
    return {
        "users": users,
        "n_prompt": n_prompt,
        "n_gen": 16,
        "summary": {
            "requests": 4 * users, "errors": 1 if users == 4 and n_prompt == 4096 else 0,
            "ttft_p50_s": ttft, "ttft_p95_s": ttft * 1.5, "per_user_tokens_per_s": 50.0 / users,
            "aggregate_tokens_per_s": 45.0, "joules_per_token": jpt,
        },
        "predicted": {
            "users": users, "n_prompt": n_prompt, "ttft_s": ttft * 1.1,
            "ttft_burst_s": ttft * 2, "per_user_tokens_per_s": 55.0 / users,
            "aggregate_tokens_per_s": 50.0,
        },
        "requests": [{"user": 0, "ttft_s": ttft}],
    }  # fmt: skip


def make_store(path: Path) -> Path:
    store = Store.open(path)
    run = store.start_serve("fp", {"file": "tiny.gguf"}, {}, {"users": [1, 4]}, {"levels": []})
    for p, ttft in ((512, 0.05), (4096, 0.4)):
        for n in (1, 4):
            store.add_serve_level(run, _level(n, p, ttft * n, 0.25 if p == 512 else None))
    store.add_serve_level(run, {"users": 8, "n_prompt": 4096, "n_gen": 16, "skipped": "too long"})
    rows = [{"pl": 4, "pp": 512, "speed_tg": 181.25}]
    store.add_serve_batched_bench(run, {"rows": rows, "error": None})
    store.finish_serve(run, "done-with-failures")
    store.close()
    return path


def test_report_serve_in_every_format(tmp_path: Path) -> None:
    db = make_store(tmp_path / "r.db")

    def run(*args: str) -> str:
        res = CliRunner().invoke(cli, ["serve", "--db", str(db), *args])
        assert res.exit_code == 0, res.output
        return res.output

    text = run()
    assert "serve run 1: tiny.gguf" in text and "done-with-failures" in text
    assert "200 (220)" in text  # 4 users at 512: TTFT p50 measured (predicted) in ms
    assert "12.5 (13.8)" in text and "0.250" in text and "skipped: too long" in text
    line = next(x for x in text.splitlines() if x.split()[:2] == ["4", "4096"])
    assert "NA" in line and "errors" in line  # no energy counter: NA, not 0
    assert "llama-batched-bench tg ceiling: 4x pp512: 181.2 tok/s" in text
    md = run("--format", "md")
    assert "| users | prompt |" in md and "| 1 | 512 | 4 | 0 | 50 (55) |" in md
    data = json.loads(run("--format", "json"))
    assert data["schema_version"] == 2 and len(data["runs"][0]["levels"]) == 5
    assert data["runs"][0]["batched_bench"]["rows"][0]["speed_tg"] == 181.25
    assert "requests" not in data["runs"][0]["levels"][0]  # raw requests stay in the store
    html = run("--format", "html")
    assert "4x pp512: 181.2 tok/s" in html and "4x pp512: 181.2 tok/s" in md
    assert html.count("<svg") == 2 and "http" not in html.replace(
        'xmlns="http://www.w3.org/2000/svg"', ""
    )
    assert 'aria-label="TTFT p50 vs prompt length' in html and 'data-series="4 users"' in html
    assert 'data-series="8 users"' not in html  # only skipped: nothing to draw
    assert 'data-series="per user, prompt 512"' in html and 'class="predicted"' in html
    page = tmp_path / "serve.html"
    page.write_text(html)
    seen = browse(page, tmp_path)  # as a reader opens it: drawn, and nothing fetched
    assert seen.colors > 40 and seen.page_requests == [] and "<svg" in seen.dom


def test_report_serve_says_what_is_missing(tmp_path: Path) -> None:
    db = tmp_path / "empty.db"
    Store.open(db).close()
    res = CliRunner().invoke(cli, ["serve", "--db", str(db)])
    assert res.exit_code == 1 and "no serve runs" in str(res.exception)
    make_store(db)
    res = CliRunner().invoke(cli, ["serve", "--db", str(db), "--run", "7"])
    assert res.exit_code == 1 and "no serve run 7" in str(res.exception)
