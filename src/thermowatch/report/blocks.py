"""The parts a report is made of (paragraphs, tables, findings, figures, sections), shared by
:mod:`thermowatch.report.document`, :mod:`thermowatch.report.first_page` and the renderers."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from thermowatch.report.recommendations import Recommendation


@dataclass
class Table:
    """A table: header cells and rows of cells (plain text, escaped by the renderer)."""

    header: list[str]
    rows: list[list[str]]


@dataclass
class Findings:
    """The recommendations, each with its severity."""

    items: list[Recommendation]


@dataclass
class Figure:
    """A figure's place in the report (the renderer embeds or links the PNG): the main figure,
    or the file ``name`` written next to the report."""

    alt: str
    name: str | None = None


Block = str | Table | Findings | Figure  # a str is a paragraph


@dataclass
class Section:
    """A titled part of the report; ``details`` parts fold away in HTML (read after page one)."""

    title: str
    blocks: list[Block] = field(default_factory=list)
    details: bool = False


@dataclass
class Document:
    """The whole report."""

    title: str
    lang: str
    sections: list[Section]
    footer: str


def band_lower_pu(name: str) -> float:
    """Sort key of a load band label (``<0.5 pu``, ``0.5-0.8 pu``, ``>1.0 pu``) [pu]."""
    numbers = [float(x) for x in re.findall(r"\d+(?:\.\d+)?", name)]
    if not numbers:
        return math.inf
    if name.lstrip().startswith("<"):
        return -math.inf
    return numbers[0] + (1e-6 if name.lstrip().startswith(">") else 0.0)


def ordered_bands(groups: dict[str, dict]) -> dict[str, dict]:
    """Load bands from the lightest to the heaviest load."""
    return dict(sorted(groups.items(), key=lambda item: band_lower_pu(item[0])))
