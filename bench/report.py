"""The bench's answer: a table of ours vs baseline against DESIGN.md §7, and the same as JSON."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Row:
    measure: str
    unit: str
    ours: float
    baseline: float | None  # None: an absolute target (latency), no baseline
    target: str  # as printed: "≥ 1.0x", "< 100 ms"
    passed: bool

    @property
    def ratio(self) -> float | None:
        if self.baseline is None:
            return None
        return self.ours / self.baseline if self.baseline else math.inf


def ratio_row(measure: str, unit: str, *, ours: float, baseline: float, at_least: float) -> Row:
    return Row(
        measure=measure,
        unit=unit,
        ours=ours,
        baseline=baseline,
        target=f"≥ {at_least:g}x",
        passed=baseline > 0 and ours / baseline >= at_least,
    )


def limit_row(measure: str, unit: str, *, ours: float, below: float) -> Row:
    return Row(
        measure=measure,
        unit=unit,
        ours=ours,
        baseline=None,
        target=f"< {below:g} {unit}",
        passed=ours < below,
    )


def _number(value: float | None) -> str:
    if value is None:
        return "—"
    if math.isnan(value):
        return "n/a"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.1f}"


def table(rows: list[Row]) -> str:
    header = ("measure", "unit", "ours", "baseline", "ratio", "target", "result")
    lines = [
        (
            row.measure,
            row.unit,
            _number(row.ours),
            _number(row.baseline),
            "—" if row.ratio is None else f"{row.ratio:.2f}x",
            row.target,
            "PASS" if row.passed else "FAIL",
        )
        for row in rows
    ]
    widths = [max(len(cells[i]) for cells in [header, *lines]) for i in range(len(header))]

    def render(cells: tuple[str, ...]) -> str:
        left = {0, 1, 5, 6}
        return "  ".join(
            cell.ljust(widths[i]) if i in left else cell.rjust(widths[i])
            for i, cell in enumerate(cells)
        ).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([render(header), rule, *(render(cells) for cells in lines)])


def write_json(path: Path, *, rows: list[Row], details: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {
        "rows": [{**asdict(row), "ratio": row.ratio} for row in rows],
        **details,
    }
    path.write_text(json.dumps(body, indent=2, default=str) + "\n")
