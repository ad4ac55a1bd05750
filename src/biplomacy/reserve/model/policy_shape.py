"""The shape of a reserve policy with recovery paths, read from a descriptor and written back.

A reserve wallet with recovery paths is a miniscript descriptor of one of two shapes (Liana's, for a state):

    wsh(or_d(multi(M,P1,...,Pn),and_v(v:multi(m,R1,...,Rk),older(BLOCKS))))
    tr(H,{multi_a(M,P1,...,Pn),and_v(v:multi_a(m,R1,...,Rk),older(BLOCKS))})

the primary M-of-N spends at any time; a recovery m-of-k opens once a coin is BLOCKS blocks old (a relative
timelock, BIP-68/112). More recovery paths nest: `or_i(and_v(...),and_v(...))` in P2WSH, more leaves in the
taproot tree (`{primary,{recovery,recovery-2}}`). This module reads the text into paths (threshold, key texts,
timelock) and the tree that joins them, and writes the canonical text from paths (the policy designer). It
checks only the shape; descriptors.py checks the keys and BDK checks the miniscript.

Why a reader of our own rather than a general miniscript analyser: every part of the custody code (the PSBT of a
path, the signatures it takes, the witness size, the words on a backup sheet) must know which keys and which
timelock a path has; a general miniscript (thresh, hashes, and_b, absolute locks...) has spending conditions
this program could not show a signer in words nor check. Anything else is refused by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

NUMS_H = "50929b74c1a04954b78b4b6035e97a5e078a5a0f28ec96d547bfee9ace803ac0"
MAX_RELATIVE_BLOCKS = 0xFFFF  # BIP-68: a relative lock in blocks is the low 16 bits of nSequence
BLOCKS_PER_DAY = 144  # the 10-minute target spacing (Bitcoin whitepaper, 2008; consensus difficulty target)

SHAPES = ("wsh(or_d(multi(M,KEY,...),and_v(v:multi(m,KEY,...),older(BLOCKS)))) or tr(H,{multi_a(M,KEY,...),"
          "and_v(v:multi_a(m,KEY,...),older(BLOCKS))}) with more recovery paths as or_i(...) / more leaves")


@dataclass(frozen=True, slots=True)
class Call:
    """`name(arg,...)` in a descriptor."""

    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Branch:
    """`{left,right}`: a taproot tree's branch."""

    left: Node
    right: Node


Node: TypeAlias = Call | Branch | str
Tree: TypeAlias = int | tuple["Tree", "Tree"]  # indexes into the paths, joined as the script joins them


@dataclass(frozen=True, slots=True)
class RawPath:
    """One spending path as written: its threshold, its keys' texts, and its timelock (None: the primary)."""

    threshold: str
    keys: tuple[str, ...]
    older: str | None


@dataclass(frozen=True, slots=True)
class Shape:
    """A recovery-policy descriptor taken apart: paths in script order and the tree that joins them (P2WSH: the
    or_i nesting of the recovery paths under or_d; taproot: the tap tree)."""

    script_type: str  # "wsh" | "tr"
    internal_key: str | None
    paths: tuple[RawPath, ...]
    tree: Tree


class ShapeError(ValueError):
    """The text is not a policy of the shapes above (the message says which part)."""


def parse(text: str) -> Node:
    """The call tree of a descriptor body (no checksum); ShapeError on unbalanced or empty parts."""
    node, pos = _node(text, 0)
    if pos != len(text):
        raise ShapeError(f"unexpected {text[pos:pos + 20]!r} after the descriptor")
    return node


def _node(text: str, pos: int) -> tuple[Node, int]:
    if text.startswith("{", pos):
        left, pos = _node(text, pos + 1)
        if not text.startswith(",", pos):
            raise ShapeError("a taproot branch {A,B} needs two parts")
        right, pos = _node(text, pos + 1)
        if not text.startswith("}", pos):
            raise ShapeError("a taproot branch {A,B} is not closed")
        return Branch(left, right), pos + 1
    end = pos
    while end < len(text) and text[end] not in "(),{}":
        end += 1
    word = text[pos:end]
    if not word:
        raise ShapeError("an empty part in the descriptor")
    if not text.startswith("(", end):
        return word, end
    args: list[Node] = []
    pos = end + 1
    while True:
        arg, pos = _node(text, pos)
        args.append(arg)
        if text.startswith(",", pos):
            pos += 1
        elif text.startswith(")", pos):
            return Call(word, tuple(args)), pos + 1
        else:
            raise ShapeError(f"{word}(...) is not closed")


def _atoms(args: tuple[Node, ...], what: str) -> tuple[str, ...]:
    if not all(isinstance(a, str) for a in args):
        raise ShapeError(f"{what} takes a number and keys, not expressions")
    return tuple(a for a in args if isinstance(a, str))


def _multi(node: Node, name: str) -> RawPath | None:
    if isinstance(node, Call) and node.name == name and len(node.args) >= 2:
        atoms = _atoms(node.args, name)
        return RawPath(atoms[0], atoms[1:], None)
    return None


def _timelocked(node: Node, multi: str) -> RawPath:
    """`and_v(v:multi(m,...),older(N))` (or multi_a), the one form a recovery path takes."""
    if (isinstance(node, Call) and node.name == "and_v" and len(node.args) == 2
            and isinstance(node.args[1], Call) and node.args[1].name == "older" and len(node.args[1].args) == 1):
        inner = _multi(node.args[0], f"v:{multi}")
        older = node.args[1].args[0]
        if inner is not None and isinstance(older, str):
            return RawPath(inner.threshold, inner.keys, older)
    name = node.name if isinstance(node, Call) else str(node)[:30]
    if isinstance(node, Call) and node.name == "and_v" and node.args and isinstance(node.args[0], Call):
        name = node.args[0].name
    hint = (" (a one-key path is multi(1,KEY))" if name in ("pk", "pkh", "v:pk", "v:pkh", "and_v") else
            " (absolute locks, hashes and thresh are not reserve policies)")
    raise ShapeError(f"a recovery path must be and_v(v:{multi}(m,KEY,...),older(BLOCKS)); found {name}(...){hint}")


def _wsh_recoveries(node: Node, paths: list[RawPath]) -> Tree:
    if isinstance(node, Call) and node.name == "or_i" and len(node.args) == 2:
        return (_wsh_recoveries(node.args[0], paths), _wsh_recoveries(node.args[1], paths))
    paths.append(_timelocked(node, "multi"))
    return len(paths) - 1


def _tap_leaves(node: Node, paths: list[RawPath]) -> Tree:
    if isinstance(node, Branch):
        return (_tap_leaves(node.left, paths), _tap_leaves(node.right, paths))
    primary = _multi(node, "multi_a")
    paths.append(primary if primary is not None else _timelocked(node, "multi_a"))
    return len(paths) - 1


def read(body: str) -> Shape:
    """The paths of a recovery-policy descriptor body; ShapeError naming the part that is not such a policy."""
    root = parse(body)
    paths: list[RawPath] = []
    if isinstance(root, Call) and root.name == "wsh" and len(root.args) == 1:
        top = root.args[0]
        if not (isinstance(top, Call) and top.name == "or_d" and len(top.args) == 2):
            raise ShapeError(f"expected {SHAPES}")
        primary = _multi(top.args[0], "multi")
        if primary is None:
            raise ShapeError("the primary path (or_d's first part) must be multi(M,KEY,...): miniscript has no "
                             "sortedmulti inside a policy")
        paths.append(primary)
        tree: Tree = (0, _wsh_recoveries(top.args[1], paths))
        return Shape("wsh", None, tuple(paths), tree)
    if isinstance(root, Call) and root.name == "tr" and len(root.args) == 2 and isinstance(root.args[0], str):
        tree = _tap_leaves(root.args[1], paths)
        primaries = [p for p in paths if p.older is None]
        if len(primaries) != 1:
            raise ShapeError(f"a taproot policy has exactly one leaf without a timelock (the primary "
                             f"multi_a(M,...)); this one has {len(primaries)}")
        return Shape("tr", root.args[0], tuple(paths), tree)
    raise ShapeError(f"expected {SHAPES}")


def path_names(shape_paths: tuple[RawPath, ...] | list[RawPath], timelocks: list[int | None]) -> list[str]:
    """`primary`, then `recovery`, `recovery-2`, ... by increasing timelock (ties in script order)."""
    order = sorted((t, i) for i, t in enumerate(timelocks) if t is not None)
    names = ["primary"] * len(shape_paths)
    for rank, (_, i) in enumerate(order, start=1):
        names[i] = "recovery" if rank == 1 else f"recovery-{rank}"
    return names


def render(script_type: str, paths: list[RawPath]) -> str:
    """The canonical descriptor body of a primary path and recovery paths (the designer's output): the primary
    first, recovery paths by increasing timelock, nested to the right (P2WSH or_i; taproot leaves, the primary
    at depth 1 so that its everyday spend is the cheapest)."""
    primary = next(p for p in paths if p.older is None)
    recoveries = sorted((p for p in paths if p.older is not None), key=lambda p: int(p.older or 0))
    multi = "multi_a" if script_type == "tr" else "multi"

    def leaf(p: RawPath) -> str:
        return f"and_v(v:{multi}({p.threshold},{','.join(p.keys)}),older({p.older}))"

    def nest(items: list[str], pair: str) -> str:
        return items[0] if len(items) == 1 else pair.format(items[0], nest(items[1:], pair))

    head = f"{multi}({primary.threshold},{','.join(primary.keys)})"
    rest = [leaf(p) for p in recoveries]
    if script_type == "tr":
        return f"tr({NUMS_H},{{{head},{nest(rest, '{{{},{}}}')}}})"
    return f"wsh(or_d({head},{nest(rest, 'or_i({},{})')}))"


def timelock_words(blocks: int) -> str:
    """'52,560 blocks (about 365 days)': the 10-minute spacing is a target; real days vary."""
    days = blocks / BLOCKS_PER_DAY
    about = f"{days:,.0f} days" if days >= 2 else f"{blocks * 10 / 60:,.0f} hours"
    return f"{blocks:,} blocks (about {about})"
