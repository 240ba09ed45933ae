"""MovieLens title parsing and the matching keys people's typing resolves through."""

from __future__ import annotations

import pytest

from recommender.titles import display_title, parse_movielens_title, split_query, title_key


@pytest.mark.parametrize(
    ("raw", "title", "year", "akas"),
    [
        ("Matrix, The (1999)", "The Matrix", 1999, ()),
        ("Toy Story (1995)", "Toy Story", 1995, ()),
        (
            "City of Lost Children, The (Cité des enfants perdus, La) (1995)",
            "The City of Lost Children",
            1995,
            ("La Cité des enfants perdus",),
        ),
        ("Seven (a.k.a. Se7en) (1995)", "Seven", 1995, ("Se7en",)),
        ("(500) Days of Summer (2009)", "(500) Days of Summer", 2009, ()),
        ("Babylon 5", "Babylon 5", None, ()),
        ("Death Note: Desu nôto (2006–2007)", "Death Note: Desu nôto", 2006, ()),
        ("Homme, L' (2001)", "L'Homme", 2001, ()),
        (
            "Good, the Bad and the Ugly, The (Buono, il brutto, il cattivo, Il) (1966)",
            "The Good, the Bad and the Ugly",
            1966,
            ("Il Buono, il brutto, il cattivo",),
        ),
    ],
)
def test_parse_movielens_title(
    raw: str, title: str, year: int | None, akas: tuple[str, ...]
) -> None:
    parsed = parse_movielens_title(raw)
    assert (parsed.title, parsed.year, parsed.akas) == (title, year, akas)


def test_display_title_puts_year_in_parentheses() -> None:
    assert display_title("The Matrix", 1999) == "The Matrix (1999)"
    assert display_title("Babylon 5", None) == "Babylon 5"


@pytest.mark.parametrize("typed", ["Matrix, The", "the matrix", "THE MATRIX", "Matrix", "matrix!"])
def test_title_key_ignores_case_punctuation_and_article_position(typed: str) -> None:
    assert title_key(typed) == "matrix"


def test_title_key_folds_accents_and_ampersands() -> None:
    assert title_key("Amélie") == title_key("Amelie")
    assert title_key("Love & Mercy") == title_key("love and mercy")


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Heat 1995", ("Heat", 1995)),
        ("heat (1995)", ("heat", 1995)),
        ("Heat, 1995", ("Heat", 1995)),
        ("2001: A Space Odyssey", ("2001: A Space Odyssey", None)),
        ("1917", ("1917", None)),
        ("Blade Runner 2049", ("Blade Runner", 2049)),
    ],
)
def test_split_query(typed: str, expected: tuple[str, int | None]) -> None:
    assert split_query(typed) == expected
