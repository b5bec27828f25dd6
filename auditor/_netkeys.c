/* `auditor.netindex.ip_key` in C: an address text's (version, integer), or None.
 *
 * An estate audit reads ~2 million address texts this way (network index, reconcile, name
 * linking); in Python each cost an `inet_pton`, an `inet_ntoa` to check the text is the
 * canonical one and an `int.from_bytes`, about a microsecond. This does what the Python
 * does, with the C library's own `inet_pton`/`inet_ntop` (the ones Python's socket module
 * calls): IPv4 when `inet_pton(AF_INET)` takes the text and writes it back the same; when it
 * takes it but writes it otherwise, the Python reading (`fallback`, netaddr) decides; IPv6
 * when the text has a colon and `inet_pton(AF_INET6)` takes it; else None. A text Python's
 * `inet_pton` would refuse with TypeError or ValueError (not a str, an embedded NUL, not
 * encodable) goes to `fallback` too. `tests/test_addresses.py` holds the two to each other.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <arpa/inet.h>
#include <string.h>

static PyObject *fallback;   /* the Python reading of the odd cases */

static PyObject *ip_key(PyObject *module, PyObject *address) {
    if (fallback == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "ip_key: configure(fallback) first");
        return NULL;
    }
    if (!PyUnicode_Check(address)) return PyObject_CallOneArg(fallback, address);
    Py_ssize_t size;
    const char *text = PyUnicode_AsUTF8AndSize(address, &size);
    if (text == NULL) {   /* not encodable: Python's inet_pton raises ValueError */
        PyErr_Clear();
        return PyObject_CallOneArg(fallback, address);
    }
    if ((Py_ssize_t)strlen(text) != size) return PyObject_CallOneArg(fallback, address);
    unsigned char packed[16];
    if (inet_pton(AF_INET, text, packed) == 1) {
        char written[INET_ADDRSTRLEN];
        if (inet_ntop(AF_INET, packed, written, sizeof written) != NULL
                && strcmp(written, text) == 0) {
            unsigned long value = ((unsigned long)packed[0] << 24) | (packed[1] << 16)
                                  | (packed[2] << 8) | packed[3];
            return Py_BuildValue("(ik)", 4, value);
        }
        return PyObject_CallOneArg(fallback, address);
    }
    if (memchr(text, ':', size) == NULL) Py_RETURN_NONE;   /* neither family */
    if (inet_pton(AF_INET6, text, packed) != 1) Py_RETURN_NONE;
    PyObject *value = _PyLong_FromByteArray(packed, 16, 0, 0);   /* big-endian, unsigned */
    if (value == NULL) return NULL;
    return Py_BuildValue("(iN)", 6, value);
}

static PyObject *configure(PyObject *module, PyObject *reader) {
    if (!PyCallable_Check(reader)) {
        PyErr_SetString(PyExc_TypeError, "configure takes the Python reading (a callable)");
        return NULL;
    }
    Py_INCREF(reader);
    Py_XSETREF(fallback, reader);
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"ip_key", (PyCFunction)ip_key, METH_O,
     "ip_key(address) -> (version, integer) or None, as auditor.netindex.ip_key"},
    {"configure", (PyCFunction)configure, METH_O,
     "configure(fallback): the Python reading of the texts inet_ntop writes otherwise"},
    {NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "auditor._netkeys",
    "Address texts to (version, integer) in C (see auditor/_netkeys.c).", -1, methods,
};

PyMODINIT_FUNC PyInit__netkeys(void) { return PyModule_Create(&module); }
