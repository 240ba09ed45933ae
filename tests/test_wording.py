"""The offline mode's wording helpers: plurals and labels people read."""

from __future__ import annotations


def test_pick_lines_say_person_for_one_and_label_the_average() -> None:
    from bot.offline import _avg, _pick_line

    pick = {"title": "Obscure (1990)", "predicted_stars": 3.2, "avg_rating": 4.0, "n_ratings": 1}
    assert _pick_line(pick).endswith("rated 4.0/5 by 1 person")
    assert _pick_line({**pick, "n_ratings": 1250}).endswith("rated 4.0/5 by 1,250 people")
    assert _avg({"avg_rating": 3.94}) == " (MovieLens average 3.9/5)"  # not a prediction


def test_a_line_after_a_list_is_its_own_paragraph() -> None:
    from bot.offline import _blocks

    text = _blocks(["Try these:", "1. Heat (1995)", "2. Alien (1979)", "Rate any of them."])
    assert text == "Try these:\n1. Heat (1995)\n2. Alien (1979)\n\nRate any of them."
    assert _blocks(["- a", "- b"]) == "- a\n- b"


def test_a_not_for_me_is_said_as_such_in_the_profile() -> None:
    from bot.offline import describe_profile

    text = describe_profile(
        {
            "viewing_as_movielens_user": None,
            "given": [
                {"title": "Heat (1995)", "stars": 4.5, "kind": "rating"},
                {"title": "Saw (2004)", "stars": 1.0, "kind": "dislike"},
            ],
        }
    )
    assert "- Heat (1995): 4.5 stars" in text and "- Saw (2004): not for me" in text
