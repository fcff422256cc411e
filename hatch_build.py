"""Build hook: make ``./cli`` importable as ``hip3_cli`` in editable installs too.

A wheel gets the folder copied in as ``hip3_cli`` (``force-include`` in
pyproject.toml). An editable install would get a frozen copy the same way, so
edits to ``cli/`` would not show until a reinstall; instead it gets a one-file
package whose ``__path__`` points at the source folder.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

_SHIM = '''"""Editable install of hip3: the ``hip3_cli`` sources live in {src!r}."""
__path__ = [{src!r}]
with open({init!r}, encoding="utf-8") as _f:
    exec(compile(_f.read(), {init!r}, "exec"))
del _f
'''


class CliPackageHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "hip3-cli"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version != "editable":
            return
        src = os.path.join(self.root, "cli")
        shim_dir = tempfile.mkdtemp(prefix="hip3_cli_editable_")
        with open(os.path.join(shim_dir, "__init__.py"), "w", encoding="utf-8") as f:
            f.write(_SHIM.format(src=src, init=os.path.join(src, "__init__.py")))
        build_data["force_include_editable"] = {shim_dir: "hip3_cli"}
