"""Checks the include's accessor, bitfield, type-flag, type-check, raising
and int macros through the macros module (ext/macros.asm). Run with the
argument "limited" for a build against the limited API, where the sequence
accessors and PyUnicode_GET_LENGTH call the API and the macros that need
str's and int's layouts are absent. Prints "ok" last when every check
passed."""
import sys

import macros as m

limited = sys.argv[1:] == ["limited"]
v = sys.version_info


def check(cond, what):
    if not cond:
        raise AssertionError(what)


# Py_TYPE and Py_SIZE
for o in [1, True, "s", [], (), None, 1.5, type, m, object()]:
    check(m.type_of(o) is type(o), "type_of(%r)" % (o,))
check(m.size_of((1, 2, 3)) == 3, "size_of tuple")
check(m.size_of([1, 2]) == 2, "size_of list")
check(m.size_of(b"abcd") == 4, "size_of bytes")

# PY_JUMP_UNLESS_FLAG: bit 31 (Py_TPFLAGS_TYPE_SUBCLASS), bit 24, a bit of
# the upper half (set in no type) and a mask with bits in both halves.
class Meta(type):
    pass


class C(metaclass=Meta):
    pass


class I(int):
    pass


for t in [int, type, C, Meta, str]:
    check(m.is_type(t), "is_type(%r)" % t)
for o in [1, C(), "s", None, m]:
    check(not m.is_type(o), "not is_type(%r)" % (o,))
for o in [1, True, I(3), -2**100]:
    check(m.is_int(o), "is_int(%r)" % (o,))
for o in [1.0, "1", None, int]:
    check(not m.is_int(o), "not is_int(%r)" % (o,))
for o in [1, int, C, None]:
    check(not m.has_bit40(o), "has_bit40(%r)" % (o,))
check(m.is_type_or_bit40(int) and m.is_type_or_bit40(C), "is_type_or_bit40 of types")
check(not m.is_type_or_bit40(1), "is_type_or_bit40(1)")

# PY_JUMP_IF_FLAG: the same answers as PY_JUMP_UNLESS_FLAG, jumping the
# other way.
for o in [1, True, I(3), -2**100, 1.0, "1", None, int, type, C, Meta, str, C(), m]:
    for name in ["is_type", "is_int", "has_bit40", "is_type_or_bit40"]:
        check(getattr(m, name + "_if")(o) is getattr(m, name)(o), "%s_if(%r)" % (name, o))


# PY_JUMP_IF and PY_JUMP_UNLESS with every check, on exact types, subclasses
# and others, against isinstance and type() is.
class LSub(list):
    pass


class TSub(tuple):
    pass


class DSub(dict):
    pass


class BSub(bytes):
    pass


class FSub(float):
    pass


class SSub(str):
    pass


CHECKED = [int, str, list, tuple, dict, bytes, float, type]
objects = [0, 1, True, I(3), -2**100, "", "s", SSub("x"), [], LSub(), (), TSub(), {}, DSub(),
           b"", BSub(b"x"), 1.5, FSub(2.0), int, type, C, Meta, None, object(), m, 1j]
for o in objects:
    want = 0
    for i, t in enumerate(CHECKED):
        if isinstance(o, t):
            want |= 1 << (2 * i)
        if type(o) is t:
            want |= 1 << (2 * i + 1)
    got_if, got_unless = m.checks(o)
    everything = (1 << (2 * len(CHECKED))) - 1
    check(got_if == want, "PY_JUMP_IF on %r: %#x, want %#x" % (o, got_if, want))
    check(got_unless == everything & ~want, "PY_JUMP_UNLESS on %r: %#x, want %#x" % (o, got_unless, everything & ~want))


# PY_RAISE and PY_RAISE_FMT: the exception, its message, NULL returned.
def raises(f, exc, message, *args):
    try:
        f(*args)
    except exc as e:
        check(str(e).strip("'") == message, "%s: message %r, want %r" % (f.__name__, str(e), message))
    else:
        raise AssertionError("%s raised nothing" % f.__name__)


raises(m.raise_plain, ValueError, "macros: plain")
raises(m.raise_fmt, TypeError, "macros: [1, 'x'] -7 123 A", [1, "x"])
raises(m.raise_fmt0, KeyError, "macros: no arguments")

# PyUnicode_GET_LENGTH (a call under the limited API)
for s in ["", "abc", "h\xe9llo", "\u20ac" * 3, "a\U0001F600", SSub("xy")]:
    check(m.str_len(s) == len(s), "str_len(%r)" % (s,))

# S.m? at assembly time
check(m.has_wstr() == (not limited and v < (3, 12)), "has_wstr: %r" % m.has_wstr())
check(m.has_bogus() is False, "has_bogus")

# Under the limited API str's and int's layouts are hidden: the macros
# that read them are absent, and so are the functions that use them.
full = ["str_info", "str_state", "is_ascii", "compact", "compact_same"]
for name in full:
    check(hasattr(m, name) != limited, "%s is %s" % (name, "there" if limited else "missing"))
check(hasattr(m, "make_unready") == (not limited and v < (3, 12)), "make_unready")

# Tuples and lists
t = (1, "a", None, 2.5)
check(m.tuple_reverse(t) == t[::-1], "tuple_reverse")
check(m.tuple_reverse(()) == (), "tuple_reverse(())")
check(m.tuple_second(t) is t[1], "tuple_second")
o = object()
base = sys.getrefcount(o)
p = m.pair(o)
check(p == (o, o) and p[0] is o and p[1] is o, "pair")
check(sys.getrefcount(o) == base + 2, "pair: references")
del p
check(sys.getrefcount(o) == base, "pair: references released")
lst = [1, "b", None, o]
check(m.list_reverse(lst) == lst[::-1], "list_reverse")
check(m.list_reverse([]) == [], "list_reverse([])")
for i in range(len(lst)):
    check(m.list_item(lst, i) is lst[i], "list_item %d" % i)
t = (1, 2)
check(m.tuple_reverse(TSub(t)) == (2, 1) and m.list_reverse(LSub([1, 2])) == [2, 1], "subclasses")
if limited:
    # PyList_GetItem checks the index, which the inline macro does not.
    try:
        m.list_item(lst, len(lst))
    except IndexError:
        pass
    else:
        raise AssertionError("list_item past the end: no IndexError under the limited API")
    print("ok")
    sys.exit(0)


# str of every kind: (text, kind, ascii)
class S(str):
    pass


cases = [
    ("ascii", "hello", 1, 1),
    ("empty", "", 1, 1),
    ("1-byte", "h\xe9llo\xff", 1, 0),
    ("2-byte", "\u20acuro\u0100x", 2, 0),
    ("4-byte", "a\U0001F600b\u20ac", 4, 0),
]
for what, s, kind, ascii in cases:
    for label, obj, compact in [(what, s, 1), ("subclass " + what, S(s), 0)]:
        check(m.is_ascii(obj) is bool(ascii), "is_ascii %s" % label)
        info = m.str_info(obj)
        check(info == (kind, len(s), [ord(c) for c in s]), "str_info %s: %r" % (label, info))
        state = m.str_state(obj)
        check(state[1:] == (kind, compact, ascii, kind, compact, ascii), "str_state %s: %r" % (label, state))
interned = sys.intern("".join(["macros_", "interned_probe"]))
check(m.str_state(interned)[0] != 0, "interned string: interned is 0")
check(m.str_state("".join(["mac", "ros_x"]))[0] == 0, "fresh string: interned is not 0")

# PyLong_COMPACT_VALUE: every int of at most two digits, read from them;
# anything larger takes the slow path. Digits are sys.int_info's bits.
bits = sys.int_info.bits_per_digit
values = [0, 1, -1, 2, 255, 256, -256]
for k in [bits, 2 * bits, 63, 64, 100]:
    for d in [-1, 0, 1]:
        values += [2**k + d, -(2**k + d)]
for x in values:
    fast = abs(x) < 2**(2 * bits)
    for label, obj in [("", x), ("subclass ", I(x))]:
        for f in [m.compact, m.compact_same]:
            got = f(obj)
            check(got == (x if fast else None), "%s(%s%d): %r" % (f.__name__, label, x, got))
check(m.compact(True) == 1 and m.compact(False) == 0, "compact of bools")

if v < (3, 12):
    text = "h\xe9\u20ac\U0001F600"
    u = m.make_unready(text)
    info = m.str_info(u)  # sees kind 0, readies it, reads it
    check(info == (0, len(text), [ord(c) for c in text]), "not ready: %r" % (info,))
    check(m.str_info(u)[0] == 4, "readied")
    check(u == text, "not ready: the string")
else:
    print("not-ready strings: Python %d.%d has none" % v[:2])
print("ok")
