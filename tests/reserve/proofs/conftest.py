"""Fixtures of the proof tests: the custody tests' five embit signers from fixed seeds and their descriptors."""

from tests.reserve.custody.conftest import cold_descriptor, signers, treasury_descriptor  # noqa: F401
