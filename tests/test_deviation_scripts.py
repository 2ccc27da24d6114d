"""The standalone scripts of the known deviations (conformance/deviation_scripts/):
every deviation found by this suite has one, named after its id, every script
names an existing deviation, and on the calibrated torch release each script
still shows its deviation (exits 1)."""

import runpy
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

from torchconform import deviations

pytestmark = pytest.mark.area("deviations")

SCRIPTS = Path(__file__).parents[1] / "conformance" / "deviation_scripts"
DEVIATIONS = deviations.load()
SCRIPT_IDS = sorted(path.stem for path in SCRIPTS.glob("*.py"))


def test_every_deviation_found_by_this_suite_has_a_script():
    missing = [dev.id for dev in DEVIATIONS
               if "Found by this suite" in dev.reason and not (SCRIPTS / f"{dev.id}.py").is_file()]
    assert not missing, (f"deviations found by this suite without a script {SCRIPTS.name}/<id>.py "
                         f"(see {SCRIPTS.name}/README.md): {', '.join(missing)}")


def test_every_script_is_named_after_a_deviation():
    known = {dev.id for dev in DEVIATIONS}
    orphans = [name for name in SCRIPT_IDS if name not in known]
    assert not orphans, f"scripts in {SCRIPTS.name}/ named after no deviation id in deviations.toml: {orphans}"


@pytest.fixture
def restore_torch_state():
    """Put back the global state a script run in this process may change:
    torch's default dtype, grad and anomaly modes and random generator,
    NumPy's error handling and global generator, the warning filters."""
    dtype, grad, anomaly = torch.get_default_dtype(), torch.is_grad_enabled(), torch.is_anomaly_enabled()
    torch_rng, numpy_rng = torch.random.get_rng_state(), np.random.get_state()
    with warnings.catch_warnings(), np.errstate():
        try:
            yield
        finally:
            torch.set_default_dtype(dtype)
            torch.set_grad_enabled(grad)
            torch.set_anomaly_enabled(anomaly)
            torch.random.set_rng_state(torch_rng)
            np.random.set_state(numpy_rng)


@pytest.mark.filterwarnings("ignore")  # torch's notices about the calls a script makes on purpose
@pytest.mark.parametrize("deviation", SCRIPT_IDS)
def test_script_exits_1_on_the_calibrated_release(deviation, restore_torch_state, capsys):
    calibrated = deviations.calibrated_release()
    if deviations.release_of(torch.__version__) != calibrated:
        pytest.skip(f"torch {torch.__version__} is not the calibrated release {calibrated}: a script may exit 0 "
                    f"here because this torch fixed the deviation")
    # In this process, for speed: the scripts whose call kills the process
    # (SIGFPE) already make it in a child process of their own.
    try:
        runpy.run_path(str(SCRIPTS / f"{deviation}.py"), run_name="__main__")
        code = 0  # ran to its end without sys.exit
    except SystemExit as exit_:
        code = exit_.code
    out = capsys.readouterr().out
    assert code == 1, (f"{SCRIPTS.name}/{deviation}.py exited {code!r} on the calibrated release {calibrated}, "
                       f"not 1 (the deviation holds); its output:\n{out}")
