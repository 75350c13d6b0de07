"""Checks the reference extension under the interpreter that runs it.

Usage: python test_refext.py   (with refext importable, e.g. via PYTHONPATH)
Prints "ok" and exits 0, or fails with an AssertionError naming the check.
"""
import io
import pydoc
import sys

import refext

IMMORTAL_MIN = 2 ** 30  # every immortal count CPython has used is at least this


def expect(exc, fn, *args):
    try:
        fn(*args)
    except exc:
        return
    except Exception as e:
        raise AssertionError("%s%r raised %r, want %s" % (fn.__name__, args, e, exc.__name__))
    raise AssertionError("%s%r raised nothing, want %s" % (fn.__name__, args, exc.__name__))


def check_sayit():
    buf = io.StringIO()
    real, sys.stdout = sys.stdout, buf
    try:
        r = refext.sayit()
    finally:
        sys.stdout = real
    assert r is None, r
    assert buf.getvalue() == "Assembly is great fun! :)\n", repr(buf.getvalue())


def check_multiply():
    check_product(refext.multiply)
    abi3 = refext.__file__.endswith(".abi3.so")
    if sys.version_info >= (3, 7) and not abi3:
        assert hasattr(refext, "multiply_fast"), "no multiply_fast on 3.7+"
    if hasattr(refext, "multiply_fast"):
        check_product(refext.multiply_fast)


def check_product(multiply):
    big = 2 ** 63
    for a, b in [(6, 7), (-3, 5), (-4, -5), (0, big - 1), (2 ** 31, 2 ** 31), (-big, 1),
                 (big - 1, 1), (True, 3), (-1, big - 1), (3037000499, 3037000499)]:
        got = multiply(a, b)
        assert got == a * b and type(got) is int, (a, b, got)
    for a, b in [(big, 1), (1, -big - 1), (2 ** 32, 2 ** 32), (-big, -1), (2 ** 62, 2),
                 (3037000500, 3037000500), (10 ** 30, 0)]:
        expect(OverflowError, multiply, a, b)
    for a, b in [(1.5, 2), ("3", 4), (None, 1), (2, []), (2, 2.0)]:
        expect(TypeError, multiply, a, b)
    expect(TypeError, multiply, 1)
    expect(TypeError, multiply, 1, 2, 3)


def check_identity():
    o = object()
    assert refext.identity(o) is o
    assert refext.identity(None) is None
    expect(TypeError, refext.identity)


def check_refcounts():
    o = [1, 2, 3]
    sink = io.StringIO()
    real, sys.stdout = sys.stdout, sink
    try:
        before_o, before_none = sys.getrefcount(o), sys.getrefcount(None)
        for _ in range(100000):
            refext.identity(o)
        for _ in range(100000):
            refext.sayit()
        after_o, after_none = sys.getrefcount(o), sys.getrefcount(None)
    finally:
        sys.stdout = real
    assert after_o == before_o, "refcount of the argument went from %d to %d" % (before_o, after_o)
    assert after_none == before_none, "refcount of None went from %d to %d" % (before_none, after_none)
    if sys.version_info >= (3, 12):
        assert after_none >= IMMORTAL_MIN, "None is no longer immortal: %d" % after_none
    assert len(sink.getvalue()) == 100000 * len("Assembly is great fun! :)\n")


def check_help():
    text = pydoc.render_doc(refext, renderer=pydoc.plaintext)
    for want in ["multiply(a, b, /)", "identity(obj, /)", "sayit()", "written in x86-64 assembly",
                 "OverflowError otherwise"]:
        assert want in text, "help(refext) lacks %r:\n%s" % (want, text)


for check in [check_sayit, check_multiply, check_identity, check_refcounts, check_help]:
    check()
print("ok")
