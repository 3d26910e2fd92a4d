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
    from .pipeline import ingest

    settings = get_settings()
    if not args.json:
        print(settings.summary(), file=sys.stderr)
    report = ingest(
        args.paths or None,
        settings=settings,
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
    """Serve the recommender widgets as a web page with Voilà on 127.0.0.1."""
    import importlib.util
    import subprocess

    from .widgets import app_environment, app_notebook, voila_command

    if importlib.util.find_spec("voila") is None:
        raise VidrecError('Voilà is not installed: run `pip install -e ".[dev,local]"` (or `make install`)')
    if not app_notebook().is_file():
        raise VidrecError(f"{app_notebook()} is missing: restore it with `git checkout -- app/`")
    settings = get_settings()
    print(settings.summary(), file=sys.stderr)
    print(f"serving the recommender at http://127.0.0.1:{args.port}/ (Ctrl+C stops it)", file=sys.stderr)
    command = voila_command(args.port, open_browser=not args.no_browser)
    return subprocess.run(command, env=app_environment(settings), check=False).returncode


def build_parser() -> argparse.ArgumentParser:
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
        "--concurrency", type=int, default=4, help="embedding tasks in flight (default 4)"
    )
    p.add_argument(
        "--no-cache", action="store_true", help="ignore the embedding cache (pays again!)"
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("app", help="serve the recommender widgets as a web page (Voilà, 127.0.0.1)")
    p.add_argument("--port", type=int, default=8866, help="port to serve on (default 8866)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser tab")
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
