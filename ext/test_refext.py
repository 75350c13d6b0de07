"""Checks the reference extension under the interpreter that runs it.

Usage: python test_refext.py   (with refext importable, e.g. via PYTHONPATH)
REFEXT_LIMITED_API=3.N says refext is an abi3 build for the limited API of 3.N.
Prints "ok" and exits 0, or fails with an AssertionError naming the check.
"""
import ctypes
import gc
import importlib.util
import io
import os
import pydoc
import sys
import sysconfig
import tempfile
import threading
import tracemalloc
import weakref

import refext

LIMITED = os.environ.get("REFEXT_LIMITED_API")
LIMITED = tuple(int(x) for x in LIMITED.split(".")) if LIMITED else None

# abi3t (PEP 803): one module for GIL and free-threaded 3.15+, exported
# only through PyModExport_refext.
ABI3T = refext.__file__.endswith(".abi3t.so")

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
    abi3 = LIMITED is not None or refext.__file__.endswith(".abi3.so")
    if sys.version_info >= (3, 7) and not abi3:
        assert hasattr(refext, "multiply_fast"), "no multiply_fast on 3.7+"
    if hasattr(refext, "multiply_fast"):
        check_product(refext.multiply_fast)


class IntSub(int):
    pass


def check_int_shapes(multiply):
    """Every shape an int has in memory, through the fast and the slow path."""
    bits = sys.int_info.bits_per_digit
    lo, hi = -2 ** 63, 2 ** 63 - 1
    shapes = [0, 1, -1, 7, -7, 2 ** bits - 1, 2 ** bits, -(2 ** bits), 2 ** bits + 1,
              2 ** (2 * bits) - 1, -(2 ** (2 * bits) + 1), 2 ** (2 * bits), -(2 ** (2 * bits)),
              2 ** 30 - 1, 2 ** 30, -(2 ** 30), 2 ** 60, -(2 ** 60), 2 ** 62, hi, lo, hi + 1, lo - 1,
              2 ** 64, -(2 ** 64), 10 ** 30, True, False, IntSub(0), IntSub(5), IntSub(-(2 ** 40)),
              IntSub(2 ** 61), IntSub(2 ** 70)]
    for a in shapes:
        for b in [1, -1, 0, 3, -2, True, 2 ** 31, IntSub(-1)]:
            for x, y in [(a, b), (b, a)]:
                want = int(x) * int(y)
                if lo <= x <= hi and lo <= y <= hi and lo <= want <= hi:
                    got = multiply(x, y)
                    assert got == want and type(got) is int, (multiply.__name__, x, y, got)
                else:
                    expect(OverflowError, multiply, x, y)
    for bad in [1.5, "3", None, [], 2.0, 1j]:
        expect(TypeError, multiply, bad, 2)
        expect(TypeError, multiply, 2, bad)


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
    check_int_shapes(multiply)


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


def expect_attr_error(fn):
    try:
        fn()
    except AttributeError:
        return
    raise AssertionError("%r did not raise AttributeError" % fn)


def check_counter():
    C = refext.Counter
    assert C.__module__ == "refext" and C.__name__ == "Counter", (C.__module__, C.__name__)
    # CPython takes the signature off the docstring; before 3.10 a type made
    # from a spec (the limited API) has no __text_signature__ for it.
    if LIMITED is None or sys.version_info >= (3, 10):
        assert C.__text_signature__ == "(start=0)", C.__text_signature__
    assert C.__doc__.startswith("A counter that holds a signed 64-bit integer"), C.__doc__
    assert "Add one to the count" in C.increment.__doc__, C.increment.__doc__
    assert C.value.__doc__ == "The count (read-only).", C.value.__doc__
    for args, kw, want in [((), {}, 0), ((5,), {}, 5), ((), {"start": -7}, -7), ((True,), {}, 1),
                           ((2 ** 63 - 1,), {}, 2 ** 63 - 1), ((-2 ** 63,), {}, -2 ** 63),
                           ((IntSub(9),), {}, 9), ((2 ** 40,), {}, 2 ** 40)]:
        c = C(*args, **kw)
        assert c.value == want and type(c.value) is int, (args, kw, c.value)
    for exc, args, kw in [(TypeError, (1.5,), {}), (TypeError, ("3",), {}), (TypeError, (None,), {}),
                          (TypeError, (1, 2), {}), (TypeError, (), {"stop": 1}), (TypeError, (1,), {"start": 2}),
                          (OverflowError, (2 ** 63,), {}), (OverflowError, (-2 ** 63 - 1,), {}),
                          (OverflowError, (), {"start": 10 ** 30})]:
        expect(exc, lambda: C(*args, **kw))
    c = C(5)
    assert c.increment() is None
    assert c.value == 6 and repr(c) == "refext.Counter(6)", (c.value, repr(c))
    assert repr(C(-3)) == "refext.Counter(-3)", repr(C(-3))
    expect(TypeError, c.increment, 1)

    def set_value():
        c.value = 3

    def del_value():
        del c.value

    expect_attr_error(set_value)
    expect_attr_error(del_value)
    assert c.value == 6
    c = C(2 ** 63 - 2)
    c.increment()
    assert c.value == 2 ** 63 - 1
    expect(OverflowError, c.increment)
    assert c.value == 2 ** 63 - 1, c.value
    c = C(-1)
    c.increment()
    assert c.value == 0
    # Threads share one counter: no increment is lost.
    c = C()
    threads = [threading.Thread(target=lambda: [c.increment() for _ in range(20000)]) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert c.value == 80000, c.value


def check_subclass():
    class Sub(refext.Counter):
        def twice(self):
            self.increment()
            self.increment()

    s = Sub(start=3)
    s.twice()
    s.label = "x"
    assert s.value == 5 and s.__dict__ == {"label": "x"}, (s.value, s.__dict__)
    assert isinstance(s, refext.Counter) and repr(s) == "refext.Counter(5)"
    r = weakref.ref(s)
    del s
    assert r() is None, "a subclass instance outlived its last reference"
    # The class itself goes once nothing holds it: its instances gave back
    # their references to it.
    s = Sub(1)
    del s
    if sysconfig.get_config_var("Py_GIL_DISABLED") and sys.version_info[:2] == (3, 13):
        # 3.13t makes every class immortal once a thread has started (3.14t
        # no longer does): this check runs before check_counter starts any.
        assert sys.getrefcount(Sub) < IMMORTAL_MIN, "the subclass is immortal: a thread ran before check_subclass"
    rt = weakref.ref(Sub)
    del Sub
    gc.collect()
    assert rt() is None, "the subclass of Counter was not freed"


def churn(cls, n):
    for i in range(n):
        c = cls(i)
        c.increment()
        c.increment()
    return c.value


def check_counter_memory():
    class Sub(refext.Counter):
        pass

    for cls in [refext.Counter, Sub]:
        churn(cls, 1000)
        gc.collect()
        refs = sys.getrefcount(cls)
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        assert churn(cls, 200000) == 200001
        grown = tracemalloc.get_traced_memory()[0] - base
        tracemalloc.stop()
        assert grown < 64 * 1024, "%s: traced memory grew by %d bytes over 200 000 Counters" % (cls, grown)
        after = sys.getrefcount(cls)
        assert after == refs, "%s: refcount of the type went from %d to %d" % (cls, refs, after)


def check_export():
    # Built for 3.15+ (its headers, or its limited API), refext also exports
    # PyModExport_refext (PEP 793), which 3.15 takes before PyInit_refext;
    # the abi3t build has only that one.
    hook = sys.version_info >= (3, 15) and (LIMITED is None or LIMITED >= (3, 15))
    dll = ctypes.PyDLL(refext.__file__)
    assert hasattr(dll, "PyModExport_refext") == hook, "PyModExport_refext exported: %s" % (not hook)
    assert hasattr(dll, "PyInit_refext") == (not ABI3T), "PyInit_refext exported: %s" % ABI3T
    want = "PyModExport_refext" if hook else "PyInit_refext"
    assert refext._export == want, "the module was made by %s, want %s" % (refext._export, want)


def check_multi_phase():
    if ABI3T:
        init = None  # no PyModuleDef: PyObject is opaque
    else:
        # PyInit_refext returns the module definition, not a module.
        init = ctypes.PyDLL(refext.__file__).PyInit_refext
    if init is not None:
        check_moddef(init)
    spec = importlib.util.find_spec("refext")
    again = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(again)
    assert again is not refext and again.Counter(4).value == 4
    assert (again.Counter is refext.Counter) == (LIMITED is None), (again.Counter, refext.Counter)


def check_moddef(init):
    init.restype, init.argtypes = ctypes.c_void_p, []
    first, second = init(), init()
    assert first and first == second, (first, second)
    moddef = ctypes.cast(first, ctypes.py_object).value
    assert type(moddef).__name__ == "moduledef", type(moddef)
    # Each module made from the definition (or the slots) runs Py_mod_exec:
    # its own module object, with Counter (a new heap type under the
    # limited API): check_multi_phase.


SUBINTERPRETER_CODE = """
import sys
sys.path[:0] = %r
try:
    import refext
    c = refext.Counter(41)
    c.increment()
    result = "imported %%d" %% c.value
except ImportError as e:
    result = "ImportError: %%s" %% e
with open(%r, "w") as f:
    f.write(result)
"""


def in_subinterpreter(isolated):
    """Imports refext in a new interpreter; returns what it reports."""
    fd, out = tempfile.mkstemp()
    os.close(fd)
    code = SUBINTERPRETER_CODE % (sys.path, out)
    try:
        try:
            import _interpreters  # 3.13 and later
        except ImportError:
            _interpreters = None
        if isolated and sys.version_info >= (3, 14):
            from concurrent import interpreters
            interp = interpreters.create()
            try:
                interp.exec(code)
            finally:
                interp.close()
        elif _interpreters is not None:
            iid = _interpreters.create("isolated" if isolated else "legacy")
            try:
                failed = _interpreters.exec(iid, code)
                assert failed is None, failed
            finally:
                _interpreters.destroy(iid)
        else:
            import _xxsubinterpreters  # 3.12
            iid = _xxsubinterpreters.create(isolated=isolated)
            try:
                _xxsubinterpreters.run_string(iid, code)
            finally:
                _xxsubinterpreters.destroy(iid)
        with open(out) as f:
            return f.read()
    finally:
        os.remove(out)


def check_subinterpreters():
    if sys.version_info < (3, 12):
        return  # no interpreter with its own GIL to import into
    # Only the limited-API build of 3.12 or later declares
    # Py_MOD_PER_INTERPRETER_GIL_SUPPORTED: with the full API Counter is a
    # static type every interpreter shares, and an abi3 build for an older
    # limited API has no Py_mod_multiple_interpreters slot, which means
    # "shared GIL only".
    supported = LIMITED is not None and LIMITED >= (3, 12)
    got = in_subinterpreter(isolated=True)
    if supported:
        assert got == "imported 42", "isolated subinterpreter: %s" % got
    else:
        assert got.startswith("ImportError:") and "subinterpreter" in got, "isolated subinterpreter: %s" % got
    got = in_subinterpreter(isolated=False)
    assert got == "imported 42", "legacy subinterpreter: %s" % got


def check_gil():
    # refext's Py_mod_gil slot: importing it leaves a free-threaded
    # Python's GIL off (without the slot it comes back on, with a warning).
    if sysconfig.get_config_var("Py_GIL_DISABLED") and os.environ.get("PYTHON_GIL") != "1":
        assert not sys._is_gil_enabled(), "importing refext turned the GIL on"


# check_subclass runs before check_counter starts threads (see there).
for check in [check_gil, check_sayit, check_multiply, check_identity, check_refcounts, check_help, check_subclass,
              check_counter, check_counter_memory, check_export, check_multi_phase, check_subinterpreters]:
    check()
print("ok")
