"""The `vidrec` command: doctor, ingest, search, similar, evaluate, serve, app, demo."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence

from .config import VidrecError, get_settings, install_log_masking, mask_secrets


def _print_json(data: object) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def cmd_doctor(args: argparse.Namespace) -> int:
    from .doctor import doctor

    return doctor(get_settings())


def cmd_ingest(args: argparse.Namespace) -> int:
    from .embeddings import make_embedder
    from .pipeline import ingest

    settings = get_settings()
    if not args.json:
        print(settings.summary(), file=sys.stderr)
    # offline, the sample clips go through the real SDK to the local Embed v2 stand-in
    embedder = make_embedder(settings, sample_clips_via_sdk=True, poll_timeout=args.poll_timeout)
    report = ingest(
        args.paths or None,
        settings=settings,
        embedder=embedder,
        concurrency=args.concurrency,
        progress=not args.json,
        use_cache=not args.no_cache,
    )
    if args.json:
        _print_json(report.to_dict())
    else:
        print(report.summary())
    return 1 if report.failed else 0


def cmd_app(args: argparse.Namespace) -> int:
    """Serve the recommender widgets as a web page with Voilà on 127.0.0.1 until stopped."""
    import importlib.util

    if importlib.util.find_spec("voila") is None:
        raise VidrecError("Voilà is not installed: run `pip install -e .` (or `make lab`)")
    from .webapp import app_environment, app_notebook, run_server, voila_command

    if not app_notebook().is_file():
        raise VidrecError(f"{app_notebook()} is missing: restore it with `git checkout -- app/`")
    settings = get_settings()
    environment = app_environment(settings)
    print(settings.summary(), file=sys.stderr)
    if environment.get("QDRANT_PATH") == ":memory:":
        print("the app keeps its own in-memory Qdrant, filled from the samples", file=sys.stderr)
    url = f"http://127.0.0.1:{args.port}/"
    print(f"serving the recommender at {url} (Ctrl+C stops it)", file=sys.stderr)
    command = voila_command(args.port, not args.no_browser, args.cull_after, args.max_kernels)
    status = run_server(command, environment)
    print("stopped", file=sys.stderr)
    return status


def _session(settings):
    """The search session of the active model (never ingests: search what was ingested)."""
    from .session import open_session

    return open_session(settings, ingest_if_empty=False)


def _filters(args: argparse.Namespace) -> dict:
    values = {
        "intent": args.only_intent,
        "mood": args.only_mood,
        "min_duration": args.min_duration,
        "max_duration": args.max_duration,
    }
    return {name: value for name, value in values.items() if value is not None}


def _print_results(response) -> None:
    for rank, r in enumerate(response.results, 1):
        moment = f"{r.start_time:.0f}-{r.end_time:.0f}s"
        print(
            f"{rank:>2}. {r.score:.3f} {r.confidence:<12} {r.video_id:<26} {moment:>11}  "
            f"{r.title} [{r.intent}/{r.mood}]"
        )
    if not response.results:
        print("no results: loosen the filters")
    print(
        f"({response.strategy} strategy, {response.took_ms:.0f} ms, collection {response.collection})"
    )


def _show(response, as_json: bool) -> None:
    if as_json:
        _print_json([result.to_dict() for result in response.results])
    else:
        _print_results(response)


def cmd_search(args: argparse.Namespace) -> int:
    settings = get_settings()
    print(settings.summary(), file=sys.stderr)
    response = _session(settings).search(
        intent=args.intent,
        mood=args.mood,
        keywords=args.keywords,
        text=args.text,
        top_k=args.top_k,
        strategy=args.strategy,
        filters=_filters(args),
    )
    _show(response, args.json)
    return 0


def cmd_similar(args: argparse.Namespace) -> int:
    settings = get_settings()
    print(settings.summary(), file=sys.stderr)
    response = _session(settings).similar(
        args.video_ids, args.unlike, top_k=args.top_k, filters=_filters(args)
    )
    _show(response, args.json)
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from .evaluate import calibrate_confidence, evaluate, format_report

    settings = get_settings()
    print(settings.summary(), file=sys.stderr)
    session = _session(settings)
    where = (session.client, session.collection, session.encoder)
    report = evaluate(*where, k=args.k, details=args.details, include_similar=args.similar)
    if args.calibrate:
        report["confidence_thresholds"] = calibrate_confidence(*where)
    if args.json:
        _print_json(report)
    else:
        print(format_report(report))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from .api import serve

    settings = get_settings()
    print(settings.summary(), file=sys.stderr)
    serve(
        args.host,
        args.port,
        session=_session(settings),
        cors_origins=args.cors_origin or None,
        allowed_hosts=[args.host, *args.allowed_host],  # the bind address is a name too
    )
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """The offline pipeline, headless, in memory: ingest the samples, then a few recommendations."""
    from .config import Settings
    from .pipeline import ingest
    from .session import open_session

    settings = Settings(qdrant_path=":memory:", forced_mode="offline")
    print(settings.summary())
    session = open_session(settings, ingest_if_empty=False)
    report = ingest(
        settings=settings, client=session.client, embedder=session.embedder, progress=False
    )
    print(report.summary())
    for intent, mood in (("kids", "musical"), ("sci-fi", "action"), ("fantasy", "magical")):
        print(f"\n== recommend: intent={intent}, mood={mood}")
        response = session.search(intent=intent, mood=mood, top_k=args.top_k)
        _print_results(response)
    first = response.results[0].video_id
    print(f"\n== more like {first}")
    _print_results(session.similar([first], top_k=args.top_k))
    return 0


def _add_filter_arguments(p: argparse.ArgumentParser) -> None:
    from .labels import INTENTS, MOODS

    p.add_argument("--only-intent", choices=list(INTENTS), help="keep videos of this intent only")
    p.add_argument("--only-mood", choices=list(MOODS), help="keep videos of this mood only")
    p.add_argument("--min-duration", type=float, metavar="SECONDS")
    p.add_argument("--max-duration", type=float, metavar="SECONDS")
    p.add_argument(
        "-k", "--top-k", type=int, default=10, help="how many videos (1-100, default 10)"
    )
    p.add_argument("--json", action="store_true", help="print a JSON list of results")


def add_search_commands(sub) -> None:
    """`vidrec search`, `similar`, `evaluate`, `serve` and `demo`."""
    from .labels import INTENTS, MOODS
    from .search import DEFAULT, STRATEGIES

    p = sub.add_parser("search", help="find videos by intent, mood, keywords or free text")
    p.add_argument("--intent", choices=list(INTENTS))
    p.add_argument("--mood", choices=list(MOODS))
    p.add_argument("--text", help="free text (offline it needs the local text model)")
    p.add_argument("--keywords", help="extra words, e.g. 'puppy, socks'")
    p.add_argument(
        "--strategy", choices=list(STRATEGIES), help=f"query strategy (default {DEFAULT})"
    )
    _add_filter_arguments(p)
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("similar", help="more videos like these (and not like those)")
    p.add_argument("video_ids", nargs="+", metavar="VIDEO_ID", help="video ids from search results")
    p.add_argument(
        "--not",
        dest="unlike",
        action="extend",
        nargs="+",
        default=[],
        metavar="VIDEO_ID",
        help="videos to steer away from",
    )
    _add_filter_arguments(p)
    p.set_defaults(func=cmd_similar)

    p = sub.add_parser("evaluate", help="precision@k and nDCG@k of every query strategy")
    p.add_argument("-k", type=int, default=5)
    p.add_argument("--details", action="store_true", help="add per-preset scores (with --json)")
    p.add_argument("--similar", action="store_true", help="also evaluate `similar` by video")
    p.add_argument("--calibrate", action="store_true", help="also compute confidence thresholds")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("serve", help="run the search API (Flask) on this machine")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=5000)
    p.add_argument(
        "--cors-origin",
        action="append",
        metavar="ORIGIN",
        help="allow browser pages from this origin (repeatable; default: localhost only)",
    )
    p.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        metavar="NAME",
        help="accept requests addressed to this host name (repeatable; localhost always)",
    )
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser(
        "demo", help="offline, in memory: ingest the samples and print recommendations"
    )
    p.add_argument("-k", "--top-k", type=int, default=5)
    p.set_defaults(func=cmd_demo)


def build_parser() -> argparse.ArgumentParser:
    from .embeddings import DEFAULT_CONCURRENCY

    parser = argparse.ArgumentParser(
        prog="vidrec",
        description="Semantic video recommendation with TwelveLabs Marengo, S3 and Qdrant.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("doctor", help="check dependencies, credentials and services")
    p.set_defaults(func=cmd_doctor)

    p = sub.add_parser(
        "ingest",
        help="upload, embed and index videos (no path: the sample catalog offline, the sample clips live)",
    )
    p.add_argument("paths", nargs="*", help="video files or folders")
    p.add_argument(
        "--concurrency",
        type=int,
        default=DEFAULT_CONCURRENCY,
        help=f"embedding tasks in flight (default {DEFAULT_CONCURRENCY})",
    )
    p.add_argument(
        "--no-cache", action="store_true", help="ignore the embedding cache (pays again!)"
    )
    p.add_argument(
        "--poll-timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="give up waiting for a task after this long (default: max(15 min, 3x the video); "
        "a task given up on is journaled and resumed by the next run, not paid again)",
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=cmd_ingest)

    add_search_commands(sub)

    p = sub.add_parser("app", help="serve the recommender widgets as a web page (Voilà, 127.0.0.1)")
    p.add_argument("--port", type=int, default=8866, help="port to serve on (default 8866)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser tab")
    p.add_argument(
        "--cull-after", type=int, default=60, help="seconds before a closed page's kernel stops"
    )
    p.add_argument(
        "--max-kernels", type=int, default=8, help="most open pages at once (~300 MB each)"
    )
    p.set_defaults(func=cmd_app)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `vidrec` console command."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING)
    install_log_masking()
    try:
        return int(args.func(args) or 0)
    except VidrecError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: re-run the same command to resume", file=sys.stderr)
        return 130
    except Exception as error:  # last resort: never print a secret in a traceback
        print(mask_secrets(f"unexpected error: {type(error).__name__}: {error}"), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
