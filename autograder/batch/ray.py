"""The Ray executor: the same per-submission job (:func:`autograder.batch.jobs.grade_job`) as Ray tasks.

``tensorgrade grade <hw> <dir> --executor ray [--ray-address ADDRESS] [--ray-gpus N]`` grades a
class on a Ray cluster; results come back to this process and go into the same gradebook as the
local pool's. Without an address (and without ``RAY_ADDRESS``) a private local Ray instance is
started with ``--jobs`` CPUs and stopped afterwards. Each task is one submission graded exactly as
the local pool grades it: a Ray worker process is a grading lane with its own warm template, and
student code still runs only in a sandboxed worker under it. docs/cluster.md says how to run it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from typing import Any

from autograder.batch.jobs import Job, JobResult, grade_job
from autograder.course import COURSE_ENV
from autograder.datasets import DATA_ROOT_ENV

CARRIED_ENV = (COURSE_ENV, DATA_ROOT_ENV)  # set by the command line, read by grade_job

INSTALL_HINT = "the Ray executor needs Ray: pip install 'tensorgrade[cluster]'"


class RayUnavailable(RuntimeError):
    """Ray is not installed or the cluster cannot be reached (the message says which and what to do)."""


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise RayUnavailable(INSTALL_HINT) from None
    return ray


def _check_reachable(address: str) -> None:
    """Refuse an address nothing listens on: ray.init would wait for it forever."""
    import socket

    host_port = address.removeprefix("ray://").rsplit("/", 1)[0]
    if address == "auto" or ":" not in host_port:
        return
    host, _, port = host_port.rpartition(":")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=10).close()
    except (OSError, ValueError) as exc:
        raise RayUnavailable(f"nothing answers at {address} ({exc}); is the Ray head running there "
                             "(ray start --head) and is its port open to this machine?") from None


class RayExecutor:
    """Runs each job as a Ray task; at most ``workers`` at once (default: what the cluster's CPUs allow)."""

    def __init__(self, workers: int | None = None, *, job_timeout: float = 3600.0, address: str | None = None,
                 num_gpus: float = 0.0, num_cpus: float = 1.0, max_retries: int = 1,
                 target: Callable[[Job], JobResult] = grade_job, init_options: dict | None = None) -> None:
        self.workers = workers
        self.job_timeout = job_timeout
        self.address = address or os.environ.get("RAY_ADDRESS") or None
        self.num_gpus, self.num_cpus = num_gpus, num_cpus
        self.max_retries = max_retries  # a task whose Ray worker died (node lost, OOM) is tried again
        self.target = target
        self.init_options = init_options or {}
        self.started_ray = self._connect()  # fail now, with words, rather than after the batch has begun

    def _connect(self) -> bool:
        """Join the cluster (or start a local instance); True when this call started Ray."""
        ray = _ray()
        if ray.is_initialized():
            return False
        options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False,
                                   "configure_logging": False, **self.init_options}
        if self.address:
            _check_reachable(self.address)
            options["address"] = self.address
        else:
            options["num_cpus"] = max(1, int(self.workers or os.cpu_count() or 1))
        try:
            ray.init(**options)
        except Exception as exc:  # noqa: BLE001 - ConnectionError, RuntimeError, ...: all mean "no cluster"
            where = f"the Ray cluster at {self.address}" if self.address else "a local Ray instance"
            raise RayUnavailable(f"could not start or reach {where}: {exc}") from None
        return True

    def _slots(self) -> int:
        if self.workers:
            return max(1, int(self.workers))
        resources = _ray().cluster_resources()
        by_cpu = resources.get("CPU", 1) / max(self.num_cpus, 1e-9)
        by_gpu = resources.get("GPU", 0) / self.num_gpus if self.num_gpus else by_cpu
        return max(1, int(min(by_cpu, by_gpu)))

    def run(self, jobs: Sequence[Job], on_result: Callable[[JobResult], None]) -> None:
        """Grade every job on the cluster; ``on_result`` runs here, once per job, in completion order."""
        ray = _ray()
        if not ray.is_initialized():
            self.started_ray = self._connect()
        # what grading reads from the environment (the course, the --data-root folder) reaches the tasks
        # as it reaches local lanes, also on a cluster started elsewhere, whose workers never saw this
        # environment; the paths must exist on every node (docs/cluster.md)
        carried = {name: os.environ[name] for name in CARRIED_ENV if name in os.environ}
        options: dict[str, Any] = {"runtime_env": {"env_vars": carried}} if carried else {}
        task = ray.remote(num_cpus=self.num_cpus, num_gpus=self.num_gpus, max_retries=self.max_retries,
                          **options)(self.target)
        pending = list(jobs)
        pending.reverse()
        running: dict[Any, tuple[Job, float]] = {}
        try:
            slots = self._slots()
            while pending or running:
                # a bounded number in flight, so a job's clock starts when it can really start
                while pending and len(running) < slots:
                    job = pending.pop()
                    running[task.remote(job)] = (job, time.monotonic())
                done, _ = ray.wait(list(running), num_returns=1, timeout=1.0)
                for ref in done:
                    job, started = running.pop(ref)
                    on_result(self._result(ref, job, started))
                for ref, (job, started) in list(running.items()):
                    if time.monotonic() - started > self.job_timeout:
                        ray.cancel(ref, force=True)
                        del running[ref]
                        on_result(JobResult(job.key, error=f"grading took longer than {self.job_timeout:g} s "
                                                           "and was stopped", seconds=time.monotonic() - started))
        finally:
            for ref in running:
                ray.cancel(ref, force=True)
            if self.started_ray:
                ray.shutdown()
                self.started_ray = False

    def _result(self, ref: Any, job: Job, started: float) -> JobResult:
        ray = _ray()
        try:
            result = ray.get(ref)
        except Exception as exc:  # noqa: BLE001 - a lost node, a killed worker: the job failed, the batch goes on
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            return JobResult(job.key, error=f"the Ray task failed ({reason}); the job will be retried when the "
                                            "same command runs again", seconds=time.monotonic() - started)
        if not isinstance(result, JobResult) or result.key != job.key:
            return JobResult(job.key, error="the Ray task returned something other than this job's result")
        return result
