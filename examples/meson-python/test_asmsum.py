"""Checks asmsum under the interpreter that imports it.

Usage: python test_asmsum.py   (with asmsum installed, e.g. in a venv)
Prints "ok" and exits 0, or fails with an AssertionError naming the check.
"""
import asmsum

assert asmsum.add(2, 3) == 5, asmsum.add(2, 3)
assert asmsum.add(-7, 7) == 0
assert asmsum.add(2 ** 62, 2 ** 62 - 1) == 2 ** 63 - 1
for args, exc in [((2 ** 63 - 1, 1), OverflowError), ((1, "2"), TypeError), ((1,), TypeError)]:
    try:
        asmsum.add(*args)
    except exc:
        pass
    else:
        raise AssertionError("add%r did not raise %s" % (args, exc.__name__))
assert asmsum.__doc__ == "Addition, in x86-64 assembly.", asmsum.__doc__
print("ok")
