"""Reading delimited data files defensively: bad rows are skipped and counted, never fatal alone.

A file that is missing, empty, mostly unreadable or lacks a column raises a ``DataError`` that
names the file (and the line when there is one). Single malformed rows are skipped; the
``LoadReport`` counts them per file and reason and keeps a few examples with line numbers.
"""

from __future__ import annotations

import codecs
import io
import re
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from recommender.errors import DataError

MAX_EXAMPLES = 10
# A file with more bad rows than this share is broken, not merely dirty.
MAX_BAD_SHARE = 0.5
_SKIP_RE = re.compile(r"Skipping line (\d+): (.*)")


@dataclass
class LoadReport:
    """What loading found: the format, files read, rows skipped (by reason) and notes."""

    format: str = ""
    files: list[str] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def skip(self, source: str, reason: str, count: int, lines: list[int] | None = None) -> None:
        """Record ``count`` rows of file ``source`` skipped for ``reason`` (with example lines)."""
        if count <= 0:
            return
        self.skipped[f"{source}: {reason}"] += count
        for line in (lines or [])[: max(0, MAX_EXAMPLES - len(self.examples))]:
            self.examples.append(f"{source} line {line}: {reason}")

    @property
    def total_skipped(self) -> int:
        return sum(self.skipped.values())


@dataclass(frozen=True)
class Column:
    """A column to read: its name, dtype (``int``, ``float`` or ``str``), and whether required."""

    name: str
    kind: str = "str"
    required: bool = True


def read_table(
    path: Path,
    columns: list[Column],
    report: LoadReport,
    *,
    sep: str = ",",
    header: bool = True,
    encoding: str = "utf-8",
    fallback_encoding: str | None = "latin-1",
) -> pd.DataFrame:
    """Read ``path`` into a frame with ``columns``; malformed rows are skipped and reported."""
    _check_file(path)
    report.files.append(str(path))
    source, encoding = _open_source(path, sep, encoding, fallback_encoding, report)
    first_line = 2 if header else 1
    fast = _read_clean(source, columns, sep, header, encoding)
    if fast is not None:
        return fast
    if isinstance(source, io.StringIO):
        source.seek(0)
    frame, bad_lines = _read_strings(source, path, columns, sep, header, encoding)
    if frame.empty and not bad_lines:
        raise DataError(path, "has a header but no data rows")
    frame, bad = _coerce(frame, columns)
    blank = frame.attrs.pop("blank_rows", np.zeros(len(frame), dtype=bool))
    valid = ~bad & ~blank
    n_bad = int(bad.sum()) + len(bad_lines)
    total = n_bad + int(valid.sum())
    if total == 0 or n_bad > MAX_BAD_SHARE * total:
        line = _first_bad_line(bad, bad_lines, first_line)
        raise DataError(path, f"{n_bad:,} of {total:,} rows are malformed", line=line)
    lines = sorted(
        [*bad_lines, *_row_lines(np.flatnonzero(bad)[:MAX_EXAMPLES], bad_lines, first_line)]
    )
    report.skip(path.name, "malformed row", n_bad, lines)
    return frame[valid].reset_index(drop=True)


def _check_file(path: Path) -> None:
    if not path.exists():
        raise DataError(path, "file not found")
    if path.stat().st_size == 0:
        raise DataError(path, "file is empty")


def _open_source(
    path: Path, sep: str, encoding: str, fallback: str | None, report: LoadReport
) -> tuple[Path | io.StringIO, str]:
    """The file itself, or its decoded text when pandas cannot read it directly."""
    bad_line = _first_undecodable_line(path, encoding)
    if bad_line is not None:
        if fallback is None:
            raise DataError(path, f"is not valid {encoding} text", line=bad_line)
        report.notes.append(
            f"{path.name} is not valid {encoding} (first bad byte on line {bad_line}); "
            f"read it as {fallback}"
        )
        encoding = fallback
    if len(sep) == 1:
        return path, encoding
    # Multi-character separators ('::') force pandas' slow python engine; map them to one byte.
    text = path.read_text(encoding=encoding)
    return io.StringIO(text.replace(sep, "\x1f")), encoding


def _first_undecodable_line(path: Path, encoding: str) -> int | None:
    decoder = codecs.getincrementaldecoder(encoding)()
    line = 1
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 22), b""):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as err:
                return line + chunk[: max(err.start, 0)].count(b"\n")
            line += chunk.count(b"\n")
    return None


def _read_clean(
    source: Path | io.StringIO, columns: list[Column], sep: str, header: bool, encoding: str
) -> pd.DataFrame | None:
    """Fast path with typed columns; None when the file has anything needing the careful path."""
    dtypes = {"int": "int64", "float": "float64", "str": str}
    names = [c.name for c in columns]
    options: dict[str, object] = {
        "sep": "\x1f" if len(sep) > 1 else sep,
        "dtype": {
            c.name: "Int64" if c.kind == "int" and not c.required else dtypes[c.kind]
            for c in columns
        },
        "keep_default_na": False,
        "na_values": [""],
        "on_bad_lines": "error",
        "encoding": encoding if isinstance(source, Path) else None,
    }
    if not header:
        options.update(header=None, names=names, index_col=False)
    try:
        frame = pd.read_csv(source, **options)  # type: ignore[call-overload]
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError):
        return None
    required = [c.name for c in columns if c.required]
    if any(c.name not in frame.columns for c in columns):
        return None
    if frame.empty or frame[required].isna().to_numpy().any():
        return None
    text = [c.name for c in columns if c.kind == "str"]
    if text:
        frame[text] = frame[text].fillna("").apply(lambda s: s.str.strip())
        if (frame[[c for c in text if c in required]] == "").to_numpy().any():
            return None
    return frame[names]


def _read_strings(
    source: Path | io.StringIO,
    path: Path,
    columns: list[Column],
    sep: str,
    header: bool,
    encoding: str,
) -> tuple[pd.DataFrame, list[int]]:
    """All columns as strings; lines with the wrong number of fields come back separately."""
    names = [c.name for c in columns]
    options: dict[str, object] = {
        "sep": "\x1f" if len(sep) > 1 else sep,
        "dtype": str,
        "keep_default_na": False,
        "skip_blank_lines": False,
        "on_bad_lines": "warn",
        "encoding": encoding if isinstance(source, Path) else None,
    }
    if not header:
        options.update(header=None, names=names, index_col=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", pd.errors.ParserWarning)
        try:
            frame = pd.read_csv(source, **options)  # type: ignore[call-overload]
        except pd.errors.EmptyDataError as err:
            raise DataError(path, "file is empty") from err
        except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as err:
            raise DataError(path, f"cannot be parsed ({err})") from err
    missing = [c.name for c in columns if c.required and c.name not in frame.columns]
    if missing:
        found = ", ".join(map(str, frame.columns)) or "nothing"
        raise DataError(path, f"missing column(s) {', '.join(missing)} (found: {found})", line=1)
    for column in columns:
        if column.name not in frame.columns:
            frame[column.name] = ""
    bad_lines = [
        int(m.group(1))
        for w in caught
        for text in str(w.message).splitlines()
        if (m := _SKIP_RE.search(text))
    ]
    return frame[names], bad_lines


def _coerce(frame: pd.DataFrame, columns: list[Column]) -> tuple[pd.DataFrame, np.ndarray]:
    """Convert numeric columns; a required value that is empty or not a number marks the row bad."""
    stripped = {c.name: frame[c.name].str.strip() for c in columns}
    blank = np.logical_and.reduce([(s == "").to_numpy() for s in stripped.values()])
    bad = np.zeros(len(frame), dtype=bool)
    out: dict[str, pd.Series] = {}
    for column in columns:
        values = stripped[column.name]
        if column.kind == "str":
            out[column.name] = values
            missing = (values == "").to_numpy()
        else:
            numbers = pd.to_numeric(values, errors="coerce")
            missing = numbers.isna().to_numpy()
            if column.kind == "int":
                missing = missing | (numbers.fillna(0) % 1 != 0).to_numpy()
            out[column.name] = numbers
        if column.required:
            bad |= missing
    result = pd.DataFrame(out)
    result.attrs["blank_rows"] = blank
    return result, bad & ~blank


def _row_lines(rows: np.ndarray, skipped: list[int], first_line: int) -> list[int]:
    """File line numbers of frame rows, given the lines pandas skipped before them."""
    lines = rows.astype(np.int64) + first_line
    for skip in sorted(skipped):
        lines[lines >= skip] += 1
    return lines.tolist()


def _first_bad_line(bad: np.ndarray, skipped: list[int], first_line: int) -> int | None:
    candidates = list(skipped) + _row_lines(np.flatnonzero(bad)[:1], skipped, first_line)
    return min(candidates) if candidates else None
