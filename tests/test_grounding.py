"""The grounding guard line by line: what counts as naming a movie, and what is taken out."""

from __future__ import annotations

import pytest

from bot.grounding import Grounder
from recommender.titles import title_key


@pytest.fixture(scope="module")
def grounder(catalog) -> Grounder:  # type: ignore[no-untyped-def]
    from bot.nlu import Understander

    return Grounder(Understander(catalog))


ALLOWED = {title_key(t) for t in ("Heat", "Léon: The Professional", "Spirited Away")}


@pytest.mark.parametrize(
    "line",
    [
        "1. **Heat (1995)** - a tense crime epic.",
        "If you liked Heat, try Léon: The Professional (1994).",
        'People tag it "fun" and "Oscar (Best Music - Original Score)".',
        "**Why:** it matches your taste.",
        "Enjoy your movie night!",
        "It is based on a true story.",
    ],
)
def test_lines_that_name_only_allowed_movies_pass(grounder: Grounder, line: str) -> None:
    quoted = "oscar (best music - original score)\nfun\nbased on a true story"
    assert grounder.check_line(line, ALLOWED, quoted).text == line


def test_an_invented_list_item_is_removed(grounder: Grounder) -> None:
    verdict = grounder.check_line("2. **The Midnight Garden Heist (2015)** - a gem.", ALLOWED)
    assert verdict.text == "" and verdict.removed == ["The Midnight Garden Heist (2015)"]


def test_an_unreturned_real_title_in_prose_takes_its_sentence(grounder: Grounder) -> None:
    line = "Heat (1995) is tense. You could also watch Jurassic Park. Spirited Away is lovely."
    verdict = grounder.check_line(line, ALLOWED)
    assert verdict.text == "Heat (1995) is tense. Spirited Away is lovely."
    assert verdict.removed == ["Jurassic Park (1993)"]


def test_a_real_but_unreturned_list_item_is_removed(grounder: Grounder) -> None:
    verdict = grounder.check_line("- Titanic (1997)", ALLOWED)
    assert verdict.removed == ["Titanic (1997)"]


def test_titles_with_commas_and_did_you_mean_lists(grounder: Grounder) -> None:
    allowed = {title_key("Crouching Tiger, Hidden Dragon"), title_key("It")}
    line = "Try Crouching Tiger, Hidden Dragon (2000), or It (2017)."
    assert grounder.check_line(line, allowed).text == line
    verdict = grounder.check_line("Did you mean Heat (1995), or Titanic (1997)?", ALLOWED)
    assert verdict.removed == ["Titanic (1997)"]


@pytest.mark.parametrize(
    ("line", "wrote", "viewing", "dropped"),
    [
        ("Done, all users deleted.", False, None, True),
        ("I've saved Heat (1995) at 5 stars.", False, None, True),
        ("Your rating was saved.", False, None, True),
        ("I've saved Heat (1995) at 5 stars.", True, None, False),
        ("Saved it for user 6.", True, None, True),
        ("User 414 loved these too.", False, 414, False),
        ("Heat (1995): rated 4.0/5 by 102 people; it is rated highly by fans", False, None, False),
        ("1. Ronin (1998): ~4.1★ for you, like Heat (1995), which you enjoyed", False, None, False),
        ("It was added to the Criterion Collection in 2010.", False, None, False),
    ],
)
def test_a_line_claiming_what_no_tool_did_is_dropped(
    line: str, wrote: bool, viewing: int | None, dropped: bool
) -> None:
    from bot.grounding import unperformed_claim

    assert (unperformed_claim(line, wrote, viewing) is not None) is dropped
