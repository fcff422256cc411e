"""Bot construction: the signing key is parsed once and never kept or shown as text."""

from __future__ import annotations

from typing import Any

import pytest

from hip3.bot import Bot
from hip3.bot.strategies import MarketMaker
from hip3.errors import Hip3Error, NotRunningError, SigningError, ValidationError
from hip3.signing import PrivateKey

SECRET_HEX = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
KEY = PrivateKey.from_hex(SECRET_HEX)


def _bot(key: Any, mode: str = "trading") -> Bot:
    return Bot(
        base_url="http://127.0.0.1:9",
        ws_url="ws://127.0.0.1:9/ws",
        account=KEY.address,
        markets=["BTC"],
        strategy=MarketMaker(),
        mode=mode,
        key=key,
    )


@pytest.mark.parametrize(
    "given",
    [SECRET_HEX, "0x" + SECRET_HEX, SECRET_HEX.upper(), bytes.fromhex(SECRET_HEX), KEY],
    ids=["hex", "0x-hex", "upper-hex", "bytes", "PrivateKey"],
)
def test_key_is_held_as_a_private_key_never_as_the_text_given(given: Any) -> None:
    bot = _bot(given)
    held = bot._key  # what the bot keeps in memory is the point
    assert isinstance(held, PrivateKey)
    assert held.address == KEY.address
    assert not any(
        isinstance(value, (str, bytes)) and value == given for value in vars(bot).values()
    )
    for text in (repr(bot), str(bot), repr(vars(bot))):
        assert SECRET_HEX not in text.lower()


@pytest.mark.parametrize(
    "bad",
    ["not hex at all", SECRET_HEX[:-2], "0" * 64, b"\x01" * 31, 12345],
    ids=["words", "short-hex", "zero", "31-bytes", "int"],
)
def test_unusable_key_is_refused_at_construction_naming_key_not_echoing_it(bad: Any) -> None:
    with pytest.raises(SigningError, match=r"^key: not a usable signing key") as refused:
        _bot(bad)
    text = str(refused.value) + repr(refused.value)
    assert str(bad) not in text and repr(bad) not in text
    assert refused.value.__cause__ is None and refused.value.__suppress_context__


def test_observe_mode_needs_no_key_and_trading_mode_does() -> None:
    assert _bot(None, mode="observe")._key is None
    with pytest.raises(Hip3Error, match="trading mode needs a signing key"):
        _bot(None)


def test_bad_arguments_are_validation_errors_naming_the_field() -> None:
    with pytest.raises(ValidationError) as no_key:
        _bot(None)
    assert no_key.value.field == "key"
    with pytest.raises(ValidationError, match=r"^markets: no markets") as no_markets:
        Bot(base_url="", ws_url="", account=KEY.address, markets=[], strategy=MarketMaker())
    assert no_markets.value.field == "markets"
    with pytest.raises(ValidationError, match=r"^cancel_scope: must be 'own' or 'account'"):
        Bot.create(
            base_url="",
            ws_url="",
            account=KEY.address,
            markets=["BTC"],
            strategy=MarketMaker(),
            cancel_scope="everyone",  # type: ignore[arg-type]
        )


def test_asking_a_bot_that_has_not_run_is_a_not_running_error() -> None:
    bot = _bot(KEY)
    with pytest.raises(NotRunningError, match="not running"):
        bot.tracker  # noqa: B018
    with pytest.raises(NotRunningError, match="no summary yet"):
        bot.summary()
