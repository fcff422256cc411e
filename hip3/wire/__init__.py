"""The venue's wire format: JSON <-> frozen attrs classes, action builders, domain conversion.

* :mod:`hip3.wire.models` — classes mirroring the venue's JSON field for field;
* :mod:`hip3.wire.converter` — the one cattrs converter, ``loads``/``dumps``/``structure``;
* :mod:`hip3.wire.ws` — ``parse_ws_message``;
* :mod:`hip3.wire.actions` — exchange action dicts in the venue's signing key order;
* :mod:`hip3.wire.to_domain` — wire objects to :mod:`hip3.domain` records (Decimals).
"""

from __future__ import annotations

from hip3.wire.converter import dumps, loads, structure, unstructure
from hip3.wire.ws import parse_ws_message, ws_message_to_bytes, ws_message_to_json

__all__ = [
    "dumps",
    "loads",
    "parse_ws_message",
    "structure",
    "unstructure",
    "ws_message_to_bytes",
    "ws_message_to_json",
]
