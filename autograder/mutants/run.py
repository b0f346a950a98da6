"""Grade every mutant with the hidden graders, as any submission, and tell killed from surviving ones.

Mutants are graded through an executor (:mod:`autograder.batch.executors`): each one is a job with the
mutated module's bytes, graded in a pool process by :func:`autograder.batch.executors.grade_job`, so in
the same sandboxed worker (warm lanes included) a student's file gets. The reference is graded
in the same pool first in the queue: a mutant is *killed* when it scores less than the reference.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from autograder.assignment import Assignment
from autograder.batch.executors import Executor, Job, JobResult, make_executor
from autograder.mutants import equivalents
from autograder.mutants.generate import Mutant, generate_file

REFERENCE_KEY = "__reference__"
EPSILON = 1e-9


@dataclass
class Outcome:
    """What grading one mutant showed."""

    mutant: Mutant
    status: str = "pending"  # killed | survived | equivalent | error
    equivalent_reason: str | None = None  # set when mutants.toml marks it equivalent
    killed_by: dict[str, str] = field(default_factory=dict)  # test -> the first line of its feedback
    score: float | None = None
    error: str | None = None
    seconds: float = 0.0

    @property
    def marked_equivalent(self) -> bool:
        return self.equivalent_reason is not None

    def to_dict(self) -> dict:
        m = self.mutant
        return {"id": m.id, "operator": m.operator, "function": m.function, "line": m.line,
                "description": m.description, "status": self.status, "equivalent_reason": self.equivalent_reason,
                "killed_by": self.killed_by, "score": self.score, "error": self.error, "diff": m.diff,
                "seconds": round(self.seconds, 3)}


@dataclass
class TestRow:
    """One grader test: its points and which mutants made it lose points."""

    __test__ = False

    name: str
    points: float
    kills: int = 0


@dataclass
class MutationRun:
    """All outcomes of one `tensorgrade mutants` run."""

    assignment: str
    generated: int
    outcomes: list[Outcome]
    reference_score: float | None = None
    reference_max: float | None = None
    reference_problem: str | None = None
    tests: list[TestRow] = field(default_factory=list)
    stale_equivalents: list[str] = field(default_factory=list)  # ids in mutants.toml no mutant has any more
    sampled: bool = False
    recorded_score: float | None = None
    recorded_survivors: list[str] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)

    @property
    def counted(self) -> list[Outcome]:
        """The denominator: every mutant not marked equivalent (or marked, but killed all the same)."""
        return [o for o in self.outcomes if o.status != "equivalent"]

    @property
    def score(self) -> float | None:
        counted = self.counted
        return sum(o.status == "killed" for o in counted) / len(counted) if counted else None

    @property
    def survivors(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status in ("survived", "error")]

    @property
    def wrongly_equivalent(self) -> list[Outcome]:
        """Marked equivalent in mutants.toml, yet some grader told them from the reference."""
        return [o for o in self.outcomes if o.marked_equivalent and o.status == "killed"]

    def functions(self) -> list[tuple[str, int, int]]:
        """(function, killed, counted) in source order."""
        rows: dict[str, list[int]] = {}
        for o in self.counted:
            row = rows.setdefault(o.mutant.function, [0, 0])
            row[0] += o.status == "killed"
            row[1] += 1
        return [(name, k, n) for name, (k, n) in rows.items()]

    def regressions(self) -> list[str]:
        """Why this run is worse than the recorded one (empty when it is not, or nothing is recorded)."""
        problems = []
        if self.sampled:
            known = set(self.recorded_survivors)
            new = [o.mutant.id for o in self.survivors if o.mutant.id not in known]
            if self.recorded_score is not None and new:
                problems.append(f"{len(new)} sampled mutant(s) survive that were killed when the score was "
                                f"recorded: {', '.join(new)}")
        elif self.recorded_score is not None and self.score is not None and self.score < self.recorded_score - 1e-4:
            problems.append(f"mutation score {self.score:.1%} is below the recorded {self.recorded_score:.1%}")
        return problems

    def to_dict(self) -> dict:
        return {"assignment": self.assignment, "score": self.score, "generated": self.generated,
                "graded": len(self.outcomes), "sampled": self.sampled, "killed": self.count("killed"),
                "survived": self.count("survived"), "equivalent": self.count("equivalent"),
                "errors": self.count("error"), "recorded_score": self.recorded_score,
                "reference": {"score": self.reference_score, "max_score": self.reference_max,
                              "problem": self.reference_problem},
                "tests": [{"name": t.name, "points": t.points, "kills": t.kills} for t in self.tests],
                "functions": [{"function": f, "killed": k, "counted": n} for f, k, n in self.functions()],
                "stale_equivalents": self.stale_equivalents,
                "mutants": [o.to_dict() for o in self.outcomes]}


def select(mutants: list[Mutant], *, functions: list[str] | None = None, sample: int | None = None,
           seed: int = 0, skip: set[str] = frozenset()) -> list[Mutant]:
    """The mutants to grade: only ``functions`` if given, then a seeded random ``sample`` of them."""
    chosen = [m for m in mutants if not functions or m.function in functions or m.function.split(".")[0]
              in functions]
    if sample is not None and sample < len(chosen):
        pool = sorted((m for m in chosen if m.id not in skip), key=lambda m: m.id)
        picked = {m.id for m in random.Random(seed).sample(pool, min(sample, len(pool)))}
        chosen = [m for m in chosen if m.id in picked]
    return chosen


def _test_name(test: dict) -> str:
    name = test.get("name") or re.sub(r"\[.*\]$", "", str(test.get("nodeid", "")).rsplit("::", 1)[-1])
    return re.sub(r" \[cpu\]$", "", str(name))


def _first_line(text: str, limit: int = 200) -> str:
    line = next((x for x in str(text).splitlines() if x.strip()), "")
    return line if len(line) <= limit else line[: limit - 1] + "…"


def run_mutants(assignment: Assignment, *, jobs: int = 1, sample: int | None = None, seed: int = 0,
                functions: list[str] | None = None, operators: list[str] | None = None,
                executor: Executor | None = None, job_timeout: float = 600.0,
                on_progress: Callable[[int, int, Outcome | None], None] | None = None) -> MutationRun:
    """Generate, grade and classify the mutants of ``assignment``'s reference solution."""
    marks = equivalents.load(equivalents.mutants_file_path(assignment))
    mutants = generate_file(assignment.solution, operators)
    ids = {m.id for m in mutants}
    chosen = select(mutants, functions=functions, sample=sample, seed=seed, skip=set(marks.equivalent))
    if sample is not None:  # a sample is for a quick check of kills: equivalents would only cost time
        chosen = [m for m in chosen if m.id not in marks.equivalent]
    outcomes = {m.id: Outcome(m, equivalent_reason=marks.equivalent.get(m.id)) for m in chosen}
    run = MutationRun(assignment.name, len(mutants), list(outcomes.values()),
                      stale_equivalents=sorted(set(marks.equivalent) - ids) if not operators else [],
                      sampled=sample is not None and len(chosen) < len(mutants) or bool(functions),
                      recorded_score=marks.recorded_score, recorded_survivors=marks.recorded_survivors)
    filename = f"{assignment.module}.py"
    reference = assignment.solution.read_bytes()
    work = [Job(REFERENCE_KEY, assignment.name, filename, reference, len(reference))]
    work += [Job(m.id, assignment.name, filename, m.source.encode(), len(m.source.encode())) for m in chosen]
    results: dict[str, JobResult] = {}
    done = 0

    def collect(result: JobResult) -> None:
        nonlocal done
        results[result.key] = result
        done += 1
        if on_progress is not None:
            on_progress(done, len(work), outcomes.get(result.key))

    executor = executor or make_executor("local", workers=jobs, job_timeout=job_timeout)
    executor.run(work, collect)
    _classify(run, results, outcomes)
    return run


def _classify(run: MutationRun, results: dict[str, JobResult], outcomes: dict[str, Outcome]) -> None:
    ref = results.get(REFERENCE_KEY)
    if ref is None or not ref.ok:
        run.reference_problem = f"the reference could not be graded: {ref.error if ref else 'no result'}"
        return
    report = ref.report
    run.reference_score, run.reference_max = report["score"], report["max_score"]
    if report.get("grader_errors") or report.get("problem") or report["score"] < report["max_score"] - EPSILON:
        lost = [_test_name(t) for t in report["tests"] if t["status"] != "skipped" and t["score"] < t["max_score"]]
        errors = "; ".join(map(str, report.get("grader_errors") or []))
        run.reference_problem = ("the reference does not get full marks "
                                 f"({report['score']:g} / {report['max_score']:g}; lost on: {', '.join(lost)}"
                                 f"{'; grader errors: ' + errors if errors else ''}"
                                 "): fix the graders or the solution first")
    rows: dict[str, TestRow] = {}
    for test in report["tests"]:
        if test["status"] != "skipped":
            name = _test_name(test)
            rows.setdefault(name, TestRow(name, 0.0)).points += float(test["max_score"])
    for key, outcome in outcomes.items():
        result = results.get(key)
        if result is None or not result.ok:
            outcome.status, outcome.error = "error", (result.error if result else "never graded")
            continue
        data = result.report
        outcome.score, outcome.seconds = data["score"], result.seconds
        for test in data["tests"]:
            if test["status"] != "skipped" and test["score"] < test["max_score"] - EPSILON:
                outcome.killed_by[_test_name(test)] = _first_line(test.get("output", ""))
        if data.get("grader_errors"):
            outcome.status = "error"
            outcome.error = "grader error: " + "; ".join(map(str, data["grader_errors"]))[:500]
        elif data["score"] < run.reference_score - EPSILON or data.get("problem"):
            outcome.status = "killed"
            if data.get("problem") and not outcome.killed_by:
                outcome.killed_by["(loading the submission)"] = _first_line(data["problem"])
        else:
            outcome.status = "equivalent" if outcome.marked_equivalent else "survived"
        if outcome.status == "killed":
            for name in outcome.killed_by:
                if name in rows:
                    rows[name].kills += 1
    run.tests = list(rows.values())
