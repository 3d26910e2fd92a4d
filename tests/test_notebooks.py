"""Notebook hygiene and teaching: valid, no secrets, one skeleton, raw calls run, exercises solved.

Each check is a plain function returning the problems it found, so the tests below can also
show that every check fails on a small bad notebook built right here.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import re
from functools import partial
from pathlib import Path
from types import ModuleType, SimpleNamespace

import nbformat
import pytest
from collection_fixtures import PresetOnlyEmbedder, fill_sample_collection
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from vidrec_helpers.evaluate import evaluate
from vidrec_helpers.labels import INTENTS, MOODS
from vidrec_helpers.queries import QueryEncoder, default_strategy
from vidrec_helpers.query_input import STRATEGIES
from vidrec_helpers.samples import SAMPLE_MODEL
from vidrec_helpers.search import search

DEFAULT = default_strategy(SAMPLE_MODEL)
ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
EXPECTED = [
    "00_setup",
    "01_upload_to_s3",
    "02_create_embeddings",
    "03_qdrant_upsert",
    "04_search_and_recommend",
    "05_search_api",
    "06_explore_embeddings",
    "07_scale_to_production",
]
HEADLINE_NOTEBOOK = "04_search_and_recommend"
HEADLINE_TAG = "headline-metric"

SECRET_PATTERNS = {
    "AWS access key id": re.compile(r"AKIA[0-9A-Z]{16}"),
    "AWS secret access key": re.compile(
        r"aws_secret_access_key\W{1,8}[A-Za-z0-9/+=]{40}(?![A-Za-z0-9/+=])", re.IGNORECASE
    ),
    "TwelveLabs API key": re.compile(r"tlk_[0-9A-Za-z]{8,}"),
}
#: .env settings that are not secrets (their values may legitimately show up in outputs).
NOT_SECRET = {
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "MARENGO_MODEL",
    "VIDREC_MODE",
    "S3_BUCKET",
    "QDRANT_PATH",
    "VIDREC_CACHE_DIR",
}
ABSOLUTE_PATH = re.compile(
    r"(?<![\w.:/])(?:/(?:work|tmp|root|home|Users|var/folders|private)/[^\s\"'<>]*"
    r"|[A-Za-z]:\\\\?(?:Users|Windows)\\)"
)
#: The raw SDK calls each notebook must run itself (in an executed code cell with output).
RAW_CALLS = {
    "01_upload_to_s3": [
        "boto3.client(",
        "endpoint_url=",
        "region_name=",
        "config=Config(",
        "s3.head_bucket(",
        "s3.create_bucket(",
        "s3.upload_file(",
        '"Metadata": {"sha256"',
        "s3.head_object(",
        "s3.generate_presigned_url(",
    ],
    "02_create_embeddings": [
        "TwelveLabs(api_key=",
        "base_url=",
        "client.embed.v_2.tasks.create(",
        '"media_source"',
        '"embedding_option"',
        '"embedding_scope"',
        "client.embed.v_2.tasks.retrieve(",
        '== "failed"',
        "for item in task.data",
        "np.mean(",
        "client.embed.v_2.create(",
    ],
    "03_qdrant_upsert": [
        "QdrantClient(",
        "client.create_collection(",
        "models.VectorParams(",
        "models.PointStruct(",
        "client.upsert(",
        "client.count(",
        "client.scroll(",
    ],
    "04_search_and_recommend": [
        "client.query_points(",
        "models.Filter(",
        "models.FieldCondition(",
        "models.Range(",
        "models.RecommendQuery(",
        "models.Prefetch(",
        "models.FusionQuery(",
    ],
    "05_search_api": [
        "Flask(",
        "CORS(app",
        '@app.post("/search")',
        "jsonify(",
        "requests.post(",
        "requests.options(",
    ],
}
#: Notebooks that create something live (S3 objects, collections) and so offer CLEANUP_LIVE.
LIVE_CREATORS = ["01_upload_to_s3", "02_create_embeddings", "03_qdrant_upsert"]
SOLUTIONS = NOTEBOOK_DIR / "solutions"
#: The shared settings explanation, written once (00 and the notebooks README), linked elsewhere.
SETTINGS_PARAGRAPH = "`get_settings()` reads the environment, then `.env`"
#: Cells whose output may be ignored by nbval (NBVAL_IGNORE_OUTPUT), and why.
IGNORABLE = {
    "recommender(": "widgets: their model ids change on every run",
    "run_checks(": "the environment check prints this machine's package versions",
    "scale.run_grid(": "HNSW assigns graph levels at random: recall moves in the third decimal",
}


# ----- the checks ------------------------------------------------------------------------------


def validation_problems(notebook: nbformat.NotebookNode) -> list[str]:
    """nbformat's schema validation."""
    try:
        nbformat.validate(notebook)
    except nbformat.ValidationError as error:
        return [f"invalid notebook: {error.message}"]
    return []


def env_secrets(path: Path) -> list[str]:
    """Values set in a local .env file that could be secrets (not the documented plain settings)."""
    if not path.is_file():
        return []
    values = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        name, sep, value = line.strip().removeprefix("export ").partition("=")
        value = value.split(" #", 1)[0].strip().strip("'\"")
        if sep and not name.startswith("#") and name.strip() not in NOT_SECRET and len(value) >= 6:
            values.append(value)
    return values


def secret_problems(notebook: nbformat.NotebookNode, extra_secrets: list[str] = ()) -> list[str]:
    """Anything key-shaped, or any .env value, anywhere in the notebook (sources, outputs, metadata)."""
    text = json.dumps(notebook, ensure_ascii=False)
    problems = [
        f"looks like a {name}" for name, pattern in SECRET_PATTERNS.items() if pattern.search(text)
    ]
    problems += ["contains a value from .env" for secret in extra_secrets if secret in text]
    return problems


def output_texts(notebook: nbformat.NotebookNode) -> list[str]:
    """Every text of every output (streams, data of every MIME type, errors) and the metadata."""
    texts = [json.dumps(notebook.get("metadata", {}))]
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            texts.append(json.dumps(output, ensure_ascii=False))
    return texts


def path_problems(notebook: nbformat.NotebookNode) -> list[str]:
    """Absolute local paths (/work/..., /tmp/..., /root/..., C:\\Users\\...) in outputs."""
    found = {
        match.group(0) for text in output_texts(notebook) for match in ABSOLUTE_PATH.finditer(text)
    }
    return [f"absolute local path in an output: {path[:60]}" for path in sorted(found)]


def headings(notebook: nbformat.NotebookNode) -> list[tuple[int, int, str]]:
    """(cell index, level, text) of every Markdown heading."""
    found = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "markdown":
            continue
        in_code = False
        for line in cell.source.splitlines():
            if line.startswith("```"):
                in_code = not in_code
            match = re.match(r"^(#{1,6})\s+(.*\S)", line)
            if match and not in_code:
                found.append((index, len(match.group(1)), match.group(2).strip()))
    return found


def _only_imports(source: str) -> bool:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    return bool(tree.body) and all(isinstance(n, (ast.Import, ast.ImportFrom)) for n in tree.body)


def skeleton_problems(notebook: nbformat.NotebookNode) -> list[str]:
    """Title, What you'll do/learn/need, Imports and configuration, 1., 2., ..., Exercises, Cleanup, Summary."""
    cells = notebook.cells
    if not cells or cells[0].cell_type != "markdown" or not cells[0].source.startswith("# "):
        return ["the first cell must be a Markdown H1 title ('# ...')"]
    sections = [(index, text) for index, level, text in headings(notebook) if level == 2]
    names = [text for _, text in sections]
    problems = []
    required = [
        "What you'll do",
        "What you'll learn",
        "What you'll need",
        "Imports and configuration",
    ]
    if names[:4] != required:
        problems.append(f"the first sections must be {required}, found {names[:4]}")
    steps = [text for text in names if re.match(r"^\d+\.\s", text)]
    numbers = [int(text.split(".")[0]) for text in steps]
    if not steps or numbers != list(range(1, len(steps) + 1)):
        problems.append(f"numbered steps must run 1, 2, 3, ...: found {numbers}")
    closing = ["Exercises", "Cleanup", "Summary and next steps"]
    if names[-3:] != closing:
        problems.append(f"the last sections must be {closing}: found {names[-3:]}")
    expected_order = required + steps + closing
    if names != expected_order and not problems:
        problems.append(f"unexpected sections or order: {names}")
    code = [index for index, cell in enumerate(cells) if cell.cell_type == "code"]
    position = dict((text, index) for index, text in sections)
    imports_at = position.get("Imports and configuration")
    first_step = position.get(steps[0]) if steps else None
    if not code or imports_at is None or not (imports_at < code[0] < (first_step or len(cells))):
        problems.append("the first code cell must come right under 'Imports and configuration'")
    elif not _only_imports(cells[code[0]].source):
        problems.append("the first code cell must hold the imports (and nothing else)")
    return problems


def output_problems(notebook: nbformat.NotebookNode) -> list[str]:
    """Outputs committed from a run: some outputs, every code cell executed, no errors."""
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    problems = []
    if not any(cell.get("outputs") for cell in code):
        problems.append("no code cell has outputs: execute the notebook and commit its outputs")
    if any(cell.get("execution_count") is None for cell in code):
        problems.append("some code cells were not executed")
    errors = [o for cell in code for o in cell.get("outputs", []) if o.output_type == "error"]
    if errors:
        problems.append(f"an output is an error: {errors[0].get('ename')}")
    return problems


def ignored_output_problems(notebook: nbformat.NotebookNode) -> list[str]:
    """Only truly variable outputs may be ignored by nbval."""
    problems = []
    for cell in notebook.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        ignored = "NBVAL_IGNORE_OUTPUT" in cell.source or "nbval-ignore-output" in tags
        if (
            cell.cell_type == "code"
            and ignored
            and not any(key in cell.source for key in IGNORABLE)
        ):
            problems.append(f"output ignored without a reason: {cell.source.splitlines()[-1][:60]}")
    return problems


def headline(notebook: nbformat.NotebookNode) -> dict:
    """The metric recorded by the last code cell (tagged `headline-metric`), as a dict."""
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    last = code[-1] if code else None
    if last is None or HEADLINE_TAG not in last.get("metadata", {}).get("tags", []):
        raise AssertionError(f"the last code cell must be tagged {HEADLINE_TAG!r}")
    text = "".join(o.get("text", "") for o in last.get("outputs", []) if o.output_type == "stream")
    return json.loads(text)


def raw_call_problems(notebook: nbformat.NotebookNode, calls: list[str]) -> list[str]:
    """Each call must appear in a code cell that ran and shows an output (not only in Markdown)."""
    shown = [
        cell.source
        for cell in notebook.cells
        if cell.cell_type == "code" and cell.get("execution_count") and cell.get("outputs")
    ]
    return [
        f"not run with an output: {call}" for call in calls if not any(call in s for s in shown)
    ]


def section(notebook: nbformat.NotebookNode, title: str) -> str:
    """The Markdown and code of one H2 section, up to the next H2 (headings may start mid-cell)."""
    text, current = [], None
    for cell in notebook.cells:
        for line in cell.source.splitlines():
            heading = re.match(r"^## (.*)", line) if cell.cell_type == "markdown" else None
            if heading:
                current = heading.group(1).strip()
            if current == title:
                text.append(line)
    return "\n".join(text)


def teaching_problems(notebook: nbformat.NotebookNode) -> list[str]:
    """A time, linked solutions that exist, references at the end, no pasted settings paragraph."""
    problems = []
    if not re.search(r"\*Time: about \d+ minutes\.\*", notebook.cells[0].source):
        problems.append("the title cell must say '*Time: about N minutes.*'")
    links = re.findall(r"\]\((solutions/[^)]+)\)", section(notebook, "Exercises"))
    if not links:
        problems.append("the Exercises section must link a solution under solutions/")
    problems += [
        f"missing solution {link}" for link in links if not (NOTEBOOK_DIR / link).is_file()
    ]
    summary = section(notebook, "Summary and next steps")
    if "### References" not in summary or "docs.twelvelabs.io" not in summary:
        problems.append("the summary must end with references (TwelveLabs docs at least)")
    return problems


def load_solution(name: str) -> ModuleType:
    """Import notebooks/solutions/<name>.py as a module."""
    spec = importlib.util.spec_from_file_location(name, SOLUTIONS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ----- the committed notebooks -----------------------------------------------------------------


def read(name: str) -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOK_DIR / f"{name}.ipynb", as_version=4)


def test_the_notebooks_are_exactly_00_to_07():
    assert sorted(path.stem for path in NOTEBOOK_DIR.glob("*.ipynb")) == EXPECTED


@pytest.mark.parametrize("name", EXPECTED)
def test_notebook_hygiene(name):
    notebook = read(name)
    problems = (
        validation_problems(notebook)
        + secret_problems(notebook, env_secrets(ROOT / ".env"))
        + path_problems(notebook)
        + skeleton_problems(notebook)
        + output_problems(notebook)
        + ignored_output_problems(notebook)
    )
    assert problems == []


@pytest.mark.parametrize("name", sorted(RAW_CALLS))
def test_the_raw_sdk_calls_run_in_code_cells(name):
    assert raw_call_problems(read(name), RAW_CALLS[name]) == []


@pytest.mark.parametrize("name", EXPECTED)
def test_time_exercises_and_references(name):
    assert teaching_problems(read(name)) == []


@pytest.mark.parametrize("name", LIVE_CREATORS)
def test_cleanup_removes_live_resources_only_when_asked(name):
    cleanup = section(read(name), "Cleanup")
    assert "CLEANUP_LIVE = False" in cleanup and "if offline or CLEANUP_LIVE" in cleanup


def test_the_settings_are_explained_once():
    pasted = [name for name in EXPECTED if SETTINGS_PARAGRAPH in json.dumps(read(name).cells)]
    assert pasted == ["00_setup"]
    assert SETTINGS_PARAGRAPH in (NOTEBOOK_DIR / "README.md").read_text(encoding="utf-8")


def test_images_in_markdown_are_committed_relative_paths():
    for name in EXPECTED:
        for cell in read(name).cells:
            if cell.cell_type != "markdown":
                continue
            for target in re.findall(r'!\[[^\]]*\]\(([^)]+)\)|<img src="([^"]+)"', cell.source):
                path = next(part for part in target if part)
                assert not path.startswith(("/", "http")), path
                assert (NOTEBOOK_DIR / path).is_file(), path


@pytest.mark.parametrize("name", EXPECTED)
def test_summary_links_an_existing_notebook(name):
    summary = read(name).cells[-1].source
    links = re.findall(r"\]\(([^)]+\.ipynb)\)", summary)
    assert links, "the summary must link the next notebook"
    assert all((NOTEBOOK_DIR / link).is_file() for link in links)


def test_sanitize_rules_compile_and_are_used_by_nbval():
    text = (NOTEBOOK_DIR / "sanitize.cfg").read_text(encoding="utf-8")
    rules = re.findall(r"^regex: (.*)$\n^replace: (.*)$", text, flags=re.MULTILINE)
    assert len(rules) >= 5
    for regex, replacement in rules:
        re.sub(regex, replacement, "http://127.0.0.1:5000/b/k.mp4?X-Amz-Date=1 in 0.4 s")


def test_sanitize_rules_cover_what_varies():
    text = (NOTEBOOK_DIR / "sanitize.cfg").read_text(encoding="utf-8")
    rules = re.findall(r"^regex: (.*)$\n^replace: (.*)$", text, flags=re.MULTILINE)

    def clean(value: str) -> str:
        for regex, replacement in rules:
            value = re.sub(regex, replacement, value)
        return value

    query = "?response-content-type=video%2Fmp4&amp;X-Amz-Date={}&amp;X-Amz-Signature={}#t=0,2"
    first = "http://127.0.0.1:41457/v/a.mp4" + query.format("20260101T000000Z", "ab12")
    second = "http://127.0.0.1:35121/v/a.mp4" + query.format("20270202T111111Z", "cd34")
    assert clean(first) == clean(second)
    assert clean(first).endswith("#t=0,2")
    assert clean("188 embedded, in 2.6 s") == clean("188 embedded, in 0.2 s")
    assert clean('"took_ms": 12.5') == clean('"took_ms": 3.0')
    assert clean("at 0x7f3a2c1b9d90>") == clean("at 0x7f00deadbeef>")
    assert clean("188 videos, 384 numbers") == "188 videos, 384 numbers"


def test_headline_metric_matches_a_fresh_evaluation():
    recorded = headline(read(HEADLINE_NOTEBOOK))
    client, collection = fill_sample_collection()
    try:
        report = evaluate(client, collection, QueryEncoder(PresetOnlyEmbedder()), k=5)
    finally:
        client.close()
    assert recorded["strategy"] == report["default"] == DEFAULT
    assert recorded["metric"] == "ndcg_at_5"
    assert recorded["value"] == pytest.approx(report["strategies"][DEFAULT]["ndcg_at_k"], abs=1e-4)


# ----- every check can fail --------------------------------------------------------------------


def good_notebook() -> nbformat.NotebookNode:
    """A minimal notebook that passes every check."""
    cells = [
        new_markdown_cell("# Title\n\nIntro."),
        new_markdown_cell("## What you'll do\n\n- a"),
        new_markdown_cell("## What you'll learn\n\n- b"),
        new_markdown_cell("## What you'll need\n\n- c"),
        new_markdown_cell("## Imports and configuration"),
        new_code_cell("import json", execution_count=1),
        new_markdown_cell("## 1. First step\n\n```python\n# not a heading\n```"),
        new_code_cell(
            "print(1)", execution_count=2, outputs=[new_output("stream", name="stdout", text="1\n")]
        ),
        new_markdown_cell("## 2. Second step"),
        new_markdown_cell("## Exercises\n\nA solution: [solutions/s.py](solutions/s.py)."),
        new_markdown_cell("## Cleanup"),
        new_markdown_cell("## Summary and next steps\n\nNext: [01](01.ipynb)."),
    ]
    notebook = new_notebook(cells=cells)
    for number, cell in enumerate(notebook.cells):
        cell.id = f"cell-{number}"
    return notebook


def test_the_good_notebook_passes():
    notebook = good_notebook()
    assert validation_problems(notebook) == []
    assert secret_problems(notebook) == []
    assert path_problems(notebook) == []
    assert skeleton_problems(notebook) == []
    assert output_problems(notebook) == []
    assert ignored_output_problems(notebook) == []


def test_an_invalid_notebook_is_caught():
    notebook = good_notebook()
    notebook.cells[5]["outputs"] = "not a list"
    assert validation_problems(notebook)


@pytest.mark.parametrize(
    "leak",
    [
        "key = 'AKIA" + "ABCDEFGHIJKLMNOP'",
        "aws_secret_access_key = " + "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "TWELVELABS_API_KEY=tlk_" + "3ABCDEFGHJKMNPQRSTVWXYZ012",
    ],
)
def test_a_secret_in_a_source_is_caught(leak):
    notebook = good_notebook()
    notebook.cells[5].source = leak
    assert secret_problems(notebook)


def test_a_secret_in_an_output_and_an_env_value_are_caught(tmp_path):
    env = tmp_path / ".env"
    env.write_text(
        "# comment\nTWELVELABS_API_KEY=my-own-private-value\nAWS_REGION=eu-west-1\nS3_BUCKET='b'\n",
        encoding="utf-8",
    )
    secrets = env_secrets(env)
    assert secrets == ["my-own-private-value"]
    notebook = good_notebook()
    notebook.cells[7].outputs[0].text = "key is my-own-private-value\n"
    assert secret_problems(notebook, secrets) == ["contains a value from .env"]
    assert env_secrets(tmp_path / "missing.env") == []


@pytest.mark.parametrize(
    "text",
    ["/work/main/data/videos/a.mp4", "/tmp/vidrec-cache-x1", "/root/.cache", "C:\\Users\\me\\x"],
)
def test_an_absolute_path_in_an_output_is_caught(text):
    notebook = good_notebook()
    notebook.cells[7].outputs[0].text = f"saved to {text}\n"
    assert path_problems(notebook)


def test_relative_paths_and_urls_are_not_paths():
    notebook = good_notebook()
    notebook.cells[7].outputs[
        0
    ].text = "data/videos/a.mp4 http://127.0.0.1:5/tmp/x videos/ab/c.mp4\n"
    assert path_problems(notebook) == []


def test_skeleton_problems_are_caught():
    no_title = good_notebook()
    no_title.cells[0].source = "Title without a heading"
    assert skeleton_problems(no_title)

    missing_need = good_notebook()
    del missing_need.cells[3]
    assert skeleton_problems(missing_need)

    skipped_step = good_notebook()
    skipped_step.cells[8].source = "## 3. Third step"
    assert skeleton_problems(skipped_step)

    no_cleanup = good_notebook()
    del no_cleanup.cells[10]
    assert skeleton_problems(no_cleanup)

    no_exercises = good_notebook()
    del no_exercises.cells[9]
    assert skeleton_problems(no_exercises)

    summary_not_last = good_notebook()
    summary_not_last.cells.append(new_markdown_cell("## Appendix"))
    assert skeleton_problems(summary_not_last)

    code_before_imports = good_notebook()
    code_before_imports.cells.insert(2, new_code_cell("x = 1"))
    assert skeleton_problems(code_before_imports)

    imports_mixed = good_notebook()
    imports_mixed.cells[5].source = "import json\nprint(json)"
    assert skeleton_problems(imports_mixed)


def test_missing_outputs_and_errors_are_caught():
    no_outputs = good_notebook()
    no_outputs.cells[7].outputs = []
    assert output_problems(no_outputs)

    not_run = good_notebook()
    not_run.cells[5].execution_count = None
    assert output_problems(not_run)

    failed = good_notebook()
    failed.cells[7].outputs.append(
        new_output("error", ename="ValueError", evalue="x", traceback=[])
    )
    assert output_problems(failed)


def test_an_ignored_output_needs_a_reason():
    notebook = good_notebook()
    notebook.cells[7].source = "# NBVAL_IGNORE_OUTPUT\nprint(1)"
    assert ignored_output_problems(notebook)
    notebook.cells[7].source = "# NBVAL_IGNORE_OUTPUT\nrecommender(session)"
    assert ignored_output_problems(notebook) == []


def test_the_headline_must_be_the_last_tagged_cell():
    notebook = good_notebook()
    with pytest.raises(AssertionError):
        headline(notebook)
    notebook.cells[7].metadata["tags"] = [HEADLINE_TAG]
    notebook.cells[7].outputs[
        0
    ].text = '{"metric": "ndcg_at_5", "strategy": "weighted", "value": 0.5}\n'
    assert headline(notebook)["value"] == 0.5


def test_a_missing_raw_call_or_teaching_part_is_caught():
    notebook = good_notebook()
    assert raw_call_problems(notebook, ["print("]) == []
    assert raw_call_problems(notebook, ["client.upsert("]) == [
        "not run with an output: client.upsert("
    ]
    notebook.cells[6].source += "\n\n```python\nclient.upsert(name, points)\n```"
    assert raw_call_problems(notebook, ["client.upsert("])  # Markdown only does not count
    problems = teaching_problems(notebook)
    assert any("Time" in p for p in problems) and any("solutions/s.py" in p for p in problems)
    assert any("references" in p for p in problems)


# ----- the exercise solutions ------------------------------------------------------------------


def test_solution_00_cost_prefers_the_published_embed_rate():
    embedding_cost = load_solution("s00_cost").embedding_cost
    rates = json.loads((ROOT / "data" / "service_rates.json").read_text())["twelvelabs"]
    per_minute = rates["embed_video_per_minute"] or rates["marengo_video_per_minute"]
    assert embedding_cost(90, rates) == pytest.approx(90 * per_minute)
    assert embedding_cost(10, {"embed_video_per_minute": 0.5, "marengo_video_per_minute": 9}) == 5
    with pytest.raises(ValueError):
        embedding_cost(-1, rates)


def test_solution_01_needs_upload_follows_the_sha256_metadata(tmp_path):
    from moto import mock_aws

    needs_upload = load_solution("s01_needs_upload").needs_upload
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"first bytes")
    with mock_aws():
        import boto3

        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="exercise-bucket")
        assert needs_upload(s3, "exercise-bucket", video)  # 404
        sha = load_solution("s01_needs_upload").sha256_of(video)
        s3.upload_file(
            str(video),
            "exercise-bucket",
            f"videos/{sha[:12]}/clip.mp4",
            ExtraArgs={"Metadata": {"sha256": sha}},
        )
        assert not needs_upload(s3, "exercise-bucket", video)
        video.write_bytes(b"changed bytes")
        assert needs_upload(s3, "exercise-bucket", video)


def test_solution_02_combines_options_and_keeps_fused():
    combine_options = load_solution("s02_combine").combine_options

    def item(option, vector, scope="clip", start=0.0, end=4.0):
        return SimpleNamespace(
            embedding_option=option,
            embedding=vector,
            embedding_scope=scope,
            start_sec=start,
            end_sec=end,
        )

    data = [
        item("visual", [2.0, 0.0]),
        item("audio", [0.0, 5.0]),
        item("visual", [1.0, 1.0], "asset", 0, 6),
    ]
    data += [
        item("fused", [0.0, 3.0], start=4.0, end=6.0),
        item("visual", [1.0, 0.0], start=4.0, end=6.0),
    ]
    combined = combine_options(data)
    assert set(combined) == {("clip", 0.0, 4.0), ("asset", 0, 6), ("clip", 4.0, 6.0)}
    assert combined["clip", 0.0, 4.0] == pytest.approx([2**-0.5, 2**-0.5], abs=1e-6)
    assert combined["clip", 4.0, 6.0] == pytest.approx([0.0, 1.0])


def test_solution_03_counts_one_videos_clips(sample):
    client, name = sample
    count_clips = load_solution("s03_count_clips").count_clips
    points, _ = client.scroll(name, limit=10_000, with_payload=True)
    expected = sum(
        1
        for p in points
        if p.payload["video_id"] == "clip-boat-island" and p.payload["scope"] == "clip"
    )
    assert expected > 0 and count_clips(client, name, "clip-boat-island") == expected
    assert count_clips(client, name, "no-such-video") == 0


def test_solution_04_finds_the_strategy_with_most_matches(sample):
    client, name = sample
    solution = load_solution("s04_best_strategy")
    run = partial(search, client, name, QueryEncoder(PresetOnlyEmbedder()))
    strategy, matches = solution.best_strategy(run, "kids", "musical")
    assert strategy in STRATEGIES
    for other in STRATEGIES:
        found = run(intent="kids", mood="musical", strategy=other, top_k=5).results
        assert solution.both_labels(found, "kids", "musical") <= matches


def test_solution_05_serves_the_labels():
    from flask import Flask

    app = load_solution("s05_labels_route").add_labels_route(Flask("exercise"))
    answer = app.test_client().get("/labels")
    assert answer.status_code == 200
    assert answer.get_json() == {"intents": list(INTENTS), "moods": list(MOODS)}


def test_solution_06_keeps_close_pairs_with_both_labels():
    import numpy as np
    import pandas as pd

    same_label_pairs = load_solution("s06_same_label_pairs").same_label_pairs
    videos = pd.DataFrame(
        {
            "video_id": ["a", "b", "c", "d"],
            "title": ["A", "B", "C", "D"],
            "intent": ["kids", "kids", "kids", "family"],
            "mood": ["musical", "musical", "musical", "musical"],
        }
    )
    raw = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [1.0, 0.01]])
    vectors = raw / np.linalg.norm(raw, axis=1, keepdims=True)
    pairs = same_label_pairs(videos, vectors, threshold=0.5)
    assert list(zip(pairs["video_a"], pairs["video_b"], strict=True)) == [
        ("A", "B")
    ]  # D: other labels
    assert len(same_label_pairs(videos, vectors, threshold=-1.0)) == 3


def test_solution_07_sizes_ram_and_shards():
    solution = load_solution("s07_ram_for")
    # 1M points of 570 measured bytes (int8 + HNSW links), 2 replicas, 50 % overhead
    assert solution.ram_gb(1_000_000, 570) == pytest.approx(1.71)
    assert solution.ram_gb(1_000_000, 570, replicas=1) == pytest.approx(0.855)
    assert [solution.shards_for(n) for n in (10_000, 20_000_000, 20_000_001, 100_000_000)] == [
        1,
        1,
        2,
        5,
    ]
