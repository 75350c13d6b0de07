"""Calls per second of refext (NASM) and cref (C, gcc -O2), for make bench.

Prints one JSON object: {"row": [rate, rate compared with], ...}, mostly
{"function": [NASM rate, C rate]}. The rounds of the sides alternate, so
that all see the same machine; each rate
is the best round of N calls from a local loop, which costs the same for
both, timed in CPU time of the process (time.process_time), so that other
work on a shared machine counts as little as it can. "multiply_fast/compact"
sets refext.multiply_fast against C that reads ints with
PyUnstable_Long_IsCompact and PyUnstable_Long_CompactValue (3.12+);
"Counter.increment" is c.increment() on a Counter of each module.
"""
import json
import os
import sys
import time

import cref
import refext

N = 50000
ROUNDS = 101
# CALLS_CLOCK=perf_counter under Wine, whose process times do not advance
# (GetProcessTimes): wall time there, on a machine kept otherwise idle.
clock = getattr(time, os.environ.get("CALLS_CLOCK", "process_time"))


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


ARGS = (123456, 789)

# Each group's sides alternate round by round, so that they see the same
# machine. Rows: name -> (side, side it is compared with).
# "multiply_fast/ceiling" sets cref.multiply_no_conversion, which returns the
# same product without reading its arguments, against C's multiply_fast: no
# way of reading ints can beat it. "Counter.increment/C against C" sets two
# cref Counters against each other: the same code on both sides, so its
# distance from 1 is what noise alone does to a ratio in this run.
GROUPS = [
    ("multiply", ARGS, two_args_round,
     {"NASM": (refext, "multiply"), "C": (cref, "multiply")},
     {"multiply": ("NASM", "C")}),
    ("multiply_fast", ARGS, two_args_round,
     {"NASM": (refext, "multiply_fast"), "C": (cref, "multiply_fast"),
      "compact": (cref, "multiply_compact"), "none": (cref, "multiply_no_conversion")},
     {"multiply_fast": ("NASM", "C"), "multiply_fast/compact": ("NASM", "compact"),
      "multiply_fast/ceiling": ("none", "C")}),
    ("identity", (object(),), one_arg_round,  # not immortal: its count changes
     {"NASM": (refext, "identity"), "C": (cref, "identity")},
     {"identity": ("NASM", "C")}),
    ("Counter.increment", (), increment_round,
     {"NASM": (refext, "Counter"), "C": (cref, "Counter"), "C again": (cref, "Counter")},
     {"Counter.increment": ("NASM", "C"), "Counter.increment/C against C": ("C again", "C")}),
]


def sides_of(group, run):
    """The callables of a group that exist here, by side name (a Counter
    of each class for increment_round)."""
    sides = {}
    for side, (module, attr) in group.items():
        if hasattr(module, attr):
            sides[side] = getattr(module, attr)
            if run is increment_round:
                sides[side] = sides[side](0)
    return sides


if hasattr(cref, "multiply_no_conversion") and cref.multiply_no_conversion(*ARGS) != ARGS[0] * ARGS[1]:
    sys.exit("calls.py: cref.c's CALLS_PRODUCT is not the product of ARGS")

out = {}
for name, args, run, group, rows in GROUPS:
    sides = sides_of(group, run)
    best = dict.fromkeys(sides, 0.0)
    for _ in range(ROUNDS):
        for side, fn in sides.items():
            best[side] = max(best[side], run(fn, args))
    for row, (a, b) in rows.items():
        if a in best and b in best:
            out[row] = [best[a], best[b]]
sys.stdout.write(json.dumps(out) + "\n")
