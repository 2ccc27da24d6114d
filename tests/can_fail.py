"""Helpers shared by the suite's can-fail tests (not a test module)."""

from __future__ import annotations

import pytest
from hypothesis import Phase, given, settings, strategies as st


def with_examples(test, count: int):
    """The same conformance test body (``data`` drawn inside it) as a fresh
    Hypothesis test with ``count`` derandomized examples: for a defect whose
    failing region the profile's examples need not meet every time (an
    unlucky seed would make the can-fail test itself flaky), but ``count``
    derandomized examples always do."""
    return settings(max_examples=count, derandomize=True, database=None)(given(data=st.data())(test.hypothesis.inner_test))


def without_shrinking(test):
    """The same conformance test body as a fresh Hypothesis test that stops
    at its first falsifying example (the profile's other settings kept): for
    a defect every example shows, where shrinking only costs seconds."""
    return settings(phases=[Phase.explicit, Phase.generate], database=None)(
        given(data=st.data())(test.hypothesis.inner_test))


def failure_of(check, **kwargs) -> str:
    """Run a conformance test function; it must fail with AssertionError
    (Hypothesis raises a group when it finds several distinct failures).
    Returns the messages with the notes Hypothesis attaches (the falsifying
    example)."""
    with pytest.raises((AssertionError, ExceptionGroup)) as info:
        check(**kwargs)
    errors = info.value.exceptions if isinstance(info.value, ExceptionGroup) else [info.value]
    assert all(isinstance(e, AssertionError) for e in errors), errors
    return "\n".join(text for e in errors for text in [str(e), *getattr(e, "__notes__", [])])


def wrap(monkeypatch, owner, name, wrong):
    """Replace ``owner.name`` by ``wrong(original, *args, **kwargs)``."""
    original = getattr(owner, name)
    monkeypatch.setattr(owner, name, lambda *args, **kwargs: wrong(original, *args, **kwargs))
