"""Turn the hand-written held-out sources into the dev files' JSON format (movieIds, full fields).

The sources name movies the way a person checking a catalogue would, "Title (Year)" as the
movie's display title (or its full MovieLens title), so they stay readable; this script maps
each to its ml-latest-small ``movieId`` exactly and refuses to write anything if one does not
resolve. The compiled files are committed beside the sources and are never tuned on.

    python -m benchmarks.heldout.compile --movies ../shared/data/ml-latest-small/movies.csv
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path
from typing import Any

from recommender.titles import display_title, match_keys, parse_movielens_title, split_query

HERE = Path(__file__).resolve().parent


def title_ids(movies_csv: Path) -> dict[str, int]:
    """Display title, full MovieLens title and "key|year" of every name -> movieId."""
    ids: dict[str, int] = {}
    with movies_csv.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            parsed = parse_movielens_title(row["title"])
            movie_id = int(row["movieId"])
            ids.setdefault(display_title(parsed.title, parsed.year), movie_id)
            ids[row["title"].strip()] = movie_id
            for name in (parsed.title, *parsed.akas):
                for key in match_keys(name):
                    ids.setdefault(f"{key}|{parsed.year}", movie_id)
    return ids


def lenient_id(title: str, known: dict[str, int]) -> int | None:
    """A "Title (Year)" by exact display title, else by any of the movie's names and the year."""
    if title in known:
        return known[title]
    name, year = split_query(title)
    parsed = parse_movielens_title(title)
    for candidate in (name, parsed.title, *parsed.akas):
        for key in match_keys(candidate):
            if (movie_id := known.get(f"{key}|{year or parsed.year}")) is not None:
                return movie_id
    return None


def _ids(titles: list[str], known: dict[str, int], missing: list[str]) -> list[int]:
    out = []
    for title in titles:
        if title in known:
            out.append(known[title])
        else:
            missing.append(title)
    return out


def first_message(n: int, src: dict[str, Any], known: dict[str, int], missing: list[str]) -> dict:
    years = src.get("y") or [None, None]
    rated = [[r[0], r[1]] for r in src.get("r", [])]
    rated_ids = _ids([r[0] for r in rated], known, missing)
    return {
        "id": f"fm-held-{n:03d}",
        "category": src["c"],
        "text": src["t"],
        "intent": src["i"],
        "liked": _ids(src.get("l", []), known, missing),
        "disliked": _ids(src.get("d", []), known, missing),
        "rated": [[m, r[1]] for m, r in zip(rated_ids, rated, strict=False)],
        "genres": src.get("g", []),
        "exclude_genres": src.get("x", []),
        "year_min": years[0],
        "year_max": years[1],
        "target": _ids(src.get("s", []), known, missing),
        "notes": "",
    }


def described_taste(n: int, src: dict[str, Any], known: dict[str, int], missing: list[str]) -> dict:
    """Acceptable films the catalogue lacks are left out (listed in ``DROPPED``), not errors."""
    acceptable: list[int] = []
    for title in src["a"]:
        movie_id = lenient_id(title, known)
        if movie_id is None:
            DROPPED.append(title)
        elif movie_id not in acceptable:
            acceptable.append(movie_id)
    if not acceptable:
        missing.append(f"{src['t']!r}: no acceptable film in the catalogue")
    return {
        "id": f"dt-held-{n:03d}",
        "text": src["t"],
        "acceptable": acceptable,
        "notes": f"kind: {src['k']}",
    }


DROPPED: list[str] = []


def compile_file(source: Path, make: Any, known: dict[str, int]) -> tuple[list[dict], list[str]]:
    missing: list[str] = []
    cases = []
    for n, line in enumerate(source.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            cases.append(make(n, json.loads(line), known, missing))
    return cases, missing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--movies", type=Path, required=True, help="ml-latest-small movies.csv")
    args = parser.parse_args(argv)
    known = title_ids(args.movies)
    status = 0
    for stem, make in (("first_messages", first_message), ("described_tastes", described_taste)):
        source = HERE / f"{stem}.src.jsonl"
        if not source.exists():
            continue
        cases, missing = compile_file(source, make, known)
        if missing:
            print(f"{source.name}: {len(missing)} titles not in the catalogue:", file=sys.stderr)
            for title in sorted(set(missing)):
                print(f"  {title}", file=sys.stderr)
            status = 1
            continue
        if DROPPED:
            print(f"{source.name}: {len(DROPPED)} acceptable films not in the catalogue, left out")
            (HERE / f"{stem}.dropped.txt").write_text("\n".join(sorted(set(DROPPED))) + "\n")
            DROPPED.clear()
        out = HERE / f"{stem}.heldout.json"
        out.write_text(json.dumps(cases, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"{out.name}: {len(cases)} cases")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
