"""Running heavy work off the request path: a per-process job runner, and GET /api/v1/jobs/{id} to poll it.

A page that needs a computation (a new Monte Carlo run) asks `start(request, kind, inputs)`: the job for those
inputs (house/jobs.py, a row any worker can read) is found or created, and a new one is run here on a small
thread pool, never on the request's thread. The page then answers at once: the result when it is there, else
a page that polls the job and shows its progress. New work spends the client's compute tokens (rate_limit.py);
a client may have MAX_ACTIVE_PER_CLIENT jobs under way, and this process holds at most MAX_QUEUED; past any of
these the answer is 429 with Retry-After, before anything runs. Asking again for a run costs nothing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, HTTPException, Path, Request

from biplomacy.core.errors import BiplomacyError
from biplomacy.house import jobs
from biplomacy.store.db import Store
from biplomacy.web.auth import client_address
from biplomacy.web.rate_limit import compute_limit

log = logging.getLogger("biplomacy.web.jobs")

MAX_ACTIVE_PER_CLIENT = 2  # an analyst waits for one what-if and perhaps starts a second; a loop gets 429
MAX_QUEUED = 8  # per process: more would only wait longer than a visitor does
WORKERS = 1  # per process: each run is CPU-bound, and `biplomacy serve` scales by processes
REPORT_EVERY_S = 0.25  # progress written at most this often
RETRY_AFTER_S = 5

Progress = Callable[[int, int], None]
Work = Callable[[Store, dict[str, Any], Progress], dict[str, Any]]

api = APIRouter(tags=["house"])
JobId = Annotated[str, Path(min_length=1, max_length=32, pattern="^[0-9a-f]+$", description="job id")]


class JobRunner:
    """Kinds of work by name, and the threads that run them in this process."""

    def __init__(self, store: Store, workers: int = WORKERS, max_queued: int = MAX_QUEUED) -> None:
        self.store = store
        self.max_queued = max_queued
        self._kinds: dict[str, Work] = {}
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="job")
        self._queued = 0
        self._lock = threading.Lock()

    def register(self, kind: str, work: Work) -> None:
        self._kinds[kind] = work

    def start(self, kind: str, inputs: dict[str, Any], client: str,
              admit: Callable[[], None] | None = None) -> jobs.Job:
        """The job computing `kind` on `inputs`: found, or claimed and queued here (429 when over a limit).
        `admit` is asked before new work only (it raises to refuse): asking again for a run is free."""
        key = jobs.inputs_key(kind, inputs)
        found = jobs.find(self.store, kind, key)
        if found is not None and found.status == "done":
            return found
        if found is None or found.status == "failed":  # new work: within this client's and this process's share
            if admit is not None:
                admit()
            if jobs.active_count(self.store, client) >= MAX_ACTIVE_PER_CLIENT:
                raise HTTPException(429, f"you have {MAX_ACTIVE_PER_CLIENT} computations under way; try again when "
                                    "one has finished", headers={"Retry-After": str(RETRY_AFTER_S)})
            with self._lock:
                if self._queued >= self.max_queued:
                    raise HTTPException(429, "the portal is busy computing; try again shortly",
                                        headers={"Retry-After": str(RETRY_AFTER_S)})
        job, mine = jobs.claim(self.store, kind, key, client)  # a job whose runner died is taken over here
        if not mine:
            return job
        with self._lock:
            self._queued += 1
        self._pool.submit(self._run, job.id, self._kinds[kind], inputs)
        return job

    def _run(self, job_id: str, work: Work, inputs: dict[str, Any]) -> None:
        last = 0.0

        def progress(done: int, total: int) -> None:
            nonlocal last
            now = time.monotonic()
            if now - last >= REPORT_EVERY_S or done >= total:
                last = now
                jobs.report(self.store, job_id, done, total)

        try:
            jobs.report(self.store, job_id, 0, 1)
            result = work(self.store, inputs, progress)
        except BiplomacyError as exc:
            jobs.fail(self.store, job_id, str(exc))
        except Exception:
            log.exception("job %s failed", job_id)
            jobs.fail(self.store, job_id, "the computation failed on our side; the error has been logged")
        else:
            jobs.finish(self.store, job_id, result)
        finally:
            with self._lock:
                self._queued -= 1

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def install(app: FastAPI, store: Store) -> JobRunner:
    runner = JobRunner(store)
    app.state.jobs = runner
    app.include_router(api, prefix="/api/v1")
    return runner


def runner_of(request: Request) -> JobRunner:
    runner: JobRunner = request.app.state.jobs
    return runner


def start(request: Request, kind: str, inputs: dict[str, Any], work: Work) -> jobs.Job:
    """Find or start the job computing `kind` on `inputs` for this request's client (see the module)."""
    runner = runner_of(request)
    runner.register(kind, work)
    # New work also spends the client's compute tokens (web/rate_limit.py): a burst, then a few a minute.
    return runner.start(kind, inputs, jobs.client_digest(client_address(request)), lambda: compute_limit(request))


@api.get("/jobs/{job_id}", summary="A computation's progress (poll it; the page that started it shows its result)")
def job_status(request: Request, job_id: JobId) -> dict[str, Any]:
    return jobs.get(runner_of(request).store, job_id).to_json()
