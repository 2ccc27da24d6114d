"""torch.isin raises "view size is not compatible" when test_elements cannot be flattened as a view
(here a transposed 2-d tensor, with a 0-d elements tensor); numpy.isin takes any layout."""
import sys

import numpy as np
import torch

elements, test_elements = torch.tensor(1.0), torch.arange(6.0).reshape(2, 3).t()
expected = np.isin(elements.numpy(), test_elements.numpy())
try:
    got = torch.isin(elements, test_elements).numpy()
except RuntimeError as exc:
    print(f"torch {torch.__version__}: isin raises: {exc}")
    sys.exit(1)
print(f"torch {torch.__version__}: isin = {got}; numpy: {expected}")
sys.exit(0 if np.array_equal(got, expected) else 1)
