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
 * (reads come after the fold, so that happens once); `counts`, `tally` and `ranked` (the
 * ghost flows' choice and order, `auditor.reconcile.ghost_flows`) read it without draining.
 * `add_packed(blob, objects, calls, other)` replays a worker's recording
 * (`connectors.base.Recording`): drops here, anything else to `other`.
 *
 * What a drop costs is mostly memory, so a flow is one struct: no dict, tuple or int per
 * flow. Flows are found by a hash of the key's four parts (`key_hash`; parts equal as a dict
 * finds them equal hash the same) in a table of slots of their own; the key tuple is built
 * when someone reads the flow; the first signal, message and hour of a flow live inline.
 * Times of one zone compare as `datetime` itself compares them (its packed fields).
 * The tests fold random event streams both ways (table and pure Python) and compare, and
 * rank random flows both ways.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <datetime.h>
#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

#define MAX_SPORTS 32
/* Senders whose `is_noise` answer is kept (past it, new ones are asked every time: memory
 * stays bounded, and nothing kept is thrown away) */
#define NOISE_SENDERS 200000
/* Destination ports of packed records share one int object each (`port_object`) */
#define PORTS 65536

typedef struct {
    PyObject *name;   /* owned */
    long long n;
} Named;

/* Tallies by name in first-seen order. The first lives inline: most flows see one signal,
 * one message and one hour, and three mallocs a flow cost more than the rest of it. */
typedef struct {
    Named head;
    Named *rest;        /* the second on, or NULL */
    int len, cap;       /* len: all of them; cap: room in `rest` */
} Names;

typedef struct {
    /* owned: the key's parts, (src, dst, protocol, dport); the tuple itself is built when
     * someone asks for it (`flow_key`): most flows are never read one by one */
    PyObject *src, *dst, *proto, *dport;
    PyObject *key;              /* owned, or NULL until asked for */
    Py_hash_t hash;             /* `key_hash` of the parts */
    long long count;
    PyObject *first, *last;     /* owned, NULL when no line had a time */
    Names signals, messages, hours;
    unsigned short sports[MAX_SPORTS];
    int nsports;
} Flow;

typedef struct {
    PyObject_HEAD
    /* key -> flow number: open addressing over the flows' own hashes, a slot being
     * (upper 32 bits of the hash, flow number + 1), 0 when empty. No flow is ever removed. */
    uint64_t *slots;
    size_t mask;                /* slots - 1 (a power of two), or 0 with no slots yet */
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
static PyObject *PORT_OBJECTS[PORTS];   /* made on first use, kept for the process */
/* FlowTally's fields, in the order `drain` sets them */
static const char *const FIELD_NAMES[7] = {"count", "first", "last", "signals", "messages",
                                           "sports", "hours"};
static PyObject *FIELDS[7];

/* -- comparing as Python does, without its dispatch ---------------------------------------- */

/* Two ready strs equal (`unicode_eq`): same length, kind and code units. */
static int same_text(PyObject *a, PyObject *b) {
    Py_ssize_t n = PyUnicode_GET_LENGTH(a);
    return n == PyUnicode_GET_LENGTH(b) && PyUnicode_KIND(a) == PyUnicode_KIND(b)
           && memcmp(PyUnicode_DATA(a), PyUnicode_DATA(b), n * PyUnicode_KIND(a)) == 0;
}

/* Two datetimes that `datetime`'s own comparison reads field by field: both exact, with the
 * same tzinfo object (or none). It then compares their packed fields with memcmp, as here. */
static int plain_times(PyObject *a, PyObject *b) {
    return PyDateTime_CheckExact(a) && PyDateTime_CheckExact(b)
           && PyDateTime_DATE_GET_TZINFO(a) == PyDateTime_DATE_GET_TZINFO(b);
}

static int time_order(PyObject *a, PyObject *b) {
    /* memcmp of the 10 bytes (big-endian fields), as two loads */
    const unsigned char *x = ((PyDateTime_DateTime *)a)->data;
    const unsigned char *y = ((PyDateTime_DateTime *)b)->data;
    uint64_t p, q;
    memcpy(&p, x, 8);
    memcpy(&q, y, 8);
    if (p != q) return __builtin_bswap64(p) < __builtin_bswap64(q) ? -1 : 1;
    unsigned tail_x = (unsigned)x[8] << 8 | x[9], tail_y = (unsigned)y[8] << 8 | y[9];
    return tail_x < tail_y ? -1 : tail_x > tail_y;
}

/* a == b as Python's `==` (1, 0, or -1 with an exception). */
static int same(PyObject *a, PyObject *b) {
    if (a == b) return 1;
    if (PyUnicode_CheckExact(a) && PyUnicode_CheckExact(b) && PyUnicode_IS_READY(a)
        && PyUnicode_IS_READY(b)) return same_text(a, b);
    if (plain_times(a, b)) return time_order(a, b) == 0;
    return PyObject_RichCompareBool(a, b, Py_EQ);
}

/* `a < b`, `a <= b` or `a > b` (op Py_LT, Py_LE, Py_GT) as Python's (1, 0, or -1 with an
 * exception). */
static int compare(PyObject *a, PyObject *b, int op) {
    if (plain_times(a, b)) {
        int order = time_order(a, b);
        return op == Py_LT ? order < 0 : op == Py_LE ? order <= 0 : order > 0;
    }
    return PyObject_RichCompareBool(a, b, op);
}

/* -- small tallies in first-seen order ------------------------------------------------------ */

static inline Named *names_at(Names *names, int i) {
    return i == 0 ? &names->head : &names->rest[i - 1];
}

/* names[name] += n, appending `name` when new. 0, or -1 with an exception. */
static int names_add(Names *names, PyObject *name, long long n) {
    /* the newest first: a flow's lines mostly repeat its latest hour and message */
    for (int i = names->len - 1; i >= 0; i--) {
        Named *at = names_at(names, i);
        int eq = same(at->name, name);
        if (eq < 0) return -1;
        if (eq) {
            at->n += n;
            return 0;
        }
    }
    if (names->len > 0 && names->len - 1 == names->cap) {
        int cap = names->cap ? names->cap * 2 : 2;
        Named *rest = PyMem_Realloc(names->rest, cap * sizeof(Named));
        if (rest == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        names->rest = rest;
        names->cap = cap;
    }
    Named *at = names_at(names, names->len++);
    at->name = Py_NewRef(name);
    at->n = n;
    return 0;
}

/* The names dropped, the room kept (the pending hour's messages, reused every hour). */
static void names_empty(Names *names) {
    for (int i = 0; i < names->len; i++) Py_DECREF(names_at(names, i)->name);
    names->len = 0;
}

static void names_clear(Names *names) {
    names_empty(names);
    PyMem_Free(names->rest);
    names->rest = NULL;
    names->cap = 0;
}

/* A dict of the tallies, in order. */
static PyObject *names_dict(Names *names) {
    PyObject *d = names->len > 5 ? _PyDict_NewPresized(names->len) : PyDict_New();
    if (d == NULL) return NULL;
    for (int i = 0; i < names->len; i++) {
        Named *at = names_at(names, i);
        PyObject *n = PyLong_FromLongLong(at->n);
        if (n == NULL || PyDict_SetItem(d, at->name, n) < 0) {
            Py_XDECREF(n);
            Py_DECREF(d);
            return NULL;
        }
        Py_DECREF(n);
    }
    return d;
}

static void flow_clear(Flow *f) {
    Py_CLEAR(f->src);
    Py_CLEAR(f->dst);
    Py_CLEAR(f->proto);
    Py_CLEAR(f->dport);
    Py_CLEAR(f->key);
    Py_CLEAR(f->first);
    Py_CLEAR(f->last);
    names_clear(&f->signals);
    names_clear(&f->messages);
    names_clear(&f->hours);
}

/* The flow's key tuple (borrowed from the flow, which keeps it once built). */
static PyObject *flow_key(Flow *f) {
    if (f->key == NULL) f->key = PyTuple_Pack(4, f->src, f->dst, f->proto, f->dport);
    return f->key;
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
        int in = compare(self->hour, when, Py_LE);
        if (in < 0) return NULL;
        if (in) in = compare(when, self->hour_end, Py_LT);
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
    for (int i = 0; rc == 0 && i < self->pending_messages.len; i++) {
        Named *at = names_at(&self->pending_messages, i);
        PyObject *hm = PyTuple_Pack(2, self->pending_hour, at->name);
        rc = hm == NULL ? -1 : count_in(self->hourly_messages, hm, at->n);
        Py_XDECREF(hm);
    }
    Py_CLEAR(self->pending_hour);
    self->pending_lines = 0;
    names_empty(&self->pending_messages);
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

/* A hash of the key (src, dst, protocol, dport) from its parts' own hashes (tuple's
 * combining, then mixed for the low bits a slot is chosen by): equal parts, as a dict would
 * find them equal, hash the same, and no tuple is built to look a line's flow up. */
static Py_hash_t key_hash(PyObject *src, PyObject *dst, PyObject *proto, PyObject *dport) {
    PyObject *parts[4] = {src, dst, proto, dport};
    uint64_t acc = 0x27D4EB2F165667C5ULL;
    for (int k = 0; k < 4; k++) {
        Py_hash_t h = PyObject_Hash(parts[k]);
        if (h == -1) return -1;
        acc += (uint64_t)h * 0xC2B2AE3D27D4EB4FULL;
        acc = (acc << 31) | (acc >> 33);
        acc *= 0x9E3779B185EBCA87ULL;
    }
    acc ^= acc >> 33;
    acc *= 0xFF51AFD7ED558CCDULL;
    acc ^= acc >> 33;
    Py_hash_t hash = (Py_hash_t)acc;
    return hash == -1 ? -2 : hash;
}

/* The flow of these parts: its number, -1 when there is none (`*slot`: where it would go),
 * -2 on an error (a comparison raised). */
static Py_ssize_t find_parts(FlowTable *self, Py_hash_t hash, PyObject *src, PyObject *dst,
                             PyObject *proto, PyObject *dport, size_t *slot) {
    if (self->mask == 0) {
        *slot = 0;
        return -1;
    }
    uint32_t tag = (uint32_t)((uint64_t)hash >> 32);
    size_t i = (size_t)hash & self->mask;
    for (;; i = (i + 1) & self->mask) {
        uint64_t s = self->slots[i];
        if (s == 0) {
            *slot = i;
            return -1;
        }
        if ((uint32_t)(s >> 32) != tag) continue;
        Py_ssize_t at = (Py_ssize_t)(uint32_t)s - 1;
        Flow *f = &self->flows[at];
        if (f->hash != hash) continue;
        int eq = same(f->src, src);
        if (eq > 0) eq = same(f->dst, dst);
        if (eq > 0) eq = same(f->proto, proto);
        if (eq > 0) eq = same(f->dport, dport);
        if (eq < 0) return -2;
        if (eq) return at;
    }
}

/* A flow key as given (a 4-tuple): its number, -1 when absent, -2 on an error. */
static Py_ssize_t find(FlowTable *self, PyObject *key) {
    if (!PyTuple_Check(key) || PyTuple_GET_SIZE(key) != 4)
        return PyObject_Hash(key) == -1 ? -2 : -1;   /* unhashable raises, as a dict does */
    PyObject *const *p = &PyTuple_GET_ITEM(key, 0);
    Py_hash_t hash = key_hash(p[0], p[1], p[2], p[3]);
    if (hash == -1) return -2;
    size_t slot;
    return find_parts(self, hash, p[0], p[1], p[2], p[3], &slot);
}

/* Room for one more flow in `slots` (at most half full), rehashed when it grows. */
static int grow_slots(FlowTable *self) {
    size_t size = self->mask + 1;
    if (self->mask != 0 && (size_t)(self->len + 1) * 2 <= size) return 0;
    size_t want = self->mask == 0 ? 2048 : size * 2;
    uint64_t *slots = PyMem_Calloc(want, sizeof(uint64_t));
    if (slots == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t at = 0; at < self->len; at++) {
        uint64_t hash = (uint64_t)self->flows[at].hash;
        size_t i = (size_t)hash & (want - 1);
        while (slots[i] != 0) i = (i + 1) & (want - 1);
        slots[i] = (hash >> 32 << 32) | (uint64_t)(at + 1);
    }
    PyMem_Free(self->slots);
    self->slots = slots;
    self->mask = want - 1;
    return 1;
}

/* A new, empty flow of these parts (`slot` from `find_parts`); `key` (a reference stolen, or
 * NULL) is its tuple when one was built already. */
static Flow *new_flow(FlowTable *self, Py_hash_t hash, size_t slot, PyObject *src,
                      PyObject *dst, PyObject *proto, PyObject *dport, PyObject *key) {
    if (self->len >= (Py_ssize_t)UINT32_MAX - 1) {
        PyErr_SetString(PyExc_OverflowError, "FlowTable: too many flows");
        goto fail;
    }
    if (self->len == self->cap) {
        Py_ssize_t cap = self->cap ? self->cap * 2 : 1024;
        Flow *flows = PyMem_Realloc(self->flows, cap * sizeof(Flow));
        if (flows == NULL) {
            PyErr_NoMemory();
            goto fail;
        }
        self->flows = flows;
        self->cap = cap;
    }
    int grown = grow_slots(self);
    if (grown < 0) goto fail;
    if (grown) {   /* the slot moved */
        slot = (size_t)hash & self->mask;
        while (self->slots[slot] != 0) slot = (slot + 1) & self->mask;
    }
    self->slots[slot] = ((uint64_t)hash >> 32 << 32) | (uint64_t)(self->len + 1);
    Flow *f = &self->flows[self->len++];
    memset(f, 0, sizeof(Flow));
    f->src = Py_NewRef(src);
    f->dst = Py_NewRef(dst);
    f->proto = Py_NewRef(proto);
    f->dport = Py_NewRef(dport);
    f->key = key;
    f->hash = hash;
    return f;
fail:
    Py_XDECREF(key);
    return NULL;
}

/* `key in noise.keys` (NoiseTally's set of noise flows), building the key tuple (`*key`, a
 * new reference) only when there is something to look it up in. */
static int in_noise(FlowTable *self, PyObject *src, PyObject *dst, PyObject *proto,
                    PyObject *dport, PyObject **key) {
    PyObject *keys = PyObject_GetAttr(self->noise, S_KEYS);
    if (keys == NULL) return -1;
    int in = 0;
    if (!PyAnySet_CheckExact(keys) || PySet_GET_SIZE(keys) > 0) {
        *key = PyTuple_Pack(4, src, dst, proto, dport);
        in = *key == NULL ? -1 : PySequence_Contains(keys, *key);
    }
    Py_DECREF(keys);
    return in;
}

/* Whether `src` is outside (`is_noise`, asked once per sender while there is room). */
static int sender_is_noise(FlowTable *self, PyObject *src) {
    PyObject *said = PyDict_GetItemWithError(self->noise_of, src);
    if (said != NULL) return said == Py_True;
    if (PyErr_Occurred()) return -1;
    PyObject *says = PyObject_CallOneArg(self->is_noise, src);
    if (says == NULL) return -1;
    int noise = PyObject_IsTrue(says);
    Py_DECREF(says);
    if (noise < 0) return -1;
    if (PyDict_GET_SIZE(self->noise_of) < NOISE_SENDERS
        && PyDict_SetItem(self->noise_of, src, noise ? Py_True : Py_False) < 0) return -1;
    return noise;
}

/* The flow a drop to a key the table does not have goes to (NULL with an exception, or
 * `*noise` set when it was inbound noise, counted there). */
static Flow *place_new(FlowTable *self, Py_hash_t hash, size_t slot, PyObject *src,
                       PyObject *dst, PyObject *proto, PyObject *dport, long long count,
                       int *noise) {
    PyObject *key = NULL;   /* the key as a tuple, once something needed it */
    int held = 0;
    if (self->held != Py_None) {
        held = PySequence_Contains(self->held, dst);
        if (held < 0) return NULL;
    }
    if (!held && self->is_noise != Py_None) {
        int outside = in_noise(self, src, dst, proto, dport, &key);
        /* the senders of new flows repeat: a poller, a scanner */
        if (outside == 0) outside = sender_is_noise(self, src);
        if (outside > 0 && key == NULL) {
            key = PyTuple_Pack(4, src, dst, proto, dport);
            if (key == NULL) outside = -1;
        }
        if (outside > 0) {
            PyObject *n = PyLong_FromLongLong(count);
            PyObject *done = n ? PyObject_CallMethodObjArgs(self->noise, S_ADD, key, n, NULL)
                               : NULL;
            Py_XDECREF(n);
            Py_DECREF(key);
            if (done == NULL) return NULL;
            Py_DECREF(done);
            *noise = 1;
            return NULL;
        }
        if (outside < 0) {
            Py_XDECREF(key);
            return NULL;
        }
    }
    if (self->len >= self->max_flows) {   /* `auditor.traffic.folded_key`, the same tiers */
        Py_ssize_t size = self->len, max = self->max_flows;
        src = STAR;
        if (size >= 3 * max / 2) {
            if (held) dport = Py_None;
            else {
                dst = STAR;
                if (size >= 2 * max) dport = Py_None;
            }
        }
        Py_CLEAR(key);
        self->folded += count;
        hash = key_hash(src, dst, proto, dport);
        if (hash == -1) return NULL;
        Py_ssize_t at = find_parts(self, hash, src, dst, proto, dport, &slot);
        if (at == -2) return NULL;
        if (at >= 0) return &self->flows[at];
    }
    /* a new flow, empty: the line is added to it as to any */
    return new_flow(self, hash, slot, src, dst, proto, dport, key);
}

/* One drop line (or `count` of them) into its flow: the drop branch of `add_fields`.
 * `hash`: the key's `key_hash`, or -1 to work it out here. */
static int add_drop(FlowTable *self, PyObject *when, PyObject *message, PyObject *signal,
                    PyObject *protocol, PyObject *src, long sport, PyObject *dst,
                    PyObject *dport, long long count, Py_hash_t hash) {
    PyObject *hour = NULL;
    if (when != Py_None) {
        hour = hour_of(self, when);
        if (hour == NULL || count_hour(self, hour, message, count) < 0) return -1;
    }
    PyObject *proto = protocol == Py_None ? QUESTION : protocol;
    if (hash == -1) hash = key_hash(src, dst, proto, dport);
    if (hash == -1) return -1;
    size_t slot;
    Py_ssize_t at = find_parts(self, hash, src, dst, proto, dport, &slot);
    if (at == -2) return -1;
    Flow *f;
    if (at >= 0) f = &self->flows[at];
    else {
        int noise = 0;
        f = place_new(self, hash, slot, src, dst, proto, dport, count, &noise);
        if (f == NULL) return noise ? 0 : -1;
    }
    /* `Tally.add`, then the ports and the hour (on a new flow: `FlowTally.of_line`) */
    f->count += count;
    if (names_add(&f->signals, signal, count) < 0
        || names_add(&f->messages, message, count) < 0) return -1;
    if (when != Py_None) {
        if (f->first == NULL) {
            f->first = Py_NewRef(when);
            f->last = Py_NewRef(when);
        } else if (when != f->last) {
            int lt = compare(when, f->first, Py_LT);
            if (lt < 0) return -1;
            if (lt) Py_SETREF(f->first, Py_NewRef(when));
            else {
                int gt = compare(when, f->last, Py_GT);
                if (gt < 0) return -1;
                if (gt) Py_SETREF(f->last, Py_NewRef(when));
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
    return add_drop(self, a[0], a[1], a[2], a[3], a[4], sport, a[6], a[7], count, -1);
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

/* The int `port` (a new reference): a TCP/UDP port is made once and shared by every flow. */
static PyObject *port_object(long port) {
    if (port < 0 || port >= PORTS) return PyLong_FromLong(port);
    if (PORT_OBJECTS[port] == NULL) {
        PORT_OBJECTS[port] = PyLong_FromLong(port);
        if (PORT_OBJECTS[port] == NULL) return NULL;
    }
    return Py_NewRef(PORT_OBJECTS[port]);
}

/* The key hash of packed record `rec`, its slot asked of memory ahead of use (the flows'
 * slots are a few megabytes: the lookup of a new flow is mostly a wait for memory, which
 * overlaps the record before it this way); -1 when it is not one to ask for. */
static Py_hash_t prefetch_packed(FlowTable *self, const int32_t *rec, PyObject *objects) {
    Py_ssize_t nobjects = PyList_GET_SIZE(objects);
    if (rec[0] < -1 || rec[3] < 0 || rec[3] >= nobjects || rec[4] < 0 || rec[4] >= nobjects
        || rec[6] < 0 || rec[6] >= nobjects) return -1;
    PyObject *proto = PyList_GET_ITEM(objects, rec[3]);
    PyObject *dport = port_object(rec[7]);
    if (dport == NULL) {
        PyErr_Clear();
        return -1;
    }
    Py_hash_t hash = key_hash(PyList_GET_ITEM(objects, rec[4]), PyList_GET_ITEM(objects, rec[6]),
                              proto == Py_None ? QUESTION : proto, dport);
    Py_DECREF(dport);
    if (hash == -1) PyErr_Clear();   /* raised again when the record is added */
    else if (self->mask != 0) __builtin_prefetch(&self->slots[(size_t)hash & self->mask]);
    return hash;
}

/* The time at `objects[at]` of a packed recording (borrowed), or NULL with an exception.
 * The scanner packs a naive time as the int of its microseconds since 0001-01-01T00:00
 * (`packed_time` in `_asa_scan.c`): it is made a datetime here once, and the list holds that
 * from then on, so the records of one second share one object as the fold expects. */
static PyObject *packed_when(PyObject *objects, Py_ssize_t at) {
    PyObject *when = PyList_GET_ITEM(objects, at);
    if (!PyLong_CheckExact(when)) return when;
    long long micro = PyLong_AsLongLong(when);
    if (micro == -1 && PyErr_Occurred()) return NULL;
    /* 0001-01-01 .. 9999-12-31T23:59:59.999999 */
    if (micro < 0 || micro >= 3652059LL * 86400 * 1000000) {
        PyErr_SetString(PyExc_ValueError, "a packed time out of datetime's range");
        return NULL;
    }
    long long seconds = micro / 1000000, day = seconds / 86400, in_day = seconds % 86400;
    /* the civil date of a day count (Howard Hinnant's days-to-civil; day 0 is 0001-01-01,
     * which is 719162 days before 1970-01-01 and 306 after its 0000-03-01 epoch) */
    long long z = day + 306, era = z / 146097, doe = z - era * 146097;
    long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
    int d = (int)(doy - (153 * mp + 2) / 5 + 1), m = (int)(mp < 10 ? mp + 3 : mp - 9);
    int y = (int)(yoe + era * 400 + (m <= 2));
    PyObject *made = PyDateTime_FromDateAndTime(y, m, d, (int)(in_day / 3600),
                                                (int)(in_day / 60 % 60), (int)(in_day % 60),
                                                (int)(micro % 1000000));
    if (made == NULL) return NULL;
    PyList_SET_ITEM(objects, at, made);   /* the list's reference to the int goes */
    Py_DECREF(when);
    return made;
}

/* Replay a worker's packed recording (`connectors.base.Recording`): records of nine int32
 * (`time message signal protocol src sport dst dport count`, objects as indexes into
 * `objects`, time -1 for None; a time may be an int, `packed_when`), written by the ASA
 * scanner (`pack_drop`); a record whose time is -2 stands for the next of `calls`, made in
 * Python: a drop here, the rest to `other`; one whose time is -3 for the next event held
 * back for the merge (`Recording.hold`): `held()` folds it, in its place. */
static PyObject *FlowTable_add_packed(FlowTable *self, PyObject *args) {
    Py_buffer blob;
    PyObject *objects, *calls, *other, *held = Py_None;
    if (!PyArg_ParseTuple(args, "y*O!O!O|O", &blob, &PyList_Type, &objects, &PyList_Type,
                          &calls, &other, &held))
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
    Py_hash_t next_hash = -1;   /* the record's hash, worked out with the one before */
    for (Py_ssize_t r = 0; r < records; r++, rec += 9) {
        Py_hash_t hash = next_hash;
        next_hash = -1;
        if (rec[0] == -3) {   /* the next event held back: `held()` folds it, here */
            if (held == Py_None) {
                PyErr_SetString(PyExc_ValueError, "a recording holds events back and nothing "
                                "resolves them");
                goto done;
            }
            PyObject *made = PyObject_CallNoArgs(held);
            if (made == NULL) goto done;
            Py_DECREF(made);
            continue;
        }
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
        if (r + 1 < records) next_hash = prefetch_packed(self, rec + 9, objects);
        PyObject *when = rec[0] < 0 ? Py_None : packed_when(objects, rec[0]);
        if (when == NULL) goto done;
        PyObject *dport = port_object(rec[7]);
        if (dport == NULL) goto done;
        int rc = add_drop(self, when, PyList_GET_ITEM(objects, rec[1]),
                          PyList_GET_ITEM(objects, rec[2]), PyList_GET_ITEM(objects, rec[3]),
                          PyList_GET_ITEM(objects, rec[4]), rec[5],
                          PyList_GET_ITEM(objects, rec[6]), dport, rec[8], hash);
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
    for (Py_ssize_t i = 0; i < self->len; i++) {
        PyObject *key = flow_key(&self->flows[i]);
        PyObject *tally = key ? make_tally(&self->flows[i], (PyTypeObject *)cls, array) : NULL;
        if (tally == NULL || PyDict_SetItem(out, key, tally) < 0) {
            Py_XDECREF(tally);
            Py_DECREF(out);
            return NULL;
        }
        Py_DECREF(tally);
    }
    for (Py_ssize_t i = 0; i < self->len; i++) flow_clear(&self->flows[i]);
    self->len = 0;
    self->drained = 1;
    PyMem_Free(self->slots);
    self->slots = NULL;
    self->mask = 0;
    return out;
}

/* [(key, count)] of every flow, in first-seen order: what choosing the busiest needs,
 * without a FlowTally per flow. */
static PyObject *FlowTable_counts(FlowTable *self, PyObject *Py_UNUSED(ignored)) {
    PyObject *out = PyList_New(self->len);
    if (out == NULL) return NULL;
    for (Py_ssize_t i = 0; i < self->len; i++) {
        PyObject *key = flow_key(&self->flows[i]);
        PyObject *pair = key ? Py_BuildValue("(OL)", key, self->flows[i].count) : NULL;
        if (pair == NULL) {
            Py_DECREF(out);
            return NULL;
        }
        PyList_SET_ITEM(out, i, pair);
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

/* `(count, first, last, signals, sports)` of one flow, or None: what a ghost flow shows,
 * without the tally's dicts of messages and hours (ghost flows ask it of 10,000 flows). */
static PyObject *FlowTable_brief(FlowTable *self, PyObject *key) {
    Py_ssize_t at = find(self, key);
    if (at == -2) return NULL;
    if (at < 0) Py_RETURN_NONE;
    Flow *f = &self->flows[at];
    PyObject *signals = PyTuple_New(f->signals.len);
    PyObject *sports = PyTuple_New(f->nsports);
    if (signals == NULL || sports == NULL) {
        Py_XDECREF(signals);
        Py_XDECREF(sports);
        return NULL;
    }
    for (int i = 0; i < f->signals.len; i++)
        PyTuple_SET_ITEM(signals, i, Py_NewRef(names_at(&f->signals, i)->name));
    for (int i = 0; i < f->nsports; i++) {
        PyObject *port = PyLong_FromLong(f->sports[i]);
        if (port == NULL) {
            Py_DECREF(signals);
            Py_DECREF(sports);
            return NULL;
        }
        PyTuple_SET_ITEM(sports, i, port);
    }
    return Py_BuildValue("(LOONN)", f->count, f->first ? f->first : Py_None,
                         f->last ? f->last : Py_None, signals, sports);
}

/* -- the busiest flows, in the order ghost flows are listed -------------------------------- */

/* `auditor.reconcile.address_sort_key(text)`: (version, integer, text) with the text kept
 * for host names only (IPv4, then IPv6, numerically; names last, by text). */
typedef struct {
    long long version;
    uint64_t hi, lo;
    PyObject *text;    /* borrowed; NULL for an address (its text part is "") */
} AddressKey;

typedef struct {
    long long count;
    AddressKey src, dst;
    PyObject *proto;   /* borrowed, an exact str */
    long long port;    /* `port or 0` */
    Py_ssize_t flow;   /* first-seen order: the sort it stands for is stable */
} Candidate;

/* A dotted quad as `inet_ntop` writes it (no leading zeros): what both readings of
 * `netindex.ip_key` take for (4, value) at once. */
static int canonical_ipv4(const char *s, Py_ssize_t n, uint32_t *value) {
    uint32_t v = 0;
    Py_ssize_t i = 0;
    for (int part = 0; part < 4; part++) {
        if (part > 0 && (i >= n || s[i++] != '.')) return 0;
        if (i >= n || s[i] < '0' || s[i] > '9') return 0;
        unsigned octet = (unsigned)(s[i++] - '0');
        for (int digits = 1; i < n && s[i] >= '0' && s[i] <= '9'; digits++) {
            if (octet == 0 || digits == 3) return 0;
            octet = octet * 10 + (unsigned)(s[i++] - '0');
        }
        if (octet > 255) return 0;
        v = v << 8 | octet;
    }
    if (i != n) return 0;
    *value = v;
    return 1;
}

/* `address_sort_key(text)` read here: 1 when set, 0 when only the Python reading can tell
 * (an odd text: not ASCII, a NUL, a dotted quad `inet_pton` takes in a form `inet_ntop` does
 * not write, which `ip_key` hands to netaddr). The same steps as `netindex.ip_key`. */
static int address_key_here(PyObject *text, AddressKey *key) {
    if (!PyUnicode_CheckExact(text) || !PyUnicode_IS_COMPACT_ASCII(text)) return 0;
    const char *s = PyUnicode_DATA(text);   /* NUL-terminated, as every compact str */
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    uint32_t v4;
    key->text = NULL;
    key->hi = 0;
    if (canonical_ipv4(s, n, &v4)) {
        key->version = 4;
        key->lo = v4;
        return 1;
    }
    if ((Py_ssize_t)strlen(s) != n) return 0;
    unsigned char packed[16];
    if (strspn(s, "0123456789.") == (size_t)n && inet_pton(AF_INET, s, packed) == 1)
        return 0;   /* inet_pton takes it, not as written: netaddr decides */
    if (memchr(s, ':', n) != NULL && inet_pton(AF_INET6, s, packed) == 1) {
        key->version = 6;
        key->hi = key->lo = 0;
        for (int k = 0; k < 8; k++) {
            key->hi = key->hi << 8 | packed[k];
            key->lo = key->lo << 8 | packed[k + 8];
        }
        return 1;
    }
    key->version = 9;   /* a host name, or the `*` of a folded flow */
    key->lo = 0;
    key->text = n ? text : NULL;
    return 1;
}

/* The key of an odd text from the Python reading `order` (kept alive in `keep`): 1 when
 * set, 0 when its answer is not (int, int of 0 to 2**128 - 1, str), -1 on an error. */
static int address_key_asked(PyObject *order, PyObject *keep, PyObject *text,
                             AddressKey *key) {
    PyObject *said = PyObject_CallOneArg(order, text);
    if (said == NULL) return -1;
    int rc = PyList_Append(keep, said);
    if (rc == 0 && PyTuple_CheckExact(said) && PyTuple_GET_SIZE(said) == 3
        && PyLong_CheckExact(PyTuple_GET_ITEM(said, 0))
        && PyLong_CheckExact(PyTuple_GET_ITEM(said, 1))
        && PyUnicode_CheckExact(PyTuple_GET_ITEM(said, 2))) {
        int overflow;
        key->version = PyLong_AsLongLongAndOverflow(PyTuple_GET_ITEM(said, 0), &overflow);
        unsigned char bytes[16];
        if (!overflow && !(key->version == -1 && PyErr_Occurred())
            && _PyLong_AsByteArray((PyLongObject *)PyTuple_GET_ITEM(said, 1), bytes, 16, 0,
                                   0) == 0) {
            key->hi = key->lo = 0;
            for (int k = 0; k < 8; k++) {
                key->hi = key->hi << 8 | bytes[k];
                key->lo = key->lo << 8 | bytes[k + 8];
            }
            PyObject *part = PyTuple_GET_ITEM(said, 2);
            key->text = PyUnicode_GET_LENGTH(part) ? part : NULL;
            rc = 1;
        }
        PyErr_Clear();   /* negative or too wide: Python sorts it */
    }
    Py_DECREF(said);
    return rc;
}

static int compare_addresses(const AddressKey *a, const AddressKey *b) {
    if (a->version != b->version) return a->version < b->version ? -1 : 1;
    if (a->hi != b->hi) return a->hi < b->hi ? -1 : 1;
    if (a->lo != b->lo) return a->lo < b->lo ? -1 : 1;
    if (a->text == b->text) return 0;
    if (a->text == NULL) return -1;   /* "" first */
    if (b->text == NULL) return 1;
    return PyUnicode_Compare(a->text, b->text);   /* exact strs: cannot fail */
}

/* The order of `ghost_flows`' sort: busiest first, then sender, destination, protocol and
 * port (`port or 0`), ties in first-seen order. A total order: no two compare equal. */
static int compare_candidates(const void *pa, const void *pb) {
    const Candidate *a = pa, *b = pb;
    if (a->count != b->count) return a->count > b->count ? -1 : 1;
    int c = compare_addresses(&a->src, &b->src);
    if (c == 0) c = compare_addresses(&a->dst, &b->dst);
    if (c == 0 && a->proto != b->proto) c = PyUnicode_Compare(a->proto, b->proto);
    if (c == 0 && a->port != b->port) c = a->port < b->port ? -1 : 1;
    if (c == 0) c = a->flow < b->flow ? -1 : 1;
    return c;
}

static uint64_t next_random(uint64_t *state) {   /* xorshift64: pivots, not secrets */
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return *state;
}

/* The `k` smallest of `a[0:n]` first (in no order): quickselect on a total order. */
static void select_candidates(Candidate *a, Py_ssize_t n, Py_ssize_t k) {
    uint64_t state = 0x9E3779B97F4A7C15ULL;
    Py_ssize_t lo = 0, hi = n - 1;
    Candidate tmp;
    while (lo < hi) {
        Py_ssize_t p = lo + (Py_ssize_t)(next_random(&state) % (uint64_t)(hi - lo + 1));
        tmp = a[p]; a[p] = a[hi]; a[hi] = tmp;
        Py_ssize_t store = lo;
        for (Py_ssize_t i = lo; i < hi; i++) {
            if (compare_candidates(&a[i], &a[hi]) < 0) {
                tmp = a[i]; a[i] = a[store]; a[store] = tmp;
                store++;
            }
        }
        tmp = a[store]; a[store] = a[hi]; a[hi] = tmp;
        if (store == k) return;
        if (store < k) lo = store + 1;
        else hi = store - 1;
    }
}

/* The `k`-th largest of `counts[0:n]` (k >= 1), the array reordered: quickselect with a
 * three-way split, as most counts are equal (a flow seen once). */
static long long kth_largest(long long *counts, Py_ssize_t n, Py_ssize_t k) {
    uint64_t state = 0x2545F4914F6CDD1DULL;
    Py_ssize_t lo = 0, hi = n, want = k - 1;   /* in [lo, hi), descending */
    for (;;) {
        long long pivot = counts[lo + (Py_ssize_t)(next_random(&state) % (uint64_t)(hi - lo))];
        Py_ssize_t gt = lo, i = lo, lt = hi;   /* [lo,gt) > pivot, [gt,i) == pivot, [lt,hi) < */
        while (i < lt) {
            long long c = counts[i];
            if (c > pivot) {
                counts[i++] = counts[gt];
                counts[gt++] = c;
            } else if (c < pivot) {
                counts[i] = counts[--lt];
                counts[lt] = c;
            } else i++;
        }
        if (want < gt) hi = gt;
        else if (want < lt) return pivot;
        else lo = lt;
    }
}

/* A flow's candidate: 1, or 0 when its key is not of the types the order is read here for
 * (Python sorts it), -1 on an error. */
static int candidate_of(Flow *f, Py_ssize_t at, PyObject *order, PyObject *keep,
                        Candidate *c) {
    if (!PyUnicode_CheckExact(f->proto)) return 0;
    c->port = 0;
    if (f->dport != Py_None) {
        if (!PyLong_CheckExact(f->dport)) return 0;
        int overflow;
        c->port = PyLong_AsLongLongAndOverflow(f->dport, &overflow);
        if (overflow) return 0;
    }
    c->count = f->count;
    c->proto = f->proto;
    c->flow = at;
    PyObject *texts[2] = {f->src, f->dst};
    AddressKey *keys[2] = {&c->src, &c->dst};
    for (int k = 0; k < 2; k++) {
        if (address_key_here(texts[k], keys[k])) continue;
        int rc = address_key_asked(order, keep, texts[k], keys[k]);
        if (rc <= 0) return rc;
    }
    return 1;
}

/* The ghost flows' choice (`auditor.reconcile.ghost_flows`), made here: the flows whose
 * destination is not in `held`, the `limit` busiest of them listed in its order (only the
 * candidates as busy as the limit-th get an order key, and only the listed are sorted);
 * the rest counted. None when a key is of types only Python orders: it does it then. */
static PyObject *FlowTable_ranked(FlowTable *self, PyObject *args) {
    PyObject *held, *order;
    Py_ssize_t limit;
    if (!PyArg_ParseTuple(args, "OnO", &held, &limit, &order)) return NULL;
    if (limit < 1) Py_RETURN_NONE;   /* Python's own answer for that, whatever it is */
    int check = !(PyTuple_CheckExact(held) && PyTuple_GET_SIZE(held) == 0)
                && !(PyAnySet_CheckExact(held) && PySet_GET_SIZE(held) == 0);
    PyObject *result = NULL, *keep = PyList_New(0), *listed = NULL;
    uint32_t *chosen = PyMem_Malloc((self->len + 1) * sizeof(uint32_t));
    long long *counts = NULL;
    Candidate *cands = NULL;
    if (keep == NULL || chosen == NULL) {
        if (chosen == NULL) PyErr_NoMemory();
        goto done;
    }
    /* the candidates: flows to addresses nobody holds */
    Py_ssize_t n = 0;
    long long lines = 0;
    for (Py_ssize_t at = 0; at < self->len; at++) {
        Flow *f = &self->flows[at];
        if (check) {
            int in = PySequence_Contains(held, f->dst);
            if (in < 0) goto done;
            if (in) continue;
        }
        if (__builtin_add_overflow(lines, f->count, &lines)) {
            result = Py_NewRef(Py_None);
            goto done;
        }
        chosen[n++] = (uint32_t)at;
    }
    Py_ssize_t total = n;
    if (n > limit) {   /* only flows as busy as the limit-th can be listed */
        counts = PyMem_Malloc(n * sizeof(long long));
        if (counts == NULL) {
            PyErr_NoMemory();
            goto done;
        }
        for (Py_ssize_t i = 0; i < n; i++) counts[i] = self->flows[chosen[i]].count;
        long long least = kth_largest(counts, n, limit);
        Py_ssize_t kept = 0;
        for (Py_ssize_t i = 0; i < n; i++)
            if (self->flows[chosen[i]].count >= least) chosen[kept++] = chosen[i];
        n = kept;
    }
    cands = PyMem_Malloc((n + 1) * sizeof(Candidate));
    if (cands == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        int rc = candidate_of(&self->flows[chosen[i]], chosen[i], order, keep, &cands[i]);
        if (rc < 0) goto done;
        if (rc == 0) {
            result = Py_NewRef(Py_None);
            goto done;
        }
    }
    Py_ssize_t shown = n < limit ? n : limit;
    if (n > shown) select_candidates(cands, n, shown);
    qsort(cands, shown, sizeof(Candidate), compare_candidates);
    listed = PyList_New(shown);
    if (listed == NULL) goto done;
    long long shown_lines = 0;
    for (Py_ssize_t i = 0; i < shown; i++) {
        Flow *f = &self->flows[cands[i].flow];
        PyObject *key = flow_key(f);
        PyObject *pair = key ? Py_BuildValue("(OL)", key, f->count) : NULL;
        if (pair == NULL) goto done;
        PyList_SET_ITEM(listed, i, pair);
        shown_lines += f->count;
    }
    result = Py_BuildValue("(OnL)", listed, total - shown, lines - shown_lines);
done:
    Py_XDECREF(listed);
    Py_XDECREF(keep);
    PyMem_Free(chosen);
    PyMem_Free(counts);
    PyMem_Free(cands);
    return result;
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
    for (Py_ssize_t i = 0; i < self->len; i++) flow_clear(&self->flows[i]);
    self->len = 0;
    PyMem_Free(self->slots);
    self->slots = NULL;
    self->mask = 0;
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
    PyMem_Free(self->slots);
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
    {"brief", (PyCFunction)FlowTable_brief, METH_O,
     "brief(key) -> (count, first, last, signals, sports) or None: a flow as ghost flows "
     "show it."},
    {"ranked", (PyCFunction)FlowTable_ranked, METH_VARARGS,
     "ranked(held, limit, order) -> ([(key, count)] listed, flows, lines folded) or None"},
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
    PyDateTime_IMPORT;
    if (PyDateTimeAPI == NULL) return NULL;
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
