"""Mutation testing: the operators, the generator's regions and ids, mutants.toml, classification, the report, CI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from autograder.assignment import REPO_DIR, all_assignments, load_assignment
from autograder.batch.executors import JobResult
from autograder.mutants import equivalents
from autograder.mutants.generate import generate, generate_file, solution_regions
from autograder.mutants.operators import OPERATORS
from autograder.mutants.report import render_html
from autograder.mutants.run import REFERENCE_KEY, run_mutants


def module(body: str) -> str:
    """A module whose function body is a solution region."""
    body = textwrap.indent(textwrap.dedent(body).strip("\n"), "    ")
    return f"import torch\n\n\ndef f(x, y, dim):\n    # BEGIN SOLUTION\n{body}\n    # END SOLUTION\n"


def mutated_lines(body: str, operator: str) -> set[str]:
    """The changed solution line(s) of every mutant one operator makes of ``body``."""
    source = module(body)
    original = set(source.splitlines())
    return {"\n".join(line.strip() for line in m.source.splitlines() if line not in original)
            for m in generate(source, [operator])}


OPERATOR_CASES = [
    ("dim", "return x.sum(dim=1)", {"return x.sum(dim=0)", "return x.sum(dim=-1)"}),
    ("dim", "return torch.softmax(x, -1)", {"return torch.softmax(x, 0)", "return torch.softmax(x, 1)"}),
    ("dim", "return x.amax(dim=dim)", {"return x.amax(dim=0)", "return x.amax(dim=1)", "return x.amax(dim=-1)"}),
    ("keepdim", "return x.amax(dim=1, keepdim=True)", {"return x.amax(dim=1, keepdim=False)"}),
    ("keepdim", "return x.sum(1)", {"return x.sum(1, keepdim=True)"}),
    ("copies", "return x.clone()", {"return x"}),
    ("copies", "return x[0]", {"return x[0].clone()", "return x[0].contiguous()"}),
    ("copies", "return x[x > 0]", set()),  # a mask already copies: a clone of it is the same answer
    ("view_reshape", "return x.view(-1)", {"return x.reshape(-1)"}),
    ("in_place", "return x.cos_()", {"return x.cos()"}),
    ("in_place", "return torch.exp(x)", {"return x.exp_()"}),
    ("in_place", "x -= y\nreturn x", {"x = x - y"}),
    ("in_place", "x = x * y\nreturn x", {"x *= y"}),
    ("in_place", "total = 0.0\ntotal += y\nreturn total", set()),  # a Python number: nothing in place to lose
    ("slice", "return x[1:3]", {"return x[2:3]", "return x[0:3]", "return x[1:4]", "return x[1:2]"}),
    ("slice", "return x[..., ::2]", {"return x[..., 1::2]", "return x[..., :-1:2]", "return x[..., ::3]",
                                     "return x[..., ::1]"}),
    ("compare", "return x < y", {"return x <= y"}),
    ("mean_sum", "return x.mean(dim=0)", {"return x.sum(dim=0)"}),
    ("std", "return x.std()", {"return x.std(unbiased=False)"}),
    ("std", "return x.std(unbiased=False)", {"return x.std(unbiased=True)"}),
    ("squeeze", "return y.unsqueeze(0)", {"return y", "return y.unsqueeze(1)", "return y.unsqueeze(-1)"}),
    ("squeeze", "return y.squeeze(0)", {"return y", "return y.squeeze()", "return y.squeeze(1)",
                                        "return y.squeeze(-1)"}),
    ("transpose", "return x @ y", {"return x.mT @ y", "return x @ y.mT"}),
    ("transpose", "return torch.mm(x, y.t())", {"return torch.mm(x.mT, y.t())", "return torch.mm(x, y.t().mT)",
                                                 "return torch.mm(x, y)"}),
    ("dtype", "return x.to(torch.float64)", {"return x.to(torch.float32)"}),
    ("numel_len", "return x.numel()", {"return len(x)"}),
    ("numpy_bridge", "return torch.tensor(x)", {"return torch.from_numpy(x)"}),
    ("numpy_bridge", "return torch.tensor(x, dtype=torch.float32)", set()),
    ("numpy_bridge", "return torch.from_numpy(x).float()", set()),
    ("storage", "return x.untyped_storage().data_ptr()", {"return x.data_ptr()"}),
    ("best_weights", "best = copy.deepcopy(x.state_dict())\nreturn best", {"best = x.state_dict()"}),
]


@pytest.mark.parametrize(("operator", "body", "expected"), OPERATOR_CASES,
                         ids=[f"{op}: {body.splitlines()[0]}" for op, body, _ in OPERATOR_CASES])
def test_operator_makes_these_mutants(operator, body, expected):
    assert mutated_lines(body, operator) == expected


def test_every_operator_is_exercised():
    tested = {op for op, _, _ in OPERATOR_CASES} | {"drop_call", "no_grad", "step_order"}
    assert tested == set(OPERATORS)


TRAINING = """\
import torch


def train(model, loader, optimizer, loss_fn):
    # BEGIN SOLUTION
    model.train()
    for x, y in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        out = model(x)
    model.load_state_dict(best)
    return out
    # END SOLUTION
"""


def test_training_loop_operators():
    by_operator = {}
    for m in generate(TRAINING):
        by_operator.setdefault(m.operator, []).append(m)
    assert sorted(m.description.split("`")[1] for m in by_operator["drop_call"]) == [
        "model.eval()", "model.train()", "optimizer.zero_grad()"]
    [swap] = by_operator["step_order"]
    assert swap.source.index("optimizer.step()") < swap.source.index("loss.backward()")
    [no_grad] = by_operator["no_grad"]
    assert "no_grad" not in no_grad.source and "\n    out = model(x)\n" in no_grad.source
    [last] = by_operator["best_weights"]
    assert "load_state_dict" not in last.source and "last epoch" in last.description
    for m in generate(TRAINING):
        compile(m.source, m.id, "exec")


def test_only_solution_regions_are_mutated():
    source = "import torch\n\n\ndef f(x):\n    y = x.sum(dim=1)\n    # BEGIN SOLUTION\n    z = x.sum(dim=1)\n" \
             "    # END SOLUTION\n    return y.sum(dim=0)\n"
    assert solution_regions(source) == [(7, 7)]
    mutants = generate(source)
    assert mutants and all(m.line == 7 for m in mutants)
    for m in mutants:
        lines = m.source.splitlines()
        assert lines[4] == "    y = x.sum(dim=1)" and lines[8] == "    return y.sum(dim=0)"
    assert generate("def f(x):\n    return x.sum(dim=1)\n") == []


def test_an_unreadable_solution_is_a_clear_error(tmp_path):
    from autograder.mutants.generate import UnreadableSolution

    broken = tmp_path / "broken.py"
    broken.write_text("def f(x:\n    # BEGIN SOLUTION\n    return x\n")
    with pytest.raises(UnreadableSolution, match="does not parse"):
        generate_file(broken)
    with pytest.raises(UnreadableSolution, match="cannot read"):
        generate_file(tmp_path / "missing.py")


def test_messages_are_not_mutated():
    body = 'if x.numel() < 3:\n    raise ValueError(f"{x.numel()} < 3")\nreturn x'
    lines = mutated_lines(body, "numel_len")
    assert lines == {"if len(x) < 3:"}


def test_ids_survive_edits_elsewhere_and_mutants_are_unique():
    source = module("a = x.sum(dim=1)\nreturn a.mean(dim=0)")
    shifted = source.replace("import torch\n", "import torch\nimport numpy as np\n\nCONSTANT = 3\n")
    first, second = generate(source), generate(shifted)
    assert [m.id for m in first] == [m.id for m in second]
    assert [m.line + 3 for m in first] == [m.line for m in second]
    assert len({m.id for m in first}) == len(first) and len({m.source for m in first}) == len(first)
    assert all(m.source != source for m in first)


def test_mutants_file_roundtrip_and_messages(tmp_path):
    path = tmp_path / "mutants.toml"
    path.write_text('# header\n\n[[equivalent]]\nid = "f:dim:1234abcd"\nreason = "2-D only: dim 1 is dim -1"\n')
    equivalents.record(path, 0.96789, ["f:slice:aaaa0000"])
    marks = equivalents.load(path)
    assert marks.equivalent == {"f:dim:1234abcd": "2-D only: dim 1 is dim -1"}
    assert marks.recorded_score == 0.9678 and marks.recorded_survivors == ["f:slice:aaaa0000"]
    assert path.read_text().startswith("# header\nrecorded_score = 0.9678\n")
    equivalents.record(path, 1.0, [])
    equivalents.record(path, 1.0, [])
    assert equivalents.load(path).recorded_survivors == [] and path.read_text().count("recorded_score") == 1
    assert "\n\n\n" not in path.read_text()
    path.write_text('[[equivalent]]\nid = "f:dim:1234abcd"\n')
    with pytest.raises(equivalents.BadMutantsFile, match="needs a reason"):
        equivalents.load(path)
    path.write_text("recorded_score = 3\n")
    with pytest.raises(equivalents.BadMutantsFile, match="between 0 and 1"):
        equivalents.load(path)
    assert equivalents.load(tmp_path / "missing.toml").equivalent == {}


class CannedExecutor:
    """Stands in for the process pool: each job's report says what the test wants it to."""

    def __init__(self, scores):
        self.scores = scores
        self.jobs = []

    def run(self, jobs, on_result):
        for job in jobs:
            self.jobs.append(job)
            score, errors = self.scores(job)
            tests = [{"name": "values", "max_score": 2.0, "score": min(score, 2.0), "status": "passed",
                      "output": "" if score >= 2 else "f(x) is wrong at index 0\nmore"},
                     {"name": "view", "max_score": 1.0, "score": max(score - 2.0, 0.0), "status": "passed",
                      "output": ""}]
            on_result(JobResult(job.key, report={"score": score, "max_score": 3.0, "tests": tests,
                                                 "grader_errors": errors, "problem": None}))


def test_classification_with_equivalents(tmp_path, monkeypatch):
    hw1 = load_assignment("hw1_storage")
    mutants = generate_file(hw1.solution)
    survivor, marked, wrongly_marked, broken = mutants[0], mutants[1], mutants[2], mutants[3]
    marks = equivalents.MutantsFile(tmp_path / "mutants.toml", {marked.id: "same", wrongly_marked.id: "same too"})
    monkeypatch.setattr(equivalents, "load", lambda path: marks)

    def scores(job):
        if job.key == REFERENCE_KEY:
            assert job.content == hw1.solution.read_bytes()
            return 3.0, []
        assert job.filename == "storage.py" and job.content.decode() != hw1.solution.read_text()
        if job.key == broken.id:
            return 3.0, ["KeyError: 'x'"]
        return (3.0, []) if job.key in (survivor.id, marked.id) else (1.0, [])

    executor = CannedExecutor(scores)
    run = run_mutants(hw1, executor=executor)
    assert len(executor.jobs) == len(mutants) + 1
    status = {o.mutant.id: o.status for o in run.outcomes}
    assert status[survivor.id] == "survived" and status[marked.id] == "equivalent"
    assert status[wrongly_marked.id] == "killed" and status[broken.id] == "error"
    assert [o.mutant.id for o in run.wrongly_equivalent] == [wrongly_marked.id]
    killed = len(mutants) - 3
    assert run.score == pytest.approx(killed / (len(mutants) - 1))
    assert {t.name: t.kills for t in run.tests} == {"values": killed, "view": killed}
    outcome = next(o for o in run.outcomes if o.status == "killed")
    assert outcome.killed_by == {"values": "f(x) is wrong at index 0", "view": ""}
    run.recorded_score = 1.0
    assert run.regressions() and "below the recorded" in run.regressions()[0]


def test_a_reference_without_full_marks_is_reported(monkeypatch, tmp_path):
    hw1 = load_assignment("hw1_storage")
    monkeypatch.setattr(equivalents, "load", lambda path: equivalents.MutantsFile(tmp_path / "m.toml"))
    run = run_mutants(hw1, executor=CannedExecutor(lambda job: (2.0, [])), sample=2)
    assert "does not get full marks" in run.reference_problem and len(run.outcomes) == 2 and run.sampled


def test_html_report_escapes_everything(monkeypatch, tmp_path):
    hw1 = load_assignment("hw1_storage")
    monkeypatch.setattr(equivalents, "load", lambda path: equivalents.MutantsFile(tmp_path / "m.toml"))
    hostile = "<script>alert(1)</script>"

    def scores(job):
        return (3.0, []) if job.key == REFERENCE_KEY or job.key.endswith("0") else (1.0, [])

    run = run_mutants(hw1, executor=CannedExecutor(scores))
    run.tests[0].name = hostile
    for o in run.outcomes:
        o.killed_by = {hostile: hostile}
    page = render_html(run)
    assert hostile not in page and "&lt;script&gt;" in page
    assert page.count('class="mutant survived"') == len(run.survivors)
    assert f"{run.score:.1%}" in page


def test_equivalents_listed_in_mutants_files_exist():
    """A mutants.toml entry whose mutant is no longer generated is stale: the code it judged changed."""
    for assignment in all_assignments():
        marks = equivalents.load(equivalents.mutants_file_path(assignment))
        ids = {m.id for m in generate_file(assignment.solution)}
        assert set(marks.equivalent) <= ids, (assignment.name, sorted(set(marks.equivalent) - ids))
        assert set(marks.recorded_survivors) <= ids, assignment.name


# mutants graded per assignment in CI: all of them for the quick assignments, a seeded sample where one
# mutant trains a model (hw5) so that the five together stay within a few minutes on two cores
CI_SAMPLE = {"hw4_jacobians": 16, "hw5_training": 8}


@pytest.mark.slow
@pytest.mark.parametrize("name", [a.name for a in all_assignments()])
def test_mutation_score_has_not_dropped(name, tmp_path):
    """CI: the graders still kill what they killed when the score was recorded (solutions/<hw>/mutants.toml)."""
    assignment = load_assignment(name)
    marks = equivalents.load(equivalents.mutants_file_path(assignment))
    if marks.recorded_score is None:
        pytest.skip(f"no recorded mutation score for {name} yet (tensorgrade mutants {name} --record)")
    assert marks.recorded_score >= 0.95, f"{name}: the recorded mutation score is below 95%"
    out = tmp_path / "mutants.json"
    command = [str(Path(sys.executable).with_name("tensorgrade")), "mutants", name, "--jobs", "2", "--check",
               "--quiet", "--json", str(out)]
    if name in CI_SAMPLE:
        command += ["--sample", str(CI_SAMPLE[name])]
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO_DIR, timeout=900,
                          env={**os.environ, "COLUMNS": "200"})
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    data = json.loads(out.read_text())
    assert data["reference"]["problem"] is None and data["errors"] == 0
    if name not in CI_SAMPLE:
        assert data["score"] >= marks.recorded_score - 1e-4


def test_demo_shows_the_recorded_scores():
    from rich.console import Console

    from autograder.commands.demo import strength_table

    console = Console(record=True, width=200)
    assignments = all_assignments()
    console.print(strength_table(assignments))
    text = console.export_text()
    for assignment in assignments:
        marks = equivalents.load(equivalents.mutants_file_path(assignment))
        shown = "not recorded" if marks.recorded_score is None else f"{marks.recorded_score:.1%}"
        assert any(assignment.name in line and shown in line for line in text.splitlines()), (assignment.name, text)


def tensorgrade(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(Path(sys.executable).with_name("tensorgrade")), *args], capture_output=True,
                          text=True, cwd=REPO_DIR, timeout=300, env={**os.environ, "COLUMNS": "200"})


def test_cli_lists_mutants_and_refuses_bad_arguments():
    listed = tensorgrade("mutants", "hw1_storage", "--list")
    assert listed.returncode == 0, listed.stderr
    ids = {m.id for m in generate_file(load_assignment("hw1_storage").solution)}
    shown = {line.split()[0] for line in listed.stdout.splitlines() if line.split() and line.split()[0] in ids}
    assert shown == ids and f"{len(ids)} mutants" in listed.stdout and "(equivalent)" in listed.stdout
    operators = tensorgrade("mutants", "hw1_storage", "--list-operators")
    assert operators.returncode == 0 and all(name in operators.stdout for name in OPERATORS)
    for bad, message in [(["--operator", "nope"], "no operator named nope"), (["--jobs", "0"], "at least 1"),
                         (["--record", "--sample", "3"], "--record needs a full run")]:
        done = tensorgrade("mutants", "hw1_storage", *bad)
        assert done.returncode == 2 and message in done.stdout, (bad, done.stdout, done.stderr)
    unknown = tensorgrade("mutants", "hw0_nothing")
    assert unknown.returncode == 2 and "no assignment named" in unknown.stderr
