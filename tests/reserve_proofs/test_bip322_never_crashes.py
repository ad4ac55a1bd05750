"""Whatever the signature text, verification answers valid/invalid/inconclusive with a reason; it never raises."""

import base64

from hypothesis import given, settings
from hypothesis import strategies as st

from biplomacy.reserve import bip322

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
