"""Whatever the signature text, verification answers valid/invalid/inconclusive with a reason; it never raises."""

import base64

from hypothesis import given, settings
from hypothesis import strategies as st

from biplomacy.reserve.bip322 import message as bip322

ADDRESSES = ["bc1q9vza2e8x573nczrlzms0wvx3gsqjx7vavgkx0l", "1PgwDB9w9vKjqhXMaqDiZyktC4x2eC7Wkw",
             "bc1p9cyuceaazr8cz46mvgkzl94wy397mwpqsrk84su37t72jvkg6wzqv52nfp", "37HVPoc7ZsU5C9Z2VKcCkSLzEknYXCzm3s",
             "bc1qa8xp82hejuydq8d9yc44s662ras5ncr98gxz3n53s6vklwgrczrqc4fqtn"]


@settings(max_examples=150, deadline=None)
@given(address=st.sampled_from(ADDRESSES), prefix=st.sampled_from(["", "smp", "ful", "pof"]),
       body=st.one_of(st.binary(max_size=300), st.binary(max_size=200).map(lambda b: b"psbt\xff" + b)))
def test_random_signatures_are_judged_not_raised(address, prefix, body):
    r = bip322.verify(address, "m", prefix + base64.b64encode(body).decode())
    assert r.result in ("valid", "invalid", "inconclusive")
    assert r.valid == (r.result == "valid") and (r.valid or r.reason)


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=120))
def test_random_text_as_signature_or_address_is_judged_not_raised(text):
    assert bip322.verify(ADDRESSES[0], "m", text).valid is False
    assert bip322.verify(text, "m", "smpAA==").valid is False


# Opcodes the script interpreter knows, and a few it does not, so random scripts reach every branch.
OPCODES = [0x00, 0x4F, 0x51, 0x52, 0x60, 0x61, 0x63, 0x64, 0x67, 0x68, 0x69, 0x6A, 0x75, 0x76, 0x82, 0x87, 0x88,
           0xA6, 0xA8, 0xA9, 0xAA, 0xAB, 0xAC, 0xAD, 0xAE, 0xAF, 0xB1, 0xB2, 0xB3, 0xBA, 0x50]
SCRIPTS = st.lists(st.one_of(st.sampled_from(OPCODES).map(lambda op: bytes([op])),
                             st.binary(min_size=1, max_size=40).map(lambda b: bytes([len(b)]) + b),
                             st.binary(max_size=4)), max_size=12).map(b"".join)


@settings(max_examples=200, deadline=None)
@given(script=SCRIPTS, stack=st.lists(st.binary(max_size=73), max_size=4), locktime=st.integers(0, 2**32 - 1),
       sequence=st.integers(0, 2**32 - 1), version=st.sampled_from([0, 2]))
def test_random_witness_scripts_are_judged_not_raised(script, stack, locktime, sequence, version):
    from embit.networks import NETWORKS
    from embit.script import Script, Witness, p2wsh

    spk = p2wsh(Script(script))
    tx = bip322.to_sign(bip322.to_spend(b"m", spk), Witness([*stack, script]))
    tx.version, tx.locktime, tx.vin[0].sequence = version, locktime, sequence
    r = bip322.verify(spk.address(NETWORKS["main"]), "m", "ful" + base64.b64encode(tx.serialize()).decode())
    assert r.result in ("valid", "invalid", "inconclusive")
    assert r.valid == (r.result == "valid") and (r.valid or r.reason)
    assert (r.valid_at is not None) == (r.valid and bool(locktime or sequence))
