"""LEIs (ISO 17442): real ones pass the MOD 97-10 check, one changed character fails it."""

import pytest

from biplomacy.core.lei import lei_check_digits, lei_problem

REAL_LEIS = {
    "5493001KJTIIGC8Y1R12": "Bloomberg Finance L.P.",
    "7LTWFZYICNSX8D621K86": "Deutsche Bank AG",
    "HWUPKR0MPOU8FGXBT394": "Apple Inc.",
}


@pytest.mark.parametrize("lei", sorted(REAL_LEIS))
def test_real_leis_pass_the_checksum(lei: str) -> None:
    assert lei_problem(lei) is None
    assert lei_check_digits(lei[:18]) == lei[18:]


@pytest.mark.parametrize("lei", ["5493001KJTIIGC8Y1R13", "5493001KJTIIGC8Y1R21", "7LTWFZYICNSX8D621K68"])
def test_a_changed_or_swapped_digit_fails_the_checksum(lei: str) -> None:
    assert "check digits" in str(lei_problem(lei))


@pytest.mark.parametrize("lei", ["", "5493001KJTIIGC8Y1R1", "5493001kjtiigc8y1r12", "5493001KJTIIGC8Y1RAB"])
def test_malformed_leis_are_named(lei: str) -> None:
    assert "20 characters" in str(lei_problem(lei))
