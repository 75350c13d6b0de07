"""Calls per second of refext (NASM) and cref (C, gcc -O2), for make bench.

Prints one JSON object: {"function": [asm_rate, c_rate], ...}. The rounds
of the two sides alternate, so that both see the same machine; each rate
is the best round of N calls from a local loop, which costs the same for
both, timed in CPU time of the process (time.process_time), so that other
work on a shared machine counts as little as it can. "multiply_fast/compact" sets refext.multiply_fast against C that reads
ints with PyUnstable_Long_IsCompact and PyUnstable_Long_CompactValue (3.12+);
"Counter.increment" is c.increment() on a Counter of each module.
"""
import json
import sys
import time

import cref
import refext

N = 50000
ROUNDS = 31
clock = time.process_time


# Calls are written out as code makes them (fn(a, b), not fn(*args), which
# would add the cost of unpacking a tuple to both sides).
def two_args_round(fn, args):
    a, b = args
    t0 = clock()
    for _ in range(N):
        fn(a, b)
    return N / (clock() - t0)


def one_arg_round(fn, args):
    a, = args
    t0 = clock()
    for _ in range(N):
        fn(a)
    return N / (clock() - t0)


def increment_round(counter, args):
    t0 = clock()
    for _ in range(N):
        counter.increment()
    return N / (clock() - t0)


out = {}
for name, asm_name, c_name, args, run in [
        ("multiply", "multiply", "multiply", (123456, 789), two_args_round),
        ("multiply_fast", "multiply_fast", "multiply_fast", (123456, 789), two_args_round),
        ("multiply_fast/compact", "multiply_fast", "multiply_compact", (123456, 789), two_args_round),
        ("identity", "identity", "identity", (out,), one_arg_round),
        ("Counter.increment", "Counter", "Counter", (), increment_round)]:
    if not (hasattr(refext, asm_name) and hasattr(cref, c_name)):
        continue
    sides = [getattr(refext, asm_name), getattr(cref, c_name)]
    if run is increment_round:
        sides = [cls(0) for cls in sides]
    best = [0.0, 0.0]
    for _ in range(ROUNDS):
        for i, side in enumerate(sides):
            best[i] = max(best[i], run(side, args))
    out[name] = best
sys.stdout.write(json.dumps(out) + "\n")
