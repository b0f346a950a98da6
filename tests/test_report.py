"""Feedback pages: visibility rules, escaping, plots, and real rendering in headless Chromium."""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
from datetime import timedelta

import pytest

from autograder import cli, exitcodes
from autograder.assignment import load_assignment
from autograder.gradebook import open_gradebook
from autograder.reports import write_site
from autograder.reports.plots import curve_series, training_curve
from autograder.reports.views import reveal, slugs_for
from tests.gradebook_fixtures import found, record, report

HW1 = load_assignment("hw1_storage")
DUE = HW1.late.due
BEFORE, AFTER = DUE - timedelta(days=2), DUE + timedelta(days=1)
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
NO_CHROMIUM = "Debian's chromium is not installed (apt-get install chromium; .ci/run installs it)"

VISIBLE = ("same_storage compares storages", 3.0, 3.0, "passed")
SECRET = ("hidden edge cases", 0.0, 2.0, "failed", "hidden", "fails on the empty tensor: SECRET-DETAIL")
LATER = ("published-only check", 0.0, 1.0, "failed", "after_published", "PUBLISHED-DETAIL")
# what hw5's grader records in Report.extra (autograder/graders/hw5_training/test_training.py)
CURVE = {"dataset": "digits", "device": "cpu", "test_accuracy": 0.962, "threshold": 0.95, "fit_seconds": 12.5,
         "epochs": 4, "train_loss": [1.2, 0.7, 0.5, 0.45], "val_accuracy": [0.71, 0.85, 0.9, 0.93]}


def disguised(source: str) -> str:
    return re.sub(r"\barr\b", "array_in", source).replace("answers", "result").replace("# noqa", "# mine")


@pytest.fixture(scope="module")
def gradebook_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("report") / "gradebook.sqlite"
    reference = HW1.solution.read_bytes()
    with open_gradebook(path) as gradebook:
        record(gradebook, found("alice", reference, name="Alice Liddell"), report(VISIBLE, SECRET, LATER),
               assignment=HW1)
        record(gradebook, found("bob", disguised(reference.decode()).encode()),
               report(("same_storage compares storages", 0.0, 3.0, "failed", "visible",
                       "<script>alert('owned')</script> was returned")), assignment=HW1)
        record(gradebook, found("carol", b"x = 1\n", submitted_at=DUE + timedelta(days=2, hours=3)),
               report(VISIBLE, ("hidden edge cases", 2.0, 2.0, "passed", "hidden")), assignment=HW1)
        record(gradebook, found("dave", HW1.stub.read_bytes() if HW1.stub.is_file() else b"pass\n"),
               report(("same_storage compares storages", 1.0, 3.0, "failed"), extra={"training_curve": CURVE},
                      seconds=42.0), assignment=HW1)
        record(gradebook, found("fay", reference), report(VISIBLE), assignment=HW1)  # alice's file, byte for byte
        record(gradebook, found("gil", HW1.stub.read_bytes() if HW1.stub.is_file() else b"pass\n"),
               report(("same_storage compares storages", 0.0, 3.0, "failed")), assignment=HW1)
        record(gradebook, found("erin", b"def broken(:\n"),
               report(("same_storage compares storages", 0.0, 3.0, "failed"),
                      problem="storage.py has a syntax error on line 1"), assignment=HW1)
    return path


@pytest.fixture(scope="module")
def site_before(gradebook_path, tmp_path_factory):
    out = tmp_path_factory.mktemp("site-before")
    with open_gradebook(gradebook_path) as gradebook:
        result = write_site(gradebook, HW1, out, as_of=BEFORE)
    return out, result


def page(out, name: str) -> str:
    return (out / "students" / f"{name}.html").read_text(encoding="utf-8")


def test_visibility_rules():
    assert reveal("visible", DUE, BEFORE, False)
    for hidden in ("hidden", "after_due_date"):
        assert not reveal(hidden, DUE, BEFORE, False) and reveal(hidden, DUE, AFTER, False)
        assert not reveal(hidden, None, AFTER, False)  # no due date: only publishing shows it
    assert not reveal("after_published", DUE, AFTER, False) and reveal("after_published", DUE, BEFORE, True)


def test_hidden_feedback_waits_for_the_due_date(site_before, gradebook_path, tmp_path):
    out, result = site_before
    before = page(out, "alice")
    assert "hidden edge cases" in before and "0 / 2" in before  # name and points are always shown
    assert "SECRET-DETAIL" not in before and "PUBLISHED-DETAIL" not in before
    assert "feedback is shown after the due date" in before
    with open_gradebook(gradebook_path) as gradebook:
        write_site(gradebook, HW1, tmp_path / "after", as_of=AFTER, similarity=False)
        write_site(gradebook, HW1, tmp_path / "published", as_of=BEFORE, published=True, similarity=False)
    after = page(tmp_path / "after", "alice")
    assert "SECRET-DETAIL" in after and "PUBLISHED-DETAIL" not in after
    assert "PUBLISHED-DETAIL" in page(tmp_path / "published", "alice")
    # each student page holds that student only
    assert "bob" not in before.lower()
    assert set(result.student_pages) == {"alice", "bob", "carol", "dave", "erin", "fay", "gil"}


def test_student_output_is_escaped(site_before):
    bob = page(site_before[0], "bob")
    assert "&lt;script&gt;alert(" in bob and "<script>" not in bob


def test_late_penalty_and_problem_are_explained(site_before):
    carol = page(site_before[0], "carol")
    assert "3 days" in carol and "−30%" in carol and "score before the penalty" in carol
    assert "syntax error on line 1" in page(site_before[0], "erin")


def test_training_curve_plot_only_where_there_is_one(site_before):
    dave = page(site_before[0], "dave")
    assert '<figure id="training-curve"><img src="data:image/png;base64,' in dave
    assert "test accuracy 0.962 (required 0.95), on digits, fit took 12.5 s" in dave
    assert 'id="training-curve"' not in page(site_before[0], "alice")


@pytest.mark.parametrize(("curve", "expected"), [
    (CURVE, ([1.0, 2.0, 3.0, 4.0], {"train_loss", "val_accuracy"})),
    ({"epoch": [0, 1], "loss": [2.0, 1.0]}, ([0.0, 1.0], {"loss"})),
    ([{"epoch": 1, "loss": 0.9, "acc": 0.5}, {"epoch": 2, "loss": 0.4, "acc": 0.8}], ([1.0, 2.0], {"loss", "acc"})),
    ({"train_loss": [], "val_accuracy": []}, None),  # hw5 when the student's model kept no history
    ({"loss": ["a", "b"]}, None),
    ("not a curve", None),
])
def test_curve_shapes(curve, expected):
    parsed = curve_series(curve)
    assert (parsed and (parsed[0], set(parsed[1]))) == expected or parsed == expected
    assert (training_curve(curve) is None) == (expected is None)


def test_class_page_contents(site_before):
    out, result = site_before
    html = (out / "index.html").read_text(encoding="utf-8")
    for figure in ("histogram", "pass-rates", "lateness"):
        assert re.search(rf'<figure id="{figure}"><img src="data:image/png;base64,[A-Za-z0-9+/=]{{500,}}"', html)
    # the copied pair is a hint on the class page; the others are not paired
    similar = html[html.index('id="similarity"'):]
    rows = re.findall(r'<tr><td><a href="students/(\w+)\.html">\w+</a>( \(\+1 identical\))?</td>\n'
                      r'<td><a href="students/(\w+)\.html">', similar)
    assert rows == [("alice", " (+1 identical)", "bob")] and result.similar_pairs == 1
    # identical files are one finding each; the untouched stub is named as such, not as copying
    identical = html[html.index('id="identical"'):html.index('id="similarity"')]
    groups = [re.findall(r'students/(\w+)\.html', row) for row in identical.split("<tr>")[2:]]
    assert groups == [["alice", "fay"], ["dave", "gil"]]
    assert identical.count("the starter code, unchanged") == 1
    assert identical.index("the starter code") > identical.index("students/gil")
    assert "never a verdict" in html
    late = html[html.index('id="late"'):html.index("Slowest")]
    assert "carol" in late and "bob" not in late
    slowest = html[html.index('id="slowest"'):]
    assert slowest.index("dave") < slowest.index("alice")  # 42 s first
    rates = html[html.index('id="test-rates"'):html.index("Late submissions")]
    # lowest pass rate first: 0/1, then 3/7, then 1/2
    order = [rates.index(name) for name in ("published-only check", "same_storage compares", "hidden edge cases")]
    assert order == sorted(order)


def test_page_names_are_safe_and_distinct():
    slugs = slugs_for(["a/b", "a_b", "../x", "Ünï cödé", ""])
    assert len(set(slugs.values())) == 5
    assert all(re.fullmatch(r"[A-Za-z0-9._-]+", s) and not s.startswith(".") for s in slugs.values())


def test_cli_report(gradebook_path, tmp_path, capsys):
    out = tmp_path / "feedback"
    code = cli.main(["report", "hw1_storage", "--db", str(gradebook_path), "--out", str(out), "--as-of",
                     AFTER.isoformat(), "--student", "alice", "--student", "nobody"])
    assert code == exitcodes.OK
    assert [p.name for p in (out / "students").iterdir()] == ["alice.html"]
    assert "SECRET-DETAIL" in page(out, "alice")
    said = " ".join(capsys.readouterr().out.split())
    assert "no graded submission for student nobody" in said and "class page:" in said
    assert cli.main(["report", "hw1_storage", "--db", str(tmp_path / "none.sqlite"), "--out", str(out)]) == 2
    assert cli.main(["report", "hw1_storage", "--db", str(gradebook_path), "--out", str(out),
                     "--as-of", "tomorrow"]) == exitcodes.USAGE


# ---------------------------------------------------------------- real browser

PROBE = """<script>
window.addEventListener("load", () => {
  const images = Array.from(document.images).map(i => ({id: i.parentElement.id, complete: i.complete,
                                                        width: i.naturalWidth, height: i.naturalHeight}));
  const probe = document.createElement("pre");
  probe.id = "probe";
  probe.textContent = JSON.stringify({images, title: document.title, rows: document.querySelectorAll("tr").length});
  document.body.appendChild(probe);
});
</script>"""


def chromium(tmp_path, *args: str) -> subprocess.CompletedProcess:
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--no-first-run", "--hide-scrollbars", f"--user-data-dir={tmp_path / 'chromium-profile'}", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=180)


def rendered(tmp_path, html_path) -> dict:
    """What Chromium made of the page: every image's decoded size, the title, the number of table rows."""
    probed = tmp_path / f"probe-{html_path.name}"
    probed.write_text(html_path.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8")
    done = chromium(tmp_path, "--virtual-time-budget=5000", "--dump-dom", probed.as_uri())
    match = re.search(r'<pre id="probe">(.*?)</pre>', done.stdout, re.S)
    assert match, f"chromium printed no DOM (exit {done.returncode}): {done.stderr[-600:]}"
    return json.loads(match.group(1).replace("&quot;", '"').replace("&amp;", "&"))


def screenshot(tmp_path, html_path, name: str, size: str = "1100,2400"):
    from matplotlib.image import imread

    shot = tmp_path / f"{name}.png"
    done = chromium(tmp_path, f"--screenshot={shot}", f"--window-size={size}", html_path.as_uri())
    assert shot.is_file(), f"no screenshot (exit {done.returncode}): {done.stderr[-600:]}"
    pixels = imread(shot)
    assert pixels.shape[:2] == tuple(int(v) for v in reversed(size.split(",")))
    assert pixels.std() > 0.05  # not a blank page
    return shot


@pytest.mark.slow
@pytest.mark.skipif(not shutil.which(CHROMIUM), reason=NO_CHROMIUM)
def test_pages_render_in_headless_chromium(site_before, tmp_path):
    out, _ = site_before
    klass = rendered(tmp_path, out / "index.html")
    images = {i["id"]: i for i in klass["images"]}
    assert set(images) == {"histogram", "pass-rates", "lateness"}
    assert all(i["complete"] and i["width"] > 200 and i["height"] > 100 for i in images.values())
    assert klass["title"].endswith("class report") and klass["rows"] > 10
    dave = rendered(tmp_path, out / "students" / "dave.html")
    assert [(i["id"], i["width"] > 200) for i in dave["images"]] == [("training-curve", True)]
    screenshot(tmp_path, out / "index.html", "class-page")
    screenshot(tmp_path, out / "students" / "dave.html", "student-page", "1000,1200")


# ---------------------------------------------------------------- diagrams next to the feedback

from autograder import diagrams  # noqa: E402 - the diagram tests below are one section of this file
from autograder.grading.results import Report, TestResult  # noqa: E402

SHAPE = diagrams.shape_spec("row_view(x, 1)", (3, 5), (5,))
BROADCAST = diagrams.broadcast_spec("normalize(img)", {"img": (3, 4, 5), "mean": (3,)})


def drawn_report(*tests: TestResult, extra: dict | None = None) -> dict:
    return Report(assignment="hw1_storage", submission="storage.py", tests=list(tests), extra=extra or {}).to_dict()


def failed_with(name: str, nodeid: str, message: str, *specs: dict, visibility: str = "visible") -> TestResult:
    output = "\n\n".join([message, *map(diagrams.text, specs)])  # as the plugin writes it
    return TestResult(name=name, max_score=2.0, score=0.0, status="failed", output=output, nodeid=nodeid,
                      visibility=visibility, diagrams=list(specs))


EVIL = "<script>alert('owned')</script>"
HOSTILE_CURVE = {"train_loss": [math.nan, math.inf, -math.inf, 2**2000, 1e308, 0.5, None],
                 "val_accuracy": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7], "threshold": math.nan,
                 "test_accuracy": 2**2000, "fit_seconds": math.inf, "dataset": EVIL * 400}


@pytest.fixture(scope="module")
def diagram_site(tmp_path_factory):
    """Pages of: a really graded view mistake, hand-made shape/broadcast failures, and a hostile record."""
    from autograder.grading.runner import grade

    root = tmp_path_factory.mktemp("diagrams")
    graded = grade(HW1, HW1.mistakes_dir / "row_view_clone.py", select="test_row_view").to_dict()
    tampered = {"diagrams": {
        "test_x.py::test_0": [{"kind": "broadcast", "what": EVIL, "operands": [[EVIL, [2]], ["b", [3]]]},
                              {"kind": "storage", "what": "f", "rows": [{}] * 10**4, "must_share": True},
                              *[{"kind": "shape"}] * 10**4],
        "test_x.py::test_1": "not a list", "test_x.py::test_2": [[1, 2, 3]]},
        "training_curve": HOSTILE_CURVE, "training_curve_nan": {"loss": [math.nan] * 5}}
    with open_gradebook(root / "gradebook.sqlite") as gradebook:
        record(gradebook, found("hana", b"def row_view(x, i):\n    return x[i].clone()\n"), graded, assignment=HW1)
        record(gradebook, found("ivan", b"x = 2\n"), drawn_report(
            failed_with("row_view returns row i", "g.py::test_shape", "row_view(x, 1) has shape (3, 5), expected "
                        "(5,)", SHAPE),
            failed_with("normalize broadcasts", "g.py::test_bc", "normalize(img) raised RuntimeError", BROADCAST),
            failed_with("hidden shapes", "g.py::test_hidden", "SECRET-SHAPE", SHAPE, visibility="hidden")),
               assignment=HW1)
        hostile = Report(assignment="hw1_storage", submission="storage.py", notes=["N" * 10**6, EVIL],
                         problem="P" * 10**6 + EVIL, extra=tampered, tests=[
                             TestResult("a" * 10_000 + EVIL, 1.0, 0.0, "failed", EVIL + "B" * (8 * 2**20),
                                        nodeid="test_x.py::test_0"),
                             TestResult(EVIL, 1.0, 0.0, "pwned", "fine", nodeid="test_x.py::test_1"),
                             TestResult("third", 1.0, 0.0, "failed", "x", nodeid="test_x.py::test_2")])
        record(gradebook, found(EVIL + "mallory", b"y = 3\n", name=EVIL * 100), hostile.to_dict(), assignment=HW1)
        pages = write_site(gradebook, HW1, root / "site", as_of=BEFORE, similarity=False).student_pages
    return root, pages


def test_a_graded_mistake_shows_its_storage_picture(diagram_site):
    _, pages = diagram_site
    hana = pages["hana"].read_text(encoding="utf-8")
    row = hana[hana.index("row_view returns row i as a view"):]
    row = row[:row.index("</tr>")]
    assert row.count('<figure class="diagram"><svg ') == 1 and "storage of x (15 elements)" in row
    assert "is a copy, but it must be a view" in row
    assert "index  0  1  2" not in row  # the picture replaces the text form on the page


def test_shape_and_broadcast_pictures_and_their_visibility(diagram_site, tmp_path):
    root, pages = diagram_site
    ivan = pages["ivan"].read_text(encoding="utf-8")
    assert ivan.count('<figure class="diagram">') == 2
    assert "shapes of row_view(x, 1)" in ivan and "dimension -1 cannot broadcast: sizes 5 vs 3" in ivan
    assert "SECRET-SHAPE" not in ivan  # the hidden test: neither its text nor its picture before the due date
    with open_gradebook(root / "gradebook.sqlite") as gradebook:
        after = write_site(gradebook, HW1, tmp_path, as_of=AFTER, similarity=False, only={"ivan"})
    assert after.student_pages["ivan"].read_text(encoding="utf-8").count('<figure class="diagram">') == 3


def test_hostile_values_render_escaped_and_cut(diagram_site):
    _, pages = diagram_site
    (key,) = [k for k in pages if k.endswith("mallory")]
    page = pages[key].read_text(encoding="utf-8")
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert len(page) < 400_000  # an 8 MiB message, a megabyte of notes and of problem: each cut
    assert "more characters not shown" in page
    # of the tampered diagrams only the one valid spec is drawn, with its strings escaped; the rest are dropped
    assert page.count('<figure class="diagram">') == 1 and "<svg " in page
    assert 'class="error"' in page  # an unknown status is shown as an error, not a template crash
    # the hostile curve is drawn (its non-finite points are gaps); an all-NaN curve is not a figure
    assert '<figure id="training-curve"><img src="data:image/png;base64,' in page
    assert 'id="training-curve-nan"' not in page
    assert "test accuracy not a finite number" in page
    klass = (pages["hana"].parent.parent / "index.html").read_text(encoding="utf-8")
    assert "<script>" not in klass and "&lt;script&gt;" in klass and len(klass) < 400_000


def test_hostile_curves_are_parsed_not_raised():
    parsed = curve_series(HOSTILE_CURVE)
    assert parsed is not None
    losses = parsed[1]["train_loss"]
    assert [v == v for v in losses] == [False, False, False, False, False, True, False]  # NaN where undrawable
    assert training_curve({"epoch": [1e308, 2**2000], "loss": [1.0, 2.0]}) is not None
    assert training_curve({"loss": list(range(10**6))}) is not None  # thinned, not a million points


DIAGRAM_PROBE = """<script>
window.addEventListener("load", () => {
  const svgs = Array.from(document.querySelectorAll("figure.diagram svg")).map(s => {
    const box = s.getBoundingClientRect();
    return {width: box.width, height: box.height, texts: s.querySelectorAll("text").length,
            inside: box.right <= document.documentElement.clientWidth + 1};
  });
  const probe = document.createElement("pre");
  probe.id = "probe";
  probe.textContent = JSON.stringify({svgs, scripts: document.scripts.length});
  document.body.appendChild(probe);
});
</script>"""


@pytest.mark.slow
@pytest.mark.skipif(not shutil.which(CHROMIUM), reason=NO_CHROMIUM)
def test_diagram_pages_render_in_headless_chromium(diagram_site, tmp_path):
    _, pages = diagram_site
    for key, count in (("hana", 1), ("ivan", 2)):
        probed = tmp_path / f"probe-{key}.html"
        probed.write_text(pages[key].read_text(encoding="utf-8").replace("</body>", DIAGRAM_PROBE + "</body>"),
                          encoding="utf-8")
        done = chromium(tmp_path, "--virtual-time-budget=5000", "--dump-dom", probed.as_uri())
        match = re.search(r'<pre id="probe">(.*?)</pre>', done.stdout, re.S)
        assert match, f"chromium printed no DOM (exit {done.returncode}): {done.stderr[-600:]}"
        seen = json.loads(match.group(1).replace("&quot;", '"').replace("&amp;", "&"))
        assert len(seen["svgs"]) == count and seen["scripts"] == 1  # only the probe's own script
        assert all(s["width"] > 150 and s["height"] > 60 and s["texts"] >= 6 for s in seen["svgs"])
        shot = screenshot(tmp_path, pages[key], f"diagrams-{key}", "1100,900")
        keep = os.environ.get("TG_KEEP_SCREENSHOTS")  # to look at them: set it to a folder
        if keep:
            shutil.copy(shot, keep)
    (mallory,) = [p for k, p in pages.items() if k.endswith("mallory")]
    shot = screenshot(tmp_path, mallory, "hostile", "1100,900")
    if keep:
        shutil.copy(shot, keep)
