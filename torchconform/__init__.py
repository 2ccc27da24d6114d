"""torchconform: does this torch compute what it claims, and how fast?

Shared code for the conformance tests (``conformance/``), the benchmarks
(``benchmarks/``) and the HTML reports (``reports/``).
"""

__version__ = "0.1.0"
