"""HTML reports built from the JSON results: ``reports/index.html``,
``conformance.html``, ``bench.html`` and, when tutorial claims were checked,
``claims.html``.

Pages are plain HTML with inline CSS and inline SVG charts (matplotlib), so
they open offline from ``file://`` and need no JavaScript. Build them with
``python -m torchconform.report`` (``nox -s report``) or, at the end of a run,
with :func:`build_conformance` / :func:`build_bench`.

The builders load lazily: the pytest plugin imports :mod:`.data` from this
package without pulling in Jinja2 and matplotlib.
"""

from typing import Any

__all__ = ["ReportError", "build_all", "build_bench", "build_conformance"]


def __getattr__(name: str) -> Any:
    if name == "ReportError":
        from torchconform.resultsfile import ReportError

        return ReportError
    if name in __all__:
        from torchconform.report import pages

        return getattr(pages, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
