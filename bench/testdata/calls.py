"""Calls per second of refext (NASM) and cref (C, gcc -O2), for make bench.

Prints one JSON object: {"function": [asm_rate, c_rate], ...}. The rounds
of the two modules alternate, so that both see the same machine; each rate
is the best round of N calls from a local loop, which costs the same for
both.
"""
import json
import sys
import time

import cref
import refext

N = 200000
ROUNDS = 9


def one_round(fn, args):
    t0 = time.perf_counter()
    for _ in range(N):
        fn(*args)
    return N / (time.perf_counter() - t0)


out = {}
for name, args in [("multiply", (123456, 789)), ("multiply_fast", (123456, 789)), ("identity", (out,))]:
    if not (hasattr(refext, name) and hasattr(cref, name)):
        continue
    best = [0.0, 0.0]
    for _ in range(ROUNDS):
        for i, mod in enumerate((refext, cref)):
            best[i] = max(best[i], one_round(getattr(mod, name), args))
    out[name] = best
sys.stdout.write(json.dumps(out) + "\n")
