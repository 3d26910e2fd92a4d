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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vidrec",
        description="Semantic video recommendation with TwelveLabs Marengo, S3 and Qdrant.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("doctor", help="check dependencies, credentials and services")
    p.set_defaults(func=cmd_doctor)
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
