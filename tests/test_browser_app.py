"""The web app in a real headless Chromium: Voilà serves app/recommender.ipynb, Playwright clicks.

Uses Debian's /usr/bin/chromium (never a browser downloaded at run time). Without it the test
fails in CI (the CI script installs it) and is skipped, with the reason, elsewhere.
"""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from vidrec_cli.webapp import app_environment, voila_command
from vidrec_helpers.config import project_root

pytestmark = pytest.mark.browser

CHROMIUM = Path(os.environ.get("VIDREC_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = project_root() / "test-artifacts"
README_SCREENSHOT = project_root() / "docs" / "screenshot.png"
README_SCREENSHOT_LIMIT = 300_000
#: Generous limits for a slow CI machine (the app usually answers in ~10 s, a query in < 1 s).
START_TIMEOUT_S = 90
QUERY_TIMEOUT_MS = 30_000
PAGE_TIMEOUT_MS = 120_000

CARD_TITLES = """() => [...document.querySelectorAll('.vidrec-card .vidrec-title')]
    .map((element) => element.textContent)"""
SETTLED_AND_CHANGED = """([before, count, selector, text]) => {
    const titles = [...document.querySelectorAll('.vidrec-card .vidrec-title')]
        .map((element) => element.textContent);
    const status = document.querySelector('.vidrec-status-line');
    const marker = document.querySelector(selector);
    return titles.length === count && JSON.stringify(titles) !== JSON.stringify(before)
        && status !== null && !status.textContent.includes('Searching')
        && marker !== null && marker.textContent.includes(text);
}"""


def _missing(reason: str) -> None:
    """Fail in CI (a browser test that silently skips hides breakage), skip elsewhere."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this is a failure, not a skip)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def chromium() -> Path:
    if not CHROMIUM.is_file():
        _missing(
            f"Debian's Chromium is not installed at {CHROMIUM}: "
            "run `apt-get install -y chromium` (never `playwright install`)"
        )
    for module in ("voila", "playwright"):
        if not _has_module(module):
            _missing(f'{module} is not installed: pip install -e ".[dev]"')
    return CHROMIUM


def _has_module(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_answers(url: str, process: subprocess.Popen, log: Path) -> None:
    """Poll the server until it answers HTTP; fail with its log if it exits or never answers."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"voila exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            requests.get(url + "api/status", timeout=2, allow_redirects=False)
            return
        except requests.RequestException:
            time.sleep(0.3)
    pytest.fail(f"voila did not answer within {START_TIMEOUT_S} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def app_url(chromium: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`vidrec app`'s command on a free port, in its own process group (stopped afterwards)."""
    folder = tmp_path_factory.mktemp("app")
    log = folder / "voila.log"
    port = _free_port()
    environment = app_environment()
    environment["VIDREC_CACHE_DIR"] = str(folder / "cache")
    with log.open("wb") as output:
        process = subprocess.Popen(
            voila_command(port, open_browser=False),
            env=environment,
            cwd=project_root(),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_until_answers(url, process, log)
        yield url
    finally:
        _stop(process)


def _stop(process: subprocess.Popen) -> None:
    """Stop voila and its kernel (the whole process group this test started)."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


@pytest.fixture(scope="module")
def opened(chromium: Path, app_url: str):
    """One browser page on the app for the module (each page load starts a kernel)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.requested = []  # every URL the page asked for, in order
            page.on("request", lambda request: page.requested.append(request.url))
            page.set_default_timeout(QUERY_TIMEOUT_MS)
            page.goto(app_url, timeout=PAGE_TIMEOUT_MS)
            page.wait_for_selector(".vidrec-app .vidrec-intent select", timeout=PAGE_TIMEOUT_MS)
            yield page
        finally:
            browser.close()


@pytest.fixture
def page(opened):
    """The app page, started over: laptop width, no intent, no mood, no filter, no results."""
    opened.set_viewport_size({"width": 1280, "height": 1000})
    if opened.locator(".vidrec-exact input").is_checked():
        opened.locator(".vidrec-exact input").uncheck()
    opened.get_by_label("Length", exact=True).select_option(label="Any length")
    opened.get_by_role("button", name="Any", exact=True).click()
    opened.get_by_label("Intent", exact=True).select_option(label="Any intent")
    opened.wait_for_function(f"() => ({CARD_TITLES})().length === 0")
    return opened


def _titles(page) -> list[str]:
    return page.evaluate(CARD_TITLES)


def _wait_for_new_results(
    page, before: list[str], count: int, text: str, selector: str = ".vidrec-hint"
) -> list[str]:
    """Wait until `count` cards differ from `before` and `selector` shows `text` (the query)."""
    page.wait_for_function(SETTLED_AND_CHANGED, arg=[before, count, selector, text])
    return _titles(page)


def _screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path))
    return path


VIDEOS_READY = """() => [...document.querySelectorAll('.vidrec-card video')]
    .every((video) => video.readyState >= 2 && !video.seeking)"""
VIDEO_REPORT = """() => [...document.querySelectorAll('.vidrec-card video')].map((video) => ({
    src: video.getAttribute('src'), time: video.currentTime, error: video.error && video.error.code,
}))"""


def _wait_for_videos(page) -> None:
    """Wait until every card's video has its first frame (served by the app's local S3)."""
    page.wait_for_function(VIDEOS_READY)
    page.wait_for_timeout(1500)  # the frame paints and the player's loading spinner fades


def _save_readme_screenshot(page) -> None:
    """The page in 256 colours (commit-sized): a test artifact, and the README's picture
    when VIDREC_UPDATE_SCREENSHOT=1 (so a plain test run leaves the work tree clean)."""
    from PIL import Image

    image = Image.open(io.BytesIO(page.screenshot())).convert("RGB")
    target = ARTIFACTS / "readme-screenshot.png"
    if os.environ.get("VIDREC_UPDATE_SCREENSHOT") == "1":
        target = README_SCREENSHOT
    target.parent.mkdir(parents=True, exist_ok=True)
    image.quantize(colors=256).save(target, optimize=True)
    size = target.stat().st_size
    assert size < README_SCREENSHOT_LIMIT, f"docs/screenshot.png is {size} bytes"


def test_pick_intent_and_mood_then_steer_with_more_like_this(page):
    assert _titles(page) == [], "no query yet, so no cards"
    page.get_by_label("Intent", exact=True).select_option(label="Kids")
    page.get_by_role("button", name="Musical", exact=True).click()
    kids_musical = _wait_for_new_results(page, [], 8, "musical:")
    assert all(kids_musical), "every card has a title"
    _wait_for_videos(page)
    _save_readme_screenshot(page)

    page.get_by_role("button", name="Action", exact=True).click()
    kids_action = _wait_for_new_results(page, kids_musical, 8, "action:")
    assert kids_action != kids_musical

    liked = kids_action[0]
    page.locator(".vidrec-card").first.get_by_role("button", name="More like this").click()
    similar = _wait_for_new_results(page, kids_action, 8, liked, ".vidrec-feedback")
    assert liked not in similar, "a liked video is an example, not a result"
    assert "similar videos" in page.locator(".vidrec-status").inner_text()
    page.wait_for_timeout(800)  # posters and video metadata paint
    _screenshot(page, "recommender-1280.png")


def test_cards_are_accessible_and_controls_come_first(page):
    page.get_by_label("Intent", exact=True).select_option(label="Fantasy")
    _wait_for_new_results(page, [], 8, "fantasy:")
    report = page.evaluate(
        """() => {
        const cards = [...document.querySelectorAll('.vidrec-card')];
        const media = cards.map((card) => card.querySelector('img, video'));
        const select = document.querySelector('.vidrec-intent select');
        const firstButton = cards[0].querySelector('button');
        return {
            mediaLabelled: media.every((m) => m && (m.tagName === 'IMG'
                ? m.alt.trim().length > 0 : (m.getAttribute('aria-label') || '').length > 0)),
            videos: media.filter((m) => m.tagName === 'VIDEO')
                .map((m) => m.getAttribute('src')),
            buttonsNamed: cards.every((card) => [...card.querySelectorAll('button')]
                .every((b) => b.textContent.trim().length > 0 && b.title.length > 0)),
            controlsFirst: Boolean(select.compareDocumentPosition(firstButton)
                & Node.DOCUMENT_POSITION_FOLLOWING),
            positiveTabindex: [...document.querySelectorAll('[tabindex]')]
                .filter((e) => e.tabIndex > 0).length,
        };
    }"""
    )
    assert report["mediaLabelled"], "every poster has alt text and every video an aria-label"
    assert report["buttonsNamed"], "every card button has a visible name and a tooltip"
    assert report["controlsFirst"], "the controls come before the results in keyboard order"
    assert report["positiveTabindex"] == 0
    assert all("#t=" in src for src in report["videos"]), "videos start at the best moment"
    page.locator(".vidrec-intent select").focus()
    page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement.closest('.vidrec-mood') !== null")
    assert focused, "Tab moves from the intent to the mood buttons"


def test_layout_reflows_at_phone_width(page):
    page.get_by_label("Intent", exact=True).select_option(label="Sci-fi")
    page.get_by_role("button", name="Magical", exact=True).click()
    _wait_for_new_results(page, [], 8, "magical:")
    wide = _card_boxes(page)
    assert len({round(box["x"]) for box in wide[:4]}) == 4, "four columns at 1280 px"

    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(500)
    narrow = _card_boxes(page)
    assert len({round(box["x"]) for box in narrow}) == 1, "one column at 390 px"
    assert all(box["x"] >= 0 and box["x"] + box["width"] <= 390 for box in narrow)
    assert all(box["width"] >= 260 for box in narrow)
    controls = page.locator(".vidrec-controls").bounding_box()
    assert controls["x"] + controls["width"] <= 390, "the controls wrap instead of overflowing"
    _screenshot(page, "recommender-390.png")
    whole = page.evaluate("() => document.querySelector('.vidrec-app').scrollHeight")
    page.set_viewport_size({"width": 390, "height": min(int(whole) + 60, 6000)})
    page.wait_for_timeout(300)
    _screenshot(page, "recommender-390-full.png")


def test_clips_play_from_their_best_moment(page):
    page.get_by_label("Length", exact=True).select_option(label="Up to 10 s")
    page.get_by_label("Intent", exact=True).select_option(label="Cartoon")
    titles = _wait_for_new_results(page, [], 8, "cartoon:")
    _wait_for_videos(page)
    videos = page.evaluate(VIDEO_REPORT)
    assert len(videos) == len(titles), "every short sample clip has a playable URL"
    for video in videos:
        start = float(video["src"].rsplit("#t=", 1)[1].split(",")[0])
        assert video["error"] is None
        assert abs(video["time"] - start) < 0.5, f"{video['src']} starts at {video['time']}"


def _card_boxes(page) -> list[dict]:
    return [card.bounding_box() for card in page.locator(".vidrec-card").all()]


LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def test_the_page_loads_nothing_from_the_internet(page):
    """With no Wi-Fi the page must look the same: every request stays on this machine."""
    page.get_by_label("Intent", exact=True).select_option(label="Family")
    _wait_for_new_results(page, [], 8, "family:")
    page.wait_for_timeout(1000)  # late stylesheets, fonts and posters
    remote = [
        url
        for url in page.requested
        if urlsplit(url).scheme not in ("data", "blob")
        and urlsplit(url).hostname not in LOCAL_HOSTS
    ]
    assert page.requested, "the page's own requests were recorded"
    assert remote == [], f"requests that leave the machine: {remote}"
    icons = page.evaluate("() => document.querySelectorAll('.vidrec-app i.fa').length")
    assert icons == 0, "no control depends on an icon font"
