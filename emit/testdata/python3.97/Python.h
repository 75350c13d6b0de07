/* The header whose layout emit's golden model states by hand; every number
   of that model is what gcc computes from this file (TestGoldenAgainstGCC
   checks them with crosscheck's probes). */
#include <stddef.h>
typedef ptrdiff_t Py_ssize_t;
typedef struct _object { Py_ssize_t ob_refcnt; struct _typeobject *ob_type; } PyObject;
typedef struct { PyObject ob_base; Py_ssize_t ob_size; } PyVarObject;
typedef struct Pad { char c; double d; short s; } Pad;
typedef struct Flags { unsigned char small : 3; unsigned short mid : 9; unsigned int wide : 20; unsigned long long huge : 40; } Flags;
typedef union Num { int i; double d; } Num;
typedef struct Vec { Py_ssize_t n; PyObject *items[]; } Vec;
#define ANSWER 42
#define NEGATIVE (-7)
#define FLAG_BIT31 (1UL << 31)
#define GREETING "hi"
PyObject *PyLong_FromLong(long);
extern PyObject _Py_NoneStruct;
