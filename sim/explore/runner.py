"""Where many runs go: this process, a local Dask cluster, or an existing Dask scheduler.

``Runner(workers=None, scheduler=None)`` is a context manager; ``runner.map(fn, shared, items)``
calls ``fn(shared, chunk)`` on chunks of ``items`` and returns the results in item order.
``shared`` (the scenario, the reference trace) is sent to each worker once, not once per run, and
items travel in chunks because one small run (a few milliseconds) costs less than a Dask task.
"""
from __future__ import annotations

import contextlib
import logging
import math

__all__ = ["Runner", "RunnerError", "using"]


class RunnerError(Exception):
    """The runs cannot go where they were asked to (Dask missing, scheduler unreachable)."""


def _dask():
    try:
        import distributed
    except ImportError:
        raise RunnerError("--workers and --scheduler need Dask: pip install 'snapsim[many]' "
                          "(or dask[distributed])") from None
    return distributed


class Runner:
    """Runs chunks of work in this process (default), on a local cluster, or on a scheduler."""

    def __init__(self, workers: int | None = None, scheduler: str | None = None, timeout: float = 20.0) -> None:
        if workers is not None and scheduler is not None:
            raise RunnerError("give --workers (a local cluster) or --scheduler (an existing one), not both")
        if workers is not None and not 1 <= workers <= 256:
            raise RunnerError(f"--workers takes a number from 1 to 256, got {workers}")
        self.workers, self.scheduler, self.timeout = workers, scheduler, timeout
        self.client = self.cluster = None

    @property
    def where(self) -> str:
        if self.scheduler:
            return f"the Dask scheduler at {self.scheduler}"
        return f"a local Dask cluster of {self.workers} worker(s)" if self.workers else "this process"

    def __enter__(self) -> "Runner":
        if self.workers is None and self.scheduler is None:
            return self
        distributed = _dask()
        try:
            if self.scheduler:
                self.client = distributed.Client(self.scheduler, timeout=self.timeout)
                self.client.wait_for_workers(1, timeout=self.timeout)     # no worker: fail, never hang
            else:
                self.cluster = distributed.LocalCluster(
                    n_workers=self.workers, threads_per_worker=1, processes=True, dashboard_address=None,
                    silence_logs=logging.ERROR)
                self.client = distributed.Client(self.cluster, timeout=self.timeout)
        except (OSError, TimeoutError) as exc:
            self.__exit__(None, None, None)
            raise RunnerError(f"cannot reach {self.where} within {self.timeout:g} s ({exc})") from None
        return self

    def __exit__(self, *exc) -> None:
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()
        self.client = self.cluster = None

    def map(self, fn, shared, items: list, progress=None) -> list:
        """``fn(shared, chunk)`` over chunks of ``items``; ``progress(done, total)`` after each chunk."""
        total = len(items)
        if self.client is None:
            out = []
            for item in items:
                out += fn(shared, [item])
                if progress:
                    progress(len(out), total)
            return out
        return self._dask_map(fn, shared, items, progress)

    def _dask_map(self, fn, shared, items, progress) -> list:
        from distributed import as_completed

        workers = max(1, len(self.client.scheduler_info().get("workers", {})))
        size = max(1, min(50, math.ceil(len(items) / (workers * 4))))
        chunks = [items[i:i + size] for i in range(0, len(items), size)]
        remote = self.client.scatter([shared], broadcast=True)[0]    # one object, not its elements
        futures = {self.client.submit(fn, remote, chunk, pure=False): i for i, chunk in enumerate(chunks)}
        results: list = [None] * len(chunks)
        done = 0
        for future in as_completed(futures):
            results[futures[future]] = future.result()
            done += len(chunks[futures[future]])
            if progress:
                progress(done, len(items))
        return [r for chunk in results for r in chunk]


def using(runner: Runner | None, workers: int | None, scheduler: str | None):
    """The open ``runner`` as it is (the caller closes it), or a new Runner to enter and close."""
    if runner is not None:
        if workers is not None or scheduler is not None:
            raise RunnerError("give an open runner or workers/scheduler, not both")
        return contextlib.nullcontext(runner)
    return Runner(workers, scheduler)
