"""The sandbox runtime: exactly what is mounted into every sandbox, and nothing that decides a score.

Inside the sandbox ``/opt/tensorgrade/autograder/`` holds these files and no others (see
``autograder.sandbox.launch.RUNTIME_FILES``)::

    __init__.py          the package's docstring (its map); imports nothing
    wire.py              the codec: frames of plain data, decoded without executing anything
    protocol.py          the messages between grader, template and worker
    limits.py            Limits, apply_rlimits, worker_env (standard library only)
    faults.py            the kinds of student fault and their wording (standard library only)
    runtime/__init__.py  this map
    runtime/worker.py    the worker loop: imports the submission, answers requests
    runtime/zygote.py    the warm template: imports torch once, forks one worker at a time, sweeps between them
    runtime/seccomp.py   the seccomp filter the worker installs in itself

Modules here import only the standard library, torch, numpy and the four modules above
(``tests/test_layout.py`` and ``tensorgrade doctor`` check it), so what runs next to student code
is small enough to audit and holds nothing of the grader's.
"""
