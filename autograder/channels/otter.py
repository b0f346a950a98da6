"""otter-grader plugin: each hidden-grader question gets the score tensorgrade's sandboxed graders give.

``tensorgrade release otter`` names this plugin in the master notebook. After otter has run the
notebook and its (fail-closed) placeholder tests, ``after_grading`` grades the same submission
with the hidden graders in a fresh process (``python -m autograder.channels.scores``), where
student code runs only in the sandboxed worker, and writes each test's score into its question.
If that grading cannot run, every hidden question keeps its placeholder's 0 and the results say
why: no points without the graders.

``TENSORGRADE_PYTHON`` names the interpreter to grade with (default: otter's own), for a machine
where otter's environment reaches torch only through a ``.pth`` file the sandbox does not mount.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

try:  # only otter imports this module; without otter it stays importable (the engine ships it everywhere)
    from otter.plugins import AbstractOtterPlugin
except ImportError:  # pragma: no cover - exercised with the real otter in tests/test_channels.py
    AbstractOtterPlugin = object

ENGINE_ROOT = Path(__file__).resolve().parents[2]  # the folder holding this copy's autograder/ package


class TensorgradePlugin(AbstractOtterPlugin):
    """Scores hidden-grader questions (``config: {assignment: hw, questions: {question: test key}}``)."""

    def __init__(self, submission_path: str, submission_metadata: dict, plugin_config: dict) -> None:
        self.submission_path = submission_path
        self.submission_metadata = submission_metadata
        self.plugin_config = plugin_config or {}
        self.report = ""

    def grade(self) -> dict:
        """Per-test scores of the submission, graded in a fresh process (see module docstring)."""
        python = os.environ.get("TENSORGRADE_PYTHON") or sys.executable
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONHOME",)}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ENGINE_ROOT), env.get("PYTHONPATH", "")]))
        with tempfile.TemporaryDirectory(prefix="tensorgrade-otter-") as folder:
            out = Path(folder) / "scores.json"
            done = subprocess.run([python, "-m", "autograder.channels.scores", self.plugin_config["assignment"],
                                   self.submission_path, str(out)], env=env, capture_output=True, text=True,
                                  timeout=float(self.plugin_config.get("timeout", 3600)))
            if not out.is_file():
                raise RuntimeError(f"tensorgrade could not grade the submission (exit {done.returncode}): "
                                   f"{(done.stdout + done.stderr).strip()[-1500:]}")
            return json.loads(out.read_text())

    def after_grading(self, results: Any) -> None:
        questions: dict[str, str] = self.plugin_config.get("questions", {})
        try:
            data = self.grade()
        except Exception as exc:  # noqa: BLE001 - the placeholders' zeros stand; say why
            self.report = f"tensorgrade: hidden graders did not run, hidden questions score 0: {exc}"
            results.set_output(self.report)
            return
        by_key = {t["key"]: t for t in data["tests"]}
        lines = [f"tensorgrade (hidden graders, sandboxed): {data['score']:g} / {data['max_score']:g}"]
        for question, key in questions.items():
            test = by_key.get(key)
            if test is None:
                lines.append(f"  {question}: not graded on this machine (0)")
                continue
            results.update_score(question, float(test["score"]))
            lines.append(f"  {question}: {test['score']:g}/{test['max_score']:g}"
                         + (f": {test['output']}" if test["output"] else ""))
        if data.get("problem"):
            lines.append(f"problem with the submission: {data['problem']}")
        lines += [f"grader error: {e}" for e in data.get("grader_errors", [])]
        self.report = "\n".join(lines)
        results.set_output(self.report)

    def generate_report(self) -> str:
        return self.report
