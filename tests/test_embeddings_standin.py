"""The strict Embed v2 stand-in follows TwelveLabs' published rules, checked with the real SDK."""

from __future__ import annotations

import shutil
import time

import numpy as np
import pytest
from standin_fixtures import FAKE_API_KEY, media_server
from twelvelabs import TwelveLabs
from twelvelabs.errors import BadRequestError, TooManyRequestsError

from vidrec_helpers.samples import SAMPLE_MODEL, sample_video_dir
from vidrec_standins import local_text
from vidrec_standins.media import make_test_video
from vidrec_standins.shipped import load_sample_embeddings
from vidrec_standins.twelvelabs import TwelveLabsStandIn

NO_RETRIES = {"max_retries": 0}


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    """Videos at /media/<name>: good (5 s, 480x360), short (2 s), small (320x240), wide (2.5:1)."""
    folder = tmp_path_factory.mktemp("media")
    make_test_video(folder / "good.mp4", seconds=5, fps=4)
    make_test_video(folder / "short.mp4", seconds=2, fps=4)
    make_test_video(folder / "small.mp4", seconds=5, width=320, height=240, fps=4)
    make_test_video(folder / "wide.mp4", seconds=5, width=900, height=360, fps=4)
    shutil.copy(sample_video_dir() / "rocket_run.mp4", folder / "my-upload.mp4")
    with media_server(folder) as server:
        yield f"{server.url}/media"


def client_for(standin: TwelveLabsStandIn) -> TwelveLabs:
    return TwelveLabs(api_key=FAKE_API_KEY, base_url=standin.base_url)


def create(client: TwelveLabs, url: str, model: str = "marengo3.0", **video: object):
    return client.embed.v_2.tasks.create(
        input_type="video",
        model_name=model,
        video={"media_source": {"url": url}, **video},
        request_options=NO_RETRIES,
    )


def refusal(call) -> str:  # noqa: ANN001
    with pytest.raises(BadRequestError) as caught:
        call()
    return caught.value.body["error"]["message"]


def test_an_unreachable_url_is_refused_at_create(media):
    with TwelveLabsStandIn() as standin:
        client = client_for(standin)
        assert "HTTP 404" in refusal(lambda: create(client, f"{media}/missing.mp4"))
        assert "publicly reachable" in refusal(lambda: create(client, "http://127.0.0.1:9/v.mp4"))
    assert not standin.tasks


@pytest.mark.parametrize(
    "name, problem",
    [
        ("short.mp4", "lasts 2.0 s"),
        ("small.mp4", "is 320x240"),
        ("wide.mp4", "aspect ratio of 2.50"),
    ],
)
def test_marengo_limits_are_enforced_on_the_fetched_video(media, name, problem):
    with TwelveLabsStandIn() as standin:
        assert problem in refusal(lambda: create(client_for(standin), f"{media}/{name}"))


def test_partial_metadata_while_processing_then_the_probed_duration(media):
    with TwelveLabsStandIn(processing_seconds=0.3) as standin:
        client = client_for(standin)
        task = create(client, f"{media}/good.mp4")
        assert task.status == "processing" and task.data is None
        early = client.embed.v_2.tasks.retrieve(task.id)
        assert early.status == "processing" and early.data is None
        assert early.metadata.duration == pytest.approx(5.0) and early.metadata.clip_length is None
        time.sleep(0.35)
        done = client.embed.v_2.tasks.retrieve(task.id)
    assert done.status == "ready" and done.metadata.clip_length == 4
    assert [d.end_sec for d in done.data if d.embedding_scope == "clip"][-1] == pytest.approx(5.0)


@pytest.mark.parametrize(
    "model, segmentation, problem",
    [
        ("marengo3.0", {"temporal": {"strategy": "fixed", "fixed": {"duration_sec": 5}}}, "does not match"),
        ("marengo3.5", {"strategy": "fixed", "fixed": {"duration_sec": 5}}, "does not match"),
        ("marengo3.0", {"strategy": "fixed", "fixed": {"duration_sec": 11}}, "from 2 to 10"),
        ("marengo3.0", {"strategy": "fixed", "fixed": {"duration_sec": 1}}, "from 2 to 10"),
        ("marengo3.0", {"strategy": "dynamic", "dynamic": {"min_duration_sec": 6}}, "from 2 to 5"),
        ("marengo3.5", {"temporal": {"strategy": "sliding"}}, "'fixed' or 'dynamic'"),
    ],
)  # fmt: skip
def test_segmentation_shape_and_range_per_model(media, model, segmentation, problem):
    with TwelveLabsStandIn() as standin:
        url = f"{media}/good.mp4"
        assert problem in refusal(
            lambda: create(client_for(standin), url, model, segmentation=segmentation)
        )


def test_valid_fixed_segments_per_model(media):
    with TwelveLabsStandIn() as standin:
        client = client_for(standin)
        three = create(
            client,
            f"{media}/good.mp4",
            segmentation={"strategy": "fixed", "fixed": {"duration_sec": 2}},
        )
        five = create(client, f"{media}/good.mp4", "marengo3.5",
                      segmentation={"temporal": {"strategy": "fixed", "fixed": {"duration_sec": 3}}})  # fmt: skip
        spans = {
            task.id: [(d.start_sec, d.end_sec) for d in client.embed.v_2.tasks.retrieve(task.id).data
                      if d.embedding_scope == "clip" and d.embedding_option == "visual"]
            for task in (three, five)
        }  # fmt: skip
    assert [end for _, end in spans[three.id]] == pytest.approx([2, 4, 5], abs=0.01)
    assert [end for _, end in spans[five.id]] == pytest.approx([3, 5], abs=0.01)


def test_text_is_limited_by_a_bound_no_tokenizer_can_exceed():
    with TwelveLabsStandIn() as standin:
        text = client_for(standin).embed.v_2.create

        def embed(model: str, value: str):  # noqa: ANN202
            field = "text" if model == "marengo3.0" else "multi_input"
            return text(input_type=field, model_name=model, **{field: {"input_text": value}},
                        request_options=NO_RETRIES)  # fmt: skip

        assert len(embed("marengo3.0", "a" * 498).data[0].embedding) == 512
        assert "context window" in refusal(lambda: embed("marengo3.0", "a" * 499))
        assert "context window" in refusal(lambda: embed("marengo3.0", "é" * 250))  # 500 bytes
        assert embed("marengo3.5", "a" * 1998).data
        assert "context window" in refusal(lambda: embed("marengo3.5", "a" * 1999))


def test_request_window_sends_ratelimit_headers_and_a_429_without_retry_after(media):
    with TwelveLabsStandIn(requests_per_window=2, window_seconds=60) as standin:
        raw = client_for(standin).embed.v_2.tasks.with_raw_response.create
        url = {"media_source": {"url": f"{media}/good.mp4"}}
        first = raw(
            input_type="video", model_name="marengo3.0", video=url, request_options=NO_RETRIES
        )
        second = raw(
            input_type="video", model_name="marengo3.0", video=url, request_options=NO_RETRIES
        )
        with pytest.raises(TooManyRequestsError) as caught:
            raw(input_type="video", model_name="marengo3.0", video=url, request_options=NO_RETRIES)
    remaining = [r.headers["x-ratelimit-remaining"] for r in (first, second)]
    assert remaining == ["1", "0"] and first.headers["x-ratelimit-limit"] == "2"
    headers = {k.lower(): v for k, v in caught.value.headers.items()}
    assert "retry-after" not in headers
    reset = float(headers["x-ratelimit-reset"])  # UTC epoch seconds, as the API documents it
    assert time.time() < reset <= time.time() + 60 and reset % 60 == 0
    assert len(standin.tasks) == 2


def test_video_duration_window_counts_seconds_of_video(media):
    with TwelveLabsStandIn(video_seconds_per_window=8, video_window_seconds=3600) as standin:
        client = client_for(standin)
        create(client, f"{media}/good.mp4")  # 5 s of the 8
        with pytest.raises(TooManyRequestsError) as caught:
            create(client, f"{media}/good.mp4")  # 10 s > 8 s
    assert "video duration" in caught.value.body["error"]["message"]


def test_fused_vectors_on_request_and_the_rules_for_asking(media):
    with TwelveLabsStandIn() as standin:
        client = client_for(standin)
        url = f"{media}/good.mp4"
        both = create(client, url, embedding_option=["visual", "audio"],
                      embedding_type=["separate_embedding", "fused_embedding"])  # fmt: skip
        data = client.embed.v_2.tasks.retrieve(both.id).data
        assert {d.embedding_option for d in data} == {"visual", "audio", "fused"}
        one = {"embedding_option": ["visual"], "embedding_type": ["fused_embedding"]}
        assert "at least two" in refusal(lambda: create(client, url, **one))
        fused35 = {"embedding_option": ["visual", "audio"], "embedding_type": ["fused_embedding"]}
        assert "time_based_metadata" in refusal(
            lambda: create(client, url, "marengo3.5", **fused35)
        )


def test_tasks_are_listed_newest_first_with_their_url(media):
    with TwelveLabsStandIn() as standin:
        client = client_for(standin)
        older = create(client, f"{media}/good.mp4?v=1")
        newer = create(client, f"{media}/good.mp4?v=2")
        listed = list(client.embed.v_2.tasks.list(page_limit=1))
    assert [task.id for task in listed] == [newer.id, older.id]
    assert listed[0].video_embedding.metadata.input_url.endswith("v=2")


def test_offline_profile_serves_the_sample_clips_by_content_under_the_sample_model(media):
    with TwelveLabsStandIn(profile="offline") as standin:
        client = client_for(standin)
        assert SAMPLE_MODEL in refusal(lambda: create(client, f"{media}/good.mp4"))  # marengo3.0
        assert "8 sample clips" in refusal(
            lambda: create(client, f"{media}/good.mp4", SAMPLE_MODEL)
        )
        task = create(client, f"{media}/my-upload.mp4", SAMPLE_MODEL, embedding_option=["visual"])
        data = client.embed.v_2.tasks.retrieve(task.id).data
    frame = load_sample_embeddings()
    asset = frame[(frame["video_id"] == "clip-rocket-run") & (frame["kind"] == "video")]
    got = next(d.embedding for d in data if d.embedding_scope == "asset")
    assert np.allclose(got, asset["vector"].iloc[0], atol=1e-6) and len(got) == 384


def test_offline_text_presets_and_a_clear_error_without_the_local_model(monkeypatch):
    monkeypatch.setattr(local_text, "local_model_available", lambda: False)
    frame = load_sample_embeddings()
    preset = frame[frame["kind"] == "query"].iloc[0]
    with TwelveLabsStandIn(profile="offline") as standin:
        text = client_for(standin).embed.v_2.create

        def embed(value: str):  # noqa: ANN202
            return text(input_type="text", model_name=SAMPLE_MODEL, text={"input_text": value},
                        request_options=NO_RETRIES)  # fmt: skip

        assert np.allclose(embed(preset["text"]).data[0].embedding, preset["vector"], atol=1e-6)
        assert "pip install" in refusal(lambda: embed("a robot learning to paint"))
