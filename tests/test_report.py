"""Feedback pages: visibility rules, escaping, plots, and real rendering in headless Chromium."""

from __future__ import annotations

import json
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
