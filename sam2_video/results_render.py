"""Rendering of the runs table (``sam2_video.results.Table``): Markdown, CSV, both files written atomically."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from sam2_video.atomic import write_text

if TYPE_CHECKING:
    from sam2_video.results import Table


def _cell(value: Any, precise: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value) if precise else f"{value:.4f}"
    return str(value)


def to_markdown(table: Table) -> str:
    """A GitHub markdown table (floats to 4 decimals)."""
    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    out = [line(table.columns), line(["---"] * len(table.columns))]
    out += [line([_cell(row.get(c), False) for c in table.columns]) for row in table.rows]
    return "\n".join(out) + "\n"


def to_csv(table: Table) -> str:
    """CSV with full-precision numbers; empty cells for missing values."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow([_cell(row.get(c), True) for c in table.columns])
    return buf.getvalue()


def write_tables(table: Table, out: str | Path) -> tuple[Path, Path]:
    """Atomically write ``<out>.md`` and ``<out>.csv``."""
    out = Path(out)
    md, csv_path = out.with_name(out.name + ".md"), out.with_name(out.name + ".csv")
    write_text(md, to_markdown(table))
    write_text(csv_path, to_csv(table))
    return md, csv_path
