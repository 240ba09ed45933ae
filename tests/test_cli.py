"""The command line as a person runs it: real subprocesses, JSON on stdout, errors as JSON."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import IN_CI, ROOT

COMMANDS = ["web", "telegram", "chat", "build", "recommend", "search", "eval", "tune", "enrich"]


def run(
    *args: str, env: dict[str, str] | None = None, timeout: int = 120
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("MOVIEBOT_")}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, str(ROOT / "app.py"), *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
        cwd=ROOT,
    )


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_help_everywhere(command: str | None) -> None:
    result = run(*([command] if command else []), "--help")
    assert result.returncode == 0, result.stderr
    assert "usage:" in result.stdout


def test_build_json_reports_the_real_counts(real_env: dict[str, str]) -> None:
    result = run("build", "--json", env=real_env)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)  # stdout is one JSON document and nothing else
    assert (data["ratings"], data["users"], data["movies"], data["tags"]) == (
        100_836,
        610,
        9_742,
        3_683,
    )
    assert data["descriptions"]["movie_share"] >= 0.74


def test_build_text_summary_and_second_run_is_cached(real_env: dict[str, str]) -> None:
    result = run("build", env=real_env)
    assert result.returncode == 0, result.stderr
    assert "ratings 100,836   users 610   movies 9,742   tags 3,683" in result.stdout
    assert "descriptions: 7,291 of 9,742 movies (74.8%)" in result.stdout
    assert "up to date" in result.stdout


def test_missing_data_folder_is_a_json_error(tmp_path: Path) -> None:
    env = {"MOVIEBOT_DATA_DIR": str(tmp_path / "nowhere"), "MOVIEBOT_HOME": str(tmp_path / "home")}
    result = run("build", "--json", env=env)
    assert result.returncode == 1
    assert json.loads(result.stdout) == {"error": json.loads(result.stdout)["error"]}
    assert "No MovieLens data at" in json.loads(result.stdout)["error"]
    assert "Traceback" not in result.stderr


def test_bad_data_is_a_clear_error_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "ml").mkdir()
    (tmp_path / "ml" / "movies.csv").write_text("movieId,title,genres\n1,Toy Story (1995),Comedy\n")
    (tmp_path / "ml" / "ratings.csv").write_text("")
    result = run(
        "build",
        env={"MOVIEBOT_DATA_DIR": str(tmp_path / "ml"), "MOVIEBOT_HOME": str(tmp_path / "h")},
    )
    assert result.returncode == 1
    assert "ratings.csv: file is empty" in result.stderr
    assert "Traceback" not in result.stderr


def test_recommend_json_for_a_known_user(real_env: dict[str, str]) -> None:
    result = run("recommend", "--user", "414", "--k", "5", "--json", env=real_env)
    assert result.returncode == 0, result.stderr
    picks = json.loads(result.stdout)
    assert len(picks) == 5
    assert {"movieId", "title", "year", "score", "reasons"} <= set(picks[0])


def test_recommend_combines_likes_filters_and_reports_unknown_titles(
    real_env: dict[str, str],
) -> None:
    env = real_env
    result = run(
        "recommend",
        "--like",
        "Matrix, The (1999)",
        "--like",
        "toy story",
        "--genre",
        "comedy",
        "--year-min",
        "2000",
        "--k",
        "3",
        "--json",
        env=env,
    )
    assert result.returncode == 0, result.stderr
    picks = json.loads(result.stdout)
    assert len(picks) == 3 and all(p["year"] >= 2000 and "Comedy" in p["genres"] for p in picks)
    bad = run("recommend", "--like", "the matrx", "--json", env=env)
    assert (
        bad.returncode == 1 and "Did you mean The Matrix (1999)" in json.loads(bad.stdout)["error"]
    )
    unknown = run("recommend", "--user", "9999", "--json", env=env)
    assert unknown.returncode == 1 and "ids from 1 to 610" in json.loads(unknown.stdout)["error"]


def test_recommend_without_a_subject_is_a_json_error(real_env: dict[str, str]) -> None:
    result = run("recommend", "--json", env=real_env)
    assert result.returncode == 1
    assert "--user ID" in json.loads(result.stdout)["error"]


@pytest.mark.parametrize(
    ("argv", "where"),
    [
        ([], ("127.0.0.1", 7860, False)),
        (["--port", "8000"], ("127.0.0.1", 8000, False)),
        (["web", "--host", "0.0.0.0", "--share"], ("0.0.0.0", 7860, True)),
        (["--port", "8000", "web"], ("127.0.0.1", 8000, False)),
    ],
)
def test_web_is_the_default_and_takes_host_port_share(argv: list[str], where: tuple) -> None:
    import app

    args = app._parser().parse_args(argv)
    assert args.handler is app.cmd_web
    assert (args.host, args.port, args.share) == where


@pytest.mark.parametrize(
    "argv",
    [
        ["--data-dir", "D", "--home", "H", "-q", "eval"],
        ["eval", "--data-dir", "D", "--home", "H", "-q"],
        ["--data-dir", "D", "eval", "--home", "H", "-q"],
    ],
)
def test_common_options_count_before_or_after_the_command(argv: list[str]) -> None:
    import app

    args = app._parser().parse_args(argv)  # before the fix, "--data-dir D eval" lost D
    assert (args.data_dir, args.home, args.quiet, args.verbose) == ("D", "H", True, False)


def test_telegram_without_a_token_says_how_to_get_one(real_env: dict[str, str]) -> None:
    result = run("telegram", env=real_env)
    assert result.returncode == 1 and "@BotFather" in result.stderr


def test_console_script_matches_app_py() -> None:
    script = shutil.which("moviebot", path=str(Path(sys.executable).parent))
    if script is None:
        if IN_CI:
            pytest.fail("the moviebot console script is not installed")
        pytest.skip("moviebot is not installed in this environment")
    # Help wraps at the terminal's width: both entry points get the same one, whatever the
    # terminal pytest runs in (a 200-column one made them differ).
    width = {"COLUMNS": "100"}
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOVIEBOT_")} | width
    result = subprocess.run([script, "--help"], capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 0 and result.stdout == run("--help", env=width).stdout


def test_the_terminal_chat_shows_no_library_logging(real_env: dict[str, str]) -> None:
    """With an LLM behind it, the chat prints replies only: no httpx lines, no pydantic
    serializer warnings, no guard diagnostics (``--verbose`` shows them)."""
    from tests.fake_openai import Call, FakeOpenAI, Say

    def script(body: dict, index: int) -> Call | Say:
        if index % 2 == 0:
            return Call([("recommend_for_me", {"genres": ["Comedy"]})])
        return Say("Here you go: **Titanic (1997)** is a classic.\nEnjoy!")

    with FakeOpenAI(script) as fake:
        env = {**real_env, "OPENAI_BASE_URL": fake.url, "OPENAI_API_KEY": "test"}
        quiet = subprocess.run(
            [sys.executable, str(ROOT / "app.py"), "chat"],
            input="a comedy please\n",
            capture_output=True,
            text=True,
            env={**{k: v for k, v in os.environ.items() if not k.startswith("MOVIEBOT_")}, **env},
            timeout=300,
            cwd=ROOT,
        )
    assert quiet.returncode == 0, quiet.stderr
    shown = quiet.stdout + quiet.stderr
    assert "Enjoy!" in shown
    for noise in ("httpx", "HTTP Request", "PydanticSerialization", "UserWarning", "grounding"):
        assert noise not in shown, noise


def test_the_terminal_chat_survives_bytes_that_are_not_utf8(real_env: dict[str, str]) -> None:
    """A line of invalid UTF-8 is answered like any odd message; the next lines still are."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "app.py"), "chat", "--session", "utf8-test"],
        input=b"rate Heat 4\n\xff\xfe bad \xc3\n recommend something\n",
        capture_output=True,
        env={**{k: v for k, v in os.environ.items() if not k.startswith("MOVIEBOT_")}, **real_env},
        timeout=300,
        cwd=ROOT,
    )
    out = result.stdout.decode("utf-8")
    assert result.returncode == 0, result.stderr.decode("utf-8", "replace")
    assert "Heat (1995), 4 stars" in out
    assert out.count("\n1. ") == 1  # the third line got its picks
    assert "Traceback" not in result.stderr.decode("utf-8", "replace")


def test_a_taken_port_is_said_at_once_in_words() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run("web", "--port", str(port), timeout=60)
    assert result.returncode != 0
    assert f"Port {port} on 127.0.0.1 is not free" in result.stderr
    assert "--port" in result.stderr and "Traceback" not in result.stderr
