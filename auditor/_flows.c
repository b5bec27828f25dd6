/* The drop-flow table of `auditor.traffic.TrafficIndex`, in C.
 *
 * On a busy firewall most drop lines open a flow of their own (a poller's retries from a
 * new ephemeral port to the same dead address) and the rest add to one: folding them in
 * Python cost ~3.5 us a drop, a FlowTally and three dicts per new flow, more than parsing
 * the line. `FlowTable.add(time, message, signal, protocol, src, sport, dst, dport, count)`
 * does what `TrafficIndex.add_fields` does with a drop, with exactly its effect:
 *
 *   - the line counts in its hour (`hourly`, `hourly_messages`: the index's own Counters,
 *     updated in place);
 *   - a new (src, dst, protocol or "?", dport) key to an address nobody holds, from a
 *     sender `is_noise` says is outside, goes to the index's `noise` (a Python call);
 *   - past `max_flows` flows, a new key folds into a coarser one (`folded_key`, the same
 *     tiers), counted in `folded`;
 *   - a flow keeps its count, first and last time, lines per signal, per message and per
 *     hour (each in first-seen order, as a dict keeps them) and up to 32 distinct source
 *     ports in arrival order.
 *
 * `drain(FlowTally, array)` turns the table into the `{key: FlowTally}` dict the Python path
 * would have built, in the same order, and empties it; the index then goes on in Python
 * (reads come after the fold, so that happens once); `counts` and `tally` read it without
 * draining (ghost flows). `add_packed(blob, objects, calls, other)` replays a worker's
 * recording (`connectors.base.Recording`): drops here, anything else to `other`.
 * The tests fold random event streams both ways (table and pure Python) and compare.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define MAX_SPORTS 32
/* Senders whose `is_noise` answer is kept (past it, new ones are asked every time: memory
 * stays bounded, and nothing kept is thrown away) */
#define NOISE_SENDERS 200000

typedef struct {
    PyObject *name;   /* owned */
    long long n;
} Named;

typedef struct {
    Named *v;
    Py_ssize_t len, cap;
} Names;

typedef struct {
    PyObject *key;              /* owned: (src, dst, protocol, dport) */
    long long count;
    PyObject *first, *last;     /* owned, NULL when no line had a time */
    Names signals, messages, hours;
    unsigned short sports[MAX_SPORTS];
    int nsports;
} Flow;

typedef struct {
    PyObject_HEAD
    PyObject *index;            /* key -> flow number (a dict) */
    Flow *flows;
    Py_ssize_t len, cap;
    Py_ssize_t max_flows;
    long long folded;           /* drop lines counted in a folded flow */
    int drained;                /* `drain` was called: adding now would lose lines */
    PyObject *held;             /* collection of held addresses, or None */
    PyObject *is_noise;         /* callable or None */
    PyObject *noise_of;         /* sender -> what is_noise said (it is asked once each) */
    PyObject *noise;            /* NoiseTally */
    PyObject *hourly, *hourly_messages;   /* Counters */
    PyObject *drop_signals;     /* frozenset */
    PyObject *other;            /* the `other` signal */
    /* the current hour: lines of one second share one time object */
    PyObject *when, *hour, *hour_end;
    /* lines of the hour being read, not yet in `hourly`/`hourly_messages` (`flush`) */
    PyObject *pending_hour;     /* owned, or NULL */
    long long pending_lines;
    Names pending_messages;
} FlowTable;

static PyObject *STAR, *QUESTION, *ONE_HOUR, *REPLACE_KW, *EMPTY, *STR_H;
static PyObject *S_KEYS, *S_ADD, *S_REPLACE, *S_MAX;
/* FlowTally's fields, in the order `drain` sets them */
static const char *const FIELD_NAMES[7] = {"count", "first", "last", "signals", "messages",
                                           "sports", "hours"};
static PyObject *FIELDS[7];

/* -- small tallies in first-seen order ------------------------------------------------------ */

static int same(PyObject *a, PyObject *b) {
    if (a == b) return 1;
    return PyObject_RichCompareBool(a, b, Py_EQ);
}

/* names[name] += n, appending `name` when new. 0, or -1 with an exception. */
static int names_add(Names *names, PyObject *name, long long n) {
    Py_ssize_t i = names->len;
    /* the newest first: a flow's lines mostly repeat its latest hour and message */
    while (i-- > 0) {
        int eq = same(names->v[i].name, name);
        if (eq < 0) return -1;
        if (eq) {
            names->v[i].n += n;
            return 0;
        }
    }
    if (names->len == names->cap) {
        Py_ssize_t cap = names->cap ? names->cap * 2 : 1;
        Named *v = PyMem_Realloc(names->v, cap * sizeof(Named));
        if (v == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        names->v = v;
        names->cap = cap;
    }
    Py_INCREF(name);
    names->v[names->len].name = name;
    names->v[names->len].n = n;
    names->len++;
    return 0;
}

static void names_clear(Names *names) {
    for (Py_ssize_t i = 0; i < names->len; i++) Py_DECREF(names->v[i].name);
    PyMem_Free(names->v);
    names->v = NULL;
    names->len = names->cap = 0;
}

/* A dict of the tallies, in order. */
static PyObject *names_dict(Names *names) {
    PyObject *d = names->len > 5 ? _PyDict_NewPresized(names->len) : PyDict_New();
    if (d == NULL) return NULL;
    for (Py_ssize_t i = 0; i < names->len; i++) {
        PyObject *n = PyLong_FromLongLong(names->v[i].n);
        if (n == NULL || PyDict_SetItem(d, names->v[i].name, n) < 0) {
            Py_XDECREF(n);
            Py_DECREF(d);
            return NULL;
        }
        Py_DECREF(n);
    }
    return d;
}

static void flow_clear(Flow *f) {
    Py_CLEAR(f->key);
    Py_CLEAR(f->first);
    Py_CLEAR(f->last);
    names_clear(&f->signals);
    names_clear(&f->messages);
    names_clear(&f->hours);
}

/* -- the table ------------------------------------------------------------------------------ */

/* counter[key] += n on a Counter (a dict subclass), without its __missing__. */
static int count_in(PyObject *counter, PyObject *key, long long n) {
    PyObject *had = PyDict_GetItemWithError(counter, key);
    if (had == NULL && PyErr_Occurred()) return -1;
    PyObject *sum;
    if (had == NULL) sum = PyLong_FromLongLong(n);
    else {
        PyObject *add = PyLong_FromLongLong(n);
        if (add == NULL) return -1;
        sum = PyNumber_Add(had, add);
        Py_DECREF(add);
    }
    if (sum == NULL) return -1;
    int rc = PyDict_SetItem(counter, key, sum);
    Py_DECREF(sum);
    return rc;
}

/* The hour `when` counts in (borrowed from the table), as `TrafficIndex._start_hour`. */
static PyObject *hour_of(FlowTable *self, PyObject *when) {
    if (when == self->when) return self->hour;
    if (self->hour != NULL) {
        int in = PyObject_RichCompareBool(self->hour, when, Py_LE);
        if (in < 0) return NULL;
        if (in) in = PyObject_RichCompareBool(when, self->hour_end, Py_LT);
        if (in < 0) return NULL;
        if (in) {
            Py_INCREF(when);
            Py_XSETREF(self->when, when);
            return self->hour;
        }
    }
    PyObject *replace = PyObject_GetAttr(when, S_REPLACE);
    if (replace == NULL) return NULL;
    PyObject *hour = PyObject_Call(replace, EMPTY, REPLACE_KW);
    Py_DECREF(replace);
    if (hour == NULL) return NULL;
    PyObject *end = PyNumber_Add(hour, ONE_HOUR);
    if (end == NULL) {
        if (!PyErr_ExceptionMatches(PyExc_OverflowError)) {
            Py_DECREF(hour);
            return NULL;
        }
        PyErr_Clear();   /* the last hour a datetime can hold */
        end = PyObject_GetAttr((PyObject *)Py_TYPE(hour), S_MAX);
        if (end == NULL) {
            Py_DECREF(hour);
            return NULL;
        }
    }
    Py_XSETREF(self->hour, hour);
    Py_XSETREF(self->hour_end, end);
    Py_INCREF(when);
    Py_XSETREF(self->when, when);
    return self->hour;
}

/* The pending hour's lines into `hourly` and `hourly_messages` (each new key in the order
 * Python would have added it: the hour, then its messages as first seen). */
static int flush(FlowTable *self) {
    if (self->pending_hour == NULL) return 0;
    int rc = count_in(self->hourly, self->pending_hour, self->pending_lines);
    for (Py_ssize_t i = 0; rc == 0 && i < self->pending_messages.len; i++) {
        PyObject *hm = PyTuple_Pack(2, self->pending_hour, self->pending_messages.v[i].name);
        rc = hm == NULL ? -1 : count_in(self->hourly_messages, hm,
                                        self->pending_messages.v[i].n);
        Py_XDECREF(hm);
    }
    Py_CLEAR(self->pending_hour);
    self->pending_lines = 0;
    for (Py_ssize_t i = 0; i < self->pending_messages.len; i++)
        Py_DECREF(self->pending_messages.v[i].name);
    self->pending_messages.len = 0;
    return rc;
}

/* A line (or `count`) of `message` in `hour`: counted here until the hour changes. */
static int count_hour(FlowTable *self, PyObject *hour, PyObject *message, long long count) {
    if (hour != self->pending_hour) {
        if (flush(self) < 0) return -1;
        Py_INCREF(hour);
        self->pending_hour = hour;
    }
    self->pending_lines += count;
    return names_add(&self->pending_messages, message, count);
}

/* The key a new flow goes to once the table is full: `auditor.traffic.folded_key`. */
static PyObject *folded_key(FlowTable *self, PyObject *key, int held) {
    PyObject *dst = PyTuple_GET_ITEM(key, 1), *proto = PyTuple_GET_ITEM(key, 2);
    PyObject *port = PyTuple_GET_ITEM(key, 3);
    Py_ssize_t size = self->len, max = self->max_flows;
    if (size < 3 * max / 2) return PyTuple_Pack(4, STAR, dst, proto, port);
    if (held) return PyTuple_Pack(4, STAR, dst, proto, Py_None);
    if (size < 2 * max) return PyTuple_Pack(4, STAR, STAR, proto, port);
    return PyTuple_Pack(4, STAR, STAR, proto, Py_None);
}

static Py_ssize_t find(FlowTable *self, PyObject *key) {
    PyObject *at = PyDict_GetItemWithError(self->index, key);
    if (at == NULL) return PyErr_Occurred() ? -2 : -1;
    return PyLong_AsSsize_t(at);
}

static Flow *new_flow(FlowTable *self, PyObject *key) {
    if (self->len == self->cap) {
        Py_ssize_t cap = self->cap ? self->cap * 2 : 1024;
        Flow *flows = PyMem_Realloc(self->flows, cap * sizeof(Flow));
        if (flows == NULL) {
            PyErr_NoMemory();
            return NULL;
        }
        self->flows = flows;
        self->cap = cap;
    }
    PyObject *at = PyLong_FromSsize_t(self->len);
    if (at == NULL) return NULL;
    int rc = PyDict_SetItem(self->index, key, at);
    Py_DECREF(at);
    if (rc < 0) return NULL;
    Flow *f = &self->flows[self->len++];
    memset(f, 0, sizeof(Flow));
    Py_INCREF(key);
    f->key = key;
    return f;
}

/* One drop line (or `count` of them) into its flow: the drop branch of `add_fields`. */
static int add_drop(FlowTable *self, PyObject *when, PyObject *message, PyObject *signal,
                    PyObject *protocol, PyObject *src, long sport, PyObject *dst,
                    PyObject *dport, long long count) {
    PyObject *hour = NULL;
    if (when != Py_None) {
        hour = hour_of(self, when);
        if (hour == NULL || count_hour(self, hour, message, count) < 0) return -1;
    }
    PyObject *key = PyTuple_Pack(4, src, dst, protocol == Py_None ? QUESTION : protocol, dport);
    if (key == NULL) return -1;
    Py_ssize_t at = find(self, key);
    Flow *f = NULL;
    if (at == -2) goto fail;
    if (at >= 0) f = &self->flows[at];
    else {
        int held = 0;
        if (self->held != Py_None) {
            held = PySequence_Contains(self->held, dst);
            if (held < 0) goto fail;
        }
        if (!held && self->is_noise != Py_None) {
            PyObject *keys = PyObject_GetAttr(self->noise, S_KEYS);
            if (keys == NULL) goto fail;
            int noise = PySequence_Contains(keys, key);
            Py_DECREF(keys);
            if (noise < 0) goto fail;
            if (!noise) {   /* the senders of new flows repeat: a poller, a scanner */
                PyObject *said = PyDict_GetItemWithError(self->noise_of, src);
                if (said == NULL && PyErr_Occurred()) goto fail;
                if (said != NULL) noise = said == Py_True;
                else {
                    PyObject *says = PyObject_CallOneArg(self->is_noise, src);
                    if (says == NULL) goto fail;
                    noise = PyObject_IsTrue(says);
                    Py_DECREF(says);
                    if (noise < 0) goto fail;
                    if (PyDict_GET_SIZE(self->noise_of) < NOISE_SENDERS
                        && PyDict_SetItem(self->noise_of, src,
                                          noise ? Py_True : Py_False) < 0) goto fail;
                }
            }
            if (noise) {
                PyObject *n = PyLong_FromLongLong(count);
                if (n == NULL) goto fail;
                PyObject *done = PyObject_CallMethodObjArgs(self->noise, S_ADD, key, n, NULL);
                Py_DECREF(n);
                Py_DECREF(key);
                if (done == NULL) return -1;
                Py_DECREF(done);
                return 0;
            }
        }
        if (self->len >= self->max_flows) {
            PyObject *coarse = folded_key(self, key, held);
            if (coarse == NULL) goto fail;
            Py_SETREF(key, coarse);
            self->folded += count;
            at = find(self, key);
            if (at == -2) goto fail;
            if (at >= 0) f = &self->flows[at];
        }
        if (f == NULL) {   /* a new flow, empty: the line is added to it as to any */
            f = new_flow(self, key);
            if (f == NULL) goto fail;
        }
    }
    Py_DECREF(key);
    /* `Tally.add`, then the ports and the hour (on a new flow: `FlowTally.of_line`) */
    f->count += count;
    if (names_add(&f->signals, signal, count) < 0
        || names_add(&f->messages, message, count) < 0) return -1;
    if (when != Py_None) {
        if (f->first == NULL) {
            Py_INCREF(when);
            Py_INCREF(when);
            f->first = f->last = when;
        } else if (when != f->last) {
            int lt = PyObject_RichCompareBool(when, f->first, Py_LT);
            if (lt < 0) return -1;
            if (lt) {
                Py_INCREF(when);
                Py_SETREF(f->first, when);
            } else {
                int gt = PyObject_RichCompareBool(when, f->last, Py_GT);
                if (gt < 0) return -1;
                if (gt) {
                    Py_INCREF(when);
                    Py_SETREF(f->last, when);
                }
            }
        }
    }
    if (sport >= 0 && sport <= 0xFFFF && f->nsports < MAX_SPORTS) {
        int seen = 0;
        for (int i = 0; i < f->nsports; i++)
            if (f->sports[i] == sport) { seen = 1; break; }
        if (!seen) f->sports[f->nsports++] = (unsigned short)sport;
    }
    if (hour != NULL && names_add(&f->hours, hour, count) < 0) return -1;
    return 0;
fail:
    Py_DECREF(key);
    return -1;
}

/* 1: a drop this table folds; 0: not one (`add_fields` decides); -1: an error. */
static int is_drop(FlowTable *self, PyObject *const *a) {
    /* time, message, signal, protocol, src, sport, dst, dport, count */
    if (a[6] == Py_None || a[4] == Py_None || a[2] == self->other) return 0;
    return PySet_Contains(self->drop_signals, a[2]);
}

static int check_open(FlowTable *self) {
    if (self->drained) {
        PyErr_SetString(PyExc_RuntimeError, "FlowTable: drained, its index folds in Python now");
        return -1;
    }
    return 0;
}

static int add_args(FlowTable *self, PyObject *const *a) {
    if (check_open(self) < 0) return -1;
    long long count = PyLong_AsLongLong(a[8]);
    if (count == -1 && PyErr_Occurred()) return -1;
    /* a source port: any int (kept when 0-65535, as `add_fields` keeps it), or None */
    long sport = -1;
    if (a[5] != Py_None) {
        if (!PyLong_Check(a[5])) {
            PyErr_SetString(PyExc_TypeError, "sport must be an int or None");
            return -1;
        }
        int overflow;
        sport = PyLong_AsLongAndOverflow(a[5], &overflow);
        if (sport == -1 && PyErr_Occurred()) return -1;
        if (overflow || sport < 0) sport = -1;
    }
    return add_drop(self, a[0], a[1], a[2], a[3], a[4], sport, a[6], a[7], count);
}

static PyObject *FlowTable_add(FlowTable *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 9) {
        PyErr_SetString(PyExc_TypeError, "add takes 9 arguments (time, message, signal, "
                        "protocol, src, sport, dst, dport, count)");
        return NULL;
    }
    int drop = is_drop(self, args);
    if (drop < 0) return NULL;
    if (!drop) {
        PyErr_SetString(PyExc_ValueError, "FlowTable.add takes drops only");
        return NULL;
    }
    if (add_args(self, args) < 0) return NULL;
    Py_RETURN_NONE;
}

/* Replay a worker's packed recording (`connectors.base.Recording`): records of nine int32
 * (`time message signal protocol src sport dst dport count`, objects as indexes into
 * `objects`, time -1 for None), written by the ASA scanner (`pack_drop`); a record whose
 * time is -2 stands for the next of `calls`, made in Python: a drop here, the rest to
 * `other`. */
static PyObject *FlowTable_add_packed(FlowTable *self, PyObject *args) {
    Py_buffer blob;
    PyObject *objects, *calls, *other;
    if (!PyArg_ParseTuple(args, "y*O!O!O", &blob, &PyList_Type, &objects, &PyList_Type,
                          &calls, &other))
        return NULL;
    PyObject *result = NULL;
    const int32_t *rec = blob.buf;
    Py_ssize_t records = blob.len / (Py_ssize_t)(9 * sizeof(int32_t)), next_call = 0;
    Py_ssize_t nobjects = PyList_GET_SIZE(objects);
    if (blob.len % (Py_ssize_t)(9 * sizeof(int32_t)) != 0 || check_open(self) < 0) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_ValueError, "a packed recording is records of nine int32");
        goto done;
    }
    for (Py_ssize_t r = 0; r < records; r++, rec += 9) {
        if (rec[0] == -2) {   /* the next call made in Python */
            if (next_call >= PyList_GET_SIZE(calls)) {
                PyErr_SetString(PyExc_ValueError, "a recording marks more calls than it has");
                goto done;
            }
            PyObject *call = PyList_GET_ITEM(calls, next_call++);
            if (!PyTuple_CheckExact(call) || PyTuple_GET_SIZE(call) != 9) {
                PyErr_SetString(PyExc_TypeError, "a recorded call is a tuple of 9 fields");
                goto done;
            }
            PyObject *const *a = &PyTuple_GET_ITEM(call, 0);
            int drop = is_drop(self, a);
            if (drop < 0) goto done;
            if (drop) {
                if (add_args(self, a) < 0) goto done;
            } else {
                PyObject *made = PyObject_Vectorcall(other, a, 9, NULL);
                if (made == NULL) goto done;
                Py_DECREF(made);
            }
            continue;
        }
        const int refs[5] = {1, 2, 3, 4, 6};
        for (int k = 0; k < 5; k++) {
            if (rec[refs[k]] < 0 || rec[refs[k]] >= nobjects) {
                PyErr_SetString(PyExc_ValueError, "a packed record names no object");
                goto done;
            }
        }
        if (rec[0] < -1 || rec[0] >= nobjects) {
            PyErr_SetString(PyExc_ValueError, "a packed record names no time");
            goto done;
        }
        PyObject *when = rec[0] < 0 ? Py_None : PyList_GET_ITEM(objects, rec[0]);
        PyObject *dport = PyLong_FromLong(rec[7]);
        if (dport == NULL) goto done;
        int rc = add_drop(self, when, PyList_GET_ITEM(objects, rec[1]),
                          PyList_GET_ITEM(objects, rec[2]), PyList_GET_ITEM(objects, rec[3]),
                          PyList_GET_ITEM(objects, rec[4]), rec[5],
                          PyList_GET_ITEM(objects, rec[6]), dport, rec[8]);
        Py_DECREF(dport);
        if (rc < 0) goto done;
    }
    if (next_call != PyList_GET_SIZE(calls)) {
        PyErr_SetString(PyExc_ValueError, "a recording has calls it does not mark");
        goto done;
    }
    result = Py_NewRef(Py_None);
done:
    PyBuffer_Release(&blob);
    return result;
}

/* One flow as the `FlowTally` the Python fold would hold (new reference). */
static PyObject *make_tally(Flow *f, PyTypeObject *type, PyObject *array) {
    PyObject *values[7] = {NULL};
    values[0] = PyLong_FromLongLong(f->count);
    values[1] = f->first ? Py_NewRef(f->first) : Py_NewRef(Py_None);
    values[2] = f->last ? Py_NewRef(f->last) : Py_NewRef(Py_None);
    values[3] = names_dict(&f->signals);
    values[4] = names_dict(&f->messages);
    PyObject *raw = PyBytes_FromStringAndSize((const char *)f->sports,
                                              f->nsports * sizeof(unsigned short));
    PyObject *array_args[2] = {STR_H, raw};
    values[5] = raw ? PyObject_Vectorcall(array, array_args, 2, NULL) : NULL;
    Py_XDECREF(raw);
    values[6] = names_dict(&f->hours);
    PyObject *tally = NULL;
    int ok = 1;
    for (int k = 0; k < 7; k++) ok = ok && values[k] != NULL;
    if (ok) tally = type->tp_new(type, EMPTY, NULL);
    for (int k = 0; k < 7 && tally != NULL; k++) {
        if (PyObject_SetAttr(tally, FIELDS[k], values[k]) < 0) Py_CLEAR(tally);
    }
    for (int k = 0; k < 7; k++) Py_XDECREF(values[k]);
    return tally;
}

/* The flows as `{key: FlowTally}`, in first-seen order; the table is left empty. */
static PyObject *FlowTable_flush(FlowTable *self, PyObject *Py_UNUSED(ignored)) {
    if (flush(self) < 0) return NULL;
    Py_RETURN_NONE;
}

static PyObject *FlowTable_drain(FlowTable *self, PyObject *args) {
    PyObject *cls, *array;
    if (!PyArg_ParseTuple(args, "O!O", &PyType_Type, &cls, &array)) return NULL;
    if (flush(self) < 0) return NULL;
    PyObject *out = _PyDict_NewPresized(self->len);
    if (out == NULL) return NULL;
    /* The index holds the keys in flow order with their hashes: no key is hashed again. */
    Py_ssize_t pos = 0, i = 0;
    PyObject *key, *at;
    Py_hash_t hash;
    while (_PyDict_Next(self->index, &pos, &key, &at, &hash)) {
        PyObject *tally = make_tally(&self->flows[i++], (PyTypeObject *)cls, array);
        if (tally == NULL || _PyDict_SetItem_KnownHash(out, key, tally, hash) < 0) {
            Py_XDECREF(tally);
            Py_DECREF(out);
            return NULL;
        }
        Py_DECREF(tally);
    }
    for (i = 0; i < self->len; i++) flow_clear(&self->flows[i]);
    self->len = 0;
    self->drained = 1;
    PyDict_Clear(self->index);
    return out;
}

/* [(key, count)] of every flow, in first-seen order: what choosing the busiest needs,
 * without a FlowTally per flow. */
static PyObject *FlowTable_counts(FlowTable *self, PyObject *Py_UNUSED(ignored)) {
    PyObject *out = PyList_New(self->len);
    if (out == NULL) return NULL;
    Py_ssize_t pos = 0, i = 0;
    PyObject *key, *at;
    while (PyDict_Next(self->index, &pos, &key, &at)) {
        PyObject *pair = Py_BuildValue("(OL)", key, self->flows[i].count);
        if (pair == NULL) {
            Py_DECREF(out);
            return NULL;
        }
        PyList_SET_ITEM(out, i++, pair);
    }
    return out;
}

/* One flow's FlowTally (a copy: the table keeps folding), or None. */
static PyObject *FlowTable_tally(FlowTable *self, PyObject *args) {
    PyObject *key, *cls, *array;
    if (!PyArg_ParseTuple(args, "OO!O", &key, &PyType_Type, &cls, &array)) return NULL;
    Py_ssize_t at = find(self, key);
    if (at == -2) return NULL;
    if (at < 0) Py_RETURN_NONE;
    return make_tally(&self->flows[at], (PyTypeObject *)cls, array);
}

static Py_ssize_t FlowTable_len(FlowTable *self) { return self->len; }

static int FlowTable_init(FlowTable *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"held", "is_noise", "noise", "hourly", "hourly_messages",
                             "max_flows", "drop_signals", "other", NULL};
    PyObject *held, *is_noise, *noise, *hourly, *hourly_messages, *drop_signals, *other;
    Py_ssize_t max_flows;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOOO!O!nO!O", kwlist, &held, &is_noise,
                                     &noise, &PyDict_Type, &hourly, &PyDict_Type,
                                     &hourly_messages, &max_flows, &PyFrozenSet_Type,
                                     &drop_signals, &other))
        return -1;
    Py_XSETREF(self->index, PyDict_New());
    if (self->index == NULL) return -1;
    Py_XSETREF(self->noise_of, PyDict_New());
    if (self->noise_of == NULL) return -1;
    Py_INCREF(held); Py_XSETREF(self->held, held);
    Py_INCREF(is_noise); Py_XSETREF(self->is_noise, is_noise);
    Py_INCREF(noise); Py_XSETREF(self->noise, noise);
    Py_INCREF(hourly); Py_XSETREF(self->hourly, hourly);
    Py_INCREF(hourly_messages); Py_XSETREF(self->hourly_messages, hourly_messages);
    Py_INCREF(drop_signals); Py_XSETREF(self->drop_signals, drop_signals);
    Py_INCREF(other); Py_XSETREF(self->other, other);
    self->max_flows = max_flows;
    return 0;
}

static void FlowTable_dealloc(FlowTable *self) {
    for (Py_ssize_t i = 0; i < self->len; i++) flow_clear(&self->flows[i]);
    PyMem_Free(self->flows);
    Py_XDECREF(self->index);
    Py_XDECREF(self->noise_of);
    Py_XDECREF(self->held);
    Py_XDECREF(self->is_noise);
    Py_XDECREF(self->noise);
    Py_XDECREF(self->hourly);
    Py_XDECREF(self->hourly_messages);
    Py_XDECREF(self->drop_signals);
    Py_XDECREF(self->other);
    Py_XDECREF(self->when);
    Py_XDECREF(self->hour);
    Py_XDECREF(self->hour_end);
    Py_XDECREF(self->pending_hour);
    names_clear(&self->pending_messages);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *FlowTable_get_folded(FlowTable *self, void *closure) {
    return PyLong_FromLongLong(self->folded);
}

static PyGetSetDef FlowTable_getset[] = {
    {"folded", (getter)FlowTable_get_folded, NULL,
     "drop lines counted in a folded (coarser) flow", NULL},
    {NULL},
};

static PyMethodDef FlowTable_methods[] = {
    {"add", (PyCFunction)(void (*)(void))FlowTable_add, METH_FASTCALL,
     "add(time, message, signal, protocol, src, sport, dst, dport, count): one drop"},
    {"add_packed", (PyCFunction)FlowTable_add_packed, METH_VARARGS,
     "add_packed(blob, objects, calls, other): a worker's packed recording, in order"},
    {"flush", (PyCFunction)FlowTable_flush, METH_NOARGS,
     "flush(): the lines counted per hour so far into hourly and hourly_messages"},
    {"counts", (PyCFunction)FlowTable_counts, METH_NOARGS,
     "counts() -> [(key, count)] of every flow, in first-seen order"},
    {"tally", (PyCFunction)FlowTable_tally, METH_VARARGS,
     "tally(key, FlowTally, array) -> that flow's FlowTally (a copy), or None"},
    {"drain", (PyCFunction)FlowTable_drain, METH_VARARGS,
     "drain(FlowTally, array) -> {key: FlowTally}; the table is left empty"},
    {NULL},
};

static PySequenceMethods FlowTable_sequence = {.sq_length = (lenfunc)FlowTable_len};

static PyTypeObject FlowTableType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "auditor._flows.FlowTable",
    .tp_basicsize = sizeof(FlowTable),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "The drop flows of a TrafficIndex while it folds (see auditor/_flows.c).",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)FlowTable_init,
    .tp_dealloc = (destructor)FlowTable_dealloc,
    .tp_methods = FlowTable_methods,
    .tp_getset = FlowTable_getset,
    .tp_as_sequence = &FlowTable_sequence,
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "auditor._flows",
    "The drop-flow table of TrafficIndex, in C (see auditor/_flows.c).", -1, NULL,
};

PyMODINIT_FUNC PyInit__flows(void) {
    STAR = PyUnicode_InternFromString("*");
    QUESTION = PyUnicode_InternFromString("?");
    STR_H = PyUnicode_InternFromString("H");
    S_KEYS = PyUnicode_InternFromString("keys");
    S_ADD = PyUnicode_InternFromString("add");
    S_REPLACE = PyUnicode_InternFromString("replace");
    S_MAX = PyUnicode_InternFromString("max");
    EMPTY = PyTuple_New(0);
    for (int k = 0; k < 7; k++) {
        FIELDS[k] = PyUnicode_InternFromString(FIELD_NAMES[k]);
        if (FIELDS[k] == NULL) return NULL;
    }
    REPLACE_KW = Py_BuildValue("{s:i,s:i,s:i}", "minute", 0, "second", 0, "microsecond", 0);
    PyObject *datetime = PyImport_ImportModule("datetime");
    if (datetime == NULL) return NULL;
    PyObject *timedelta = PyObject_GetAttrString(datetime, "timedelta");
    Py_DECREF(datetime);
    if (timedelta == NULL) return NULL;
    PyObject *kw = Py_BuildValue("{s:i}", "hours", 1);
    ONE_HOUR = kw ? PyObject_Call(timedelta, EMPTY, kw) : NULL;
    Py_XDECREF(kw);
    Py_DECREF(timedelta);
    if (!STAR || !QUESTION || !STR_H || !S_KEYS || !S_ADD || !S_REPLACE || !S_MAX || !EMPTY
        || !REPLACE_KW || !ONE_HOUR)
        return NULL;
    if (PyType_Ready(&FlowTableType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) return NULL;
    Py_INCREF(&FlowTableType);
    if (PyModule_AddObject(m, "FlowTable", (PyObject *)&FlowTableType) < 0) {
        Py_DECREF(&FlowTableType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
