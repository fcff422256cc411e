"""One home for errors: every exception of the library lives in hip3.errors."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re

import pytest

import hip3
import hip3.errors
from hip3.errors import Hip3Error


def _hip3_modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(hip3.__path__, "hip3."):
        try:
            importlib.import_module(info.name)
        except ImportError:  # an optional extra that is not installed
            continue
        names.append(info.name)
    return names


def _error_classes() -> set[type[BaseException]]:
    return {
        obj
        for name in _hip3_modules()
        for _, obj in inspect.getmembers(importlib.import_module(name), inspect.isclass)
        if issubclass(obj, Hip3Error)
    }


def test_every_hip3_error_is_defined_in_hip3_errors() -> None:
    found = _error_classes()
    assert {cls for cls in found if cls.__module__ != "hip3.errors"} == set()
    assert {"NotSentError", "SentNoAnswerError", "TrackerStopped"} <= {c.__name__ for c in found}


def test_the_module_docstring_draws_every_error() -> None:
    doc = hip3.errors.__doc__ or ""
    for name, cls in inspect.getmembers(hip3.errors, inspect.isclass):
        if issubclass(cls, Hip3Error):
            assert re.search(rf"^ +(\W+ )?{name}\b", doc, re.MULTILINE), name


def test_every_error_is_exported_at_the_top_level() -> None:
    for name, cls in inspect.getmembers(hip3.errors, inspect.isclass):
        if issubclass(cls, Hip3Error):
            assert name in hip3.__all__, name
            assert getattr(hip3, name) is cls


def test_old_import_paths_still_work() -> None:
    from hip3.clients import NotSentError as clients_not_sent
    from hip3.clients.outcome import NotSentError, SentNoAnswerError
    from hip3.tracker import TrackerStopped
    from hip3.tracker.actor import TrackerStopped as actor_stopped

    assert NotSentError is clients_not_sent is hip3.errors.NotSentError
    assert SentNoAnswerError is hip3.errors.SentNoAnswerError
    assert TrackerStopped is actor_stopped is hip3.errors.TrackerStopped


def test_the_tree() -> None:
    e = hip3.errors
    assert issubclass(e.NotSentError, e.TransportError)
    assert issubclass(e.SentNoAnswerError, e.TransportError)
    assert issubclass(e.TrackerStopped, e.NotRunningError)
    assert issubclass(e.ValidationError, ValueError)
    assert issubclass(e.StopTimeoutError, TimeoutError)
    assert e.SentNoAnswerError("lost").expires_after_ms is None


def test_the_simulators_bad_request_is_not_a_library_error() -> None:
    from hip3.sim import SimBadRequest

    assert not issubclass(SimBadRequest, Hip3Error)


def test_wire_error_names_kind_field_and_sample() -> None:
    exc = hip3.errors.WireError("not a number", kind="userFills", field="fills[3].px", sample="x")
    assert (exc.kind, exc.field, exc.sample) == ("userFills", "fills[3].px", "x")
    assert str(exc) == "userFills field 'fills[3].px': not a number"
    assert "``kind``" in (hip3.errors.WireError.__doc__ or "")


@pytest.mark.parametrize("name", ["NotRunningError", "StopTimeoutError", "TrackerStopped"])
def test_new_errors_are_hip3_errors(name: str) -> None:
    assert issubclass(getattr(hip3.errors, name), Hip3Error)


def test_the_readme_names_real_errors() -> None:
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Errors", 1)[1].split("\n#", 1)[0]
    names = re.findall(r"`(?:hip3\.)?(\w+Error)`", section)
    assert len(names) >= 6
    for name in names:
        assert issubclass(getattr(hip3, name), Hip3Error), name
