"""Taproot script-path spends of reserve wallets (BIP-341/342, BIP-371): tr(H, multi_a(M, keys)) with one leaf, or a
policy with recovery paths whose tree has one leaf per path (the primary multi_a, each recovery path's
and_v(v:multi_a(m, keys), older(N))).

embit compiles the leaves, walks the tree for each leaf's merkle path, writes and parses the PSBT taproot input
fields, computes the BIP-341 sighash and checks Schnorr signatures; BDK's finaliser builds a spend's witness.
Written here because embit 0.8 lacks them (docs/adr/0009-taproot-spend-on-embit.md): the control block (leaf
version with the output key's parity, which embit's taproot_tweak drops, the internal key, the merkle path),
PSBT_OUT_TAP_TREE (BIP-371 type 0x06, which embit keeps as an unknown field), reading a multi_a leaf back (the
rehearsal chain's "too few signatures", a statement's signers) and the multi_a witness of a reserve statement
(statement.py finalises its PSBT by hand)."""

from __future__ import annotations

from dataclasses import dataclass

from embit import compact, ec, hashes
from embit.descriptor import Descriptor as EmbitDescriptor
from embit.descriptor.taptree import _tweak_helper
from embit.psbt import DerivationPath, InputScope, OutputScope
from embit.script import Script
from embit.transaction import Transaction
from embit.util import secp256k1

from biplomacy.reserve.model.descriptors import NUMS_H, KeyAt, WalletDescriptor
from biplomacy.reserve.model.policy_shape import Tree

LEAF_VERSION = 0xC0  # BIP-342 tapscript
PSBT_OUT_TAP_TREE = b"\x06"  # BIP-371
SIGHASH_DEFAULT, SIGHASH_ALL = 0, 1
SIGNATURE_VBYTES = 66  # a witness item of a 65-byte Schnorr signature (SIGHASH_ALL; DEFAULT is one byte less)


@dataclass(frozen=True, slots=True)
class TapLeaf:
    """One script leaf of a wallet's output at (index, change), and what proves it is in the output key."""

    script: bytes
    leaf_hash: bytes  # TapLeaf tagged hash
    control_block: bytes  # leaf version | parity of the output key, the internal key H, then the merkle path
    keys: tuple[KeyAt, ...]  # in script order
    root: bytes = b""  # the tree's merkle root (with one leaf: the leaf hash)

    @property
    def merkle_root(self) -> bytes:
        return self.root or self.leaf_hash

    @property
    def depth(self) -> int:
        return (len(self.control_block) - 33) // 32


def internal_key() -> ec.PublicKey:
    return ec.PublicKey.from_xonly(bytes.fromhex(NUMS_H))


def _parity(root: bytes) -> int:
    """Q = H + TapTweak(H || root)·G, kept with its parity (embit's taproot_tweak returns it x-only, parity lost)."""
    h = internal_key().xonly()
    q = secp256k1.ec_pubkey_serialize(secp256k1.ec_pubkey_add(secp256k1.ec_pubkey_parse(b"\x02" + h),
                                                              hashes.tagged_hash("TapTweak", h + root)))
    return q[0] & 1


def tap_leaves(wallet: WalletDescriptor, index: int, change: bool) -> dict[str, TapLeaf]:
    """Every leaf of the wallet's tap tree at one index, by the name of the path it spends (a plain multisig:
    its one leaf, "primary"). embit compiles the leaves and walks the tree for each one's merkle path."""
    if not wallet.has_recovery:
        desc = EmbitDescriptor.from_string(wallet.leaf_descriptor(index, change))
        script = bytes(desc.taptree.tree.miniscript.compile())
        root = bytes(desc.taptree.tweak())
        return {"primary": TapLeaf(script, root, bytes([LEAF_VERSION | _parity(root)]) + internal_key().xonly(),
                                   tuple(wallet.keys_at(index, change)), root)}
    derived = wallet.embit_policy.derive(index, branch_index=int(change))
    leaves, root = _tweak_helper(derived.taptree.tree)  # [(leaf, merkle path)] in the tree's order, the root
    order = _leaf_order(wallet.tree)
    out = {}  # in the tree's (depth-first) order
    for (leaf, merkle_path), path_index in zip(leaves, order, strict=True):
        path = wallet.paths[path_index]
        script = bytes(leaf.miniscript.compile())
        control = bytes([LEAF_VERSION | _parity(bytes(root))]) + internal_key().xonly() + bytes(merkle_path)
        out[path.name] = TapLeaf(script, hashes.tagged_hash("TapLeaf", leaf.serialize()), control,
                                 tuple(wallet.path_keys_at(path, index, change)), bytes(root))
    return out


def _leaf_order(tree: Tree) -> list[int]:
    return [tree] if isinstance(tree, int) else [i for t in tree for i in _leaf_order(t)]


def tap_leaf(wallet: WalletDescriptor, index: int, change: bool, path: str = "primary") -> TapLeaf:
    """The leaf of one path (default the primary, the M-of-N), its hash and control block at one index."""
    return tap_leaves(wallet, index, change)[path]


def _derivations(leaves: list[TapLeaf]) -> dict[ec.PublicKey, tuple[list[bytes], DerivationPath]]:
    out: dict[ec.PublicKey, tuple[list[bytes], DerivationPath]] = {}
    for leaf in leaves:
        for k in leaf.keys:
            pub = ec.PublicKey.from_xonly(k.pubkey[1:])
            hashes_ = out[pub][0] if pub in out else []
            out[pub] = ([*hashes_, leaf.leaf_hash], DerivationPath(bytes.fromhex(k.fingerprint), k.path))
    return out


def fill_input(scope: InputScope, wallet: WalletDescriptor, index: int, change: bool, path: str = "primary") -> None:
    """BIP-371 input fields a signer needs for one path's script leaf: leaf + control block, that path's keys, the
    internal key and the tree's root (signers sign that leaf only)."""
    leaf = tap_leaf(wallet, index, change, path)
    scope.taproot_scripts[leaf.control_block] = leaf.script + bytes([LEAF_VERSION])
    scope.taproot_bip32_derivations = _derivations([leaf])
    scope.taproot_internal_key = internal_key()
    scope.taproot_merkle_root = leaf.merkle_root


def fill_output(scope: OutputScope, wallet: WalletDescriptor, index: int) -> None:
    """BIP-371 change output fields, so that a signer recognises the change as the wallet's own: every leaf of
    the tree (PSBT_OUT_TAP_TREE: depth, leaf version, script, in the tree's order) and every key."""
    in_order = list(tap_leaves(wallet, index, True).values())  # built in the tree's order
    scope.taproot_internal_key = internal_key()
    scope.taproot_bip32_derivations = _derivations(in_order)
    tree = b"".join(bytes([leaf.depth, LEAF_VERSION]) + compact.to_bytes(len(leaf.script)) + leaf.script
                    for leaf in in_order)
    # a new dict: embit's scopes share one default `unknown` dict, which an in-place write would change for all
    scope.unknown = {**scope.unknown, PSBT_OUT_TAP_TREE: tree}


def coin_path(scope: InputScope) -> list[int]:
    """The BIP-32 path of the coin an input spends, from its first key's taproot derivation."""
    return list(next(iter(scope.taproot_bip32_derivations.values()))[1].derivation)


def estimate_witness(m: int, n: int) -> int:
    """Bytes of a multi_a script-path witness: M signatures, N - M empty pushes, the leaf and the control block."""
    push_m = 1 if m <= 16 else 1 + (m.bit_length() + 8) // 8
    script = 34 * n + push_m + 1
    return len(compact.to_bytes(n + 2)) + m * SIGNATURE_VBYTES + (n - m) + len(compact.to_bytes(script)) + script + 34


def signature_check(tx: Transaction, i: int, spks: list[Script], values: list[int], leaf: TapLeaf, pub: bytes,
                    leaf_hash: bytes, sig: bytes) -> str | None:
    """Why one PSBT_IN_TAP_SCRIPT_SIG of input `i` is not a valid signature of the leaf, or None when it is."""
    if leaf_hash != leaf.leaf_hash:
        return "is for another script leaf than this wallet's"
    if len(sig) == 65 and sig[-1] == SIGHASH_ALL:
        hashtype = SIGHASH_ALL
    elif len(sig) == 64:
        hashtype = SIGHASH_DEFAULT
    else:
        return "is not a 64-byte SIGHASH_DEFAULT or 65-byte SIGHASH_ALL Schnorr signature"
    msg = tx.sighash_taproot(i, spks, values, sighash=hashtype, ext_flag=1, script=Script(leaf.script),
                             leaf_version=LEAF_VERSION)
    try:
        ok = ec.PublicKey.from_xonly(pub).schnorr_verify(ec.SchnorrSig.parse(sig[:64]), msg)
    except Exception:  # noqa: BLE001 - embit raises several kinds for a malformed signature
        ok = False
    return None if ok else "does not verify (corrupted, or made for another transaction)"


def leaf_of(scope: InputScope) -> tuple[bytes, bytes]:
    """(control block, leaf script) of a PSBT input with one tapscript leaf; ValueError otherwise."""
    if len(scope.taproot_scripts) != 1:
        raise ValueError("a taproot input of a reserve wallet has exactly one script leaf")
    (control, leaf_v), = scope.taproot_scripts.items()
    if leaf_v[-1:] != bytes([LEAF_VERSION]):
        raise ValueError("the leaf is not a tapscript (leaf version 0xc0)")
    return bytes(control), bytes(leaf_v[:-1])


def witness(control: bytes, script: bytes, sigs: dict[bytes, bytes]) -> list[bytes]:
    """The script-path witness of a multi_a leaf from signatures by x-only key: for each key in script order its
    signature (the first M) or an empty push, reversed because the first CHECKSIG reads the top of the stack,
    then the leaf and the control block. ValueError with fewer than M signatures."""
    parsed = parse_multi_a(script)
    if parsed is None:
        raise ValueError("the leaf is not a multi_a script")
    m, keys = parsed
    chosen = [k for k in keys if k in sigs][:m]
    if len(chosen) < m:
        raise ValueError(f"{len(chosen)} of {m} signatures")
    return [sigs[k] if k in chosen else b"" for k in keys][::-1] + [script, control]


def signers_of(items: list[bytes]) -> list[bytes]:
    """The x-only keys with a (non-empty) signature in a multi_a script-path witness, in script order."""
    parsed = parse_multi_a(items[-2]) if len(items) >= 3 else None
    if parsed is None or len(items) - 2 != len(parsed[1]):
        return []
    args = items[:-2][::-1]
    return [k for k, sig in zip(parsed[1], args, strict=True) if sig]


def parse_multi_a(script: bytes) -> tuple[int, list[bytes]] | None:
    """(M, x-only keys) of a `<k1> CHECKSIG <k2> CHECKSIGADD ... <M> NUMEQUAL` leaf, or None for another script."""
    keys: list[bytes] = []
    pos = 0
    while pos + 34 <= len(script) and script[pos] == 0x20:
        opcode = script[pos + 33]
        if opcode != (0xAC if not keys else 0xBA):
            return None
        keys.append(script[pos + 1:pos + 33])
        pos += 34
    rest = script[pos:]
    if not keys or not rest or rest[-1] != 0x9C:
        return None
    push = rest[:-1]
    if len(push) == 1 and 0x51 <= push[0] <= 0x60:
        m = push[0] - 0x50
    elif len(push) >= 2 and push[0] == len(push) - 1 and push[-1] & 0x80 == 0:
        m = int.from_bytes(push[1:], "little")
    else:
        return None
    return (m, keys) if 1 <= m <= len(keys) else None
