"""The README's promises stay true: its commands, its examples and CI agree."""

from __future__ import annotations

import re
from pathlib import Path

from tests.clients.test_readme_example import README_EXAMPLE

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _sh_blocks() -> list[str]:
    return re.findall(r"```sh\n(.*?)```", README, re.S)


def test_the_clients_example_is_the_tested_text() -> None:
    assert README_EXAMPLE in README


def test_the_first_command_runs_a_shipped_config_on_the_simulator() -> None:
    first = _sh_blocks()[0].strip()
    assert first.startswith("python3 -m venv .venv && .venv/bin/pip install -e '.[dev]'")
    config = re.search(r"hip3 trade --config (\S+)", first)
    assert config is not None
    assert (ROOT / config.group(1)).is_file()
    assert 'network = "sim"' in (ROOT / config.group(1)).read_text(encoding="utf-8")


def test_ci_runs_exactly_the_readme_test_command() -> None:
    readme_test = _sh_blocks()[1].strip()
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    between = re.search(
        r"# --- begin README test command ---\n(.*?)\n# --- end README test command ---", ci, re.S
    )
    assert between is not None
    assert between.group(1).strip() == readme_test
