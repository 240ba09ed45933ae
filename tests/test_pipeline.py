"""The staged build: caching, staleness, corruption, --force and --only, user data untouched."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from recommender.config import Settings
from recommender.engine import build
from recommender.errors import MovieBotError
from tests.samples import LINKS_CSV, MOVIES_CSV, RATINGS_CSV, TAGS_CSV, write


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    data = write(
        tmp_path / "ml",
        {
            "movies.csv": MOVIES_CSV,
            "ratings.csv": RATINGS_CSV,
            "tags.csv": TAGS_CSV,
            "links.csv": LINKS_CSV,
        },
    )
    desc = write(tmp_path / "desc", {"plots.csv": "movieId,plot\n1,Toys come alive.\n"})
    return Settings(data_dir=data, descriptions=[desc / "plots.csv"], home=tmp_path / "home")


def _statuses(settings: Settings, **kwargs: object) -> list[str]:
    kwargs.setdefault("only", "data")
    _, summary = build(settings, progress=False, **kwargs)  # type: ignore[arg-type]
    return [s.status for s in summary.stages]


def _build_data(settings: Settings):  # type: ignore[no-untyped-def]
    return build(settings, progress=False, only="data")


def test_second_build_reuses_the_artifact(settings: Settings) -> None:
    assert _statuses(settings) == ["built"]
    assert _statuses(settings) == ["up to date"]


def test_corrupt_payload_is_rebuilt_with_a_message(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    _build_data(settings)
    (settings.artifacts_dir / "data" / "payload.pkl").write_bytes(b"not a pickle")
    with caplog.at_level(logging.WARNING):
        _, summary = _build_data(settings)
    assert summary.stages[0].status == "rebuilt"
    assert "corrupt" in summary.stages[0].reason
    assert "data artifact is corrupt (checksum mismatch); rebuilding it" in caplog.text
    assert _statuses(settings) == ["up to date"]


def test_unreadable_manifest_is_rebuilt(settings: Settings) -> None:
    _build_data(settings)
    (settings.artifacts_dir / "data" / "manifest.json").write_text("{broken")
    _, summary = _build_data(settings)
    assert (summary.stages[0].status, summary.stages[0].reason) == (
        "rebuilt",
        "corrupt (unreadable manifest)",
    )


def test_changed_input_makes_the_artifact_stale(settings: Settings) -> None:
    _build_data(settings)
    assert settings.descriptions is not None
    settings.descriptions[0].write_text("movieId,plot\n1,Toys come alive at night.\n")
    _, summary = _build_data(settings)
    assert summary.stages[0].status == "rebuilt" and "stale" in summary.stages[0].reason
    assert summary.catalog.descriptions.at[1, "description"] == "Toys come alive at night."


def test_force_rebuilds_and_never_touches_user_data(settings: Settings) -> None:
    profile = settings.userdata_dir / "profiles.sqlite"
    profile.parent.mkdir(parents=True)
    profile.write_bytes(b"precious")
    _build_data(settings)
    assert _statuses(settings, force=True) == ["rebuilt"]
    assert _statuses(settings, only="data", force=True) == ["rebuilt"]
    assert profile.read_bytes() == b"precious"
    assert sorted(p.name for p in settings.home.iterdir()) == ["artifacts", "userdata"]


def test_unknown_stage_is_a_clear_error(settings: Settings) -> None:
    with pytest.raises(
        MovieBotError, match="Unknown stage 'nope'; the stages are: data, models, index"
    ):
        build(settings, progress=False, only="nope")


def test_manifest_records_fingerprint_params_and_versions(settings: Settings) -> None:
    _build_data(settings)
    from recommender.artifacts import ArtifactStore

    manifest = ArtifactStore(settings.artifacts_dir).manifest("data")
    assert manifest is not None
    assert set(manifest["params"]) == {"files", "descriptions"}
    assert {"python", "pandas", "numpy"} <= set(manifest["versions"])
    assert len(manifest["fingerprint"]) == 16 and manifest["seconds"] >= 0


def test_full_pipeline_on_a_tiny_dataset_builds_every_stage(settings: Settings) -> None:
    ctx, summary = build(settings, progress=False)
    assert [(s.name, s.status) for s in summary.stages] == [
        ("data", "built"),
        ("models", "built"),
        ("index", "built"),
    ]
    models = ctx.payloads["models"]
    assert models.clusters.k == 1 and models.matrix.n_users == 2
    _, again = build(settings, progress=False)
    assert [s.status for s in again.stages] == ["up to date"] * 3
    assert ctx.payloads["index"].indexed.sum() == 4


def test_models_are_rebuilt_when_the_data_changes(settings: Settings) -> None:
    build(settings, progress=False)
    ratings = settings.data_dir / "ratings.csv"
    ratings.write_text(ratings.read_text() + "3,1,4.5,964982800\n")
    _, summary = build(settings, progress=False)
    assert [s.status for s in summary.stages] == ["rebuilt"] * 3
    assert all("stale" in s.reason for s in summary.stages)
    assert summary.as_dict()["ratings"] == 5


def test_real_build_summary(real_build) -> None:  # type: ignore[no-untyped-def]
    data = real_build[1].as_dict()
    assert (data["ratings"], data["users"], data["movies"], data["tags"]) == (
        100_836,
        610,
        9_742,
        3_683,
    )
    assert data["descriptions"]["movie_share"] >= 0.74
    assert sum(data["rating_distribution"].values()) == 100_836
