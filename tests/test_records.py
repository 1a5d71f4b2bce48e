"""HostProfile JSON: round trip, schema version gates, and malformed files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import probe
from probe import SCHEMA_VERSION, UserError, host_profile_from_dict, load_host_profile


def test_round_trip_on_every_recorded_machine(machine) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import MACHINES

    for name in MACHINES:
        p = probe.detect(context=machine(name))
        data = json.loads(p.to_json())
        assert next(iter(data)) == "schema_version" and data["schema_version"] == SCHEMA_VERSION
        assert host_profile_from_dict(data) == p


def test_newer_schema_is_rejected_with_upgrade_hint() -> None:
    with pytest.raises(UserError) as err:
        host_profile_from_dict({"schema_version": SCHEMA_VERSION + 1})
    assert "upgrade rigbench" in (err.value.hint or "")


def test_missing_schema_version_is_rejected() -> None:
    with pytest.raises(UserError, match="no schema_version"):
        host_profile_from_dict({"cpu": None})


def test_older_fields_missing_take_defaults(machine) -> None:  # type: ignore[no-untyped-def]
    data = probe.detect(context=machine("arm64-graviton3")).to_dict()
    for key in ("advice", "probe_seconds", "hostname"):
        data.pop(key)
    data["future_field_we_ignore"] = 1
    p = host_profile_from_dict(data)
    assert p.advice == () and p.cpu is not None and p.cpu.model == "Neoverse-V1"


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("{not json", r"not valid JSON \(line 1"),
        ("[1, 2]", "not a JSON object"),
        ('{"schema_version": 1, "cpu": 5, "os": {}}', "malformed"),
    ],
)
def test_bad_files(tmp_path: Path, content: str, words: str) -> None:
    f = tmp_path / "host.json"
    f.write_text(content)
    with pytest.raises(UserError, match=words):
        load_host_profile(f)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="cannot read host profile"):
        load_host_profile(tmp_path / "nope.json")


def test_schema_1_profile_is_upgraded(machine) -> None:  # type: ignore[no-untyped-def]
    data = probe.detect(context=machine("strix-halo-apu")).to_dict()
    data["schema_version"] = 1
    for key in ("source",):
        data.pop(key)
    for gpu in data["gpus"]:
        gpu.pop("spec_fp16_flops")
        gpu.pop("spec_mmq_flops")
    data["memory"].pop("spec_bandwidth_bytes_per_s")
    data["cpu"].pop("spec_fp32_flops")
    p = host_profile_from_dict(data)
    assert p.schema_version == SCHEMA_VERSION == 3
    assert p.source == "file" and p.gpus[0].spec_fp16_flops is None
    assert p.gpus[0].spec_mmq_flops is None
    assert p.gpus[0].gfx_target == "gfx1151"
