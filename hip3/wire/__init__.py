"""The venue's wire format: JSON <-> frozen msgspec Structs, action builders, domain records.

* :mod:`hip3.wire.models` — classes mirroring the venue's JSON field for field
  (amounts already ``Decimal``, sides already ``Side``);
* :mod:`hip3.wire.codec` — msgspec decoding (``decode`` from bytes, ``structure`` from
  parsed JSON), ``dumps``/``unstructure`` back; errors name the field path;
* :mod:`hip3.wire.ws` — ``parse_ws_message`` (any ws frame, one decode);
* :mod:`hip3.wire.frames` — the bot's hot ws frames straight to domain records;
* :mod:`hip3.wire.actions` — exchange action dicts in the venue's signing key order;
* :mod:`hip3.wire.to_domain` — wire objects to :mod:`hip3.domain` records.
"""

from __future__ import annotations

from hip3.wire.codec import decode, dumps, loads, structure, unstructure
from hip3.wire.ws import parse_ws_message, ws_message_to_bytes, ws_message_to_json

__all__ = [
    "decode",
    "dumps",
    "loads",
    "parse_ws_message",
    "structure",
    "unstructure",
    "ws_message_to_bytes",
    "ws_message_to_json",
]
