"""One exception tree for Biplomacy, and the Issue value validators return when a user fixes many at once.

The CLI maps InputError (and its children) to exit 2 and anything else of this tree to exit 1; the web
portal maps InputError to HTTP 422, PermissionDenied to 403, NotFound to 404. docs/errors.md lists them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem found by a validator: a stable code, where it is (a field path), and what is wrong."""

    code: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "path": self.path, "message": self.message}


class BiplomacyError(Exception):
    """Root of every error Biplomacy raises on purpose."""

    exit_code = 1
    http_status = 500


class InputError(BiplomacyError):
    """Something the user gave (a file, a flag, a body, a setting) is wrong; they can fix it."""

    exit_code = 2
    http_status = 422

    def __init__(self, message: str, *, field: str | None = None, issues: Sequence[Issue] = ()) -> None:
        super().__init__(message)
        self.field = field
        self.issues = tuple(issues)

    @classmethod
    def from_issues(cls, issues: Iterable[Issue], what: str = "input") -> InputError:
        found = list(issues)
        lines = "; ".join(str(i) for i in found[:20])
        more = f" (and {len(found) - 20} more)" if len(found) > 20 else ""
        return cls(f"{what} has {len(found)} problem(s): {lines}{more}", issues=found)


class UnitError(InputError):
    """Quantities of different units were mixed (MW + MWh, USD + PKR), or a float was given as money."""


class ConfigError(InputError):
    """The configuration (environment, biplomacy.toml, database URL) is wrong or unreachable."""


class StoreError(BiplomacyError):
    """The database failed in a way the user cannot fix by changing their input."""


class MigrationError(ConfigError):
    """The database is not at the schema this version needs; run `biplomacy db upgrade`."""


class NotFound(InputError):
    """A named thing (zone, wallet, proposal, entity) does not exist."""

    http_status = 404


class PermissionDenied(BiplomacyError):
    """The acting user's role may not do this."""

    exit_code = 2
    http_status = 403


class PolicyViolation(BiplomacyError):
    """A reserve policy rule refuses the action (e.g. IMF no-accumulation, US no-sale)."""

    exit_code = 2
    http_status = 409


class ChainError(BiplomacyError):
    """The chain source answered wrongly or not at all."""


class ClusterError(BiplomacyError):
    """The Dask cluster could not finish a job (a worker died more often than the retries allow, or the
    scheduler went away); nothing was written as if the job had finished."""

    http_status = 503


class InfeasibleError(InputError):
    """An optimisation problem has no solution; the message names the binding constraint."""
