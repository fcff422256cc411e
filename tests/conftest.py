"""Shared test configuration.

Hypothesis runs with a fixed derandomised profile in CI so every run explores
the same cases; set HYPOTHESIS_PROFILE=dev locally for fresh examples.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True)
def _isolated_logging() -> Iterator[None]:
    """Each test starts and ends with the root logger as it found it.

    The CLI configures logging (a stderr handler, a level) the way a program should; run
    in-process by CliRunner, that setup would otherwise leak into later tests' output.
    """
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in root.handlers:
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)
