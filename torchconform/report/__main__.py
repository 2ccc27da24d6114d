"""``python -m torchconform.report``: rebuild the HTML pages from the JSON
results already under ``reports/``, without running anything.

A missing, corrupt or foreign result file gives one line on stderr and exit
status 1; a bad command line gives one line and exit status 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from torchconform.resultsfile import ReportError
from torchconform.report.pages import PARTS, Site

PROG = "python -m torchconform.report"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, not usage + message
        self.exit(2, f"{PROG}: error: {message} (see --help)\n")


def main(argv: list[str] | None = None) -> int:
    parser = _Parser(prog=PROG, description="Build reports/*.html from the JSON results in reports/.")
    parser.add_argument("--reports", type=Path, default=Path("reports"), metavar="DIR",
                        help="directory holding conformance.json / bench.json; pages are written there "
                             "(default: reports)")
    parser.add_argument("--baseline", type=Path, default=None, metavar="FILE",
                        help="pytest-benchmark JSON to compare the benchmarks with "
                             "(default: DIR/reference/bench.json when present)")
    parser.add_argument("--only", choices=PARTS, default=None,
                        help="build only this page (and the index); its JSON must exist")
    args = parser.parse_args(argv)
    try:
        written = Site(args.reports, args.baseline, args.only).build()
    except ReportError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
