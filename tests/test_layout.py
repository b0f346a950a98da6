"""The layout: the sandbox runtime imports only the bottom layer, no arrow runs up, no cycle, no import of release."""

from __future__ import annotations

import subprocess
import sys

from autograder import layout
from autograder.sandbox.launch import PACKAGE_DIR, RUNTIME_FILES


def test_runtime_imports_stay_inside_the_bottom_layer():
    assert layout.runtime_violations() == []


def test_every_module_mounted_into_the_sandbox_is_the_runtime_or_what_it_imports():
    mounted = {layout.module_name(PACKAGE_DIR / name) for name in RUNTIME_FILES}
    runtime = {name for name in layout.modules() if name.startswith("autograder.runtime")}
    assert runtime <= mounted, "every runtime module is mounted"
    needed = {t for name in runtime for t in layout.graph()[name]}
    assert needed <= mounted, f"the runtime imports modules the sandbox lacks: {needed - mounted}"
    assert mounted <= runtime | set(layout.BOTTOM), "nothing above the bottom layer is mounted next to student code"


def test_the_runtime_loads_in_a_bare_interpreter_without_the_host_side():
    # what the sandbox holds: import the runtime and check that nothing of the host side came with it
    code = ("import sys, autograder.runtime.worker, autograder.runtime.zygote; "
            "print(sorted(m for m in sys.modules if m.startswith('autograder')))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "sandbox" not in loaded and "grading" not in loaded and "proxy" not in loaded, loaded


def test_no_import_runs_up_a_layer_and_the_engine_never_imports_release():
    assert layout.upward_arrows() == []


def test_the_import_graph_has_no_cycle():
    assert layout.cycles() == []


def test_the_checks_see_what_they_claim(tmp_path, monkeypatch):
    # a cycle, an upward arrow and a runtime import of the host side, written into a copy of the package
    package = tmp_path / "autograder"
    (package / "runtime").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "wire.py").write_text("from autograder import protocol\n")
    (package / "protocol.py").write_text("def f():\n    from autograder import wire\n")
    (package / "runtime" / "__init__.py").write_text("")
    (package / "runtime" / "worker.py").write_text("from autograder.sandbox import launch\nimport json\n")
    (package / "sandbox.py").write_text("import release.cli\nfrom autograder.grading import runner\n")
    (package / "grading").mkdir()
    (package / "grading" / "__init__.py").write_text("")
    (package / "grading" / "runner.py").write_text("")
    monkeypatch.setattr(layout, "PACKAGE_DIR", package)
    assert layout.cycles() == [["autograder.protocol", "autograder.wire"]]
    assert layout.runtime_violations() == ["autograder.runtime.worker imports autograder.sandbox",
                                           "autograder.runtime.worker imports autograder.sandbox.launch"]
    arrows = layout.upward_arrows()
    assert any("sandbox imports release" in a for a in arrows)
    assert any("autograder.sandbox (host sandbox) imports autograder.grading.runner (grading)" in a for a in arrows)
    assert any("runtime.worker (runtime) imports autograder.sandbox" in a for a in arrows)
