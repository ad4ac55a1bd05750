"""`biplomacy serve`: run the web portal with uvicorn, on a migrated database only; `--workers N` runs N
worker processes on one port, on PostgreSQL only (docs/scale-out.md, "Several portal workers")."""

from __future__ import annotations

import ipaddress
import os

import typer

from biplomacy.cli import context
from biplomacy.cli.output import emit, err
from biplomacy.core.config import Settings
from biplomacy.core.errors import ConfigError
from biplomacy.core.secret_key import HOW_TO_MAKE_ONE, weakness


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_secret(settings: Settings, host: str) -> None:
    """Session cookies are signed with the secret key: whoever knows it can sign in as any admin. A default,
    short or patterned key is only tolerated where no one else can reach the portal: bound to loopback with no
    trusted proxy (a proxy on the same machine would forward the whole network to it)."""
    problem = weakness(settings.secret_key)
    if problem is None or (_is_loopback(host) and not settings.trusted_proxies):
        return
    where = f"on {host}" + (" behind trusted proxies" if settings.trusted_proxies else "")
    raise ConfigError(f"secret_key: refusing to serve {where}: {problem}. Set BIPLOMACY_SECRET_KEY (or "
                      f"secret_key in biplomacy.toml) to a long random value, e.g. from {HOW_TO_MAKE_ONE}",
                      field="secret_key")


HEALTHCHECK_S = 30  # seconds a worker may take to answer its supervisor's ping (uvicorn's default: 5)


def check_workers(settings: Settings, workers: int) -> None:
    """Several worker processes share only what is in the database: the audit chain, sessions, login and
    compute throttles and jobs are kept there for that. SQLite lets one writer in at a time and refuses a
    transaction that read before another process wrote (\"database is locked\" at once, whatever the busy
    timeout), so concurrent writes on several workers would fail where PostgreSQL makes them wait."""
    if workers > 1 and settings.effective_database_url.startswith("sqlite"):
        raise ConfigError(f"--workers {workers}: several portal workers need PostgreSQL (set BIPLOMACY_DATABASE_URL "
                          "or --database-url to postgresql+psycopg://user@host/db, then `biplomacy db upgrade`); "
                          "on SQLite run one worker (the default)", field="workers")


def serve_workers(host: str, port: int, workers: int, settings: Settings) -> None:
    """uvicorn's supervisor with `workers` processes on one socket: each builds the app from the environment
    (web/app.app_from_environment), and one that dies is replaced; one that cannot start stops them all."""
    import uvicorn
    from uvicorn.config import STARTUP_FAILURE
    from uvicorn.supervisors import Multiprocess

    # The workers are new processes: they read the settings this command resolved from the environment.
    os.environ["BIPLOMACY_DATABASE_URL"] = settings.effective_database_url
    if settings.config_file is not None:
        os.environ["BIPLOMACY_CONFIG"] = str(settings.config_file)
    # A worker that does not answer the supervisor's ping within timeout_worker_healthcheck is killed as hung;
    # uvicorn's 5 s killed workers still starting (importing) on a busy machine, over and over.
    config = uvicorn.Config("biplomacy.web.app:app_from_environment", factory=True, host=host, port=port,
                            workers=workers, log_level="info", access_log=False, proxy_headers=False,
                            timeout_worker_healthcheck=HEALTHCHECK_S)
    supervisor = Multiprocess(config, sockets=[config.bind_socket()])
    supervisor.run()
    if any(p.exitcode == STARTUP_FAILURE for p in supervisor.processes):
        raise ConfigError("a portal worker could not start (its error is above); the portal has stopped")


def register(app: typer.Typer) -> None:
    """Add the `serve` command to the root app."""

    @app.command("serve")
    def serve(
        ctx: typer.Context,
        host: str = typer.Option(None, "--host", help="Address to listen on (default 127.0.0.1, or BIPLOMACY_HOST)."),
        port: int = typer.Option(None, "--port", min=1, max=65535, help="Port (default 8000, or BIPLOMACY_PORT)."),
        workers: int = typer.Option(1, "--workers", min=1, max=64,
                                    help="Worker processes (more than 1 needs PostgreSQL: docs/scale-out.md)."),
        json_: bool = typer.Option(False, "--json", help="Print where the portal listens as JSON, then serve."),
    ) -> None:
        """Run the web portal (pages, the JSON API under /api/v1, docs at /api/docs)."""
        import uvicorn

        from biplomacy.web.app import create_app

        c = context.get(ctx)
        host = host or c.settings.host
        port = port or c.settings.port
        check_secret(c.settings, host)
        check_workers(c.settings, workers)
        c.store()  # refuses an unmigrated database: a clear one-line error, exit 2, before anything listens
        url = f"http://{host if ':' not in host else f'[{host}]'}:{port}"
        emit({"url": url, "api_docs": f"{url}/api/docs", "database": c.store().url.split("@")[-1],
              "workers": workers}, json_,
             lambda d: err.print(f"Biplomacy portal on {d['url']}  (API docs {d['api_docs']}; {workers} worker"
                                 f"{'s' if workers > 1 else ''}; Ctrl-C stops)"))
        if workers > 1:
            c.close()  # the workers open their own connections
            serve_workers(host, port, workers, c.settings)
            return
        # proxy_headers off: uvicorn would otherwise believe X-Forwarded-For from 127.0.0.1 (FORWARDED_ALLOW_IPS);
        # the portal trusts only BIPLOMACY_TRUSTED_PROXIES (create_app adds the same middleware for those).
        uvicorn.run(create_app(c.settings), host=host, port=port, log_level="info", access_log=False,
                    proxy_headers=False)
