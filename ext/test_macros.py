"""Checks the include's accessor, bitfield and type-flag macros through the
macros module (ext/macros.asm). Run with the argument "limited" for a build
against the limited API, which has only Py_TYPE, Py_SIZE, the type-flag
test and the member test. Prints "ok" last when every check passed."""
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

# S.m? at assembly time
check(m.has_wstr() == (not limited and v < (3, 12)), "has_wstr: %r" % m.has_wstr())
check(m.has_bogus() is False, "has_bogus")

full = ["tuple_reverse", "tuple_second", "pair", "list_reverse", "list_item", "str_info", "str_state"]
for name in full:
    check(hasattr(m, name) != limited, "%s is %s" % (name, "there" if limited else "missing"))
check(hasattr(m, "make_unready") == (not limited and v < (3, 12)), "make_unready")
if limited:
    print("ok")
    sys.exit(0)

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
        info = m.str_info(obj)
        check(info == (kind, len(s), [ord(c) for c in s]), "str_info %s: %r" % (label, info))
        state = m.str_state(obj)
        check(state[1:] == (kind, compact, ascii, kind, compact, ascii), "str_state %s: %r" % (label, state))
interned = sys.intern("".join(["macros_", "interned_probe"]))
check(m.str_state(interned)[0] != 0, "interned string: interned is 0")
check(m.str_state("".join(["mac", "ros_x"]))[0] == 0, "fresh string: interned is not 0")

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
