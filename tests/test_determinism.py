"""The same seed gives the same outcome whichever subset of tests runs.

Tests that draw from the global generators (``torch.rand`` without a
generator) are seeded from their own id by the plugin; Hypothesis tests run
under ``--hypothesis-seed`` draw the same examples alone as in a full run.
"""

import re

pytest_plugins = ["pytester"]

DRAWS = """
import random

import numpy as np
import torch
from hypothesis import given, strategies as st


def test_first():
    print("first", torch.rand(1).item(), np.random.rand(), random.random())


def test_second():
    print("second", torch.rand(1).item(), np.random.rand(), random.random())


@given(st.floats(0, 1))
def test_drawn(x):
    print("drawn", x, torch.rand(1).item())
"""


def _printed(result, name):
    """The numbers each ``print(name, ...)`` wrote (pytest's progress marks share the lines)."""
    return re.findall(rf"\b{name}((?: [-+.\deE]+)+)", result.stdout.str())


def _run(pytester, *args):
    result = pytester.runpytest_subprocess("-p", "torchconform.pytest_plugin", "-s", "-p", "no:cacheprovider",
                                           "--hypothesis-seed=7", *args)
    assert result.ret == 0, result.outlines
    return result


def test_a_test_draws_the_same_numbers_alone_as_after_others(pytester):
    pytester.makepyfile(test_draws=DRAWS)
    everything = _run(pytester)
    alone = _run(pytester, "-k", "second")
    assert _printed(alone, "second") == _printed(everything, "second") != []
    # and the two tests do not draw the same numbers as each other
    assert _printed(everything, "first") != _printed(everything, "second")


def test_a_property_draws_the_same_examples_alone_as_in_a_full_run(pytester):
    pytester.makepyfile(test_draws=DRAWS)
    everything = _run(pytester)
    alone = _run(pytester, "-k", "drawn")
    drawn = _printed(everything, "drawn")
    assert len(drawn) > 1 and _printed(alone, "drawn") == drawn
