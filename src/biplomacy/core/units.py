"""Exact, typed quantities: sats, BTC, money, power, energy, hashrate, efficiency and difficulty.

Money and BTC never pass through a float. Power and hashrate are model quantities (float is fine), but
they still carry their unit so that MW and MWh, or H/s and TH/s, cannot be mixed by accident.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from biplomacy.core.errors import InputError, UnitError

SATS_PER_BTC = 100_000_000
MAX_SATS = 21_000_000 * SATS_PER_BTC

_ISO_CURRENCY = re.compile(r"^[A-Z]{3}$")


def _decimal(value: Any, what: str) -> Decimal:
    """Turn a user's value into a Decimal, refusing floats (they are not exact)."""
    if isinstance(value, bool):
        raise InputError(f"{what}: expected a decimal number, got a boolean", field=what)
    if isinstance(value, float):
        raise UnitError(f"{what}: floats are not exact; pass a str, int or Decimal")
    if isinstance(value, Decimal):
        d = value
    elif isinstance(value, (int, str)):
        try:
            d = Decimal(str(value).strip().replace(",", "").replace("_", ""))
        except InvalidOperation:
            raise InputError(f"{what}: {value!r} is not a decimal number", field=what) from None
    else:
        raise InputError(f"{what}: expected a decimal number, got {type(value).__name__}", field=what)
    if not d.is_finite():
        raise InputError(f"{what}: {value!r} is not a finite number", field=what)
    return d


@dataclass(frozen=True, order=True, slots=True)
class Sats:
    """An integer number of satoshis (1e-8 BTC)."""

    value: int

    def __post_init__(self) -> None:
        if isinstance(self.value, bool) or not isinstance(self.value, int):
            raise UnitError(f"Sats must be an int, got {type(self.value).__name__}")

    def __add__(self, other: object) -> Sats:
        if not isinstance(other, Sats):
            raise UnitError(f"cannot add {type(other).__name__} to Sats")
        return Sats(self.value + other.value)

    def __sub__(self, other: object) -> Sats:
        if not isinstance(other, Sats):
            raise UnitError(f"cannot subtract {type(other).__name__} from Sats")
        return Sats(self.value - other.value)

    def __mul__(self, k: object) -> Sats:
        if isinstance(k, bool) or not isinstance(k, int):
            raise UnitError("Sats can only be multiplied by an int")
        return Sats(self.value * k)

    __rmul__ = __mul__

    def __neg__(self) -> Sats:
        return Sats(-self.value)

    def __int__(self) -> int:
        return self.value

    @property
    def btc(self) -> Btc:
        return Btc(Decimal(self.value) / SATS_PER_BTC)

    def __str__(self) -> str:
        return f"{self.value} sat"


@dataclass(frozen=True, order=True, slots=True)
class Btc:
    """An exact amount of bitcoin; at most 8 decimal places when turned into sats."""

    amount: Decimal

    def __post_init__(self) -> None:
        object.__setattr__(self, "amount", _decimal(self.amount, "BTC amount"))

    @classmethod
    def parse(cls, text: str | int | Decimal, field: str = "amount") -> Btc:
        """Parse a user's BTC amount ("0.5", "1 BTC", "150000 sat")."""
        raw = str(text).strip()
        low = raw.lower()
        if low.endswith(("sat", "sats")):
            number = low.removesuffix("sats").removesuffix("sat").strip()
            try:
                return Sats(int(number)).btc
            except ValueError:
                raise InputError(f"{field}: {raw!r} is not a whole number of sats", field=field) from None
        if low.endswith("btc"):
            raw = raw[:-3].strip()
        try:
            amount = _decimal(raw, field)
        except UnitError as exc:
            raise InputError(str(exc), field=field) from None
        if amount.as_tuple().exponent < -8:  # type: ignore[operator]
            raise InputError(f"{field}: {text!r} has more than 8 decimal places (1 sat = 0.00000001 BTC)", field=field)
        return cls(amount)

    @property
    def sats(self) -> Sats:
        q = self.amount * SATS_PER_BTC
        if q != q.to_integral_value():
            raise UnitError(f"{self.amount} BTC is not a whole number of sats")
        return Sats(int(q))

    def __add__(self, other: object) -> Btc:
        if not isinstance(other, Btc):
            raise UnitError(f"cannot add {type(other).__name__} to Btc")
        return Btc(self.amount + other.amount)

    def __sub__(self, other: object) -> Btc:
        if not isinstance(other, Btc):
            raise UnitError(f"cannot subtract {type(other).__name__} from Btc")
        return Btc(self.amount - other.amount)

    def __str__(self) -> str:
        return f"{self.amount.normalize():f} BTC"


@dataclass(frozen=True, order=False, slots=True)
class Money:
    """An exact amount in one ISO 4217 currency. Adding PKR to USD raises."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "amount", _decimal(self.amount, "money amount"))
        cur = str(self.currency).upper()
        if not _ISO_CURRENCY.match(cur):
            raise InputError(f"currency: {self.currency!r} is not an ISO 4217 code like USD or PKR", field="currency")
        object.__setattr__(self, "currency", cur)

    @classmethod
    def parse(cls, text: str, field: str = "amount") -> Money:
        """Parse "USD 1,500.25" or "1500.25 PKR"."""
        parts = str(text).split()
        if len(parts) != 2:
            raise InputError(f"{field}: {text!r} should look like 'USD 1500' or '1500 PKR'", field=field)
        a, b = parts
        cur, num = (a, b) if _ISO_CURRENCY.match(a.upper()) and not a[0].isdigit() else (b, a)
        return cls(_decimal(num, field), cur)

    def _same(self, other: object, op: str) -> Money:
        if not isinstance(other, Money):
            raise UnitError(f"cannot {op} {type(other).__name__} and Money")
        if other.currency != self.currency:
            raise UnitError(f"cannot {op} {self.currency} and {other.currency}; convert first")
        return other

    def __add__(self, other: object) -> Money:
        o = self._same(other, "add")
        return Money(self.amount + o.amount, self.currency)

    def __sub__(self, other: object) -> Money:
        o = self._same(other, "subtract")
        return Money(self.amount - o.amount, self.currency)

    def __mul__(self, k: object) -> Money:
        if isinstance(k, (Money, float, bool)) or not isinstance(k, (int, Decimal)):
            raise UnitError("Money can only be multiplied by an int or a Decimal")
        return Money(self.amount * k, self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: object) -> bool:
        return self.amount < self._same(other, "compare").amount

    def __le__(self, other: object) -> bool:
        return self.amount <= self._same(other, "compare").amount

    def convert(self, rate: Decimal, to: str) -> Money:
        """Convert at `rate` units of `to` per one unit of this currency."""
        return Money(self.amount * _decimal(rate, "exchange rate"), to)

    def quantize(self, places: int = 2) -> Money:
        return Money(self.amount.quantize(Decimal(1).scaleb(-places)), self.currency)

    def __str__(self) -> str:
        return f"{self.currency} {self.amount:,f}"


class _Scalar:
    """A float quantity tagged with its unit; only same-unit addition and comparison are allowed."""

    __slots__ = ("value",)
    unit = ""

    def __init__(self, value: float | int) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise UnitError(f"{type(self).__name__} takes a number, got {type(value).__name__}")
        if value != value:  # NaN
            raise InputError(f"{type(self).__name__}: NaN is not a quantity")
        self.value = float(value)

    def _check(self, other: object, op: str) -> _Scalar:
        if type(other) is not type(self):
            raise UnitError(f"cannot {op} {type(other).__name__} and {type(self).__name__}")
        return other  # type: ignore[return-value]

    def __add__(self, other: object) -> Any:
        return type(self)(self.value + self._check(other, "add").value)

    def __sub__(self, other: object) -> Any:
        return type(self)(self.value - self._check(other, "subtract").value)

    def __mul__(self, k: object) -> Any:
        if isinstance(k, _Scalar) or isinstance(k, bool) or not isinstance(k, (int, float)):
            raise UnitError(f"{type(self).__name__} can only be scaled by a plain number")
        return type(self)(self.value * k)

    __rmul__ = __mul__

    def __truediv__(self, other: object) -> Any:
        if type(other) is type(self):
            return self.value / other.value  # type: ignore[attr-defined]
        if isinstance(other, (int, float)) and not isinstance(other, bool):
            return type(self)(self.value / other)
        raise UnitError(f"cannot divide {type(self).__name__} by {type(other).__name__}")

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self.value == other.value  # type: ignore[attr-defined]

    def __lt__(self, other: object) -> bool:
        return self.value < self._check(other, "compare").value

    def __le__(self, other: object) -> bool:
        return self.value <= self._check(other, "compare").value

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.value))

    def __float__(self) -> float:
        return self.value

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.value!r})"

    def __str__(self) -> str:
        return f"{self.value:g} {self.unit}"


class MW(_Scalar):
    """Power in megawatts."""

    unit = "MW"

    def over_hours(self, hours: float) -> MWh:
        return MWh(self.value * hours)


class MWh(_Scalar):
    """Energy in megawatt-hours."""

    unit = "MWh"


class JPerTH(_Scalar):
    """ASIC efficiency in joules per terahash."""

    unit = "J/TH"

    def __init__(self, value: float | int) -> None:
        super().__init__(value)
        if self.value <= 0:
            raise InputError(f"J/TH must be positive, got {value}", field="j_per_th")


_SI = {"": 1.0, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18, "Z": 1e21}
_HASHRATE = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([kKMGTPEZ]?)\s*(?:H/?S)?\s*$", re.I)
_DIFFICULTY = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([kKMGTPEZ]?)\s*$")


class Hashrate(_Scalar):
    """Hashes per second. `Hashrate.parse("100EH/s")` is 1e20 H/s."""

    unit = "H/s"

    @classmethod
    def parse(cls, text: str | float, field: str = "hashrate") -> Hashrate:
        if isinstance(text, (int, float)) and not isinstance(text, bool):
            value = float(text)
        else:
            m = _HASHRATE.match(str(text))
            if not m:
                raise InputError(f"{field}: {text!r} is not a hashrate like '100EH/s' or '250 PH/s'", field=field)
            value = float(m.group(1)) * _SI[m.group(2).upper()]
        if value <= 0:
            raise InputError(f"{field}: hashrate must be positive, got {text!r}", field=field)
        return cls(value)

    @property
    def eh_s(self) -> float:
        return self.value / 1e18

    def __str__(self) -> str:
        return f"{self.eh_s:,.3f} EH/s"


class Difficulty(_Scalar):
    """Bitcoin mining difficulty. `Difficulty.parse("148.26T")` is 1.4826e14."""

    unit = ""

    @classmethod
    def parse(cls, text: str | float, field: str = "difficulty") -> Difficulty:
        if isinstance(text, (int, float)) and not isinstance(text, bool):
            value = float(text)
        else:
            m = _DIFFICULTY.match(str(text))
            if not m:
                raise InputError(f"{field}: {text!r} is not a difficulty like '148.26T'", field=field)
            value = float(m.group(1)) * _SI[m.group(2).upper()]
        if value <= 0:
            raise InputError(f"{field}: difficulty must be positive, got {text!r}", field=field)
        return cls(value)

    def __str__(self) -> str:
        return f"{self.value / 1e12:,.2f} T"


def power_for(hashrate: Hashrate, efficiency: JPerTH) -> MW:
    """Electrical power a fleet of `efficiency` draws to deliver `hashrate` (before cooling overhead)."""
    return MW(hashrate.value / 1e12 * efficiency.value / 1e6)


def hashrate_for(power: MW, efficiency: JPerTH) -> Hashrate:
    """Hashrate that `power` buys at `efficiency`."""
    return Hashrate(power.value * 1e6 / efficiency.value * 1e12)
