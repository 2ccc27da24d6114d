"""torch.div(tensor([-2**63]), -1, rounding_mode='trunc') kills the process with SIGFPE; NumPy's integer division
wraps to -2**63. The call runs in a child process so that this script can report it."""
import subprocess
import sys

import numpy as np
import torch

CALL = "import torch; print(torch.div(torch.tensor([-2**63]), -1, rounding_mode='trunc').tolist())"
run = subprocess.run([sys.executable, "-c", CALL], capture_output=True, text=True, timeout=300)
with np.errstate(over="ignore", divide="ignore"):
    expected = (np.array([-2**63], np.int64) // np.int64(-1)).tolist()  # floor and trunc agree: 2**63 is exact
print(f"torch {torch.__version__}: div(tensor([-2**63]), -1, rounding_mode='trunc') in a child process: "
      f"exit status {run.returncode}, output {run.stdout.strip()!r}; NumPy: {expected}")
sys.exit(0 if run.returncode == 0 and run.stdout.strip() == str(expected) else 1)
