"""Facts a running test wants in the report (largest ULP error, tolerance,
repro script) attached to the pytest item being run.

They travel as ``user_properties``, which pytest-xdist ships from workers to
the controller, so reports built there see them. Outside a pytest run
(e.g. a repro script) notes are silently dropped.
"""

from __future__ import annotations

from typing import Any

_current_item: Any = None


def set_current_item(item: Any) -> None:
    """Make ``item`` (a ``pytest.Item``) the test :func:`note` records on, or
    stop recording with None; the plugin calls it around each test."""
    global _current_item
    _current_item = item


def note(key: str, value: Any) -> None:
    """Record ``key: value`` on the current test, replacing an earlier value.

    Hypothesis runs the shrunk failing example last, so the value left is the
    one of the example the report shows; ``max_ulp`` instead keeps the worst
    value over every example.
    """
    if _current_item is None:
        return
    props = _current_item.user_properties
    old = [i for i, (k, _) in enumerate(props) if k == key]
    if key == "max_ulp" and old:
        value = max(value, props[old[0]][1])
    for i in reversed(old):
        del props[i]
    props.append((key, value))
