"""Rendering the pages from the JSON results with the Jinja2 templates."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import jinja2

import torchconform
from torchconform.report import bench, claims, conformance
from torchconform.resultsfile import ReportError, atomic_write_text, load_bench, load_conformance

CONFORMANCE_JSON = "conformance.json"
BENCH_JSON = "bench.json"
REFERENCE_BENCH = Path("reference") / "bench.json"
#: The calibrated release's conformance run: failures that passed there are labelled "changed since".
REFERENCE_CONFORMANCE = Path("reference") / "conformance.json"
PARTS = ("conformance", "bench")


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("torchconform.report", "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


class Site:
    """The results found under one reports directory and the pages made from them."""

    def __init__(self, reports: Path, baseline: Path | None = None, only: str | None = None,
                 catalogue: list[dict[str, Any]] | None = None) -> None:
        if only not in (None, *PARTS):
            raise ReportError(f"unknown report part {only!r}: choose one of {', '.join(PARTS)}")
        self.reports = Path(reports)
        self.only = only
        self.notes: list[str] = []
        self.conformance = self._load("conformance", load_conformance)
        self.bench = self._load("bench", load_bench)
        if self.conformance is None and self.bench is None:
            raise ReportError(
                f"no results in {self.reports}/: run `nox -s conformance` or `nox -s bench` first "
                f"(looked for {CONFORMANCE_JSON} and {BENCH_JSON})"
            )
        self.baseline, self.baseline_label = self._baseline(baseline)
        self.reference = self._reference()
        records = self.conformance["records"] if self.conformance else []
        self.has_claims = any(r.get("claim") for r in records)
        self.catalogue = catalogue if catalogue is not None or not self.has_claims else claims.load_catalogue()
        self.generated = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
        self.jinja = _environment()

    def _load(self, part: str, loader: Any) -> dict[str, Any] | None:
        path = self.reports / (CONFORMANCE_JSON if part == "conformance" else BENCH_JSON)
        if self.only == part or (self.only is None and path.exists()):
            return loader(path)
        if path.exists():  # only feeds the index here: a bad file is a note, not a failure
            try:
                return loader(path)
            except ReportError as exc:
                self.notes.append(str(exc))
        return None

    def _baseline(self, baseline: Path | None) -> tuple[dict[str, Any] | None, str]:
        if self.bench is None or self.only == "conformance":
            return None, ""
        if baseline is not None:
            return load_bench(Path(baseline), "baseline"), f"baseline {baseline}"
        reference = self.reports / REFERENCE_BENCH
        if reference.exists():
            return load_bench(reference, "reference run"), f"reference run ({reference})"
        return None, ""

    def _reference(self) -> dict[str, Any] | None:
        path = self.reports / REFERENCE_CONFORMANCE
        if self.conformance is None or not path.exists():
            return None
        try:
            return load_conformance(path)
        except ReportError as exc:
            raise ReportError(f"reference run: {exc}") from None

    def _torch(self) -> str | None:
        """The torch version the conformance run tested (claims' verdicts depend on it)."""
        return ((self.conformance or {}).get("environment", {}).get("torch") or {}).get("version")

    def _render(self, name: str, **context: Any) -> Path:
        links = [("index.html", "Overview")]
        links += [("conformance.html", "Conformance")] if self.conformance else []
        links += [("bench.html", "Benchmarks")] if self.bench else []
        links += [("claims.html", "Tutorial claims")] if self.has_claims else []
        html = self.jinja.get_template(name).render(
            page=name, links=links, generated=self.generated, version=torchconform.__version__, **context
        )
        path = self.reports / name
        try:
            atomic_write_text(path, html)
        except OSError as exc:
            raise ReportError(f"cannot write {path}: {exc.strerror or exc}") from None
        return path

    def build(self) -> list[Path]:
        """Write the pages this site's results allow; returns their paths."""
        written = []
        if self.conformance and self.only in (None, "conformance"):
            written.append(self._render("conformance.html", c=conformance.build(self.conformance, self.reference)))
            if self.has_claims:
                written.append(self._render("claims.html", k=claims.build(self.conformance["records"],
                                                                          self.catalogue, self._torch())))
        if self.bench and self.only in (None, "bench"):
            written.append(self._render("bench.html", b=bench.build(self.bench, self.baseline, self.baseline_label)))
        written.append(self._render(
            "index.html",
            conformance=conformance.summary(self.conformance, self.reference) if self.conformance else None,
            bench=bench.summary(self.bench) if self.bench else None,
            claims=(claims.build(self.conformance["records"], self.catalogue, self._torch())
                    if self.has_claims else None),
            notes=self.notes,
        ))
        return written


def build_all(reports: str | Path = "reports", baseline: str | Path | None = None,
              catalogue: list[dict[str, Any]] | None = None) -> list[Path]:
    """Every page the results under ``reports`` allow (``nox -s report``).
    ``catalogue`` replaces the claims catalogue of ``torchconform.claims``."""
    return Site(Path(reports), Path(baseline) if baseline else None, catalogue=catalogue).build()


def build_conformance(reports: str | Path = "reports", catalogue: list[dict[str, Any]] | None = None) -> list[Path]:
    """The conformance (and claims) page and the index, at the end of ``nox -s conformance``."""
    return Site(Path(reports), only="conformance", catalogue=catalogue).build()


def build_bench(reports: str | Path = "reports", baseline: str | Path | None = None) -> list[Path]:
    """The benchmark page and the index, at the end of ``nox -s bench``."""
    return Site(Path(reports), Path(baseline) if baseline else None, only="bench").build()
