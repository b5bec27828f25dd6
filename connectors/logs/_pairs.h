/* The ASA parser's pairing table, in C: (device, connection id) -> the Built was outbound.
 *
 * Four lines in five of a busy firewall are Built/Teardown pairs, and each touched the
 * parser's `OrderedDict` with a fresh tuple and string as its key: ~0.1 us of a line's
 * ~0.5 us. `PairTable` keeps the same table with C keys (the device as a small number, the
 * connection id as its UTF-8 bytes) and exactly an OrderedDict's behaviour as the parser
 * uses it: setting a key that is there keeps its place, `popitem(last=False)` forgets the
 * oldest, items come oldest first. The C scanner (`_asa_scan.c`) calls `pairs_set`,
 * `pairs_get` and `pairs_pop` directly; Python sees a small mapping with (device, conn)
 * tuple keys, so the parser's own code reads and writes the same table, in order.
 *
 * A block's parser leaves its open pairs to the blocks after it (`logfold.Merge`): on a
 * busy firewall, where a connection's Teardown comes minutes after its Built, that is most
 * of a block's Builts. The table pickles as its devices and one bytes record per pair
 * (`__reduce__`) and stays packed when unpickled until it is read (`pairs_ready`): the
 * merge looks a few keys up in each block's pairs (sent and merged as a dict of tuples,
 * they cost more than the block had cost to parse).
 *
 * Layout: entries in a log in insertion order (`head` the oldest that may be alive, `tail`
 * the next free place; a popped entry stays as a hole), and an open-addressing index of
 * log positions twice the log's capacity (each position goes into it once, so the index is
 * never more than half full, holes included). When the log is full it is compacted in
 * place, or doubled when more than half of it is alive, and the index rebuilt.
 */

#include <stdint.h>
#include <string.h>

#define PAIR_INLINE 24      /* connection ids up to this long are kept in the entry */
/* One pair as `__reduce__` packs it: device number (u32), outbound (u8), id length (u32),
 * the id's bytes. */
#define PACKED_HEAD 9
/* An index slot: empty, gone (its entry popped), or the top half of its entry's hash and its
 * log position + 2, so that a probe past other keys reads no entry (a Teardown whose Built
 * is in another block probes to an empty slot, on a busy firewall most of them). */
#define SLOT_EMPTY 0
#define SLOT_GONE 1
#define SLOT_OF(hash, at) (((hash) >> 32 << 32) | (uint64_t)((at) + 2))
#define SLOT_AT(slot) ((Py_ssize_t)(uint32_t)(slot) - 2)

typedef struct {
    uint64_t hash;
    int32_t device;         /* index into `devices`; -1: a hole left by a pop */
    int32_t len;
    union { char text[PAIR_INLINE]; char *heap; } conn;
    unsigned char outbound;
    uint32_t slot;          /* its index slot */
} Pair;

typedef struct {
    PyObject_HEAD
    Pair *pairs;
    Py_ssize_t head, tail, cap;     /* cap: a power of two */
    uint64_t *index;                /* 2 * cap slots (SLOT_OF, SLOT_EMPTY, SLOT_GONE) */
    Py_ssize_t count;
    PyObject *device_at;            /* device str -> its number */
    PyObject *devices;              /* list: number -> device str */
    /* a table unpickled and not yet read: its devices and packed pairs (`__reduce__`),
     * set into the table on first use (`pairs_ready`); most blocks' pairs are only
     * counted, or looked up a few times. NULL when read. */
    PyObject *packed_devices, *packed;
} PairTable;

static PyTypeObject PairTableType;
static int pairs_ready(PairTable *t);

static inline const char *pair_text(const Pair *p) {
    return p->len > PAIR_INLINE ? p->conn.heap : p->conn.text;
}

/* The id's bytes eight at a time (a connection id is about ten digits), then mixed so that
 * the top half, which the index keeps (`SLOT_OF`), depends on every byte. */
static inline uint64_t pair_hash(int32_t device, const char *conn, Py_ssize_t len) {
    uint64_t h = ((uint64_t)(uint32_t)device << 32 | (uint64_t)len) * 0x9e3779b97f4a7c15ULL;
    Py_ssize_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t word;
        memcpy(&word, conn + i, 8);
        h = (h ^ word) * 0xff51afd7ed558ccdULL;
        h ^= h >> 32;
    }
    if (i < len) {
        uint64_t word = 0;
        memcpy(&word, conn + i, (size_t)(len - i));
        h = (h ^ word) * 0xc4ceb9fe1a85ec53ULL;
    }
    h ^= h >> 29;
    h *= 0x9e3779b97f4a7c15ULL;
    return h ^ (h >> 32);
}

/* The index slot holding the entry for this key, or -1. */
static Py_ssize_t pairs_find(PairTable *t, int32_t device, const char *conn, Py_ssize_t len,
                             uint64_t hash) {
    if (t->cap == 0) return -1;
    size_t mask = (size_t)(2 * t->cap - 1);
    uint64_t tag = hash >> 32;
    for (size_t s = (size_t)hash & mask;; s = (s + 1) & mask) {
        uint64_t slot = t->index[s];
        if (slot == SLOT_EMPTY) return -1;
        if (slot == SLOT_GONE || slot >> 32 != tag) continue;
        const Pair *p = &t->pairs[SLOT_AT(slot)];
        if (p->hash == hash && p->device == device && p->len == len
            && memcmp(pair_text(p), conn, len) == 0)
            return (Py_ssize_t)s;
    }
}

static void pairs_index_put(PairTable *t, Py_ssize_t at) {
    size_t mask = (size_t)(2 * t->cap - 1);
    Pair *p = &t->pairs[at];
    size_t s = (size_t)p->hash & mask;
    while (t->index[s] > SLOT_GONE) s = (s + 1) & mask;
    t->index[s] = SLOT_OF(p->hash, at);
    p->slot = (uint32_t)s;
}

/* Room for one more entry at `tail`: the log compacted, or doubled. 0, or -1 (no memory). */
static int pairs_make_room(PairTable *t) {
    Py_ssize_t cap = t->cap;
    if (cap == 0 || 2 * t->count >= cap) cap = cap ? 2 * cap : 64;
    if (cap > 0x3fffffff) {
        PyErr_SetString(PyExc_OverflowError, "pairing table too large");
        return -1;
    }
    uint64_t *index = PyMem_Malloc(2 * cap * sizeof(uint64_t));
    if (index == NULL) { PyErr_NoMemory(); return -1; }
    Pair *pairs = t->pairs;
    if (cap != t->cap) {
        pairs = PyMem_Realloc(t->pairs, cap * sizeof(Pair));
        if (pairs == NULL) { PyMem_Free(index); PyErr_NoMemory(); return -1; }
    }
    Py_ssize_t n = 0;   /* the live entries to the front, in order */
    for (Py_ssize_t i = t->head; i < t->tail; i++)
        if (pairs[i].device >= 0) pairs[n++] = pairs[i];
    PyMem_Free(t->index);
    t->pairs = pairs;
    t->index = index;
    t->cap = cap;
    t->head = 0;
    t->tail = n;
    for (Py_ssize_t s = 0; s < 2 * cap; s++) index[s] = SLOT_EMPTY;
    for (Py_ssize_t i = 0; i < n; i++) pairs_index_put(t, i);
    return 0;
}

/* Forget the entry in index slot `s`. */
static void pairs_drop(PairTable *t, Py_ssize_t s) {
    Pair *p = &t->pairs[SLOT_AT(t->index[s])];
    if (p->len > PAIR_INLINE) PyMem_Free(p->conn.heap);
    p->device = -1;
    t->index[s] = SLOT_GONE;
    t->count--;
}

/* table[key] = outbound (a key that is there keeps its place). 0, or -1 with an exception. */
static int pairs_set(PairTable *t, int32_t device, const char *conn, Py_ssize_t len,
                     int outbound) {
    uint64_t hash = pair_hash(device, conn, len);
    Py_ssize_t s = pairs_find(t, device, conn, len, hash);
    if (s >= 0) {
        t->pairs[SLOT_AT(t->index[s])].outbound = (unsigned char)outbound;
        return 0;
    }
    if (len > 0x7fffffff) {
        PyErr_SetString(PyExc_OverflowError, "connection id too long");
        return -1;
    }
    if (t->tail == t->cap && pairs_make_room(t) < 0) return -1;
    Pair *p = &t->pairs[t->tail];
    p->hash = hash;
    p->device = device;
    p->len = (int32_t)len;
    p->outbound = (unsigned char)outbound;
    if (len > PAIR_INLINE) {
        p->conn.heap = PyMem_Malloc(len);
        if (p->conn.heap == NULL) { PyErr_NoMemory(); return -1; }
        memcpy(p->conn.heap, conn, len);
    } else {
        memcpy(p->conn.text, conn, len);
    }
    pairs_index_put(t, t->tail++);
    t->count++;
    return 0;
}

/* table.get(key): 1 outbound, 0 inbound, -1 not there. */
static int pairs_get(PairTable *t, int32_t device, const char *conn, Py_ssize_t len) {
    Py_ssize_t s = pairs_find(t, device, conn, len, pair_hash(device, conn, len));
    return s < 0 ? -1 : t->pairs[SLOT_AT(t->index[s])].outbound;
}

/* table.pop(key, None): 1 outbound, 0 inbound, -1 not there. */
static int pairs_pop(PairTable *t, int32_t device, const char *conn, Py_ssize_t len) {
    Py_ssize_t s = pairs_find(t, device, conn, len, pair_hash(device, conn, len));
    if (s < 0) return -1;
    int outbound = t->pairs[SLOT_AT(t->index[s])].outbound;
    pairs_drop(t, s);
    return outbound;
}

/* The log position of the oldest (last=0) or newest live entry; the table is not empty. */
static Py_ssize_t pairs_end(PairTable *t, int last) {
    if (last) {
        Py_ssize_t i = t->tail - 1;
        while (t->pairs[i].device < 0) i--;
        return i;
    }
    while (t->pairs[t->head].device < 0) t->head++;
    return t->head;
}

/* Forget the entry at log position `at`. */
static void pairs_drop_at(PairTable *t, Py_ssize_t at) {
    pairs_drop(t, t->pairs[at].slot);
}

/* Forget the oldest entries past `limit` (`popitem(last=False)` while too many). */
static void pairs_bound(PairTable *t, Py_ssize_t limit) {
    while (t->count > limit && t->count > 0) pairs_drop_at(t, pairs_end(t, 0));
}

/* A device's number, given it when new. -1 with an exception. */
static int32_t pairs_device(PairTable *t, PyObject *device) {
    PyObject *at = PyDict_GetItemWithError(t->device_at, device);
    if (at != NULL) return (int32_t)PyLong_AsLong(at);
    if (PyErr_Occurred()) return -1;
    if (!PyUnicode_Check(device)) {
        PyErr_SetString(PyExc_TypeError, "a pairing key is (device str, connection id str)");
        return -1;
    }
    Py_ssize_t n = PyList_GET_SIZE(t->devices);
    PyObject *num = PyLong_FromSsize_t(n);
    if (num == NULL) return -1;
    int rc = PyDict_SetItem(t->device_at, device, num);
    Py_DECREF(num);
    if (rc < 0 || PyList_Append(t->devices, device) < 0) return -1;
    return (int32_t)n;
}

/* -- the Python face: a small mapping of (device, conn) tuples ------------------------------- */

/* Read a (device, conn) key. 1 read; 0 a device never seen (with `add` 0: not there);
 * -1 with an exception. */
static int pairs_key(PairTable *t, PyObject *key, int add, int32_t *device, const char **conn,
                     Py_ssize_t *len) {
    if (pairs_ready(t) < 0) return -1;
    if (!PyTuple_Check(key) || PyTuple_GET_SIZE(key) != 2
        || !PyUnicode_Check(PyTuple_GET_ITEM(key, 0))
        || !PyUnicode_Check(PyTuple_GET_ITEM(key, 1))) {
        PyErr_SetString(PyExc_TypeError, "a pairing key is (device str, connection id str)");
        return -1;
    }
    PyObject *name = PyTuple_GET_ITEM(key, 0);
    if (add) *device = pairs_device(t, name);
    else {
        PyObject *at = PyDict_GetItemWithError(t->device_at, name);
        if (at == NULL) return PyErr_Occurred() ? -1 : 0;
        *device = (int32_t)PyLong_AsLong(at);
    }
    if (*device < 0) return -1;
    *conn = PyUnicode_AsUTF8AndSize(PyTuple_GET_ITEM(key, 1), len);
    return *conn == NULL ? -1 : 1;
}

static PyObject *pairs_item_key(PairTable *t, const Pair *p) {
    PyObject *conn = PyUnicode_DecodeUTF8(pair_text(p), p->len, NULL);
    if (conn == NULL) return NULL;
    PyObject *key = PyTuple_Pack(2, PyList_GET_ITEM(t->devices, p->device), conn);
    Py_DECREF(conn);
    return key;
}

static void PairTable_dealloc(PairTable *self) {
    Py_XDECREF(self->packed_devices);
    Py_XDECREF(self->packed);
    for (Py_ssize_t i = self->head; i < self->tail; i++)
        if (self->pairs[i].device >= 0 && self->pairs[i].len > PAIR_INLINE)
            PyMem_Free(self->pairs[i].conn.heap);
    PyMem_Free(self->pairs);
    PyMem_Free(self->index);
    Py_XDECREF(self->device_at);
    Py_XDECREF(self->devices);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* How many pairs: of a packed table, counted by hopping its records (it stays packed). */
static Py_ssize_t PairTable_len(PairTable *self) {
    if (self->packed == NULL) return self->count;
    const char *in = PyBytes_AS_STRING(self->packed);
    const char *end = in + PyBytes_GET_SIZE(self->packed);
    Py_ssize_t n = 0;
    while (end - in >= PACKED_HEAD) {
        uint32_t len;
        memcpy(&len, in + 5, 4);
        in += PACKED_HEAD + (Py_ssize_t)len;
        n++;
    }
    return n;
}

static PyObject *PairTable_subscript(PairTable *self, PyObject *key) {
    int32_t device;
    const char *conn;
    Py_ssize_t len;
    int read = pairs_key(self, key, 0, &device, &conn, &len);
    if (read < 0) return NULL;
    int outbound = read ? pairs_get(self, device, conn, len) : -1;
    if (outbound < 0) {
        PyErr_SetObject(PyExc_KeyError, key);
        return NULL;
    }
    return PyBool_FromLong(outbound);
}

static int PairTable_ass_subscript(PairTable *self, PyObject *key, PyObject *value) {
    int32_t device;
    const char *conn;
    Py_ssize_t len;
    int read = pairs_key(self, key, value != NULL, &device, &conn, &len);
    if (read < 0) return -1;
    if (value == NULL) {
        if (!read || pairs_pop(self, device, conn, len) < 0) {
            PyErr_SetObject(PyExc_KeyError, key);
            return -1;
        }
        return 0;
    }
    int outbound = PyObject_IsTrue(value);
    return outbound < 0 ? -1 : pairs_set(self, device, conn, len, outbound);
}

static int PairTable_contains(PairTable *self, PyObject *key) {
    int32_t device;
    const char *conn;
    Py_ssize_t len;
    int read = pairs_key(self, key, 0, &device, &conn, &len);
    if (read <= 0) return read;
    return pairs_get(self, device, conn, len) >= 0;
}

static PyObject *PairTable_pop(PairTable *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs < 1 || nargs > 2) {
        PyErr_SetString(PyExc_TypeError, "pop(key[, default])");
        return NULL;
    }
    int32_t device;
    const char *conn;
    Py_ssize_t len;
    int read = pairs_key(self, args[0], 0, &device, &conn, &len);
    if (read < 0) return NULL;
    int outbound = read ? pairs_pop(self, device, conn, len) : -1;
    if (outbound >= 0) return PyBool_FromLong(outbound);
    if (nargs == 2) return Py_NewRef(args[1]);
    PyErr_SetObject(PyExc_KeyError, args[0]);
    return NULL;
}

static PyObject *PairTable_popitem(PairTable *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"last", NULL};
    int last = 1;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|p", kwlist, &last)) return NULL;
    if (pairs_ready(self) < 0) return NULL;
    if (self->count == 0) {
        PyErr_SetString(PyExc_KeyError, "popitem(): pairing table is empty");
        return NULL;
    }
    Py_ssize_t at = pairs_end(self, last);
    PyObject *key = pairs_item_key(self, &self->pairs[at]);
    if (key == NULL) return NULL;
    PyObject *item = Py_BuildValue("(NO)", key, self->pairs[at].outbound ? Py_True : Py_False);
    if (item != NULL) pairs_drop_at(self, at);
    return item;
}

static PyObject *PairTable_items(PairTable *self, PyObject *Py_UNUSED(ignored)) {
    if (pairs_ready(self) < 0) return NULL;
    PyObject *items = PyList_New(0);
    if (items == NULL) return NULL;
    for (Py_ssize_t i = self->head; i < self->tail; i++) {
        const Pair *p = &self->pairs[i];
        if (p->device < 0) continue;
        PyObject *key = pairs_item_key(self, p);
        PyObject *item = key ? Py_BuildValue("(NO)", key, p->outbound ? Py_True : Py_False)
                             : NULL;
        if (item == NULL || PyList_Append(items, item) < 0) {
            Py_XDECREF(item);
            Py_DECREF(items);
            return NULL;
        }
        Py_DECREF(item);
    }
    return items;
}


static PyObject *PairTable_reduce(PairTable *self, PyObject *Py_UNUSED(ignored)) {
    if (self->packed != NULL)   /* never read here: sent on as it came */
        return Py_BuildValue("(O(OO))", (PyObject *)Py_TYPE(self), self->packed_devices,
                             self->packed);
    Py_ssize_t size = 0;
    for (Py_ssize_t i = self->head; i < self->tail; i++)
        if (self->pairs[i].device >= 0) size += PACKED_HEAD + self->pairs[i].len;
    PyObject *blob = PyBytes_FromStringAndSize(NULL, size);
    if (blob == NULL) return NULL;
    char *out = PyBytes_AS_STRING(blob);
    for (Py_ssize_t i = self->head; i < self->tail; i++) {
        const Pair *p = &self->pairs[i];
        if (p->device < 0) continue;
        uint32_t device = (uint32_t)p->device, len = (uint32_t)p->len;
        memcpy(out, &device, 4);
        out[4] = (char)p->outbound;
        memcpy(out + 5, &len, 4);
        memcpy(out + PACKED_HEAD, pair_text(p), p->len);
        out += PACKED_HEAD + p->len;
    }
    PyObject *devices = PyList_GetSlice(self->devices, 0, PyList_GET_SIZE(self->devices));
    if (devices == NULL) {
        Py_DECREF(blob);
        return NULL;
    }
    return Py_BuildValue("(O(NN))", (PyObject *)Py_TYPE(self), devices, blob);
}

/* The devices of another table (`devices`, its list) as numbers of `self` (a new array),
 * or NULL with an exception. */
static int32_t *pairs_device_map(PairTable *self, PyObject *devices) {
    Py_ssize_t n = PyList_GET_SIZE(devices);
    int32_t *map = PyMem_Malloc((n + 1) * sizeof(int32_t));
    if (map == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    for (Py_ssize_t d = 0; d < n; d++) {
        map[d] = pairs_device(self, PyList_GET_ITEM(devices, d));
        if (map[d] < 0) {
            PyMem_Free(map);
            return NULL;
        }
    }
    return map;
}

/* Set the packed pairs of `in` (`__reduce__`'s), whose devices are `devices`, in order. */
static int pairs_absorb(PairTable *self, PyObject *devices, const char *in, Py_ssize_t size) {
    int32_t *map = pairs_device_map(self, devices);
    if (map == NULL) return -1;
    Py_ssize_t n = PyList_GET_SIZE(devices);
    int rc = 0;
    const char *end = in + size;
    while (rc == 0 && in < end) {
        uint32_t device, len;
        if (end - in < PACKED_HEAD) { rc = -2; break; }
        memcpy(&device, in, 4);
        memcpy(&len, in + 5, 4);
        if (device >= (uint32_t)n || (Py_ssize_t)len > end - in - PACKED_HEAD) {
            rc = -2;
            break;
        }
        rc = pairs_set(self, map[device], in + PACKED_HEAD, len, in[4] != 0);
        in += PACKED_HEAD + len;
    }
    PyMem_Free(map);
    if (rc == -2) PyErr_SetString(PyExc_ValueError, "a packed pairing table is damaged");
    return rc < 0 ? -1 : 0;
}

/* PairTable(), or PairTable(devices, packed) as `__reduce__` gives them back. */
static PyObject *PairTable_new(PyTypeObject *type, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"devices", "packed", NULL};
    PyObject *devices = NULL, *blob = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|O!O!", kwlist, &PyList_Type, &devices,
                                     &PyBytes_Type, &blob))
        return NULL;
    if ((devices == NULL) != (blob == NULL)) {
        PyErr_SetString(PyExc_TypeError, "PairTable() takes no arguments, or devices and packed");
        return NULL;
    }
    PairTable *self = (PairTable *)type->tp_alloc(type, 0);
    if (self == NULL) return NULL;
    self->device_at = PyDict_New();
    self->devices = PyList_New(0);
    if (self->device_at == NULL || self->devices == NULL) {
        Py_DECREF(self);
        return NULL;
    }
    self->packed_devices = Py_XNewRef(devices);
    self->packed = Py_XNewRef(blob);
    return (PyObject *)self;
}

/* Set a table's packed pairs into it, where it came so (`PairTable_new`). 0, or -1. */
static int pairs_ready(PairTable *t) {
    if (t->packed == NULL) return 0;
    PyObject *devices = t->packed_devices, *blob = t->packed;
    t->packed_devices = t->packed = NULL;
    int rc = pairs_absorb(t, devices, PyBytes_AS_STRING(blob), PyBytes_GET_SIZE(blob));
    Py_DECREF(devices);
    Py_DECREF(blob);
    return rc;
}

/* iter(table): the keys, oldest first (a snapshot). */
static PyObject *PairTable_iter(PairTable *self) {
    if (pairs_ready(self) < 0) return NULL;
    PyObject *keys = PyList_New(0);
    if (keys == NULL) return NULL;
    for (Py_ssize_t i = self->head; i < self->tail; i++) {
        if (self->pairs[i].device < 0) continue;
        PyObject *key = pairs_item_key(self, &self->pairs[i]);
        if (key == NULL || PyList_Append(keys, key) < 0) {
            Py_XDECREF(key);
            Py_DECREF(keys);
            return NULL;
        }
        Py_DECREF(key);
    }
    PyObject *it = PyObject_GetIter(keys);
    Py_DECREF(keys);
    return it;
}

static PyMethodDef PairTable_methods[] = {
    {"__reduce__", (PyCFunction)PairTable_reduce, METH_NOARGS,
     "Pickled as its devices and one packed record per pair, oldest first."},
    {"pop", (PyCFunction)(void (*)(void))PairTable_pop, METH_FASTCALL,
     "pop(key[, default]): the pair's direction, forgotten."},
    {"popitem", (PyCFunction)(void (*)(void))PairTable_popitem, METH_VARARGS | METH_KEYWORDS,
     "popitem(last=True): the newest (or, last=False, the oldest) (key, outbound), forgotten."},
    {"items", (PyCFunction)PairTable_items, METH_NOARGS,
     "items(): [((device, conn), outbound)], oldest first."},
    {NULL}
};

static PyMappingMethods PairTable_mapping = {
    .mp_length = (lenfunc)PairTable_len,
    .mp_subscript = (binaryfunc)PairTable_subscript,
    .mp_ass_subscript = (objobjargproc)PairTable_ass_subscript,
};

static PySequenceMethods PairTable_sequence = {
    .sq_contains = (objobjproc)PairTable_contains,
};

static PyTypeObject PairTableType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "connectors.logs._asa_scan.PairTable",
    .tp_basicsize = sizeof(PairTable),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = PyDoc_STR("PairTable(): (device, connection id) -> the Built was outbound, in "
                        "insertion order, as the ASA parser's OrderedDict (see _pairs.h)."),
    .tp_new = PairTable_new,
    .tp_iter = (getiterfunc)PairTable_iter,
    .tp_dealloc = (destructor)PairTable_dealloc,
    .tp_methods = PairTable_methods,
    .tp_as_mapping = &PairTable_mapping,
    .tp_as_sequence = &PairTable_sequence,
};
