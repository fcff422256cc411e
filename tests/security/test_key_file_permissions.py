"""File permissions: a key file any group/other permission bit is set on gets a warning
(naming the file, never its content); a private one does not. The config file holds no secret
(a key in it is refused, see tests/config), so reading it is harmless, but one that others can
write could redirect the bot (network, limits, key path) and gets a warning too."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pytest

from hip3.config import Config, config_from_dict, load_config, resolve_private_key

KEY = "0x" + "3d" * 32

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


def _config(key_file: Path) -> Config:
    return config_from_dict(
        {"network": "testnet", "account": {"key_file": str(key_file)}}, source="bot.toml"
    )


def _warnings_for(tmp_path: Path, mode: int) -> list[str]:
    key_file = tmp_path / f"key-{mode:o}"
    key_file.write_text(KEY + "\n")
    key_file.chmod(mode)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert resolve_private_key(_config(key_file)) == KEY
    texts = [str(w.message) for w in caught]
    for text in texts:
        assert KEY[2:] not in text.lower()
    return texts


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o444, 0o666])
def test_a_key_file_readable_by_others_is_warned_about(tmp_path: Path, mode: int) -> None:
    texts = _warnings_for(tmp_path, mode)
    assert len(texts) == 1, texts
    assert f"key-{mode:o}" in texts[0] and "chmod 600" in texts[0]


@pytest.mark.parametrize("mode", [0o600, 0o400])
def test_a_private_key_file_is_not_warned_about(tmp_path: Path, mode: int) -> None:
    assert _warnings_for(tmp_path, mode) == []


@pytest.mark.parametrize("mode", [0o620, 0o602, 0o610])
def test_a_key_file_others_can_write_or_execute_is_warned_about(tmp_path: Path, mode: int) -> None:
    # Anyone who can write the key file can swap in their own key (found here, fixed by app:
    # the check is ``mode & 0o077``).
    texts = _warnings_for(tmp_path, mode)
    assert len(texts) == 1, texts
    assert "chmod 600" in texts[0]


CONFIG_TEXT = 'mode = "paper"\nnetwork = "sim"\nmarkets = ["BTC"]\n'


def _config_warnings(tmp_path: Path, mode: int) -> list[str]:
    path = tmp_path / f"bot-{mode:o}.toml"
    path.write_text(CONFIG_TEXT)
    path.chmod(mode)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        load_config(path)
    return [str(w.message) for w in caught]


@pytest.mark.parametrize("mode", [0o664, 0o646, 0o666, 0o620])
def test_a_config_file_others_can_change_is_warned_about(tmp_path: Path, mode: int) -> None:
    texts = _config_warnings(tmp_path, mode)
    assert len(texts) == 1, texts
    assert f"bot-{mode:o}.toml" in texts[0] and "chmod go-w" in texts[0]


@pytest.mark.parametrize("mode", [0o644, 0o600, 0o444])
def test_a_config_file_others_can_only_read_is_not_warned_about(tmp_path: Path, mode: int) -> None:
    assert _config_warnings(tmp_path, mode) == []
