"""Pausing Python's cyclic garbage collector during bulk work.

Reading a bulk workbook creates millions of short-lived objects (cell values,
tuples, dicts) that hold no reference cycles. Each batch of 700 new objects starts
a collection, and every tenth of those walks all older objects again, so with the
collector running a 300,000-value import spends about a quarter of its time
collecting garbage that reference counting frees anyway. Bulk jobs pause it;
reference counting still frees everything that is not in a cycle, and the
collector resumes (and catches up) when the job ends.
"""

from __future__ import annotations

import contextlib
import gc


@contextlib.contextmanager
def collector_paused():
    """Pause the cyclic garbage collector for the block; nesting is safe."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
