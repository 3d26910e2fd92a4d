"""Rate limits: 40 videos through a per-window create limit, 0 failures, near the allowed throughput.

The strict Embed v2 stand-in enforces a fixed-window limit on `POST /embed-v2/tasks` as TwelveLabs
does (windows start at multiples of the window length in epoch seconds), answers 429 without
`Retry-After`, and sends `X-Ratelimit-Limit/-Remaining/-Used/-Reset` (Reset: the epoch second the
window ends). The window is a few seconds instead of a minute so the run stays short. vidrec's
embedder (real twelvelabs SDK, `embed_many` with 32 tasks in flight) must ingest every video and
use every window: throughput = videos / (windows spanned x window length), against the limit's
`limit / window length`.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections import Counter

from bench_common import Recorder, arguments, isolate

isolate()

from vidrec_helpers.config import Settings  # noqa: E402
from vidrec_standins.twelvelabs import TwelveLabsStandIn  # noqa: E402

os.environ["VIDREC_ALLOW_PRIVATE_URLS"] = "1"  # the stand-in is on 127.0.0.1 on purpose


def run(videos: int, limit: int, window: float, processing: float, cache_dir: str) -> dict:
    """Ingest `videos` through a `limit`-per-`window` stand-in; return what happened."""
    from vidrec_helpers.embeddings import embed_many
    from vidrec_helpers.records import VideoSource
    from vidrec_helpers.twelvelabs_embedder import PollPolicy, TwelveLabsEmbedder

    with TwelveLabsStandIn(
        fetch_media=False, requests_per_window=limit, window_seconds=window,
        processing_seconds=processing,
    ) as standin:  # fmt: skip
        settings = Settings(
            _env_file=None, twelvelabs_api_key="bench-key-not-real", forced_mode="live",
            twelvelabs_base_url=standin.base_url, cache_dir=cache_dir,
        )  # fmt: skip
        embedder = TwelveLabsEmbedder(settings, poll=PollPolicy(initial=0.1, maximum=0.5))
        sources = [
            VideoSource(
                f"v{n:02d}", f"hash-{n}", url=f"https://videos.test/v{n:02d}.mp4?duration=8"
            )
            for n in range(videos)
        ]
        started = time.time()
        report = embed_many(embedder, sources, progress=False)
        seconds = time.time() - started
        creates = sorted(standin.create_times)
        refused = standin.faults["rate_window"]
    per_window = Counter(math.floor(t / window) for t in creates)
    spanned = max(per_window) - min(per_window) + 1 if per_window else 0
    allowed = limit / window
    achieved = len(creates) / (spanned * window) if spanned else 0.0
    return {
        "seconds": seconds,
        "embedded": len(report.embedded),
        "failed": report.failed,
        "creates": len(creates),
        "refused_429": refused,
        "windows_spanned": spanned,
        "windows_needed": math.ceil(videos / limit),
        "creates_per_window": [per_window[k] for k in sorted(per_window)],
        "allowed_per_second": allowed,
        "achieved_per_second": achieved,
        "share_of_allowed": achieved / allowed,
    }


def main() -> None:
    args = arguments("rate_limit", __doc__.splitlines()[0])
    recorder = Recorder("rate_limit", "Rate limits (per-window create limit, no Retry-After)", args)
    videos, limit, window, processing = (12, 4, 2.0, 0.2) if args.quick else (40, 8, 4.0, 0.5)
    recorder.params(
        videos=videos, limit=limit, window_seconds=window, processing_seconds=processing
    )
    import tempfile

    with tempfile.TemporaryDirectory(prefix="vidrec-bench-") as folder:
        result = run(videos, limit, window, processing, folder)
    print(f"{result['embedded']} embedded, {len(result['failed'])} failed, "
          f"{result['share_of_allowed']:.0%} of the allowed throughput", file=sys.stderr)  # fmt: skip
    recorder.metrics(**result)
    recorder.target("videos failed", len(result["failed"]), 0, "", note=f"{videos} videos")
    recorder.target(
        "throughput over the allowed", result["share_of_allowed"], 0.9, "x", higher_is_better=True,
        note=f"{result['creates']} creates in {result['windows_spanned']} windows of {window:g} s "
        f"(at least {result['windows_needed']}); {result['refused_429']} 429s waited out",
    )  # fmt: skip
    recorder.table(
        f"{videos} videos, {limit} creates per {window:g} s window",
        ["creates per window", "429s", "wall s", "achieved/s", "allowed/s"],
        [[str(result["creates_per_window"]), result["refused_429"], round(result["seconds"], 2),
          round(result["achieved_per_second"], 2), round(result["allowed_per_second"], 2)]],
    )  # fmt: skip
    recorder.note(
        "After a 429 the embedder waits until X-Ratelimit-Reset (no Retry-After is sent); with "
        "neither header it would wait 61 s, longer than a one-minute window."
    )
    recorder.write()


if __name__ == "__main__":
    main()
