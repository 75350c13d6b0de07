"""Captures the native stack from a Python function that walk.call (an
assembly function) calls, with RtlCaptureStackBackTrace through ctypes.

Prints "next N beyond M": N is 1 when the frame after the assembly
function's returns into the Python DLL (its caller), M the number of the
DLL's frames beyond the assembly function's.
"""
import ctypes
import sys
from ctypes import wintypes

import walk

k32 = ctypes.WinDLL("kernel32")
k32.GetModuleHandleW.restype = ctypes.c_void_p
k32.GetModuleHandleW.argtypes = [wintypes.LPCWSTR]
k32.RtlCaptureStackBackTrace.restype = ctypes.c_ushort
k32.RtlCaptureStackBackTrace.argtypes = [ctypes.c_ulong, ctypes.c_ulong,
                                         ctypes.POINTER(ctypes.c_void_p), ctypes.c_void_p]


def extent(name):
    """The module's address range: its base to base + SizeOfImage."""
    base = k32.GetModuleHandleW(name)
    assert base, name
    pe = base + ctypes.c_uint32.from_address(base + 0x3C).value
    size = ctypes.c_uint32.from_address(pe + 24 + 56).value
    return base, base + size


def capture():
    buf = (ctypes.c_void_p * 128)()
    n = k32.RtlCaptureStackBackTrace(0, 128, buf, None)
    return [buf[i] or 0 for i in range(n)]


frames = walk.call(capture)
lo, hi = extent(walk.__file__)
dll = extent("python%d%d.dll" % sys.version_info[:2])
ours = [i for i, a in enumerate(frames) if lo <= a < hi]
assert ours, "no frame in the assembly module: %r" % [hex(a) for a in frames]
beyond = frames[ours[-1] + 1:]
print("next", int(bool(beyond) and dll[0] <= beyond[0] < dll[1]),
      "beyond", sum(1 for a in beyond if dll[0] <= a < dll[1]))
