"""The garbage collector's settings: a batch gets the service's thresholds and gives them back."""

from __future__ import annotations

import gc

import pytest

from ledger import gc_tuning


def test_fewer_collections_sets_the_thresholds_and_restores_them_even_on_error():
    original = gc.get_threshold()
    gc.set_threshold(700, 10, 10)  # Python's default, whatever this process had set before
    try:
        with pytest.raises(RuntimeError), gc_tuning.fewer_collections():
            assert gc.get_threshold() == gc_tuning.THRESHOLDS
            raise RuntimeError("a failed rebuild")
        assert gc.get_threshold() == (700, 10, 10)
    finally:
        gc.set_threshold(*original)
