"""Helpers shared by the suite's can-fail tests (not a test module)."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st


def with_examples(test, count: int):
    """The same conformance test body (``data`` drawn inside it) as a fresh
    Hypothesis test with ``count`` derandomized examples: for a defect whose
    failing region the profile's examples need not meet every time (an
    unlucky seed would make the can-fail test itself flaky), but ``count``
    derandomized examples always do."""
    return settings(max_examples=count, derandomize=True, database=None)(given(data=st.data())(test.hypothesis.inner_test))
