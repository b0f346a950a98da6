"""The host side of the sandbox: which isolation this machine allows, how confined processes launch, warm lanes.

``isolation``  the probe (bubblewrap, a worker uid) and the worker's own uid
``launch``     bubblewrap's allow-list, rlimits and uid for one process; cold workers
``warm``       one warm template per grading lane, forking a worker per submission
``output``     the worker's stdout and stderr, drained and capped

:func:`start_worker` is the one way to start a worker: forked from the lane's template when it
can be, a fresh interpreter otherwise. What runs inside is :mod:`autograder.runtime`.
"""

from autograder.sandbox.isolation import (
    NOBODY,
    UID_BASE,
    Confinement,
    confinement,
    kill_user_processes,
    user_processes,
    worker_uid,
)
from autograder.sandbox.launch import WorkerProcess, bwrap_prefix, confine, hidden_data_dirs, sandbox_available
from autograder.sandbox.warm import start_worker

__all__ = ["NOBODY", "UID_BASE", "Confinement", "WorkerProcess", "bwrap_prefix", "confine", "confinement",
           "hidden_data_dirs", "kill_user_processes", "sandbox_available", "start_worker", "user_processes",
           "worker_uid"]
