from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from hip3_cli.config_cmd import config_group


def test_config_check_valid_file_exits_zero_with_json(tmp_path: Path) -> None:
    p = tmp_path / "c.toml"
    p.write_text('network = "sim"\nmarkets = ["BTC"]\n')
    r = CliRunner().invoke(config_group, ["check", str(p), "--json"])
    assert r.exit_code == 0
    assert json.loads(r.output.strip().splitlines()[-1])["markets"] == ["BTC"]


def test_config_check_bad_key_exits_two_without_traceback(tmp_path: Path) -> None:
    p = tmp_path / "c.toml"
    p.write_text("dedup_capacty = 5\n")
    r = CliRunner().invoke(config_group, ["check", str(p)])
    assert r.exit_code == 2
    assert "dedup_capacty" in r.output and "Traceback" not in r.output


def test_config_example_prints_a_valid_config(tmp_path: Path) -> None:
    r = CliRunner().invoke(config_group, ["example"])
    assert r.exit_code == 0
    p = tmp_path / "ex.toml"
    p.write_text(r.output)
    assert CliRunner().invoke(config_group, ["check", str(p)]).exit_code == 0
