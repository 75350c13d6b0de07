/* A small CPython-like header for layout's fast tests. Every number the
   tests expect of it was printed by gcc (offsetof, sizeof, _Alignof, the
   bytes of bitfields set to all ones) on x86-64 Linux. */
#include <stddef.h>
#include <stdint.h>
typedef ptrdiff_t Py_ssize_t;
typedef struct _object { Py_ssize_t ob_refcnt; struct _typeobject *ob_type; } PyObject;
typedef struct { PyObject ob_base; Py_ssize_t ob_size; } PyVarObject;
typedef struct _typeobject { PyVarObject ob_base; const char *tp_name; unsigned long tp_flags; } PyTypeObject;
typedef struct Pad { char c; double d; short s; } Pad;
typedef struct Bits { unsigned int kind : 3; unsigned int compact : 1; unsigned int :0; unsigned char tail : 7; int after; } Bits;
typedef union U { int i; double d; char bytes[12]; } U;
typedef struct Anon { int x; union { long l; float f; }; struct { short a, b; } pair; } Anon;
typedef struct __attribute__((packed)) Packed { char c; int i; } Packed;
typedef struct Aligned { char c; _Alignas(16) int i; } Aligned;
typedef struct Flex { Py_ssize_t n; PyObject *items[]; } Flex;
enum Color { RED, GREEN = 5, BLUE, NEG = -3 };
#define ANSWER 42
#define HEXFLAG (1UL << 31)
#define NEGATIVE (-7)
#define NAME "pyinc"
extern PyObject _Py_NoneStruct;
PyObject *PyLong_FromLong(long);
double PyFloat_AsDouble(PyObject *);
void Py_Unexported(void);
int PyArg_ParseTuple(PyObject *, const char *, ...);
#define PyObject_HEAD_INIT(type) { 1, type },
