"""``python -m torchconform.report``: rebuild the HTML pages from the JSON
results already under ``reports/``, without running anything.

``python -m torchconform.report merge RUN.json ... [--out FILE]`` merges the
results of shards or machines into one (see :mod:`torchconform.report.merge`)
and builds its page; ``... compare RUN.json RUN.json ...`` writes the
comparison page of runs on different torch builds
(:mod:`torchconform.report.compare`).

A missing, corrupt or foreign result file gives one line on stderr and exit
status 1; a bad command line gives one line and exit status 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable

from torchconform.report import compare, merge
from torchconform.report.pages import CONFORMANCE_JSON, PARTS, Site
from torchconform.resultsfile import ReportError, write_json

PROG = "python -m torchconform.report"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, not usage + message
        self.exit(2, f"{PROG}: error: {message} (see --help)\n")


def _report_errors(prog: str, build: Callable[[], list[Path]]) -> int:
    """Runs ``build``: 0 after a line for each page it wrote, or 1 after one
    line on stderr when it raises ReportError."""
    try:
        written = build()
    except ReportError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KiB)")
    return 0


def _merge(argv: list[str]) -> int:
    parser = _Parser(prog=f"{PROG} merge",
                     description="Merge the conformance results of shards or machines into one result and page.")
    parser.add_argument("runs", nargs="+", type=Path, metavar="RUN.json", help="conformance results to merge")
    parser.add_argument("--out", type=Path, default=Path("reports") / CONFORMANCE_JSON, metavar="FILE",
                        help="merged result to write; the pages are built beside it when it is named "
                             f"{CONFORMANCE_JSON} (default: reports/{CONFORMANCE_JSON})")
    args = parser.parse_args(argv)

    def build() -> list[Path]:
        if args.out.resolve() in {p.resolve() for p in args.runs}:
            raise ReportError(f"--out {args.out} is one of the inputs: write the merge elsewhere")
        if args.out.is_dir():
            raise ReportError(f"--out {args.out} is a directory, not a file")
        merged = merge.merge(args.runs)
        try:
            write_json(args.out, merged)
        except OSError as exc:
            raise ReportError(f"cannot write {args.out}: {exc.strerror or exc}") from None
        print(f"wrote {args.out}: {len(merged['records'])} cases from {len(args.runs)} runs"
              + (f" (partial: {'; '.join(merged['run']['partial_reasons'])})" if merged["run"]["partial"] else ""))
        return Site(args.out.parent, only="conformance").build() if args.out.name == CONFORMANCE_JSON else []

    return _report_errors(f"{PROG} merge", build)


def _compare(argv: list[str]) -> int:
    parser = _Parser(prog=f"{PROG} compare",
                     description="Write one page comparing conformance runs (and benchmarks) of several torch builds.")
    parser.add_argument("runs", nargs="+", type=Path, metavar="RUN",
                        help="conformance.json files or directories holding one (a bench.json beside it is "
                             "compared too); the first is the base")
    parser.add_argument("--label", action="append", default=None, metavar="TEXT",
                        help="name of each run on the page, in order (default: its torch version)")
    parser.add_argument("--out", type=Path, default=Path("reports") / "compare.html", metavar="FILE",
                        help="page to write (default: reports/compare.html)")
    args = parser.parse_args(argv)
    return _report_errors(f"{PROG} compare",
                          lambda: [compare.write_page(compare.load_runs(args.runs, args.label), args.out)])


def main(argv: list[str] | None = None) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``): build the
    pages, or ``merge`` / ``compare`` runs. Returns the exit status: 0 done,
    1 a result file could not be used (one line on stderr), 2 a bad command
    line (raised as argparse's ``SystemExit(2)``, after one line on stderr)."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["merge"]:
        return _merge(argv[1:])
    if argv[:1] == ["compare"]:
        return _compare(argv[1:])
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
    return _report_errors(PROG, lambda: Site(args.reports, args.baseline, args.only).build())


if __name__ == "__main__":
    sys.exit(main())
