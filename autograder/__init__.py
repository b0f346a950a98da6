"""tensorgrade: graded PyTorch exercises and a sandboxed autograder whose scores students cannot forge.

The package, top layer first (a module imports only its own layer and those below it;
``autograder/layout.py`` holds the layers and ``tests/test_layout.py`` checks them)::

    __main__.py      python -m autograder is the tensorgrade command
    cli.py           the verbs of commands/, and those other packages register (release)
    commands/        one module per verb: demo, check, init, new, grade, report, export, doctor, mutants

    batch/           a class: discover.py (folders, files, LMS exports via lms_formats.py), jobs.py (one job,
                     grade_job), executors.py (lanes, registered by name), ray.py (Ray tasks), run.py (into
                     the gradebook, resumable), view.py (progress and summary)
    gradebook/       the database of results (SQLAlchemy, Alembic)
    reports/         feedback pages, plots, similarity hints; channels/ scores into nbgrader and otter
    mutants/         mutation testing of the graders

    grading/         one submission: runner.py, plugin.py (pytest, state in its stash), session.py, results.py,
                     render.py
    proxy.py         the graders' view of the student: StudentProxy, RemoteObject, Call
    checks.py        the graders' comparisons (Mistake); strategies.py, datasets.py, loopcheck.py, diagrams.py
    graders/<hw>/    each assignment's hidden graders and assignment.toml

    sandbox/         host side of the sandbox: isolation.py (probe, uids), launch.py (bwrap, cold workers),
                     warm.py (a template per lane), output.py (the worker's output); one start_worker
    course.py        finds the course and its settings; assignment.py, submission.py, late.py, similarity.py,
                     stubs.py (solution markers), layout.py (the layers)

    runtime/         mounted into the sandbox as is: worker.py, zygote.py, seccomp.py (runtime/__init__.py maps it)

    wire.py          the codec across the boundary: executes nothing when decoding
    protocol.py      every message between grader, template and worker
    limits.py        Limits, apply_rlimits, worker_env
    faults.py        StudentFault and its kinds, in words for the student
    scoring.py       Credit and the partial-credit rule (the notebook harness embeds it)
    exitcodes.py     the command's exit codes

This file is mounted into the sandbox with the runtime: it imports nothing.
"""
