"""JSON bodies: list every leaf as a field and rebuild with replaced leaves, structure intact.

Two documents:

* ``JsonTextDoc`` — JSON given as text. Parsed with the C decoder (objects kept as tuples of
  pairs, so duplicate keys are all seen; numbers kept as their exact text). Rebuilding splices new
  string tokens into the original text, so whitespace, key order, duplicate keys and number
  formatting of everything untouched stay byte-for-byte the same. Nesting too deep for the C
  decoder (it recurses) falls back to an iterative tokenizer.
* ``JsonObjDoc`` — JSON-like Python objects (dict/list/tuple/str/numbers). Walked iteratively;
  rebuilding copies only the containers on the path to a replaced leaf, never mutating the input.

A string leaf that is itself a JSON object or array is walked too (``body$.a<json>$.b``) and
re-serialised when one of its leaves changes.

Integers are fields (their JSON text); numbers with a fraction or an exponent are not. No detector
reports anything in a float (digits after a decimal point are no card, SSN or phone number, and no
secret is written as one), and vector-DB upserts and embeddings hold a hundred thousand of them per
megabyte: an array of floats costs one type check, not a field per item. A float is never rewritten.

Every distinct object key of a document is a field too (``is_key``), placed before the first value
it names; replacing it renames each of its occurrences, keeping keys unique within their object.
"""

from __future__ import annotations

import copy
import enum
import json
import re
from collections.abc import Callable
from typing import Any

from .body_fields import NOT_INSPECTABLE, TOO_LARGE, BodyNotInspectable, Field, key_segment, unique_names

# Locations deeper than this keep their head and show the rest as JSONPath recursive descent.
_LOC_DEPTH = 48
# How many levels of "JSON inside a JSON string" are walked.
NESTED_JSON_LEVELS = 3


class Limits:
    """Settings of one parse: work limits (all nested documents draw on the same counters) and
    the key texts to write by position in locations (``hidden``)."""

    __slots__ = ("hidden", "max_depth", "nodes_left")

    def __init__(self, max_depth: int, max_nodes: int, hidden: frozenset[str] = frozenset()) -> None:
        self.max_depth = max_depth
        self.nodes_left = max_nodes
        self.hidden = hidden

    def too_deep(self) -> BodyNotInspectable:
        return BodyNotInspectable(NOT_INSPECTABLE, f"JSON nesting deeper than {self.max_depth} levels")

    def spend(self, n: int) -> None:
        self.nodes_left -= n
        if self.nodes_left < 0:
            raise BodyNotInspectable(TOO_LARGE, "JSON body has too many nodes to inspect")


# String and number tokens of JSON text, in document order (literals true/false/null excluded).
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|NaN|-?Infinity', re.S)
_LEX = re.compile(
    r'[ \t\r\n]*(?:("[^"\\]*(?:\\.[^"\\]*)*")|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|NaN|-?Infinity)'
    r"|([{}\[\]:,])|(true|false|null))",
    re.S,
)
_TRAILING_WS = re.compile(r"[ \t\r\n]*\Z")


def looks_like_json_container(s: str) -> bool:
    """Cheap pre-check before trying to parse a string as a JSON object or array."""
    if len(s) < 2:
        return False
    first, last = s[0], s[-1]
    if first in " \t\r\n" or last in " \t\r\n":
        s = s.strip()
        if len(s) < 2:
            return False
        first, last = s[0], s[-1]
    return (first == "{" and last == "}") or (first == "[" and last == "]")


def dump_str(text: str, ascii_only: bool) -> str:
    return json.dumps(text, ensure_ascii=ascii_only)


_JSON_OPENERS = "{[ \t\r\n"
_INDEX = tuple(f"[{i}]" for i in range(256))
# Location segments of keys seen so far (keys repeat across fields and bodies); bounded.
_SEGMENTS: dict[str, str | None] = {}
_UNSEEN = object()


def _remember_segment(key: str) -> str | None:
    seg = key_segment(key)
    if len(key) <= 64:
        if len(_SEGMENTS) >= 4096:
            _SEGMENTS.clear()
        _SEGMENTS[key] = seg
    return seg


def _object_keys(text: str) -> list[list[tuple[int, str]]]:
    """Per object of a JSON text: (token ordinal, key) of each of its keys, in document order."""
    objects: list[list[tuple[int, str]]] = []
    stack: list[list[tuple[int, str]] | None] = []
    expect_key = False
    ordinal = -1
    for m in _LEX.finditer(text):
        s, num, punct = m.group(1), m.group(2), m.group(3)
        if s is not None or num is not None:
            ordinal += 1
            top = stack[-1] if stack else None
            if s is not None and expect_key and top is not None:
                top.append((ordinal, json.loads(s)))
            expect_key = False
        elif punct == "{":
            keys: list[tuple[int, str]] = []
            objects.append(keys)
            stack.append(keys)
            expect_key = True
        elif punct == "[":
            stack.append(None)
            expect_key = False
        elif punct in ("}", "]"):
            if stack:
                stack.pop()
            expect_key = False
        elif punct == ",":
            expect_key = bool(stack) and stack[-1] is not None
    return objects


def _deep_base(loc: str, depth: int) -> str:
    """Children's location prefix below the display depth: head of the path, then "..".

    Quoted segments never contain "..", so the last ".." is the one added at the display depth.
    """
    if depth == _LOC_DEPTH:
        return loc + ".."
    return loc[: loc.rindex("..") + 2]


def _child_base(base: str, seg: str, depth: int) -> str:
    """Location prefix for the children of a container at ``depth`` whose own location is base+seg."""
    if depth < _LOC_DEPTH:
        return base + seg
    if depth == _LOC_DEPTH:
        return base + seg + ".."
    return base


def _seg_for(seg: str, depth: int) -> str:
    # Below the display depth the base already ends with "..": drop the segment's own dot.
    return seg[1:] if depth >= _LOC_DEPTH and seg[:1] == "." else seg


class JsonTextDoc:
    """A JSON document given as text. Raises ValueError if ``text`` is not JSON."""

    __slots__ = ("_keys", "_nested", "_ords", "fields", "text")

    def __init__(self, text: str, prefix: str, limits: Limits, nest: int = NESTED_JSON_LEVELS) -> None:
        self.text = text
        self.fields: list[Field] = []
        # Key text -> index of its key field (one per distinct key of this document).
        self._keys: dict[str, int] = {}
        # Per field: the ordinal of its token among the text's string/number tokens; fields that
        # come from JSON nested inside a string: field index -> (nested doc, index in that doc).
        self._ords: list[int] = []
        self._nested: dict[int, tuple[JsonTextDoc, int]] = {}
        try:
            # Objects as pair tuples: duplicate keys are all seen, in document order.
            root = json.loads(text, object_pairs_hook=tuple)
        except RecursionError:
            self._walk_tokens(prefix, limits, nest)
            return
        self._walk(root, prefix, limits, nest)

    # -- parsing -----------------------------------------------------------------------------------

    def _leaf(self, text: str, loc: str, key: str | None, ordinal: int, limits: Limits, nest: int) -> None:
        if nest > 0 and looks_like_json_container(text):
            try:
                child = JsonTextDoc(text, loc + "<json>$", limits, nest - 1)
            except ValueError:
                child = None
            if child is not None:
                base = len(self.fields)
                self.fields.extend(child.fields)
                self._ords.extend([ordinal] * len(child.fields))
                for j in range(len(child.fields)):
                    self._nested[base + j] = (child, j)
                return
        self.fields.append(Field(loc, key, text))
        self._ords.append(ordinal)

    def _key_field(self, key: str, loc: str, ordinal: int) -> None:
        """The first occurrence of a key; ``loc`` is its value's location + ``<key>``."""
        self._keys[key] = len(self.fields)
        # No context key: a key is not the value of itself.
        self.fields.append(Field(loc, None, key, True))
        self._ords.append(ordinal)

    def _walk(self, root: object, prefix: str, limits: Limits, nest: int) -> None:
        """Walk the decoded document in document order, counting string/number tokens.

        The hot loop of body parsing: one tuple per node, locations built as children are pushed.
        """
        fields, ords = self.fields, self._ords
        seen_keys = self._keys
        segment_of = _SEGMENTS.get
        hidden = limits.hidden
        ordinal = -1
        max_depth = limits.max_depth
        # (node, location, context key, depth, member): member is 1 when a key token precedes the
        # node (it is an object member), 0 for array items and the root.
        stack: list[tuple[Any, str, Any, int, int]] = [(root, prefix, None, 0, 0)]
        pop, push = stack.pop, stack.append
        nodes = 0
        while stack:
            node, loc, key, depth, member = pop()
            if member:
                ordinal += 1
                if key not in seen_keys:
                    self._key_field(key, loc + "<key>", ordinal)
            t = type(node)
            if t is str:
                ordinal += 1
                if nest and node[:1] in _JSON_OPENERS and node:
                    self._leaf(node, loc, key, ordinal, limits, nest)
                else:
                    fields.append(Field(loc, key, node))
                    ords.append(ordinal)
            elif t is tuple or t is list:
                if depth >= max_depth:
                    raise limits.too_deep()
                nodes += len(node)
                base = loc if depth < _LOC_DEPTH else _deep_base(loc, depth)
                d = depth + 1
                deep = depth >= _LOC_DEPTH
                if t is tuple:  # an object, as (key, value) pairs in document order
                    for i in range(len(node) - 1, -1, -1):
                        k, v = node[i]
                        seg = segment_of(k, _UNSEEN)
                        if seg is _UNSEEN:
                            seg = _remember_segment(k)
                        if seg is None or (hidden and k in hidden):
                            push((v, base + "[#" + str(i) + "]", k, d, 1))
                        else:
                            push((v, base + (seg[1:] if deep and seg[0] == "." else seg), k, d, 1))
                elif node and _numbers_only(node):  # an embedding, a metric series: no walk
                    for i, item in enumerate(node):
                        ordinal += 1
                        if type(item) is int:
                            fields.append(Field(base + (_INDEX[i] if i < 256 else "[" + str(i) + "]"), key,
                                                _int_text(item)))
                            ords.append(ordinal)
                else:
                    for i in range(len(node) - 1, -1, -1):
                        push((node[i], base + (_INDEX[i] if i < 256 else "[" + str(i) + "]"), key, d, 0))
            elif t is int:
                ordinal += 1
                fields.append(Field(loc, key, _int_text(node)))
                ords.append(ordinal)
            elif t is float:
                ordinal += 1  # a token, but never a field
        limits.spend(nodes)

    def _walk_tokens(self, prefix: str, limits: Limits, nest: int) -> None:
        """Iterative walk for documents nested too deeply for the C decoder."""
        text = self.text
        pos = 0
        ordinal = -1
        # Frame: [is_object, children's location base, index, current key, key segment, context key, depth]
        frames: list[list[Any]] = []
        expect_key = False
        nodes = 0
        while True:
            m = _LEX.match(text, pos)
            if m is None:
                if _TRAILING_WS.match(text, pos) and not frames and nodes:
                    break
                raise ValueError("not JSON")
            pos = m.end()
            nodes += 1
            s, num, punct = m.group(1), m.group(2), m.group(3)
            top = frames[-1] if frames else None
            if s is not None and top is not None and top[0] and expect_key:
                ordinal += 1
                key = json.loads(s)
                kseg = key_segment(key)
                top[3] = key
                position = _seg_for("[#" + str(top[2]) + "]", top[6] - 1)
                hide = kseg is None or key in limits.hidden
                top[4] = position if hide else _seg_for(kseg, top[6] - 1)
                if key not in self._keys:
                    self._key_field(key, top[1] + top[4] + "<key>", ordinal)
                expect_key = False
                continue
            if punct is None or punct in "{[":
                # A value: its location and context key come from the enclosing frame.
                if top is None:
                    if nodes > 1:
                        raise ValueError("not JSON")
                    base, seg, ctx, depth = prefix, "", None, 0
                elif top[0]:
                    base, seg, ctx, depth = top[1], top[4], top[3], top[6]
                else:
                    base, seg, ctx, depth = (
                        top[1],
                        _seg_for("[" + str(top[2]) + "]", top[6] - 1),
                        top[5],
                        top[6],
                    )
                if s is not None:
                    ordinal += 1
                    self._leaf(json.loads(s), base + seg, ctx, ordinal, limits, nest)
                elif num is not None:
                    ordinal += 1
                    if _is_int_token(num):  # a float is never a field
                        self.fields.append(Field(base + seg, ctx, num))
                        self._ords.append(ordinal)
                elif punct is not None:
                    if depth >= limits.max_depth:
                        raise limits.too_deep()
                    frames.append([punct == "{", _child_base(base, seg, depth), 0, None, "", ctx, depth + 1])
                    expect_key = punct == "{"
                continue
            if punct == ",":
                if top is None:
                    raise ValueError("not JSON")
                top[2] += 1
                expect_key = top[0]
            elif punct in "}]":
                if top is None or top[0] != (punct == "}"):
                    raise ValueError("not JSON")
                frames.pop()
                expect_key = False
        limits.spend(nodes)

    # -- rebuilding --------------------------------------------------------------------------------

    def rebuild(self, replacements: dict[int, str]) -> str:
        """The document text with the given fields (index → new text) replaced."""
        if not replacements:
            return self.text
        new_tokens: dict[int, str] = {}
        nested: dict[int, tuple[JsonTextDoc, dict[int, str]]] = {}
        renames: dict[str, str] = {}
        for i, new in replacements.items():
            ordinal = self._ords[i]
            inner = self._nested.get(i)
            if inner is not None:
                child, j = inner
                nested.setdefault(ordinal, (child, {}))[1][j] = new
            elif self.fields[i].is_key:
                renames[self.fields[i].text] = new
            else:
                new_tokens[ordinal] = new
        for ordinal, (child, repl) in nested.items():
            new_tokens[ordinal] = child.rebuild(repl)
        if renames:
            new_tokens.update(self._renamed_keys(renames))
        wanted = sorted(new_tokens)
        text = self.text
        out: list[str] = []
        last = 0
        k = 0
        for ordinal, m in enumerate(_TOKEN.finditer(text)):
            if ordinal != wanted[k]:
                continue
            token = m.group()
            out.append(text[last : m.start()])
            out.append(dump_str(new_tokens[ordinal], token.isascii()))
            last = m.end()
            k += 1
            if k == len(wanted):
                break
        out.append(text[last:])
        return "".join(out)

    def _renamed_keys(self, renames: dict[str, str]) -> dict[int, str]:
        """Token ordinal -> new key for every occurrence of a renamed key, unique in its object."""
        result: dict[int, str] = {}
        for keys in _object_keys(self.text):
            if not any(k in renames for _, k in keys):
                continue
            others = {k for _, k in keys if k not in renames}
            moved = [(o, k) for o, k in keys if k in renames]
            names = unique_names([renames[k] for _, k in moved], others)
            result.update((o, name) for (o, _), name in zip(moved, names))
        return result


class JsonObjDoc:
    """JSON-like Python objects (the ``body=`` of ``scan()``), walked without recursion."""

    __slots__ = ("_containers", "_keys", "_slots", "fields", "root")

    def __init__(self, root: object, prefix: str, limits: Limits, nest: int = NESTED_JSON_LEVELS) -> None:
        self.root = root
        self.fields: list[Field] = []
        # Containers met: (object, parent index, key in parent, depth).
        self._containers: list[tuple[Any, int, Any, int]] = []
        # Per field: (container index, key in container, mode, nested doc, index in nested doc);
        # mode: "v" value, "k" key, "b" bytes value, "c" nested JSON text.
        self._slots: list[tuple[int, Any, str, Any, int]] = []
        # Key text -> index of its key field (one per distinct key of this document).
        self._keys: dict[str, int] = {}
        self._walk(prefix, limits, nest)

    def _walk(self, prefix: str, limits: Limits, nest: int) -> None:
        fields, slots, containers = self.fields, self._slots, self._containers
        seen_keys = self._keys
        segment_of = _SEGMENTS.get
        hidden = limits.hidden
        max_depth = limits.max_depth
        # (node, parent container index, key in parent, location, context key, depth, member);
        # member: 1 for a dict member (its key is scanned as a field first), 0 otherwise.
        stack: list[tuple[Any, int, Any, str, Any, int, int]] = [(self.root, -1, None, prefix, None, 0, 0)]
        pop, push = stack.pop, stack.append
        nodes = 0
        while stack:
            node, parent, pkey, loc, key, depth, member = pop()
            if member and key not in seen_keys:
                seen_keys[key] = len(fields)
                fields.append(Field(loc + "<key>", None, key, True))
                slots.append((parent, pkey, "k", None, 0))
            t = type(node)
            if t is str or (t is not bool and isinstance(node, str)):
                if (
                    nest
                    and node[:1] in _JSON_OPENERS
                    and node
                    and self._nested(node, loc, parent, pkey, limits, nest)
                ):
                    continue
                fields.append(Field(loc, key, node))
                slots.append((parent, pkey, "v", None, 0))
            elif t is dict or t is list or isinstance(node, (dict, list, tuple)):
                if depth >= max_depth:
                    raise self._too_deep(node, parent, limits)
                nodes += len(node)
                if nodes > limits.nodes_left:
                    raise BodyNotInspectable(TOO_LARGE, "body has too many nodes to inspect")
                ci = len(containers)
                containers.append((node, parent, pkey, depth))
                base = loc if depth < _LOC_DEPTH else _deep_base(loc, depth)
                deep = depth >= _LOC_DEPTH
                d = depth + 1
                if isinstance(node, dict):
                    items = list(node.items())
                    for i in range(len(items) - 1, -1, -1):
                        k, v = items[i]
                        skey = k if type(k) is str else key_text(k)
                        seg = segment_of(skey, _UNSEEN)
                        if seg is _UNSEEN:
                            seg = _remember_segment(skey)
                        if seg is None or (hidden and skey in hidden):
                            push((v, ci, k, base + "[#" + str(i) + "]", skey, d, 1))
                        else:
                            loc_i = base + (seg[1:] if deep and seg[0] == "." else seg)
                            push((v, ci, k, loc_i, skey, d, 1))
                elif (t is list or t is tuple) and node and _numbers_only(node):  # an embedding: no walk
                    for i, item in enumerate(node):
                        if type(item) is int:
                            fields.append(Field(base + (_INDEX[i] if i < 256 else "[" + str(i) + "]"), key,
                                                _int_text(item)))
                            slots.append((ci, i, "v", None, 0))
                else:
                    for i in range(len(node) - 1, -1, -1):
                        push(
                            (node[i], ci, i, base + (_INDEX[i] if i < 256 else "[" + str(i) + "]"), key, d, 0)
                        )
            elif node is None or t is bool or t is float or isinstance(node, float):
                continue  # a float is never a field (module docstring)
            elif t is int or isinstance(node, int):
                fields.append(Field(loc, key, _number_text(node)))
                slots.append((parent, pkey, "v", None, 0))
            elif isinstance(node, (bytes, bytearray, memoryview)):
                raw = bytes(node)
                try:
                    text, codec = raw.decode("utf-8"), "utf-8"
                except UnicodeDecodeError:
                    text, codec = raw.decode("latin-1"), "latin-1"
                fields.append(Field(loc, key, text))
                slots.append((parent, pkey, "b", codec, 0))
            else:  # Decimal, UUID, datetime, enums...: what an encoder would send
                fields.append(Field(loc, key, _object_text(node)))
                slots.append((parent, pkey, "v", None, 0))
        limits.spend(nodes)

    def _nested(self, text: str, loc: str, parent: int, pkey: Any, limits: Limits, nest: int) -> bool:
        """Walk a string leaf that is itself a JSON object/array; False if it is not one."""
        if not looks_like_json_container(text):
            return False
        try:
            child = JsonTextDoc(text, loc + "<json>$", limits, nest - 1)
        except ValueError:
            return False
        self.fields.extend(child.fields)
        self._slots.extend((parent, pkey, "c", child, j) for j in range(len(child.fields)))
        return True

    def _too_deep(self, node: object, parent: int, limits: Limits) -> BodyNotInspectable:
        # Cycles show up as unbounded depth; say which it is.
        ids = set()
        while parent >= 0:
            obj, parent, _, _ = self._containers[parent]
            ids.add(id(obj))
        if id(node) in ids:
            return BodyNotInspectable(NOT_INSPECTABLE, "body contains a circular reference")
        return limits.too_deep()

    def rebuild(self, replacements: dict[int, str]) -> Any:
        """A new object with the given fields replaced; containers off the changed paths are shared."""
        if not replacements or not self._containers:
            return self.root
        copies: dict[int, Any] = {}
        renames: dict[int, list[tuple[Any, str]]] = {}
        nested: dict[tuple[int, Any], tuple[JsonTextDoc, dict[int, str]]] = {}
        key_renames: dict[str, str] = {}
        for i, new in replacements.items():
            ci, pkey, mode, extra, j = self._slots[i]
            if mode == "k":
                key_renames[self.fields[i].text] = new
            elif mode == "c":
                nested.setdefault((ci, pkey), (extra, {}))[1][j] = new
            elif mode == "b":
                self._mutable(ci, copies)[pkey] = new.encode(extra, "replace")
            else:
                self._mutable(ci, copies)[pkey] = new
        for (ci, pkey), (child, repl) in nested.items():
            self._mutable(ci, copies)[pkey] = child.rebuild(repl)
        if key_renames:  # every occurrence of a renamed key, in every dict
            for ci, (obj, _, _, _) in enumerate(self._containers):
                if isinstance(obj, dict):
                    pairs = [(k, key_renames[t]) for k in obj if (t := key_text(k)) in key_renames]
                    if pairs:
                        renames[ci] = pairs
        for ci in renames:  # copy them while their parents can still be assigned into
            self._mutable(ci, copies)
        self._finish_tuples(copies)
        for ci, pairs in renames.items():
            self._rename_keys(copies[ci], pairs)
        return copies[0]

    def _mutable(self, ci: int, copies: dict[int, Any]) -> Any:
        """The copy of container ``ci``, copying every container between it and the root first."""
        chain = []
        while ci >= 0 and ci not in copies:
            chain.append(ci)
            ci = self._containers[ci][1]
        for c in reversed(chain):
            obj, parent, pkey, _ = self._containers[c]
            if type(obj) is dict:
                new: Any = dict(obj)
            elif isinstance(obj, tuple):
                new = list(obj)  # made a tuple again by _finish_tuples
            else:
                new = copy.copy(obj)
            copies[c] = new
            if parent >= 0:
                copies[parent][pkey] = new
        return copies[chain[0]] if chain else copies[ci]

    def _finish_tuples(self, copies: dict[int, Any]) -> None:
        for ci in sorted(copies, key=lambda c: -self._containers[c][3]):
            obj, parent, pkey, _ = self._containers[ci]
            if isinstance(obj, tuple):
                items = copies[ci]
                make: Callable[[Any], Any] = getattr(type(obj), "_make", type(obj))
                copies[ci] = made = make(items)
                if parent >= 0:
                    copies[parent][pkey] = made

    @staticmethod
    def _rename_keys(current: Any, pairs: list[tuple[Any, str]]) -> None:
        new_names = dict(pairs)
        items = list(current.items())
        others = {key_text(k) for k in current if k not in new_names}
        # Two keys redacted to the same placeholder (or to an existing key): keep both.
        names = iter(unique_names([new_names[k] for k, _ in items if k in new_names], others))
        renamed = [(next(names) if k in new_names else k, v) for k, v in items]
        current.clear()
        current.update(renamed)


def key_text(key: object) -> str:
    """A dict key as ``json.dumps`` writes it (non-string keys become strings on the wire)."""
    if type(key) is str:
        return key
    if key is None or isinstance(key, (bool, int, float)):
        return json.dumps(key) if not isinstance(key, str) else str(key)
    return str(key)


_NUMBER_TYPES = frozenset({int, float})


def _numbers_only(items: list[Any]) -> bool:
    """Every item is exactly an int or a float (not a bool): one pass in C."""
    return _NUMBER_TYPES.issuperset(map(type, items))


def _is_int_token(token: str) -> bool:
    """A JSON number token without fraction or exponent (not NaN/Infinity)."""
    return not any(c in token for c in ".eEaI")


def _int_text(n: int) -> str:
    try:
        return int.__repr__(n)
    except ValueError:  # more digits than int -> str allows: no encoder can send it either
        raise BodyNotInspectable(NOT_INSPECTABLE, "an integer in the body is too long to inspect") from None


def _number_text(n: int | float) -> str:
    # What json.dumps sends for it (floats: shortest repr; NaN/inf as JSON's extensions).
    try:
        return json.dumps(n) if isinstance(n, float) else int.__repr__(n)
    except ValueError:  # more digits than int -> str allows: no encoder can send it either
        raise BodyNotInspectable(NOT_INSPECTABLE, "an integer in the body is too long to inspect") from None


def _object_text(node: object) -> str:
    """Text of a leaf that is not JSON: an enum's value (what enum-aware encoders such as
    pydantic's or orjson send), otherwise ``str()`` (``json.dumps(default=str)``)."""
    if isinstance(node, enum.Enum):
        node = node.value
        if isinstance(node, (int, float)) and not isinstance(node, bool):
            return _number_text(node)
    try:
        return str(node)
    except Exception:  # a __str__ that raises: the body cannot be read, so it is not sent blind
        raise BodyNotInspectable(
            NOT_INSPECTABLE, f"a {type(node).__name__} in the body cannot be read"
        ) from None


class JsonLinesDoc:
    """Newline-delimited JSON (NDJSON, JSON Lines): each line its own document, ``body[3]$.a``.

    Raises ValueError unless every non-blank line is JSON and there are at least two of them.
    """

    __slots__ = ("_docs", "_lines", "_slots", "fields", "text")

    def __init__(self, text: str, json_prefix: str, limits: Limits) -> None:
        self.text = text
        # Split on "\n" only: JSON strings may hold U+2028 and friends, which splitlines() cuts at.
        self._lines = text.split("\n")
        self._docs: dict[int, JsonTextDoc] = {}
        self.fields: list[Field] = []
        self._slots: list[tuple[int, int]] = []
        head = json_prefix[:-1] if json_prefix.endswith("$") else json_prefix
        for number, line in enumerate(self._lines):
            if not line.strip():
                continue
            doc = JsonTextDoc(line, f"{head}[{number}]$", limits)
            self._docs[number] = doc
            self.fields.extend(doc.fields)
            self._slots.extend((number, j) for j in range(len(doc.fields)))
        if len(self._docs) < 2:
            raise ValueError("not JSON Lines")

    def rebuild(self, replacements: dict[int, str]) -> str:
        if not replacements:
            return self.text
        per_line: dict[int, dict[int, str]] = {}
        for i, new in replacements.items():
            number, j = self._slots[i]
            per_line.setdefault(number, {})[j] = new
        lines = list(self._lines)
        for number, repl in per_line.items():
            lines[number] = self._docs[number].rebuild(repl)
        return "\n".join(lines)
