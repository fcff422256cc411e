"""Fuzz the config loader beyond tests/config (which feeds small dicts of a few top-level keys):
the shipped example configs mutated everywhere (every section, the [sim] table included), TOML
text mangled line by line, arbitrary bytes as a file, and key files with any content.

Whatever the input: a Config, or one ConfigError that names the file (and, for anything past TOML
syntax, the dotted key); never another exception, never a traceback, never the key's text.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hip3.config import Config, config_from_dict, load_config, resolve_private_key
from hip3.errors import ConfigError

from .jsonfuzz import Draw, mutate

EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("*.toml"))
SOURCE = "fuzzed.toml"
KEY_HEX = "ab" * 32
SETTINGS = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _check_dict(data: Any) -> None:
    try:
        config_from_dict(data, source=SOURCE)
    except ConfigError as exc:
        assert exc.file == SOURCE, exc
        assert exc.key is not None, exc  # a structural problem names the key ...
        if exc.key:  # ... which may be TOML's empty key ""
            assert str(exc).startswith(f"{SOURCE}: {exc.key}: ")


@st.composite
def mutated_examples(draw: Draw) -> Any:
    path = draw(st.sampled_from(EXAMPLES))
    return mutate(tomllib.loads(path.read_text()), draw, rounds=4)


@SETTINGS
@given(mutated_examples())
def test_mutated_example_configs_give_config_or_config_error(data: Any) -> None:
    _check_dict(data)


@pytest.mark.slow
@settings(max_examples=5_000, deadline=None)
@given(mutated_examples())
def test_mutated_example_configs_long(data: Any) -> None:
    _check_dict(data)


def test_examples_load_as_shipped() -> None:
    assert EXAMPLES  # the fuzz above starts from them
    for path in EXAMPLES:
        assert isinstance(load_config(path), Config)


@st.composite
def mangled_toml(draw: Draw) -> str:
    lines = draw(st.sampled_from(EXAMPLES)).read_text().splitlines()
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        if not lines:
            break
        at = draw(st.integers(min_value=0, max_value=len(lines) - 1))
        how = draw(st.sampled_from(("drop", "dup", "cut", "value", "noise")))
        if how == "drop":
            del lines[at]
        elif how == "dup":
            lines.insert(at, lines[at])
        elif how == "cut":
            lines[at] = lines[at][: draw(st.integers(min_value=0, max_value=len(lines[at])))]
        elif how == "value" and "=" in lines[at]:
            literal = draw(
                st.sampled_from(
                    ['"x"', "-1", "0", "1e400", "nan", "inf", "true", "[]", "{}", "[1, \"a\"]",
                     '"' + KEY_HEX + '"', "1979-05-27T07:32:00Z", "0x10", '""']
                )
            )  # fmt: skip
            lines[at] = lines[at].split("=", 1)[0] + "= " + literal
        else:
            lines.insert(at, draw(st.text(max_size=20)).replace("\x00", ""))
    return "\n".join(lines)


@SETTINGS
@given(mangled_toml())
def test_mangled_toml_files_give_config_or_config_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "bot.toml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        load_config(path)
    except ConfigError as exc:
        assert exc.file == str(path), exc
        assert KEY_HEX not in str(exc)  # a key pasted into the file is never echoed


@SETTINGS
@given(st.binary(max_size=200))
def test_any_bytes_as_a_config_file(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "bot.toml"
    path.write_bytes(raw)
    try:
        load_config(path)
    except ConfigError as exc:
        assert exc.file == str(path)


def test_missing_and_directory_config_paths(tmp_path: Path) -> None:
    for path in (tmp_path / "absent.toml", tmp_path):
        with pytest.raises(ConfigError) as caught:
            load_config(path)
        assert caught.value.file == str(path)


@SETTINGS
@given(st.binary(max_size=80) | st.text(max_size=80).map(str.encode))
def test_key_file_with_any_content(tmp_path: Path, content: bytes) -> None:
    key_file = tmp_path / "key"
    key_file.write_bytes(content)
    os.chmod(key_file, 0o600)
    config = attrs.evolve(
        config_from_dict({"network": "testnet"}, source=SOURCE),
        account=attrs.evolve(Config().account, key_file=str(key_file)),
    )
    try:
        key = resolve_private_key(config)
    except ConfigError as exc:
        assert exc.file == SOURCE and exc.key == "account.key_file", exc
        stripped = content.decode("utf-8", "replace").strip()
        if len(stripped) >= 8:
            assert stripped not in str(exc)  # whatever was in there is not echoed
    else:
        assert key is not None and len(key.removeprefix("0x")) == 64
