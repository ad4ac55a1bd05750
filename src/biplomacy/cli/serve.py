"""`biplomacy serve`: run the web portal with uvicorn, on a migrated database only."""

from __future__ import annotations

import ipaddress

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


def register(app: typer.Typer) -> None:
    """Add the `serve` command to the root app."""

    @app.command("serve")
    def serve(
        ctx: typer.Context,
        host: str = typer.Option(None, "--host", help="Address to listen on (default 127.0.0.1, or BIPLOMACY_HOST)."),
        port: int = typer.Option(None, "--port", min=1, max=65535, help="Port (default 8000, or BIPLOMACY_PORT)."),
        json_: bool = typer.Option(False, "--json", help="Print where the portal listens as JSON, then serve."),
    ) -> None:
        """Run the web portal (pages, the JSON API under /api/v1, docs at /api/docs)."""
        import uvicorn

        from biplomacy.web.app import create_app

        c = context.get(ctx)
        host = host or c.settings.host
        port = port or c.settings.port
        check_secret(c.settings, host)
        c.store()  # refuses an unmigrated database: a clear one-line error, exit 2, before anything listens
        url = f"http://{host if ':' not in host else f'[{host}]'}:{port}"
        emit({"url": url, "api_docs": f"{url}/api/docs", "database": c.store().url.split("@")[-1]}, json_,
             lambda d: err.print(f"Biplomacy portal on {d['url']}  (API docs {d['api_docs']}; Ctrl-C stops)"))
        # proxy_headers off: uvicorn would otherwise believe X-Forwarded-For from 127.0.0.1 (FORWARDED_ALLOW_IPS);
        # the portal trusts only BIPLOMACY_TRUSTED_PROXIES (create_app adds the same middleware for those).
        uvicorn.run(create_app(c.settings), host=host, port=port, log_level="info", access_log=False,
                    proxy_headers=False)
