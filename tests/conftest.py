"""Suite-wide settings: hypothesis examples get no deadline.

A per-example deadline (hypothesis' default is 200 ms) is a timing assertion, and the default suite asserts no
timings: a loaded machine would fail it. Speed targets live in ``tests/perf`` (``python tests/perf/run_all.py``).
"""

from __future__ import annotations

try:
    from hypothesis import settings
except ImportError:  # hypothesis is a dev dependency; the tests that use it import it themselves
    pass
else:
    settings.register_profile("tlbench", deadline=None)
    settings.load_profile("tlbench")
