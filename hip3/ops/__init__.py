"""Running hip3 for real: Prometheus metrics and a health endpoint, the preflight doctor.

:mod:`hip3.ops.metrics` needs the ``metrics`` extra (``pip install 'hip3[metrics]'``);
:mod:`hip3.ops.http` is the small HTTP/1.1 server on trio both use.
"""
