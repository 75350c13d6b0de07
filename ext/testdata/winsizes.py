"""Reads sizes and type-object fields from the running interpreter.

Usage: python winsizes.py OFFSETS_JSON
OFFSETS_JSON maps "tp_name", "tp_basicsize", "tp_itemsize", "tp_flags" and
"ob_type" to their offsets as the include gives them. For every type this
interpreter has that is named below, prints one JSON object: the type's
__basicsize__, __itemsize__ and __flags__, sys.getsizeof of its empty value
(where it has one that is not tracked by the collector), and the fields
read with ctypes at the include's offsets inside the live type object.
"""
import ctypes
import json
import sys
import types
import weakref

off = json.loads(sys.argv[1])


def named(expr):
    try:
        return eval(expr)
    except (NameError, AttributeError):
        return None


TYPES = ["object", "float", "complex", "int", "bool", "bytes", "bytearray", "str", "tuple",
         "list", "dict", "set", "frozenset", "slice", "type", "memoryview",
         "types.FunctionType", "types.MethodType", "types.CellType", "type(len)",
         "weakref.ref", "BaseException", "StopIteration", "OSError", "SyntaxError",
         "ImportError", "UnicodeDecodeError", "SystemExit", "AttributeError", "NameError",
         "BaseExceptionGroup"]
EMPTY = {"object": "object()", "float": "0.0", "complex": "0j", "bytes": "b''", "str": "''"}

out = {}
for expr in TYPES:
    t = named(expr)
    if t is None:
        continue
    addr = id(t)
    read = {
        "tp_name": ctypes.c_char_p.from_address(addr + off["tp_name"]).value.decode(),
        "tp_basicsize": ctypes.c_ssize_t.from_address(addr + off["tp_basicsize"]).value,
        "tp_itemsize": ctypes.c_ssize_t.from_address(addr + off["tp_itemsize"]).value,
        "tp_flags": ctypes.c_uint32.from_address(addr + off["tp_flags"]).value,
        "ob_type": ctypes.c_size_t.from_address(addr + off["ob_type"]).value,
    }
    out[expr] = {
        "name": t.__name__, "basicsize": t.__basicsize__, "itemsize": t.__itemsize__,
        "flags": t.__flags__, "type_id": id(type(t)), "read": read,
        "getsizeof": sys.getsizeof(eval(EMPTY[expr])) if expr in EMPTY else None,
    }
print(json.dumps(out))
