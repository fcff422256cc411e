"""Example configs shipped in the package: ``hip3 config example --name NAME`` prints one,
``hip3 trade`` with no ``--config`` runs ``sim``. The repository's ``examples/`` folder
holds the same files (a test keeps them equal)."""

from __future__ import annotations

from importlib import resources

__all__ = ["NAMES", "example_text"]

NAMES = ("sim", "chaos", "testnet")


def example_text(name: str) -> str:
    """The TOML text of the packaged example ``name`` (one of :data:`NAMES`)."""
    if name not in NAMES:
        raise ValueError(f"no example config {name!r}; choose one of {', '.join(NAMES)}")
    return resources.files(__package__).joinpath(f"{name}.toml").read_text(encoding="utf-8")
