"""Where the store lives, and the check that the ``research`` extra is installed."""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from types import ModuleType

__all__ = ["STORE_ENV", "MissingExtraError", "default_store_dir", "require", "resolve_store_dir"]

#: The environment variable naming the store directory when ``--store`` is not given.
STORE_ENV = "HIP3_STORE"


class MissingExtraError(ImportError):
    """pyarrow or duckdb is not installed; the message names the install command."""


def require(module: str) -> ModuleType:
    """Import ``module`` of the ``research`` extra, or say how to install it."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        raise MissingExtraError(
            f"the store needs {module.split('.')[0]}: pip install 'hip3[research]'"
        ) from exc


def default_store_dir() -> Path:
    """The user's data directory: ``$XDG_DATA_HOME/hip3/store`` (``~/.local/share``),
    ``%LOCALAPPDATA%\\hip3\\store`` on Windows, ``~/Library/Application Support/hip3/store``
    on macOS. Never the current directory."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "hip3" / "store"


def resolve_store_dir(explicit: str | os.PathLike[str] | None) -> Path:
    """``--store`` if given, else ``$HIP3_STORE``, else :func:`default_store_dir`."""
    if explicit is not None:
        return Path(explicit).expanduser()
    env = os.environ.get(STORE_ENV)
    if env:
        return Path(env).expanduser()
    return default_store_dir()
