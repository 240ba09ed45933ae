"""moviebot's command line: parse, configure, hand over. ``python app.py`` starts the web UI.

Commands: web (default), telegram, chat, build, recommend, search, eval, tune. ``--json`` prints one
JSON document on stdout and nothing else; logs and progress bars go to stderr.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

STARTED = time.monotonic()  # for the web command's "ready in" line

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

log = logging.getLogger("moviebot")
OUR_LOGGERS = ("moviebot", "recommender", "bot", "vectorstore", "benchmarks", "__main__")

HERE = Path(__file__).resolve().parent
# The shared dev sets beside a checkout, and the project's own held-out sets.
DEFAULT_EVAL_DIRS = (
    HERE.parent / "shared" / "eval",
    HERE / "benchmarks" / "heldout",
    HERE / "benchmarks" / "tuning",
)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python app.py`` and the ``moviebot`` console script."""
    args = _parser().parse_args(argv)
    # the terminal chat is a conversation: diagnostics only with --verbose
    _configure_logging(args.verbose, args.quiet or args.command == "chat")
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130
    except Exception as err:
        return _fail(args, err)


def _fail(args: argparse.Namespace, err: Exception) -> int:
    from recommender.errors import MovieBotError

    message = str(err) if isinstance(err, MovieBotError) else f"Unexpected error: {err!r}"
    if not isinstance(err, MovieBotError):
        log.debug("unexpected error", exc_info=True)
    if getattr(args, "json", False):
        print(json.dumps({"error": message}))
    else:
        print(f"error: {message}", file=sys.stderr)
    return 1


# --- commands ---------------------------------------------------------------------------


def cmd_build(args: argparse.Namespace) -> int:
    """Build (or bring up to date) every stage and print a summary."""
    from recommender.engine import build

    _, summary = build(_settings(args), progress=_progress(args), only=args.only, force=args.force)
    data = summary.as_dict()
    print(json.dumps(data, indent=2) if args.json else _format_summary(data))
    return 0


def cmd_web(args: argparse.Namespace) -> int:
    """Serve the web UI and the REST API (default command)."""
    from bot.limits import ServerLimits, limit_numeric_threads
    from bot.server import serve

    limits = ServerLimits()
    limit_numeric_threads(limits.numeric_threads)  # before torch loads in the warm-up
    _check_port(args.host, args.port)  # before a minute of loading, not after
    settings = _settings(args)
    service = _serving(args, settings)
    catalog = service.engine.catalog
    hook = _telegram_webhook(service)

    def ready() -> None:
        print(
            f"moviebot is ready in {time.monotonic() - STARTED:.1f} s: "
            f"{len(catalog.movies):,} movies, {len(catalog.ratings):,} ratings; "
            f"replies from {service.backend}.\n"
            f"  Web page: http://{args.host}:{args.port}/   "
            f"API docs: http://{args.host}:{args.port}/docs"
            + (f"\n  Telegram: webhook at {hook}" if hook else "")
            + (
                ""
                if service.engine.has_index
                else "\n  The description index is loading or being built in the background; "
                "searches start when it is in (progress on the page and at /api/health)."
            ),
            flush=True,
        )

    serve(service, settings.userdata_dir, args.host, args.port, args.share, ready, limits)
    return 0


def _telegram_webhook(service: Any) -> str | None:
    """With TELEGRAM_BOT_TOKEN and MOVIEBOT_TELEGRAM_WEBHOOK set, the web app answers Telegram
    too: register the webhook (every worker does; it is the same one) and say where."""
    from bot.telegram_webhook import WebhookConfig, register

    config = WebhookConfig.from_env()
    if config is None:
        return None
    try:
        register(config, service.store.secret())
    except Exception as err:  # Telegram unreachable: the page and the API still serve
        print(
            f"warning: could not register the Telegram webhook {config.url}: {err}", file=sys.stderr
        )
        return None
    return config.url


def _check_port(host: str, port: int) -> None:
    """Fail at once, in words, when the port is already taken."""
    import socket

    from recommender.errors import MovieBotError

    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            sock.bind((host, port))
        except OSError as err:
            why = (err.strerror or str(err)).lower()
            raise MovieBotError(
                f"Port {port} on {host} is not free ({why}): "
                "is moviebot already running? Pick another with --port."
            ) from None


def _serving(args: argparse.Namespace, settings: Any) -> Any:
    """The chat service for a server: data and models first (the page is up within a minute
    on a fresh install here), the description index after, in the background."""
    from bot.session import open_service
    from recommender.engine import Engine, build

    ctx, _ = build(settings, progress=_progress(args), only="models")
    engine = Engine.from_context(ctx)
    service = open_service(engine, settings.userdata_dir)
    engine.index_in_background(ctx, on_ready=service.index_ready)
    return service


def cmd_telegram(args: argparse.Namespace) -> int:
    """Run the Telegram bot."""
    from recommender.errors import MovieBotError

    if not os.environ.get("TELEGRAM_BOT_TOKEN"):
        raise MovieBotError(
            "TELEGRAM_BOT_TOKEN is not set. Talk to @BotFather on Telegram "
            "(/newbot), then run: TELEGRAM_BOT_TOKEN=... python app.py telegram"
        )
    from bot.limits import ServerLimits, limit_numeric_threads
    from bot.telegram import DEFAULT_API, run

    limit_numeric_threads(ServerLimits().numeric_threads)
    settings = _settings(args)
    service = _serving(args, settings)
    api = os.environ.get("TELEGRAM_API_BASE") or DEFAULT_API
    how = f"webhook {args.webhook}" if args.webhook else "long polling"
    print(f"moviebot on Telegram ({how}, {api}); replies from {service.backend}.", flush=True)
    run(service, os.environ["TELEGRAM_BOT_TOKEN"], api, args.webhook, args.webhook_port)
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    """Chat in the terminal (one message per line when piped)."""
    import getpass

    from bot.session import open_service
    from bot.terminal import run_chat

    engine = _engine(args)
    settings = _settings(args)
    service = open_service(engine, settings.userdata_dir, view_as_users=True)  # one's own terminal
    service.warm_up()
    session = args.session or f"terminal:{getpass.getuser()}"
    return run_chat(service, session, settings.userdata_dir / "chat_history")


def cmd_recommend(args: argparse.Namespace) -> int:
    """Recommend movies for a user, liked titles and/or a described taste."""
    from recommender.engine import Taste
    from recommender.errors import MovieBotError
    from recommender.ranking import Filters

    if args.user is None and not args.like and not args.text:
        raise MovieBotError(
            "Say whom to recommend for: --user ID, --like TITLE (repeatable) "
            "and/or --text 'what you are in the mood for'."
        )
    engine = _engine(args)
    taste = engine.taste(user=args.user, likes=args.like)
    filters = Filters(
        genres=args.genre,
        year_min=args.year_min,
        year_max=args.year_max,
        min_ratings=args.min_ratings,
    )
    if args.text:
        from bot.nlu import Understander

        # the genres and years the description states ("90s comedies, nothing crude") and the
        # films it names ("like The Matrix, but newer")
        described = Understander(engine.catalog).read_described(args.text)
        if not (args.genre or args.year_min or args.year_max):
            filters = described.filters.model_copy(update={"min_ratings": args.min_ratings})
        if described.ratings:
            taste = Taste(taste.user, {**described.ratings, **taste.ratings})
    result = engine.recommend(taste, text=args.text, filters=filters, k=args.k)
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    _print_picks(args, result.picks)
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    """Search movie descriptions ("a heist film with a twist"), or find ones like a movie."""
    from recommender.errors import MovieBotError
    from recommender.ranking import Filters

    if not args.query and not args.like:
        raise MovieBotError("Say what to search for: a description in quotes, or --like TITLE.")
    engine = _engine(args)
    filters = Filters(
        genres=args.genre,
        year_min=args.year_min,
        year_max=args.year_max,
        min_ratings=args.min_ratings,
    )
    if args.like:
        result = engine.more_like(args.like, k=args.k, filters=filters)
    else:
        result = engine.search(args.query, k=args.k, filters=filters)
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    if args.json:
        print(json.dumps([h.as_dict() for h in result.hits], indent=2))
        return 0
    if not result.hits:
        print("Nothing matched.")
    for i, hit in enumerate(result.hits, 1):
        print(f"{i:>2}. {hit.display}  ({hit.similarity:.3f})\n      {hit.snippet}")
    return 0


EVAL_PARTS = ("rating", "ranking", "cold_start", "group", "understanding")


def cmd_eval(args: argparse.Namespace) -> int:
    """Evaluate the models side by side (rating CV, top-10 ranking, cold start, groups)."""
    from recommender.engine import build
    from recommender.evaluation import evaluate, markdown_report
    from recommender.pipeline import tuned_params

    parts = tuple(args.only) if args.only else EVAL_PARTS
    models_parts = tuple(p for p in parts if p != "understanding")
    ctx, _ = build(
        _settings(args), progress=_progress(args), only=None if "understanding" in parts else "data"
    )
    result = evaluate(
        ctx.payloads["data"],
        tuned_params(ctx),
        ctx.settings.artifacts_dir / "eval-cache.json",
        folds=args.folds,
        skip_slow=args.skip_slow,
        progress=_progress(args),
        parts=models_parts,
    )
    report = markdown_report(result)
    if "understanding" in parts:
        result["understanding"] = _understanding(args, ctx)
        from bot.evaluation import markdown_section

        report += "\n\n" + "\n".join(markdown_section(result["understanding"]))
    reports = ctx.settings.home / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    (reports / "eval.json").write_text(json.dumps(result, indent=2))
    (reports / "eval.md").write_text(report + "\n")
    print(json.dumps(result) if args.json else report)
    if not args.json:
        print(f"\n(saved to {reports / 'eval.md'} and eval.json)")
    return 0


def _understanding(args: argparse.Namespace, ctx: Any) -> dict[str, Any]:
    """Score the first-message and described-taste files in offline mode, in throwaway sessions."""
    import tempfile

    from bot.evaluation import eval_files, evaluate_understanding
    from bot.profiles import ProfileStore
    from bot.session import ChatService
    from recommender.engine import Engine
    from recommender.errors import MovieBotError

    folders = args.eval_dir or [p for p in DEFAULT_EVAL_DIRS if p.is_dir()]
    files = eval_files(folders)
    if not files:
        raise MovieBotError(
            "No evaluation files found: pass --eval-dir with first_messages*.json or "
            "described_tastes*.json files."
        )
    with tempfile.TemporaryDirectory(prefix="moviebot-eval-") as tmp:
        service = ChatService(Engine.from_context(ctx), ProfileStore.in_folder(Path(tmp)))
        try:
            return evaluate_understanding(
                service, files, ctx.settings.artifacts_dir, progress=_progress(args)
            )
        finally:
            service.store.close()


def cmd_tune(args: argparse.Namespace) -> int:
    """Search hyperparameters (SVD grid search, EASE lambda) and store them for build."""
    from recommender.engine import build
    from recommender.pipeline import TUNED_FILE
    from recommender.tuning import tune

    ctx, _ = build(_settings(args), progress=_progress(args), only="data")
    result = tune(
        ctx.payloads["data"],
        ctx.fingerprints["data-content"],
        ctx.settings.artifacts_dir / TUNED_FILE,
        quick=args.quick,
    )
    print(
        json.dumps(result, indent=2)
        if args.json
        else f"Chosen: {json.dumps(result['params']['blend']['svd'])}, EASE lambda "
        f"{result['params']['ease']['lam']:g}\n"
        f"Scores: {result['scores']} in {result['seconds']} s.\n"
        "The next `python app.py build` refits the models with them."
    )
    return 0


def cmd_enrich(args: argparse.Namespace) -> int:
    """Fetch movie details from TMDB (posters, runtime, trailer, where to watch); optional."""
    from recommender.engine import build
    from recommender.errors import MovieBotError
    from recommender.tmdb import ATTRIBUTION, DetailsCache, TMDBClient, TMDBConfig, enrich

    overrides = {
        "rate": args.rate,
        "max_age_days": args.max_age_days,
        "region": args.region.upper() if args.region else None,
    }
    config = TMDBConfig.from_env(**overrides)
    if not config.configured:
        raise MovieBotError(
            "Set TMDB_API_KEY (or TMDB_READ_TOKEN) to fetch movie details: a free key comes "
            "with an account at themoviedb.org. The app works without them."
        )
    ctx, _ = build(_settings(args), progress=_progress(args), only="data")
    catalog = ctx.payloads["data"]
    links = catalog.links.dropna(subset=["tmdbId"])
    counts = catalog.movies["n_ratings"].reindex(links["movieId"]).fillna(0).to_numpy()
    ordered = links.assign(n=counts).sort_values("n", ascending=False, kind="stable")
    ids = [int(t) for t in ordered["tmdbId"]][: args.limit]
    cache = DetailsCache.in_home(ctx.settings.home)
    client = TMDBClient(config)
    try:
        report = enrich(ids, cache, client, progress=_progress(args))
    finally:
        client.close()
    totals = cache.counts()
    cache.close()
    if args.json:
        print(json.dumps({**report.as_dict(), "cache": totals, "region": config.region}))
        return 0
    print(
        f"TMDB details: {report.fetched} fetched, {report.fresh} already fresh, "
        f"{report.missing} unknown to TMDB, {report.failed} failed (tried again next run). "
        f"Cached now: {totals.get('ok', 0)} movies. Where to watch is for {config.region}.\n"
        f"{ATTRIBUTION}"
    )
    for line in report.errors[:5]:
        print(f"  {line}")
    return 0


def cmd_synth(args: argparse.Namespace) -> int:
    """Write a SYNTHETIC dataset in a MovieLens release's format and shape (for scale work)."""
    from recommender.synth import synthesize

    real = args.real or _settings(args).data_dir
    report = synthesize(
        args.out, args.like, real, ratings=args.ratings, seed=args.seed, progress=_progress(args)
    )
    if args.json:
        print(report.model_dump_json())
        return 0
    print(
        f"SYNTHETIC data like {report.like} in {report.folder}: {report.users:,} users, "
        f"{report.movies:,} movies ({report.rated_movies:,} rated), {report.ratings:,} ratings, "
        f"{report.tags:,} tags, in {report.seconds:.0f} s. Not MovieLens data: see SYNTHETIC.md "
        f"there. Use it with --data-dir {report.folder}."
    )
    return 0


# --- helpers ----------------------------------------------------------------------------


def _settings(args: argparse.Namespace) -> Any:
    from recommender.config import Settings

    overrides: dict[str, Any] = {}
    if args.data_dir:
        overrides["data_dir"] = args.data_dir
    if args.descriptions is not None:
        overrides["descriptions"] = args.descriptions
    if args.home:
        overrides["home"] = args.home
    for name in ("trainer", "spark_master", "spark_mode", "spark_data"):
        if getattr(args, name, None):
            overrides[name] = getattr(args, name)
    return Settings(**overrides)


def _engine(args: argparse.Namespace) -> Any:
    from recommender.engine import Engine

    return Engine.open(_settings(args), progress=_progress(args))


def _progress(args: argparse.Namespace) -> bool:
    return not args.quiet


def _print_picks(args: argparse.Namespace, picks: list[Any]) -> None:
    rows = [p.as_dict() for p in picks]
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    if not rows:
        print("Nothing to show.")
    for i, row in enumerate(rows, 1):
        reasons = row.get("reasons", {})
        stars = f"  ~{reasons['predicted_stars']:.1f}★" if "predicted_stars" in reasons else ""
        print(f"{i:>2}. {row['display']}{stars}  ({row['score']:.3f})")
        if reasons.get("because_you_liked"):
            print(f"      because you liked {', '.join(reasons['because_you_liked'])}")


def _format_summary(data: dict[str, Any]) -> str:
    lines = [
        f"Dataset {data['dataset']} ({data['format']} format)",
        f"  ratings {data['ratings']:,}   users {data['users']:,}   "
        f"movies {data['movies']:,}   tags {data['tags']:,}",
    ]
    total = max(data["ratings"], 1)
    lines.append("  rating distribution:")
    for stars, count in data["rating_distribution"].items():
        bar = "#" * round(60 * count / total)
        lines.append(f"    {stars:>4}  {count:>8,}  {bar}")
    desc = data["descriptions"]
    lines.append(
        f"  descriptions: {desc['described_movies']:,} of {data['movies']:,} movies "
        f"({desc['movie_share']:.1%}), carrying {desc['rating_share']:.1%} of ratings"
    )
    for source, count in desc["by_source"].items():
        lines.append(f"    {source:<28} {count:>6,}")
    if data["skipped"]:
        lines.append("  skipped rows:")
        lines += [f"    {reason}: {count:,}" for reason, count in data["skipped"].items()]
        lines += [f"      e.g. {example}" for example in data["skipped_examples"][:5]]
    lines += [f"  note: {note}" for note in data["notes"]]
    lines.append("Stages:")
    for stage in data["stages"]:
        why = f" ({stage['reason']})" if stage["reason"] else ""
        lines.append(f"  {stage['name']:<10} {stage['status']:<11} {stage['seconds']:>7.2f} s{why}")
    lines.append(f"Total {data['seconds']:.2f} s")
    return "\n".join(lines)


def _configure_logging(verbose: bool, quiet: bool) -> None:
    """Our own INFO lines on stderr; libraries (httpx, chromadb, transformers, pydantic's
    warnings) only from WARNING up, and not at all below ERROR unless ``--verbose``."""
    level = logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.ERROR,
        stream=sys.stderr,
        format="%(levelname)s %(name)s: %(message)s",
    )
    for ours in OUR_LOGGERS:
        logging.getLogger(ours).setLevel(level)
    logging.captureWarnings(True)  # library warnings go through logging too


def _add_filters(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument(
        "--genre", action="append", default=[], help="only this genre (repeatable: any of)"
    )
    cmd.add_argument("--year-min", type=int, help="released in or after this year")
    cmd.add_argument("--year-max", type=int, help="released in or before this year")
    cmd.add_argument("--min-ratings", type=int, default=0, help="at least this many ratings")


def _add_serving(cmd: argparse.ArgumentParser, default: Any) -> None:
    """--host, --port, --share; ``default`` SUPPRESS keeps a subcommand from resetting them."""
    keep = default is argparse.SUPPRESS
    cmd.add_argument("--host", default=default if keep else "127.0.0.1", help="default 127.0.0.1")
    cmd.add_argument("--port", type=int, default=default if keep else 7860, help="default 7860")
    cmd.add_argument(
        "--share",
        action="store_true",
        default=default if keep else False,
        help="also open a public Gradio link (off by default)",
    )


def _common(after_command: bool) -> argparse.ArgumentParser:
    """The options every command takes, before or after its name.

    After the name they default to "not given" (SUPPRESS), so a value given before the name
    is kept: ``app.py --data-dir X eval`` and ``app.py eval --data-dir X`` are the same.
    """
    unset: dict[str, Any] = {"default": argparse.SUPPRESS} if after_command else {}
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("data and storage (default: the MOVIEBOT_* variables)")
    group.add_argument("--data-dir", help="MovieLens folder (MOVIEBOT_DATA_DIR)", **unset)
    group.add_argument(
        "--descriptions",
        nargs="*",
        metavar="CSV",
        help="description files (MOVIEBOT_DESCRIPTIONS, os.pathsep-separated)",
        **unset,
    )
    group.add_argument("--home", help="artifacts and user data (MOVIEBOT_HOME)", **unset)
    common.add_argument("-v", "--verbose", action="store_true", help="debug logging", **unset)
    common.add_argument(
        "-q", "--quiet", action="store_true", help="warnings only, no progress bars", **unset
    )
    return common


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="moviebot", description=__doc__, parents=[_common(False)])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    common = _common(True)

    def add(name: str, handler: Callable[[argparse.Namespace], int]) -> argparse.ArgumentParser:
        doc = (handler.__doc__ or "").strip()
        cmd = sub.add_parser(name, parents=[common], help=doc, description=doc)
        cmd.set_defaults(handler=handler)
        return cmd

    web = add("web", cmd_web)
    _add_serving(web, argparse.SUPPRESS)  # given after "web" or before it: both work
    _add_serving(parser, None)
    telegram = add("telegram", cmd_telegram)
    telegram.add_argument(
        "--webhook", metavar="URL", help="webhook mode at this public HTTPS URL (default: polling)"
    )
    telegram.add_argument(
        "--webhook-port", type=int, default=8443, help="local port for webhook mode (default 8443)"
    )
    chat = add("chat", cmd_chat)
    chat.add_argument(
        "--session", help="conversation and profile name (default: terminal:<your user name>)"
    )
    build = add("build", cmd_build)
    build.add_argument("--only", metavar="STAGE", help="build just this stage (and what it needs)")
    build.add_argument("--force", action="store_true", help="rebuild even when up to date")
    build.add_argument("--json", action="store_true", help="print the summary as JSON")
    build.add_argument(
        "--trainer",
        choices=["implicit", "spark"],
        help="who trains the iALS factors: implicit here (default) or Spark's ALS "
        "(MOVIEBOT_TRAINER); serving keeps whichever built the models",
    )
    build.add_argument(
        "--spark-master",
        metavar="URL",
        help="local[N] (default local[2]), spark://host:7077 or yarn (MOVIEBOT_SPARK_MASTER)",
    )
    build.add_argument(
        "--spark-mode",
        choices=["implicit", "explicit"],
        help="ALS on the stars as confidences (implicit, default) or as values (explicit)",
    )
    build.add_argument(
        "--spark-data",
        metavar="URI",
        help="where the ratings go as Parquet for the executors: a folder every executor can "
        "read (hdfs://, a shared mount) on a cluster (default: a temporary local folder)",
    )
    rec = add("recommend", cmd_recommend)
    rec.add_argument("--user", type=int, help="a MovieLens user id")
    rec.add_argument(
        "--like", action="append", default=[], metavar="TITLE", help="a movie you like (repeatable)"
    )
    rec.add_argument("--text", help="what you are in the mood for, in words")
    _add_filters(rec)
    rec.add_argument("--k", type=int, default=10, help="how many picks (default 10)")
    rec.add_argument("--json", action="store_true", help="print JSON only")
    search = add("search", cmd_search)
    search.add_argument("query", nargs="?", default="", help="what the movie is about")
    search.add_argument(
        "--like", metavar="TITLE", help="movies whose descriptions resemble this one's"
    )
    _add_filters(search)
    search.add_argument("--k", type=int, default=10, help="how many results (default 10)")
    search.add_argument("--json", action="store_true", help="print JSON only")
    evaluate = add("eval", cmd_eval)
    evaluate.add_argument("--folds", type=int, default=5, help="cross-validation folds (default 5)")
    evaluate.add_argument(
        "--skip-slow", action="store_true", help="leave out surprise's SVDpp and SLIM"
    )
    evaluate.add_argument(
        "--only",
        action="append",
        choices=list(EVAL_PARTS),
        help="run only this part (repeatable)",
    )
    evaluate.add_argument(
        "--eval-dir",
        action="append",
        type=Path,
        metavar="DIR",
        help="folder of first_messages*.json / described_tastes*.json files to score "
        "(repeatable; default ../shared/eval and benchmarks/heldout)",
    )
    evaluate.add_argument("--json", action="store_true", help="print JSON only")
    enrich_cmd = add("enrich", cmd_enrich)
    enrich_cmd.add_argument(
        "--limit", type=int, default=None, help="only the N most-rated movies (default all)"
    )
    enrich_cmd.add_argument("--rate", type=float, help="requests per second at most (default 20)")
    enrich_cmd.add_argument(
        "--max-age-days", type=float, help="refresh details older than this (default 30)"
    )
    enrich_cmd.add_argument(
        "--region", help="where-to-watch country (MOVIEBOT_REGION; default: the locale's)"
    )
    enrich_cmd.add_argument("--json", action="store_true", help="print the summary as JSON")
    synth = add("synth", cmd_synth)
    synth.add_argument("out", type=Path, metavar="OUT_DIR", help="an empty folder to write to")
    synth.add_argument("--like", default="ml-25m", choices=["ml-25m"], help="the release's shape")
    synth.add_argument(
        "--ratings", type=int, help="scale the shape to this many ratings (default the release's)"
    )
    synth.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    synth.add_argument(
        "--from",
        dest="real",
        type=Path,
        metavar="DIR",
        help="real MovieLens folder whose genres, years and tags are drawn (default --data-dir)",
    )
    synth.add_argument("--json", action="store_true", help="print the summary as JSON")
    tune_cmd = add("tune", cmd_tune)
    tune_cmd.add_argument("--quick", action="store_true", help="a smaller grid")
    tune_cmd.add_argument("--json", action="store_true", help="print JSON only")

    parser.set_defaults(handler=cmd_web)
    return parser


if __name__ == "__main__":
    raise SystemExit(main())
