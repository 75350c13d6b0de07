/* cref: the reference extension's functions in C, written the usual way,
 * for the call-speed comparison of make bench. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

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
#endif
    {"identity", identity, METH_O, NULL},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef moddef = {PyModuleDef_HEAD_INIT, "cref", NULL, -1, methods};

PyMODINIT_FUNC PyInit_cref(void) { return PyModule_Create(&moddef); }
