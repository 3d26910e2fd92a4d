"""The `vidrec` command: doctor, ingest, search, similar, evaluate, serve, app, demo."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict

from vidrec_helpers.config import Settings, VidrecError, get_settings, mask_secrets


def mask_record(record: logging.LogRecord) -> bool:
    """A logging filter: the record's message with its secrets masked (it is always kept)."""
    message = record.getMessage()
    if (masked := mask_secrets(message)) != message:
        record.msg, record.args = masked, None
    return True


def install_log_masking(logger: logging.Logger | None = None) -> None:
    """Mask secrets in what the logger (the root logger by default) and its handlers emit."""
    target = logger or logging.getLogger()
    for owner in (*target.handlers, target):
        if mask_record not in owner.filters:
            owner.addFilter(mask_record)


def _as_json(data: object) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, default=str)


def cmd_doctor(args: argparse.Namespace) -> int:
    """Print every check; 1 when a required one failed."""
    from vidrec_cli.doctor import run_checks

    checks = run_checks(get_settings())
    for check in checks:
        print(check.line())
    failed = sum(check.required and not check.ok for check in checks)
    print(f"{len(checks) - failed} of {len(checks)} checks passed; {failed} required failed")
    return 1 if failed else 0


def cmd_ingest(args: argparse.Namespace) -> int:
    from vidrec_helpers.embeddings import make_embedder
    from vidrec_helpers.pipeline import ingest

    settings = get_settings()
    if not args.json:
        print(settings.summary(), file=sys.stderr)
    # offline, the sample clips go through the real SDK to the local Embed v2 stand-in
    embedder = make_embedder(settings, sample_clips_via_sdk=True, poll_timeout=args.poll_timeout)
    how = {"concurrency": args.concurrency, "progress": not args.json}
    report = ingest(args.paths or None, settings=settings, embedder=embedder, **how)
    print(_as_json(asdict(report)) if args.json else report.summary())
    return 1 if report.failed else 0


def cmd_app(args: argparse.Namespace) -> int:
    """Serve the recommender widgets as a web page with Voilà on 127.0.0.1 until stopped."""
    from vidrec_cli.webapp import APP_NOTEBOOK, app_environment, run_server, voila_command

    if not APP_NOTEBOOK.is_file():
        raise VidrecError(f"{APP_NOTEBOOK} is missing: restore it with `git checkout -- app/`")
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


def _session():
    """The search session of the active model, its settings printed; it never ingests."""
    from vidrec_helpers.session import open_session

    settings = get_settings()
    print(settings.summary(), file=sys.stderr)
    return open_session(settings, ingest_if_empty=False)


def _show(response, as_json: bool = False) -> int:
    """Print the results: a JSON list, or a table and the strategy, timing and collection."""
    if as_json:  # the API's answer: `filename` is always a string
        from vidrec_helpers.api import tutorial_results

        print(_as_json(tutorial_results(response)))
        return 0
    # the notebooks' table: rank, labels, score, moment
    from vidrec_helpers.explore import results_table

    print(results_table(response).to_string() if response.results else "no results: try again")
    took = f"{response.took_ms:.0f} ms"
    print(f"({response.strategy} strategy, {took}, collection {response.collection})")
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    query = {name: getattr(args, name) for name in ("intent", "mood", "keywords", "text")}
    found = _session().search(**query, top_k=args.top_k, strategy=args.strategy)
    return _show(found, args.json)


def cmd_similar(args: argparse.Namespace) -> int:
    found = _session().similar(args.video_ids, args.unlike, top_k=args.top_k)
    return _show(found, args.json)


def cmd_evaluate(args: argparse.Namespace) -> int:
    from vidrec_helpers.evaluate import calibrate_confidence, evaluate, format_report

    session = _session()
    where = (session.client, session.collection, session.encoder)
    report = evaluate(*where, k=args.k, include_similar=True)
    if args.calibrate:
        report["confidence_thresholds"] = calibrate_confidence(*where)
    print(_as_json(report) if args.json else format_report(report))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from vidrec_helpers.api import serve

    origins = args.cors_origin or None
    hosts = [args.host, *args.allowed_host]  # the bind address is a name too
    serve(args.host, args.port, session=_session(), cors_origins=origins, allowed_hosts=hosts)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """The offline pipeline, headless, in memory: index the samples, then a few recommendations."""
    from vidrec_helpers.session import open_session

    settings = Settings(qdrant_path=":memory:", forced_mode="offline")
    print(settings.summary())
    session = open_session(settings)  # offline, an empty collection is filled from the samples
    print(f"indexed {session.point_count()} points in {session.collection}")
    for intent, mood in (("kids", "musical"), ("sci-fi", "action"), ("fantasy", "magical")):
        print(f"\n== recommend: intent={intent}, mood={mood}")
        response = session.search(intent=intent, mood=mood, top_k=args.top_k)
        _show(response)
    first = response.results[0].video_id
    print(f"\n== more like {first}")
    _show(session.similar([first], top_k=args.top_k))
    return 0


def build_parser() -> argparse.ArgumentParser:
    from vidrec_helpers.embeddings import DEFAULT_CONCURRENCY
    from vidrec_helpers.labels import INTENTS, MOODS
    from vidrec_helpers.queries import default_strategy
    from vidrec_helpers.query_input import STRATEGIES
    from vidrec_helpers.samples import SAMPLE_MODEL

    parser = argparse.ArgumentParser(
        prog="vidrec",
        description="Semantic video recommendation with TwelveLabs Marengo, S3 and Qdrant.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    sub = parser.add_subparsers(dest="command", required=True)

    def command(name: str, func: Callable[[argparse.Namespace], int], text: str, results=False):
        """A subcommand that runs `func`; one that prints results takes -k and --json."""
        p = sub.add_parser(name, help=text)
        p.set_defaults(func=func)
        if results:
            p.add_argument("-k", "--top-k", type=int, default=10, help="how many videos (1-100)")
            p.add_argument("--json", action="store_true", help="print a JSON list of results")
        return p

    command("doctor", cmd_doctor, "check dependencies, credentials and services")

    p = command("ingest", cmd_ingest, "upload, embed and index videos (default: the samples)")
    p.add_argument("paths", nargs="*", help="video files or folders")
    concurrency_help = f"embedding tasks in flight (default {DEFAULT_CONCURRENCY})"
    p.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY, help=concurrency_help)
    wait = "give up on a task after this long (default: max(15 min, 3x the video)); rerun resumes"
    p.add_argument("--poll-timeout", type=float, metavar="SECONDS", help=wait)
    p.add_argument("--json", action="store_true", help="print the report as JSON")

    p = command("search", cmd_search, "find videos by intent, mood, keywords or text", True)
    p.add_argument("--intent", choices=list(INTENTS))
    p.add_argument("--mood", choices=list(MOODS))
    p.add_argument("--text", help="free text (offline it needs the local text model)")
    p.add_argument("--keywords", help="extra words, e.g. 'puppy, socks'")
    strategy_help = f"default: {default_strategy(SAMPLE_MODEL)}"
    p.add_argument("--strategy", choices=list(STRATEGIES), help=strategy_help)

    p = command("similar", cmd_similar, "more videos like these (and not like those)", True)
    p.add_argument("video_ids", nargs="+", metavar="VIDEO_ID", help="video ids from search results")
    unlike = "videos to steer away from"
    p.add_argument("--not", dest="unlike", action="extend", nargs="+", default=[], help=unlike)

    p = command("evaluate", cmd_evaluate, "precision@k and nDCG@k of every query strategy")
    p.add_argument("-k", type=int, default=5)
    p.add_argument("--calibrate", action="store_true", help="also compute confidence thresholds")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = command("serve", cmd_serve, "run the search API (Flask) on this machine")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=5000)
    origin = "allow browser pages from this origin (repeatable; default: localhost only)"
    p.add_argument("--cors-origin", action="append", metavar="ORIGIN", help=origin)
    host = "accept requests addressed to this host name (repeatable; localhost always)"
    p.add_argument("--allowed-host", action="append", default=[], metavar="NAME", help=host)

    p = command("demo", cmd_demo, "offline, in memory: ingest the samples, print recommendations")
    p.add_argument("-k", "--top-k", type=int, default=5)

    p = command("app", cmd_app, "serve the recommender widgets as a web page (Voilà, 127.0.0.1)")
    p.add_argument("--port", type=int, default=8866, help="port to serve on (default 8866)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser tab")
    cull_help = "seconds before a closed page's kernel stops"
    p.add_argument("--cull-after", type=int, default=60, help=cull_help)
    p.add_argument("--max-kernels", type=int, default=8, help="most open pages (~300 MB each)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `vidrec` console command."""
    args = build_parser().parse_args(argv)
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
