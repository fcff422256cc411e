"""hip3: Hyperliquid perpetuals, HIP-3 dexes included, with positions you can trust."""

from hip3._version import __version__

__all__ = ["__version__"]
