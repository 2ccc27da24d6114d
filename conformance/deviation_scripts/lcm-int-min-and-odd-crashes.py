"""torch.lcm(-2**63, 5) on int64 tensors kills the process with SIGFPE (it divides -2**63 by its gcd, -1);
NumPy's lcm is -2**63. The call runs in a child process so that this script can report it."""
import subprocess
import sys

import numpy as np

CALL = "import torch; print(torch.lcm(torch.tensor([-2**63]), torch.tensor([5])).tolist())"
run = subprocess.run([sys.executable, "-c", CALL], capture_output=True, text=True)
expected = np.lcm(np.array([-2**63]), np.array([5])).tolist()
print(f"torch lcm: exit status {run.returncode}, output {run.stdout.strip()!r}; numpy: {expected}")
sys.exit(0 if run.returncode == 0 and run.stdout.strip() == str(expected) else 1)
