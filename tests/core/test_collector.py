"""The cyclic garbage collector is paused for bulk work and always resumed."""

import gc

import pytest

from core.collector import collector_paused


def test_the_collector_is_paused_in_the_block_and_resumed_after():
    # Given a running collector
    assert gc.isenabled()
    # When a block runs with it paused, then it is off inside and on again after
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_failing_block_resumes_the_collector():
    # Given a block that fails while the collector is paused
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("the import failed")
    # Then the collector runs again
    assert gc.isenabled()


def test_nested_pauses_resume_only_at_the_outermost():
    with collector_paused():
        with collector_paused():
            assert not gc.isenabled()
        # The inner block does not resume what the outer one paused
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_collector_switched_off_before_stays_off():
    # Given a process that runs without the collector
    gc.disable()
    try:
        with collector_paused():
            pass
        # Then the block does not switch it on
        assert not gc.isenabled()
    finally:
        gc.enable()
