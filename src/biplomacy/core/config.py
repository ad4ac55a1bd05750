"""One Settings object, built once in main from environment variables and an optional biplomacy.toml."""

from __future__ import annotations

import ipaddress
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path

from biplomacy.core.errors import ConfigError
from biplomacy.core.networks import NETWORKS

DEFAULT_VAR_DIR = Path("var")


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything configurable. Environment variables win over biplomacy.toml, which wins over defaults."""

    database_url: str = ""
    var_dir: Path = DEFAULT_VAR_DIR
    out_dir: Path = DEFAULT_VAR_DIR / "out"
    host: str = "127.0.0.1"
    port: int = 8000
    secret_key: str = "change-me-in-production"
    network: str = "regtest"
    esplora_url: str = ""
    chain_url: str = ""
    solver: str = "highs"
    trusted_proxies: tuple[str, ...] = ()  # IPs/CIDRs whose X-Forwarded-For the portal believes; none by default
    # the https:// address users reach the portal at, through TLS in front of it (a reverse proxy); when set,
    # session cookies always carry the Secure flag and `biplomacy doctor` counts TLS as in front
    public_url: str = ""
    # a streamed AML transfer dated more than this many seconds after the scorer's clock is refused (docs/security.md)
    aml_future_seconds: int = 600
    # a Dask scheduler the heavy commands run on when neither --workers nor --scheduler is given (docs/scale-out.md)
    dask_scheduler: str = ""
    # the reporting entity's number at the FIU (goAML's rentity_id), put in goAML STR exports; 0: not registered yet
    goaml_rentity_id: int = 0
    config_file: Path | None = None

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.var_dir / 'biplomacy.sqlite3').as_posix()}"


_ENV = {
    "BIPLOMACY_DATABASE_URL": "database_url",
    "BIPLOMACY_VAR_DIR": "var_dir",
    "BIPLOMACY_OUT_DIR": "out_dir",
    "BIPLOMACY_HOST": "host",
    "BIPLOMACY_PORT": "port",
    "BIPLOMACY_SECRET_KEY": "secret_key",
    "BIPLOMACY_NETWORK": "network",
    "BIPLOMACY_ESPLORA_URL": "esplora_url",
    "BIPLOMACY_CHAIN_URL": "chain_url",
    "BIPLOMACY_SOLVER": "solver",
    "BIPLOMACY_TRUSTED_PROXIES": "trusted_proxies",
    "BIPLOMACY_PUBLIC_URL": "public_url",
    "BIPLOMACY_AML_FUTURE_SECONDS": "aml_future_seconds",
    "BIPLOMACY_DASK_SCHEDULER": "dask_scheduler",
    "BIPLOMACY_GOAML_RENTITY_ID": "goaml_rentity_id",
}


def _networks(name: str, value: object, where: str) -> tuple[str, ...]:
    """A list of IP addresses or networks (CIDR), as a TOML list or a comma-separated string."""
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise ConfigError(f"{where}: {name} should be a list of IP addresses or networks, got {value!r}")
    out = []
    for item in (i.strip() for i in items):
        if not item:
            continue
        try:
            out.append(str(ipaddress.ip_network(item)))
        except ValueError as exc:
            raise ConfigError(f"{where}: {name}: {item!r} is not an IP address or network "
                              f"such as 10.0.0.5 or 10.0.0.0/24 ({exc})") from None
    return tuple(out)


def _coerce(name: str, value: object, where: str) -> object:
    kinds = {f.name: f.type for f in fields(Settings)}
    kind = str(kinds[name])
    if kind.startswith("tuple"):
        return _networks(name, value, where)
    try:
        if "int" in kind:
            return int(str(value))
        if "Path" in kind:
            return Path(str(value))
    except ValueError:
        raise ConfigError(f"{where}: {name} = {value!r} is not a valid {kind}") from None
    if not isinstance(value, str):
        raise ConfigError(f"{where}: {name} should be a string, got {type(value).__name__}")
    return value


def load_settings(env: Mapping[str, str] | None = None, config_file: Path | None = None) -> Settings:
    """Build Settings from `env` (default os.environ) and biplomacy.toml (or BIPLOMACY_CONFIG)."""
    env = os.environ if env is None else env
    values: dict[str, object] = {}
    path = config_file or (Path(env["BIPLOMACY_CONFIG"]) if env.get("BIPLOMACY_CONFIG") else None)
    if path is None and Path("biplomacy.toml").exists():
        path = Path("biplomacy.toml")
    if path is not None:
        if not path.exists():
            raise ConfigError(f"config file {path} does not exist")
        try:
            doc = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: malformed TOML ({exc})") from None
        known = {f.name for f in fields(Settings)} - {"config_file"}
        for key, value in doc.items():
            if key not in known:
                raise ConfigError(f"{path}: unknown setting {key!r} (known: {', '.join(sorted(known))})")
            values[key] = _coerce(key, value, str(path))
        values["config_file"] = path
    for var, name in _ENV.items():
        if env.get(var):
            values[name] = _coerce(name, env[var], f"environment variable {var}")
    settings = replace(Settings(), **values)  # type: ignore[arg-type]
    if "out_dir" not in values and "var_dir" in values:
        settings = replace(settings, out_dir=settings.var_dir / "out")
    if settings.network not in NETWORKS:
        raise ConfigError(f"network {settings.network!r} is not one of {', '.join(sorted(NETWORKS))}")
    if not 0 < settings.port < 65536:
        raise ConfigError(f"port {settings.port} is out of range 1-65535")
    if settings.public_url and not settings.public_url.startswith(("https://", "http://")):
        raise ConfigError(f"public_url {settings.public_url!r} should be the portal's address, e.g. "
                          "https://portal.example.org")
    if not 0 <= settings.aml_future_seconds <= 86_400:
        raise ConfigError(f"aml_future_seconds {settings.aml_future_seconds} is out of range 0-86400")
    if not 0 <= settings.goaml_rentity_id < 2**31:
        raise ConfigError(f"goaml_rentity_id {settings.goaml_rentity_id} is not the positive number an FIU assigns")
    return settings
