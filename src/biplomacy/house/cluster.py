"""Where the heavy commands run: in this process (the default), on a local Dask cluster of N worker processes
(`--workers N`), or on a Dask cluster someone started on several machines (`--scheduler ADDRESS`, or
BIPLOMACY_DASK_SCHEDULER). docs/scale-out.md says how to start one and what runs where.

The engine is Dask's (distributed): its scheduler places the chunks, its nannies restart a worker that dies, and
a chunk whose worker died is run again elsewhere (RETRIES). What Biplomacy adds is only the choice of engine, a
clear error for an address that does not answer or a cluster running another version, and `run_chunks`, which
hands back every chunk's result in order, or raises: a job never returns part of its chunks as if it were whole.
The same chunk function runs in-process without a cluster, so both paths compute the same thing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from biplomacy.core.errors import ClusterError, ConfigError, InputError

if TYPE_CHECKING:
    from distributed import Client

T = TypeVar("T")
R = TypeVar("R")

RETRIES = 2  # a chunk is tried 1 + RETRIES times, each time on a live worker, before the job fails
CONNECT_TIMEOUT_S = 10
MAX_LOCAL_WORKERS = 256
_ADDRESS = re.compile(r"^(?:(?:tcp|tls|ucx|ws|wss|inproc)://)?[A-Za-z0-9.\-\[\]:_/]+$")

Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class Engine:
    """Where a job runs: in-process (both None), a local cluster of `workers` processes, or a scheduler."""

    workers: int | None = None
    scheduler: str | None = None

    @property
    def in_process(self) -> bool:
        return self.workers is None and self.scheduler is None

    def describe(self) -> str:
        if self.scheduler is not None:
            return f"Dask scheduler {self.scheduler}"
        if self.workers is not None:
            return f"local Dask cluster, {self.workers} worker{'s' if self.workers != 1 else ''}"
        return "in-process"


IN_PROCESS = Engine()


def choose(workers: int | str | None, scheduler: str | None, default_scheduler: str = "") -> Engine:
    """The engine a command asked for: --workers N, --scheduler ADDRESS, else the configured scheduler
    (BIPLOMACY_DASK_SCHEDULER), else in-process."""
    if workers is not None and scheduler:
        raise InputError("give --workers (a local cluster) or --scheduler (a running one), not both",
                         field="workers")
    if workers is not None:
        try:
            n = int(str(workers).strip())
        except ValueError:
            raise InputError(f"{workers!r} is not a whole number of worker processes", field="workers") from None
        if not 1 <= n <= MAX_LOCAL_WORKERS:
            raise InputError(f"{n} is not between 1 and {MAX_LOCAL_WORKERS} worker processes", field="workers")
        return Engine(workers=n)
    address = (scheduler or default_scheduler or "").strip()
    if not address:
        return IN_PROCESS
    if not _ADDRESS.match(address):
        raise InputError(f"{address!r} is not a Dask scheduler address such as tcp://10.0.0.5:8786",
                         field="scheduler")
    return Engine(scheduler=address)


@contextmanager
def connect(engine: Engine) -> Iterator[Client | None]:
    """A Dask client for the engine (None in-process), closed (and a local cluster shut down) on leaving."""
    if engine.in_process:
        yield None
        return
    from distributed import Client, LocalCluster

    if engine.workers is not None:
        # processes, one thread each: the chunks are numpy/Python loops that hold the GIL
        with LocalCluster(n_workers=engine.workers, threads_per_worker=1, processes=True,
                          dashboard_address=":0", silence_logs=40) as cluster, Client(cluster) as client:
            yield client
        return
    assert engine.scheduler is not None
    _check_address(engine.scheduler)
    try:
        client = Client(engine.scheduler, timeout=f"{CONNECT_TIMEOUT_S}s", set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise ConfigError(f"the Dask scheduler {engine.scheduler} does not answer within {CONNECT_TIMEOUT_S} s "
                          f"({type(exc).__name__}); start it (docs/scale-out.md) or leave out --scheduler to run "
                          "in-process", field="scheduler") from None
    try:
        _check_versions(client, engine.scheduler)
        yield client
    finally:
        client.close()


def _check_address(address: str) -> None:
    """A scheduler address Dask can parse (tcp://HOST:PORT), else a clear error before any connection is tried."""
    from distributed.comm.addressing import parse_address, parse_host_port
    from distributed.comm.registry import get_backend

    try:
        scheme, location = parse_address(address)
        get_backend(scheme)  # an unknown scheme is a ValueError naming the known ones
        if scheme in ("tcp", "tls"):
            parse_host_port(location)
    except ValueError as exc:
        raise ConfigError(f"{address!r} is not a Dask scheduler address ({exc}); give one like tcp://10.0.0.5:8786",
                          field="scheduler") from None


def _check_versions(client: Client, address: str) -> None:
    """Workers must run the same Biplomacy: a chunk computed by another version would mix two methods."""
    import biplomacy

    def version() -> str:
        import biplomacy as b

        return b.__version__

    try:  # workers restarting (a nanny bringing a dead one back) or still joining get a moment to connect
        client.wait_for_workers(1, timeout=CONNECT_TIMEOUT_S)
    except TimeoutError:
        pass  # no worker at all: said below
    try:
        found = client.run(version)
    except Exception as exc:  # noqa: BLE001 (a worker that cannot even import us: say so)
        raise ConfigError(f"the Dask workers of {address} cannot run Biplomacy ({type(exc).__name__}: {exc}); "
                          "install the same version on every worker", field="scheduler") from None
    if not found:
        raise ConfigError(f"the Dask scheduler {address} has no workers; start some (docs/scale-out.md)",
                          field="scheduler")
    other = {w: v for w, v in found.items() if v != biplomacy.__version__}
    if other:
        worker, v = next(iter(other.items()))
        raise ConfigError(f"Dask worker {worker} runs Biplomacy {v}, this is {biplomacy.__version__}; "
                          f"{len(other)} of {len(found)} workers differ: install the same version everywhere",
                          field="scheduler")


def run_chunks(client: Client | None, fn: Callable[[T], R], chunks: Sequence[T], *, job: str,
               progress: Progress | None = None) -> list[R]:
    """fn over every chunk, results in the chunks' order. In-process without a client; on the cluster with
    RETRIES for chunks whose worker died. An error raised by fn itself (a bad row in a partition) is raised
    here as it was, after the other chunks are cancelled; a lost cluster is a ClusterError."""
    total = len(chunks)
    if client is None:
        out = []
        for i, chunk in enumerate(chunks):
            out.append(fn(chunk))
            if progress is not None:
                progress(i + 1, total)
        return out
    from distributed import as_completed
    from distributed.client import FutureCancelledError
    from distributed.scheduler import KilledWorker

    hint = _memory_hint(client)  # read now: once workers die, the scheduler may list none for a while
    futures = client.map(fn, chunks, retries=RETRIES, pure=False)
    index: dict[object, int] = {f.key: i for i, f in enumerate(futures)}
    try:
        done = 0
        for future in as_completed(futures, loop=client.loop):  # the client need not be the default one
            if future.status == "error":
                future.result()  # raises fn's own error, or KilledWorker
            done += 1
            if progress is not None:
                progress(done, total)
        return list(client.gather(futures))
    except KilledWorker as exc:
        which: object = index.get(exc.task, "?")
        raise ClusterError(f"the Dask cluster lost a worker {RETRIES + 1} times running chunk {which} of {total} "
                           f"({job}); nothing was written{hint}") from None
    except (OSError, FutureCancelledError) as exc:
        raise ClusterError(f"the Dask cluster went away during {job} ({type(exc).__name__}); nothing was "
                           "written") from None
    finally:
        client.cancel([f for f in futures if not f.done()])


def _memory_hint(client: Client) -> str:
    """What most often kills a worker on every try: a chunk needing more memory than the worker may use (its
    nanny restarts it at 95 % of the limit). The smallest worker limit, to say so in the error."""
    try:
        limits = [w.get("memory_limit") or 0 for w in client.scheduler_info()["workers"].values()]
    except Exception:  # the cluster itself may be gone: the hint is optional
        return ""
    if not limits or not min(limits):
        return ""
    return (f" (a worker may use {min(limits) / 2**30:.1f} GiB; a chunk needing more is killed every time: run "
            "fewer workers per machine or on machines with more memory)")
