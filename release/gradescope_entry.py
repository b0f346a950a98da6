"""Gradescope's per-submission step (shipped as ``run_tensorgrade.py``; ``run_autograder`` starts it).

Grades the submission in ``<root>/submission/`` with the hidden graders and writes
``<root>/results/results.json``. Whatever goes wrong, a valid results.json is written, with a
message that says what happened: Gradescope shows "autograder failed" for a missing one.
Standard library and the bundled engine only.
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from pathlib import Path


def find_submission(folder: Path, module: str) -> tuple[Path | None, str]:
    """The file to grade, or None with a message saying what to submit."""
    for name in (f"{module}.py", f"{module}.ipynb"):
        if (folder / name).is_file():
            return folder / name, ""
    candidates = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in (".py", ".ipynb")
                        and not p.name.startswith(("test_", ".")) and "__MACOSX" not in p.parts)
    if len(candidates) == 1:
        return candidates[0], f"graded {candidates[0].name} (expected {module}.py or {module}.ipynb)"
    found = ", ".join(p.name for p in candidates) or "no .py or .ipynb file"
    return None, f"submit {module}.py or {module}.ipynb (found: {found})"


def failure(message: str) -> dict:
    return {"score": 0, "output": message, "visibility": "visible", "stdout_visibility": "hidden", "tests": []}


def apply_late_penalty(results: dict, assignment: object, root: Path) -> str:
    """Take the assignment's late penalty off, by Gradescope's submission time; returns a note for students."""
    metadata = root / "submission_metadata.json"
    try:
        created = json.loads(metadata.read_text()).get("created_at")
    except (OSError, ValueError, AttributeError):
        return ""
    if not created:
        return ""
    from autograder.late import late_result, parse_timestamp

    try:
        late = late_result(assignment.late, parse_timestamp(str(created)))
    except ValueError:
        return ""
    if not late.late:
        return ""
    raw = float(results.get("score", sum(t.get("score", 0) for t in results.get("tests", []))))
    results["score"] = late.apply(raw)
    return (f"Submitted {late.days_late} day(s) late: {late.penalty:.0%} taken off "
            f"({raw:g} -> {results['score']:g} points).")


def grade(assignment_name: str, root: Path) -> dict:
    import autograder
    from autograder.assignment import load_assignment

    print(f"tensorgrade engine: {Path(autograder.__file__).resolve().parent.parent}")
    assignment = load_assignment(assignment_name)
    path, note = find_submission(root / "submission", assignment.module)
    if path is None:
        return failure(f"No submission to grade: {note}.")
    from autograder.grading.render import render_report  # torch and pytest load here, once there is work to do
    from autograder.grading.runner import grade as run_graders

    report = run_graders(assignment, path)
    render_report(report)  # to stdout: Gradescope keeps it for instructors (stdout_visibility hidden)
    results = report.to_gradescope()
    note = "\n".join(filter(None, [note, apply_late_penalty(results, assignment, root)]))
    if note:
        results["output"] = "\n".join(filter(None, [note, results.get("output", "")]))
    for error in report.grader_errors:
        print(f"grader error: {error}", file=sys.stderr)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", required=True)
    parser.add_argument("--root", type=Path, default=Path("/autograder"))
    args = parser.parse_args(argv)
    target = args.root / "results" / "results.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    status = 0
    try:
        results = grade(args.assignment, args.root)
    except Exception:  # noqa: BLE001 - Gradescope must always get results
        traceback.print_exc()
        results = failure("The autograder itself failed on this submission; your instructor can see why. "
                          "Your work is not lost: resubmit later or contact your instructor.")
        status = 1
    target.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {target}: {results.get('score')} / {results.get('max_score', '?')}")
    return status


if __name__ == "__main__":
    sys.exit(main())
