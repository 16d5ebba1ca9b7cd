"""Metric tables on disk: strict-JSON values, CSV and GitHub markdown tables (atomic writes)."""

from __future__ import annotations

import csv
import math
import os
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from sam2_video.atomic import atomic_path, write_text


def jsonable(obj: Any) -> Any:
    """numpy scalars / arrays -> Python; NaN / inf -> None (strict JSON)."""
    if hasattr(obj, "to_dict"):  # EvalSummary and other typed results
        return jsonable(obj.to_dict())
    if isinstance(obj, Mapping):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return None if not math.isfinite(float(obj)) else float(obj)
    return obj


def _fmt(v: Any) -> Any:
    if isinstance(v, (float, np.floating)):
        return "" if math.isnan(float(v)) else f"{float(v):.6f}"
    return v


def write_csv(target: str | os.PathLike, rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> Path:
    """Atomically write ``rows`` as CSV (NaN as empty cells)."""
    with atomic_path(target, suffix=".csv") as tmp:
        with open(tmp, "w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=list(columns), extrasaction="ignore")
            w.writeheader()
            for r in rows:
                w.writerow({k: _fmt(v) for k, v in r.items()})
    return Path(target)


def markdown_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], digits: int = 4) -> str:
    """A GitHub markdown table (NaN / None as '-')."""
    def cell(v: Any) -> str:
        if v is None or (isinstance(v, (float, np.floating)) and math.isnan(float(v))):
            return "-"
        if isinstance(v, (float, np.floating)):
            return f"{float(v):.{digits}f}"
        return str(v).replace("|", "\\|")

    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    lines += ["| " + " | ".join(cell(r.get(c)) for c in columns) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def write_markdown(target: str | os.PathLike, text: str) -> Path:
    return write_text(target, text)
