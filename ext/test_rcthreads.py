"""Checks the include's Py_INCREF and Py_DECREF under threads: four threads
(the main one and three others) each run rcthreads.churn on the same
objects, a million increments and decrements of each object in all, and
every count must end where it started. On a free-threaded Python the
module keeps the GIL off, so the owner's unlocked local count and the
others' atomic shared count race as they do in C.
Prints "ok" and exits 0, or fails with an AssertionError.
"""
import sys
import sysconfig
import threading

import rcthreads

ROUNDS = 250000  # per thread: 4 threads make a million of each per object
THREADS = 4

free_threaded = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))
if free_threaded:
    assert not sys._is_gil_enabled(), "importing rcthreads turned the GIL on"

made_elsewhere = []
t = threading.Thread(target=lambda: made_elsewhere.append([]))  # owned by a thread that is gone
t.start()
t.join()


class Thing:
    pass


objs = (object(), [1, 2], Thing(), "a" + str(len(sys.argv)), made_elsewhere[0], 10 ** 30)
if sys.version_info >= (3, 12):
    objs += (None, 7)  # immortal: the counts stay untouched (elsewhere, others change them)
before = [sys.getrefcount(o) for o in objs]
start = threading.Barrier(THREADS)


def work():
    start.wait()
    rcthreads.churn(objs, ROUNDS)


threads = [threading.Thread(target=work) for _ in range(THREADS - 1)]
for t in threads:
    t.start()
work()
for t in threads:
    t.join()
after = [sys.getrefcount(o) for o in objs]
for o, b, a in zip(objs, before, after):
    assert a == b, "%r: count went from %d to %d" % (type(o).__name__, b, a)
rcthreads.churn((), 3)
try:
    rcthreads.churn([1], 1)
except TypeError:
    pass
else:
    raise AssertionError("churn took a list")
print("ok")
