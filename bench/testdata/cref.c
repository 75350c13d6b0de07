/* cref: the reference extension's functions and its Counter type in C,
 * written the usual way, for the call-speed comparison of make bench. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

static PyObject *multiply(PyObject *self, PyObject *args)
{
    long long a, b, r;
    if (!PyArg_ParseTuple(args, "LL:multiply", &a, &b))
        return NULL;
    if (__builtin_mul_overflow(a, b, &r)) {
        PyErr_SetString(PyExc_OverflowError, "multiply() result does not fit in a signed 64-bit integer");
        return NULL;
    }
    return PyLong_FromLongLong(r);
}

#if PY_VERSION_HEX >= 0x03070000
static PyObject *multiply_fast(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    long long a, b, r;
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "multiply_fast() takes exactly 2 arguments");
        return NULL;
    }
    a = PyLong_AsLongLong(args[0]);
    if (a == -1 && PyErr_Occurred())
        return NULL;
    b = PyLong_AsLongLong(args[1]);
    if (b == -1 && PyErr_Occurred())
        return NULL;
    if (__builtin_mul_overflow(a, b, &r)) {
        PyErr_SetString(PyExc_OverflowError, "multiply() result does not fit in a signed 64-bit integer");
        return NULL;
    }
    return PyLong_FromLongLong(r);
}

/* multiply_no_conversion: multiply_fast with the conversion taken out, for
 * the bench's ceiling. It returns the product of the arguments calls.py
 * passes, fixed here (calls.py checks that it is), so it costs what
 * multiply_fast costs besides reading its two ints: the call, the count
 * check, making the result int and freeing it after. No way of reading
 * ints, in C or in NASM, can make multiply_fast faster than this. */
#define CALLS_PRODUCT (123456LL * 789LL)
static PyObject *multiply_no_conversion(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "multiply_fast() takes exactly 2 arguments");
        return NULL;
    }
    return PyLong_FromLongLong(CALLS_PRODUCT);
}
#endif

#if PY_VERSION_HEX >= 0x030C0000
/* multiply_compact: multiply_fast with the fast path 3.12 offers C,
 * PyUnstable_Long_IsCompact and PyUnstable_Long_CompactValue (inline). */
static int compact_or_call(PyObject *o, long long *v)
{
    if (PyLong_Check(o) && PyUnstable_Long_IsCompact((PyLongObject *)o)) {
        *v = PyUnstable_Long_CompactValue((PyLongObject *)o);
        return 0;
    }
    *v = PyLong_AsLongLong(o);
    return (*v == -1 && PyErr_Occurred()) ? -1 : 0;
}

static PyObject *multiply_compact(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    long long a, b, r;
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "multiply_fast() takes exactly 2 arguments");
        return NULL;
    }
    if (compact_or_call(args[0], &a) < 0 || compact_or_call(args[1], &b) < 0)
        return NULL;
    if (__builtin_mul_overflow(a, b, &r)) {
        PyErr_SetString(PyExc_OverflowError, "multiply() result does not fit in a signed 64-bit integer");
        return NULL;
    }
    return PyLong_FromLongLong(r);
}
#endif

static PyObject *identity(PyObject *self, PyObject *o)
{
    Py_INCREF(o);
    return o;
}

static PyMethodDef methods[] = {
    {"multiply", multiply, METH_VARARGS, NULL},
#if PY_VERSION_HEX >= 0x03070000
    {"multiply_fast", (PyCFunction)(void (*)(void))multiply_fast, METH_FASTCALL, NULL},
    {"multiply_no_conversion", (PyCFunction)(void (*)(void))multiply_no_conversion, METH_FASTCALL, NULL},
#endif
#if PY_VERSION_HEX >= 0x030C0000
    {"multiply_compact", (PyCFunction)(void (*)(void))multiply_compact, METH_FASTCALL, NULL},
#endif
    {"identity", identity, METH_O, NULL},
    {NULL, NULL, 0, NULL},
};

/* Counter: refext.Counter in C, with the same behaviour (an atomic
 * increment that stops at LLONG_MAX). */
typedef struct {
    PyObject_HEAD
    long long value;
} Counter;

static PyObject *counter_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"start", NULL};
    PyObject *start = NULL;
    long long value = 0;
    Counter *self;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|O:Counter", kwlist, &start))
        return NULL;
    if (start) {
        if (!PyLong_Check(start)) {
            PyErr_SetString(PyExc_TypeError, "Counter() argument 'start' must be int");
            return NULL;
        }
        value = PyLong_AsLongLong(start);
        if (value == -1 && PyErr_Occurred())
            return NULL;
    }
    self = (Counter *)type->tp_alloc(type, 0);
    if (self)
        self->value = value;
    return (PyObject *)self;
}

static void counter_dealloc(PyObject *self) { Py_TYPE(self)->tp_free(self); }

static PyObject *counter_repr(PyObject *self)
{
    return PyUnicode_FromFormat("cref.Counter(%lld)", ((Counter *)self)->value);
}

static PyObject *counter_increment(PyObject *self, PyObject *unused)
{
    long long *p = &((Counter *)self)->value;
    long long old = __atomic_load_n(p, __ATOMIC_RELAXED);
    do {
        if (old == LLONG_MAX) {
            PyErr_SetString(PyExc_OverflowError, "Counter.increment() would pass 2**63 - 1");
            return NULL;
        }
    } while (!__atomic_compare_exchange_n(p, &old, old + 1, 0, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED));
    Py_RETURN_NONE;
}

static PyMethodDef counter_methods[] = {
    {"increment", counter_increment, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyMemberDef counter_members[] = {
    {"value", T_LONGLONG, offsetof(Counter, value), READONLY, NULL},
    {NULL},
};

static PyTypeObject counter_type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "cref.Counter",
    .tp_basicsize = sizeof(Counter),
    .tp_dealloc = counter_dealloc,
    .tp_repr = counter_repr,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_methods = counter_methods,
    .tp_members = counter_members,
    .tp_new = counter_new,
};

static struct PyModuleDef moddef = {PyModuleDef_HEAD_INIT, "cref", NULL, -1, methods};

PyMODINIT_FUNC PyInit_cref(void)
{
    PyObject *m;
    if (PyType_Ready(&counter_type) < 0)
        return NULL;
    m = PyModule_Create(&moddef);
    if (m == NULL)
        return NULL;
    Py_INCREF(&counter_type);
    if (PyModule_AddObject(m, "Counter", (PyObject *)&counter_type) < 0) {
        Py_DECREF(&counter_type);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
