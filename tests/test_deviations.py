"""The known-deviations file: entries are validated, patterns match node ids
literally (brackets included), dtype/device narrowing works, each entry is
strict exactly on the releases it was observed on, and the shipped file
agrees with the op table, the example tests it names and noxfile.py."""

import importlib
import re
import runpy
from pathlib import Path

import pytest
import torch

from torchconform import deviations

pytestmark = pytest.mark.area("deviations")

GOOD = """
[[deviation]]
id = "sign-of-nan"
observed_on = ["2.13.0", "2.14.1"]
test = "conformance/test_x.py::test_sign[*]"
reason = "torch.sign(nan) is 0"
dtype = "float16"
link = "https://example.org/issue"
"""


def entry(**fields) -> str:
    fields.setdefault("observed_on", ["2.13.0"])
    body = "\n".join(f"{k} = {v!r}".replace("'", '"') for k, v in fields.items())
    return f"[[deviation]]\n{body}\n"


def test_a_complete_entry_parses_with_its_fields():
    (dev,) = deviations.parse(GOOD)
    assert (dev.id, dev.dtype, dev.device, dev.link) == ("sign-of-nan", "float16", None, "https://example.org/issue")
    assert dev.observed_on == ("2.13.0", "2.14.1")
    assert dev.label == "known deviation sign-of-nan: torch.sign(nan) is 0"


@pytest.mark.parametrize("text, message", [
    (entry(id="a", test="t"), r"missing \['reason'\]"),
    (entry(id="a", test="t", reason=""), r"missing \['reason'\]"),
    (entry(test="t", reason="r"), r"missing \['id'\]"),
    (entry(id="a", test="t", reason="r", dtypes="float16"), r"unknown \['dtypes'\]"),
    (entry(id="a", test="t", reason="r") + entry(id="a", test="u", reason="s"), "duplicate deviation id 'a'"),
    (entry(id="a", test="t", reason="r", observed_on=[]), r"missing \['observed_on'\]"),
    (entry(id="a", test="t", reason="r", observed_on="2.13.0"), "observed_on must be a list of torch releases"),
    (entry(id="a", test="t", reason="r", observed_on=["2.13"]), "observed_on must be a list of torch releases"),
], ids=["no-reason", "empty-reason", "no-id", "misspelt-key", "duplicate-id", "no-release", "not-a-list",
        "not-a-release"])
def test_bad_entries_are_refused(text, message):
    with pytest.raises(ValueError, match=message):
        deviations.parse(text)


def test_broken_toml_is_refused():
    with pytest.raises(ValueError):
        deviations.parse("[[deviation]]\nid = ")


@pytest.mark.parametrize("pattern, nodeid, matches", [
    ("m.py::test_a[*]", "m.py::test_a[cpu-float32]", True),
    ("m.py::test_a[*]", "m.py::test_ab[cpu]", False),
    ("m.py::test_a[cpu]", "m.py::test_a[cpu]", True),
    # fnmatch would read [cpu] as one of c, p, u: the pattern must be literal.
    ("m.py::test_a[cpu]", "m.py::test_ac", False),
    ("m.py::test_a[cpu]", "m.py::test_a[cuda]", False),
    ("m.py::test_a[*-float16]", "m.py::test_a[cpu-add-float16]", True),
    ("m.py::test_a[*-float16]", "m.py::test_a[cpu-add-float16-extra]", False),
    ("m.py::test_a.b", "m.py::test_axb", False),
])
def test_patterns_match_node_ids_literally_but_for_star(pattern, nodeid, matches):
    (dev,) = deviations.parse(entry(id="d", test=pattern, reason="r"))
    assert dev.matches(nodeid, {}) is matches


@pytest.mark.parametrize("params, matches", [
    ({"dtype": torch.float16, "device": "cpu"}, True),
    ({"dtype": torch.float32, "device": "cpu"}, False),
    ({"dtype": torch.float16, "device": "cuda"}, False),
    ({}, False),
])
def test_dtype_and_device_narrow_an_entry(params, matches):
    (dev,) = deviations.parse(entry(id="d", test="m.py::t[*]", reason="r", dtype="float16", device="cpu"))
    assert dev.matches("m.py::t[cpu-float16]", params) is matches


SHIPPED = deviations.load()


@pytest.mark.parametrize("dev", SHIPPED, ids=lambda d: d.id)
def test_each_shipped_deviation_names_an_existing_test(dev):
    path, _, name = dev.test.partition("::")
    assert path.startswith("conformance/") and path.endswith(".py"), f"{dev.id}: {path} is not a conformance module"
    module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
    function = name.split("[")[0]
    assert "*" in function or callable(getattr(module, function, None)), f"{dev.id}: no test {name} in {path}"


@pytest.mark.parametrize("release, strict", [
    ("2.13.0", True),     # the calibrated release: a stale example must fail the run
    ("2.14.1", True),     # observed there too
    ("2.15.0", False),    # any other release: a pass is "resolved on this torch"
    ("2.13.0a0", False),  # a pre-release is not the release it precedes
])
def test_a_deviation_is_strict_on_the_calibrated_release_and_where_it_was_observed(release, strict):
    (dev,) = deviations.parse(entry(id="d", test="t", reason="r", observed_on=["2.13.0", "2.14.1"]))
    assert dev.expected_on(release, calibrated="2.13.0") is strict
    (only_calibrated,) = deviations.parse(entry(id="d", test="t", reason="r"))
    assert only_calibrated.expected_on("2.12.0", calibrated="2.12.0") is True


@pytest.mark.parametrize("version, release", [
    ("2.13.0+cpu", "2.13.0"), ("2.13.0", "2.13.0"), ("2.14.0a0+git1234abc", "2.14.0a0"), ("2.14.1+cu130", "2.14.1"),
])
def test_release_of_a_torch_version_drops_only_the_local_build(version, release):
    assert deviations.release_of(version) == release


@pytest.mark.parametrize("dev", SHIPPED, ids=lambda d: d.id)
def test_each_shipped_deviation_was_observed_on_the_calibrated_release(dev):
    # CI runs on the calibrated release: an entry not seen there would be a
    # strict xfail that passes, turning CI red.
    assert deviations.calibrated_release() in dev.observed_on


def test_noxfile_pins_the_tests_session_to_the_calibrated_release():
    noxfile = runpy.run_path(str(Path(__file__).parents[1] / "noxfile.py"))
    assert noxfile["CALIBRATED_TORCH"] == f"torch=={deviations.calibrated_release()}"
    assert re.fullmatch(r"\d+\.\d+\.\d+", deviations.calibrated_release())
