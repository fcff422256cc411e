"""The ``hip3`` command line: a thin click shell over the library.

Installed as the ``hip3_cli`` package (never a bare top-level ``cli``).
"""
