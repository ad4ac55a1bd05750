"""Re-verify a Biplomacy audit export with nothing but Python: `python verify_audit.py audit.jsonl`."""

import hashlib
import json
import sys


def h(obj):
    return hashlib.sha256(json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()).hexdigest()


prev, expected = "0" * 64, 1
for line in open(sys.argv[1], encoding="utf-8"):
    e = json.loads(line)
    payload_ok = hashlib.sha256(e["payload"].encode()).hexdigest() == e["payload_hash"]
    own = h([e["seq"], e["at"], e["actor"], e["action"], e["subject"], e["payload_hash"], e["prev_hash"]])
    if e["seq"] != expected or not payload_ok or e["prev_hash"] != prev or own != e["hash"]:
        sys.exit(f"BROKEN at entry {expected} (found seq {e['seq']})")
    prev, expected = e["hash"], expected + 1
print(f"OK: {expected - 1} entries, head {prev}")
