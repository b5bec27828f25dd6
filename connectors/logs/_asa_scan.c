/* The Cisco ASA fold's common lines, read in C.
 *
 * On a busy firewall four lines in five are Built/Teardown pairs (302013-302016) that say
 * nothing about a stale target: they only tell the parser who opened each connection, for
 * the rare Teardown that is evidence; most of the rest are a few drop messages. Folding
 * them line by line in Python cost ~10 us a line. `Scanner.scan(block, pos)` walks a block
 * of whole lines from `pos` and handles, with exactly the effect `AsaLogParser` would have,
 * the lines whose shape it can vouch for:
 *
 *   - blank lines (numbered, not counted) and absurdly long ones (counted unparsed);
 *   - a tagged line whose message id the parser does not handle (counted unparsed);
 *   - Built 302013/302015 in the plain template: (device, connection id) -> outbound is
 *     remembered in the parser's own table (`conns`, an OrderedDict bounded at
 *     `pair_limit`, oldest evicted), the line counted parsed;
 *   - Teardown 302016, and 302014 that is no evidence (no bytes, or neither endpoint a held
 *     address): the pair is popped, the line counted parsed; a SYN Timeout whose Built was
 *     seen: the pair is popped and tells who opened it, and the drop is folded (below);
 *   - NAT translations 305011/305012, 106100 permits: counted parsed;
 *   - drops in their plain template, IPv4 and numeric ports: 106023, 110003, 419002, 106100
 *     denied. Each goes to `add`: the fold's drop adder called with the event's fields
 *     (time, message, signal, protocol, src, sport, dst, dport, count), or, when `add` is a
 *     packed recording (bytearray, objects, index), appended to it as nine int32 (a worker
 *     records the calls for the process that folds to make, in order; `pack_drop`). The
 *     time is told here for the common header forms, else asked of the parser's reader.
 *
 * It stops at the first line it cannot vouch for and returns that line's offset: the Python
 * parser reads it (any other message or template, IPv6, an unpaired SYN Timeout, an odd
 * header or character), then calls `scan` again past it. The two share one pairing table,
 * so the result is one pass, in order, exactly as the Python parser alone gives; the tests
 * fold every corpus both ways and compare.
 *
 * "Vouch for" means: the line is printable ASCII (a few control characters and any non-ASCII
 * byte go to Python, where `str.splitlines` and `\s` have their Unicode meaning), and the
 * message text has the template's plain shape (interface:address/port, no spaces in the
 * interface, no identity suffixes), on which the parser's regular expressions provably match
 * with the same groups. The device comes from the parser's own header reader, asked once per
 * header *shape*: the header with its timestamps' digits set to 0 (`header_key`), which the
 * reader reads to the same device, since a device never depends on a timestamp's digits.
 * A time is told here only where the header is `[<PRI>]STAMP` and words that can hold no
 * other stamp or zone (`header_time`); the tests hold it to the reader.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <datetime.h>
#include <string.h>
#include <stdint.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "_pairs.h"

#define MAX_HEADER 240      /* longer headers go to Python */
#define CACHE_SLOTS 16      /* header shapes remembered in C, before asking `devices` */
#define TEXT_SLOTS 4096     /* texts of a packed recording remembered by their bytes */
#define TEXT_MAX 46         /* longer texts are not remembered */

/* A text already in a packed recording's `objects` (an address, a protocol), found by its
 * bytes: a drop's three texts cost a str, a hash and a dict look-up each otherwise, and
 * senders, protocols and many destinations repeat. */
typedef struct {
    int32_t at;             /* its index in `objects`, -1: empty */
    unsigned char len;
    char text[TEXT_MAX];
} Text;

enum { C302013, C302014, C302015, C302016, C305011, C305012, C106023, C110003, C419002,
       C106100, NCOUNTS };
static const char *const COUNT_IDS[NCOUNTS] = {
    "302013", "302014", "302015", "302016", "305011", "305012", "106023", "110003", "419002",
    "106100"};
#define NIDS NCOUNTS
enum { ACL_DENY, NO_ROUTE, SYN_RETRANSMIT, SYN_TIMEOUT };

typedef struct {
    char raw[MAX_HEADER];   /* a header of the shape the device was read for */
    char stamp[MAX_HEADER]; /* 1 (-1 once in a slot: all bits) where `raw` holds a timestamp's
                             * digit, else 0 */
    Py_ssize_t len;
    PyObject *device;       /* owned; NULL when the slot is empty */
    int32_t device_at;      /* its number in the pairing table */
} Slot;

typedef struct {
    PyObject_HEAD
    PairTable *conns;       /* (device, conn) -> the Built was outbound (`_pairs.h`) */
    PyObject *devices;      /* header key -> device (a dict whose __missing__ reads it) */
    PyObject *held;         /* addresses answered traffic matters for, or None: all */
    int held_empty;
    Py_ssize_t pair_limit;
    Py_ssize_t max_line;
    unsigned char *handled; /* bitmap of the message ids the parser handles */
    Py_ssize_t number;      /* the number of the next line */
    Py_ssize_t lines, parsed, unparsed;
    Py_ssize_t counts[NCOUNTS];
    Slot cache[CACHE_SLOTS];
    int next_slot, last_slot;
    /* folding drops (all NULL/None when the scanner only keeps the books) */
    PyObject *add;          /* TrafficIndex.add_fields, or a recording (see `emit_drop`) */
    PyObject *blob, *objects, *index;   /* a packed recording: borrowed from `add` */
    PyObject *last_time;    /* the last time packed (owned) and its index in `objects` */
    int last_time_at;
    Text *texts;            /* TEXT_SLOTS of them while packing, else NULL */
    int32_t fixed_at[NIDS + 4];   /* indexes of the message ids and signals, -1: not yet */
    PyObject *read_header;  /* the parser's header reader: header -> (time, device) */
    PyObject *signals;      /* (acl-deny, no-route, syn-retransmit) */
    PyObject *latest;       /* the newest time a year-less date may have, or None */
    PyObject *zones;        /* zone words a time is shifted by, upper case */
    /* a SYN Timeout whose Built this block did not see: ordered by ports (`server_ports`,
     * `initiator_first`) and folded, or, reading one part of a file, handed to `defer` to
     * be held back for the merge (None: fold it) */
    PyObject *defer;
    unsigned char server_ports[65536 / 8];
    PyObject *ids[NIDS];    /* message ids as str */
} Scanner;

/* -- characters ---------------------------------------------------------------------------- */

/* `\s` and `str.isspace()` over ASCII: space, \t \n \v \f \r and \x1c-\x1f. */
static inline int is_ws(unsigned char c) {
    return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

/* What ends each slot of an endpoint, by character (filled by `init_classes`): one table
 * lookup per character where the slots' loops tested up to nine things. */
enum { ENDS_WORD = 1, ENDS_IFC = 2, ENDS_ADDR = 4, ENDS_PORT = 8 };
static unsigned char ENDS[256];

static void init_classes(void) {
    for (int c = 0; c < 256; c++) {
        unsigned char f = 0;
        if (is_ws((unsigned char)c)) f = ENDS_WORD | ENDS_IFC | ENDS_ADDR | ENDS_PORT;
        if (c == ':' || c == '/' || c == '(' || c == ')' || c == ',') f |= ENDS_IFC;
        if (c == '/' || c == '(') f |= ENDS_ADDR;
        if (c == '(' || c == ')' || c == ',' || c == '/') f |= ENDS_PORT;
        ENDS[c] = f;
    }
}

/* The end of a run of characters none of which ends it (`what`). */
static inline const char *run(const char *p, const char *e, unsigned char what) {
    while (p < e && !(ENDS[(unsigned char)*p] & what)) p++;
    return p;
}
static inline int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static inline int is_alpha(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
/* Characters that end a line for `str.splitlines` (besides \n), or are not ASCII. */
static inline int is_odd(unsigned char c) {
    return c == '\r' || c == '\v' || c == '\f' || (c >= 0x1c && c <= 0x1e) || c >= 0x80;
}

static inline int starts(const char *p, const char *e, const char *lit, Py_ssize_t n) {
    return e - p >= n && memcmp(p, lit, n) == 0;
}

/* A maximal run of `\S` from p; returns its end. */
static inline const char *nonspace(const char *p, const char *e) {
    return run(p, e, ENDS_WORD);
}

/* -- the tag: %ASA-6-302013: ------------------------------------------------------------------ */

/* `_TAG.search`: the first `%(ASA|FTD|PIX)-([A-Za-z]+-)?[0-7]-(\d{6})(?!\d):?\s*`. Returns the
 * tag's start or NULL; sets the id and where the message text starts. */
static const char *find_tag(const char *s, const char *e, long *id, const char **text) {
    const char *q = s;
    while ((q = memchr(q, '%', e - q)) != NULL) {
        const char *r = q + 1;
        if (e - r >= 4 && (memcmp(r, "ASA-", 4) == 0 || memcmp(r, "FTD-", 4) == 0
                           || memcmp(r, "PIX-", 4) == 0)) {
            r += 4;
            if (r < e && is_alpha((unsigned char)*r)) {
                while (r < e && is_alpha((unsigned char)*r)) r++;
                if (r < e && *r == '-') r++;
                else r = NULL;
            }
            if (r != NULL && e - r >= 8 && r[0] >= '0' && r[0] <= '7' && r[1] == '-') {
                const char *d = r + 2;
                int ok = 1;
                long value = 0;
                for (int i = 0; i < 6; i++) {
                    if (!is_digit((unsigned char)d[i])) { ok = 0; break; }
                    value = value * 10 + (d[i] - '0');
                }
                if (ok && (d + 6 == e || !is_digit((unsigned char)d[6]))) {
                    const char *t = d + 6;
                    if (t < e && *t == ':') t++;
                    while (t < e && is_ws((unsigned char)*t)) t++;
                    *id = value;
                    *text = t;
                    return q;
                }
            }
        }
        q++;
    }
    return NULL;
}

/* -- headers ----------------------------------------------------------------------------------- */

static const char MONTHS[] = "JanFebMarAprMayJunJulAugSepOctNovDec";

static inline int digits(const char *p, const char *e, int n) {
    if (e - p < n) return 0;
    for (int i = 0; i < n; i++) if (!is_digit((unsigned char)p[i])) return 0;
    return 1;
}

/* The end of a timestamp starting at p (`Mon dd [yyyy ]hh:mm:ss`, or ISO
 * `yyyy-mm-ddThh:mm:ss[.f][Z|+hh:mm]`), followed by the header's end, a space or a colon;
 * NULL when p starts none. */
static const char *timestamp_end(const char *p, const char *e) {
    const char *r;
    if (e - p >= 3 && is_alpha((unsigned char)p[0])) {
        int month = 0;
        for (int i = 0; i < 12; i++)
            if (memcmp(p, MONTHS + 3 * i, 3) == 0) { month = 1; break; }
        if (!month) return NULL;
        r = p + 3;
        if (r < e && *r == ' ') r++; else return NULL;
        if (r < e && *r == ' ') r++;
        if (digits(r, e, 2)) r += 2; else if (digits(r, e, 1)) r += 1; else return NULL;
        if (r < e && *r == ' ') r++; else return NULL;
        if (digits(r, e, 4) && r + 4 < e && r[4] == ' ') r += 5;
        if (!(digits(r, e, 2) && e - r >= 8 && r[2] == ':' && digits(r + 3, e, 2)
              && r[5] == ':' && digits(r + 6, e, 2))) return NULL;
        r += 8;
    } else if (digits(p, e, 4) && e - p >= 19 && p[4] == '-' && digits(p + 5, e, 2)
               && p[7] == '-' && digits(p + 8, e, 2) && p[10] == 'T' && digits(p + 11, e, 2)
               && p[13] == ':' && digits(p + 14, e, 2) && p[16] == ':'
               && digits(p + 17, e, 2)) {
        r = p + 19;
        if (r < e && *r == '.') {
            const char *f = r + 1;
            while (f < e && is_digit((unsigned char)*f)) f++;
            if (f - r - 1 < 1 || f - r - 1 > 9) return NULL;
            r = f;
        }
        if (r < e && *r == 'Z') r++;
        else if (r < e && (*r == '+' || *r == '-')) {
            if (digits(r + 1, e, 2) && r + 3 < e && r[3] == ':' && digits(r + 4, e, 2)) r += 6;
            else if (digits(r + 1, e, 4)) r += 5;
            else return NULL;
        }
    } else {
        return NULL;
    }
    if (r == e || *r == ' ' || *r == ':') return r;
    return NULL;
}

/* The header's shape: its text with the digits of its timestamps set to 0. Returns the
 * length written to `out` (MAX_HEADER bytes), or -1 when the header is too long; `stamp`
 * (MAX_HEADER bytes, or NULL) gets 1 where a timestamp's digit is, else 0. */
static Py_ssize_t header_shape(const char *s, const char *e, char *out, char *stamp) {
    Py_ssize_t n = e - s;
    if (n > MAX_HEADER) return -1;
    memcpy(out, s, n);
    if (stamp != NULL) memset(stamp, 0, n);
    for (const char *p = s; p < e; p++) {
        if (p != s && p[-1] != ' ' && p[-1] != '>') continue;
        const char *end = timestamp_end(p, e);
        if (end == NULL) continue;
        for (const char *q = p; q < end; q++) {
            if (!is_digit((unsigned char)*q)) continue;
            out[q - s] = '0';
            if (stamp != NULL) stamp[q - s] = 1;
        }
        p = end - 1;
    }
    return n;
}

/* Whether a header has the shape of the one a slot holds, without working its shape out:
 * the same bytes but for a timestamp's digits, which may be any digits. (`timestamp_end`
 * looks at which characters are digits, never at their values, so a header with the same
 * letters and the same places of digits has its timestamps in the same places.) */
static inline int same_shape(const Slot *slot, const char *s, Py_ssize_t n) {
    if (slot->len != n || slot->device == NULL) return 0;
    Py_ssize_t i = 0;
#if defined(__SSE2__)
    const __m128i before0 = _mm_set1_epi8('0' - 1), after9 = _mm_set1_epi8('9' + 1);
    for (; i + 16 <= n; i += 16) {   /* the bytes equal, or a digit where a stamp's is */
        __m128i v = _mm_loadu_si128((const __m128i *)(s + i));
        __m128i same = _mm_cmpeq_epi8(v, _mm_loadu_si128((const __m128i *)(slot->raw + i)));
        __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(v, before0), _mm_cmpgt_epi8(after9, v));
        __m128i stamp = _mm_loadu_si128((const __m128i *)(slot->stamp + i));
        if (_mm_movemask_epi8(_mm_or_si128(same, _mm_and_si128(stamp, digit))) != 0xFFFF)
            return 0;
    }
#endif
    for (; i < n; i++) {
        if (slot->raw[i] != s[i] && !(slot->stamp[i] && is_digit((unsigned char)s[i])))
            return 0;
    }
    return 1;
}

/* The device a header names (a borrowed reference, kept alive by the cache) and its number in
 * the pairing table (`*at`); Py_None when the header is too long; NULL with an exception. */
static PyObject *device_of(Scanner *self, const char *s, const char *e, int32_t *at) {
    Py_ssize_t n = e - s;
    if (n > MAX_HEADER) return Py_None;   /* not an error: the caller sends the line to Python */
    for (int k = 0; k < CACHE_SLOTS; k++) {   /* the slot that answered last first */
        int i = (self->last_slot + k) % CACHE_SLOTS;
        Slot *slot = &self->cache[i];
        if (same_shape(slot, s, n)) {
            self->last_slot = i;
            *at = slot->device_at;
            return slot->device;
        }
    }
    char key[MAX_HEADER], stamp[MAX_HEADER];
    header_shape(s, e, key, stamp);
    PyObject *text = PyUnicode_DecodeASCII(key, n, NULL);
    if (text == NULL) return NULL;
    PyObject *device = PyObject_GetItem(self->devices, text);
    Py_DECREF(text);
    if (device == NULL) return NULL;
    if (!PyUnicode_Check(device)) {
        Py_DECREF(device);
        PyErr_SetString(PyExc_TypeError, "devices must map header shapes to str");
        return NULL;
    }
    int32_t number = pairs_device(self->conns, device);
    if (number < 0) {
        Py_DECREF(device);
        return NULL;
    }
    Slot *slot = &self->cache[self->next_slot];
    self->last_slot = self->next_slot;
    self->next_slot = (self->next_slot + 1) % CACHE_SLOTS;
    Py_XSETREF(slot->device, device);
    memcpy(slot->raw, s, n);
    for (Py_ssize_t i = 0; i < n; i++) slot->stamp[i] = stamp[i] ? -1 : 0;
    slot->len = n;
    slot->device_at = *at = number;
    return device;
}

/* -- message texts ------------------------------------------------------------------------------ */

typedef struct { const char *addr, *addr_end, *port, *port_end; } Endpoint;

/* `[^:/(),]*: ?([^\s/(]+)/([^\s(),/]+)` with no space in the interface; the end or NULL. */
static const char *endpoint(const char *p, const char *e, Endpoint *ep) {
    p = run(p, e, ENDS_IFC);
    if (p >= e || *p != ':') return NULL;
    p++;
    if (p < e && *p == ' ') p++;
    ep->addr = p;
    p = run(p, e, ENDS_ADDR);
    if (p == ep->addr || p >= e || *p != '/') return NULL;
    ep->addr_end = p++;
    ep->port = p;
    p = run(p, e, ENDS_PORT);
    if (p == ep->port) return NULL;
    ep->port_end = p;
    return p;
}

/* `Built|Teardown <proto> connection <id> for `: the id and where the first endpoint starts. */
static const char *connection(const char *p, const char *e, const char **conn,
                              const char **conn_end, const char **proto_end) {
    const char *w = nonspace(p, e);
    if (w == p || !starts(w, e, " connection ", 12)) return NULL;
    if (proto_end != NULL) *proto_end = w;
    p = w + 12;
    w = nonspace(p, e);
    if (w == p || !starts(w, e, " for ", 5)) return NULL;
    *conn = p;
    *conn_end = w;
    return w + 5;
}

/* A dotted quad exactly as canonical text writes it (no leading zeros, octets <= 255). */
static int canonical_ipv4(const char *p, const char *e) {
    for (int octet = 0; octet < 4; octet++) {
        const char *start = p;
        int value = 0;
        while (p < e && is_digit((unsigned char)*p) && p - start < 3) value = value * 10 + (*p++ - '0');
        if (p == start || value > 255 || (p - start > 1 && *start == '0')) return 0;
        if (octet < 3) {
            if (p >= e || *p != '.') return 0;
            p++;
        }
    }
    return p == e;
}

/* Whether answered traffic between these two endpoints may matter: 1 yes (Python reads the
 * line), 0 no, -1 error. */
static int may_matter(Scanner *self, Py_ssize_t proto_len, const Endpoint *a,
                      const Endpoint *b) {
    if (self->held == Py_None) return 1;
    /* `build_flow` refuses a protocol word over 32 characters or an address over 255: the
     * line is then unparsed, which is Python's to say */
    if (proto_len > 32 || a->addr_end - a->addr > 255 || b->addr_end - b->addr > 255)
        return 1;
    if (self->held_empty) return 0;   /* nobody's evidence, whatever the addresses say */
    if (!canonical_ipv4(a->addr, a->addr_end) || !canonical_ipv4(b->addr, b->addr_end))
        return 1;   /* IPv6 and names: their canonical text is Python's to work out */
    const Endpoint *both[2] = {a, b};
    for (int i = 0; i < 2; i++) {
        PyObject *text = PyUnicode_DecodeASCII(both[i]->addr, both[i]->addr_end - both[i]->addr,
                                               NULL);
        if (text == NULL) return -1;
        int found = PySequence_Contains(self->held, text);
        Py_DECREF(text);
        if (found != 0) return found;
    }
    return 0;
}

/* Outcomes of reading one line. */
enum { DONE = 0, TO_PYTHON = 1, FAILED = -1 };

static int built(Scanner *self, const char *p, const char *e, int32_t device) {
    int outbound;
    if (starts(p, e, "Built inbound ", 14)) { outbound = 0; p += 14; }
    else if (starts(p, e, "Built outbound ", 15)) { outbound = 1; p += 15; }
    else return TO_PYTHON;
    const char *conn, *conn_end;
    Endpoint a, b;
    if ((p = connection(p, e, &conn, &conn_end, NULL)) == NULL) return TO_PYTHON;
    if ((p = endpoint(p, e, &a)) == NULL) return TO_PYTHON;
    if (starts(p, e, " (", 2)) {   /* the mapped address: no space, up to `)` */
        p += 2;
        while (p < e && *p != ')' && !is_ws((unsigned char)*p)) p++;
        if (p >= e || *p != ')') return TO_PYTHON;
        p++;
    }
    if (!starts(p, e, " to ", 4) || endpoint(p + 4, e, &b) == NULL) return TO_PYTHON;
    if (pairs_set(self->conns, device, conn, conn_end - conn, outbound) < 0) return FAILED;
    pairs_bound(self->conns, self->pair_limit);
    return DONE;
}

static int fold_syn_timeout(Scanner *self, const char *s, const char *tag, const char *proto,
                            const char *proto_end, Endpoint *a, Endpoint *b, int32_t device,
                            const char *conn, const char *conn_end);

static int teardown(Scanner *self, const char *s, const char *tag, const char *p,
                    const char *e, int32_t device, int timeouts_matter) {
    if (!starts(p, e, "Teardown ", 9)) return TO_PYTHON;
    const char *proto = p + 9, *proto_end, *conn, *conn_end;
    Endpoint a, b;
    if ((p = connection(p + 9, e, &conn, &conn_end, &proto_end)) == NULL) return TO_PYTHON;
    if ((p = endpoint(p, e, &a)) == NULL) return TO_PYTHON;
    if (!starts(p, e, " to ", 4) || (p = endpoint(p + 4, e, &b)) == NULL) return TO_PYTHON;
    if (!starts(p, e, " duration ", 10)) return TO_PYTHON;
    const char *w = nonspace(p + 10, e);
    if (w == p + 10 || !starts(w, e, " bytes ", 7)) return TO_PYTHON;
    p = w + 7;
    const char *sent = p;
    int any_sent = 0, timeout = 0;
    while (p < e && is_digit((unsigned char)*p)) any_sent |= *p++ != '0';
    if (p == sent) return TO_PYTHON;
    if (timeouts_matter) {   /* 302014: a SYN Timeout, or bytes to a held address: evidence */
        while (p < e && is_ws((unsigned char)*p)) p++;
        if (starts(p, e, "SYN Timeout", 11)) {
            if (self->add == Py_None) return TO_PYTHON;
            timeout = 1;
        } else if (any_sent) {
            int matters = may_matter(self, proto_end - proto, &a, &b);
            if (matters != 0) return matters < 0 ? FAILED : TO_PYTHON;
        }
    }
    if (timeout)
        return fold_syn_timeout(self, s, tag, proto, proto_end, &a, &b, device, conn, conn_end);
    pairs_pop(self->conns, device, conn, conn_end - conn);
    return DONE;
}

/* `(?:Built|Teardown) \S+ (\S+) translation from `, the protocol word at most 32 long. */
static int translation(const char *p, const char *e) {
    if (starts(p, e, "Built ", 6)) p += 6;
    else if (starts(p, e, "Teardown ", 9)) p += 9;
    else return TO_PYTHON;
    const char *w = nonspace(p, e);
    if (w == p || w >= e || *w != ' ') return TO_PYTHON;
    p = w + 1;
    w = nonspace(p, e);
    if (w == p || w - p > 32 || !starts(w, e, " translation from ", 18)) return TO_PYTHON;
    return DONE;
}

/* -- times --------------------------------------------------------------------------------------- */

static int days_in(int year, int month) {
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month == 2 && (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0))) return 29;
    return days[month - 1];
}

static int valid(int y, int mo, int d, int h, int mi, int sec) {
    return y >= 1 && y <= 9999 && mo >= 1 && mo <= 12 && d >= 1 && d <= days_in(y, mo)
           && h <= 23 && mi <= 59 && sec <= 59;
}

static inline int num(const char *p, int n) {
    int v = 0;
    for (int i = 0; i < n; i++) v = v * 10 + (p[i] - '0');
    return v;
}

static int month_word(const char *p, Py_ssize_t n) {
    if (n != 3) return 0;
    for (int i = 0; i < 12; i++) {
        const char *m = MONTHS + 3 * i;
        int same = 1;
        for (int k = 0; k < 3; k++)
            if ((p[k] | 0x20) != (m[k] | 0x20)) { same = 0; break; }
        if (same) return i + 1;
    }
    return 0;
}

/* The time a header gives, where this scanner can tell it as `SyslogHeader.read` would:
 * `[<PRI>]STAMP` then words that are no timestamp, no zone word right after the stamp
 * (those shift the time) and no digits first (a second stamp may hide there). Returns 1 with
 * a new reference in *out (a datetime, or None for a date that cannot be), 0 when the reader
 * must tell (the caller asks it), -1 on error. */
static int header_time(Scanner *self, const char *s, const char *e, PyObject **out) {
    const char *p = s;
    if (p < e && *p == '<') {
        const char *q = p + 1;
        while (q < e && q - p <= 3 && is_digit((unsigned char)*q)) q++;
        if (q == p + 1 || q >= e || *q != '>' || q - p > 4) return 0;
        p = q + 1;
    }
    const char *end = timestamp_end(p, e);
    if (end == NULL) return 0;
    /* the words after it */
    int first = 1;
    for (const char *w = end; w < e;) {
        if (*w == ' ' || *w == ':') { w++; continue; }
        const char *x = w;
        while (x < e && *x != ' ') x++;
        if (is_digit((unsigned char)*w) || month_word(w, x - w)) return 0;
        for (const char *c = w; c < x; c++)
            if (is_ws((unsigned char)*c) || *c == '<') return 0;
        if (first) {
            const char *z = x;
            while (z > w && z[-1] == ':') z--;
            char upper[8];
            if (z - w > 0 && z - w < 8) {
                for (Py_ssize_t i = 0; i < z - w; i++)
                    upper[i] = (w[i] >= 'a' && w[i] <= 'z') ? w[i] - 32 : w[i];
                PyObject *word = PyUnicode_DecodeASCII(upper, z - w, NULL);
                if (word == NULL) return -1;
                int zone = PySequence_Contains(self->zones, word);
                Py_DECREF(word);
                if (zone != 0) return zone < 0 ? -1 : 0;
            }
            first = 0;
        }
        w = x;
    }
    int y, mo, d, h, mi, sec, micro = 0, offset = 0;
    if (is_alpha((unsigned char)*p)) {
        mo = month_word(p, 3);
        const char *r = p + 4;
        if (*r == ' ') r++;
        const char *day = r;
        while (is_digit((unsigned char)*r)) r++;
        d = num(day, (int)(r - day));
        r++;
        y = 0;
        int has_year = r[4] == ' ';
        if (has_year) { y = num(r, 4); r += 5; }
        h = num(r, 2); mi = num(r + 3, 2); sec = num(r + 6, 2);
        if (!has_year) {
            /* year-less: the newest such date not after `latest` (SyslogHeader._yearless) */
            if (self->latest == Py_None) return 0;
            PyObject *L = self->latest;
            int ly = PyDateTime_GET_YEAR(L);
            long long limit = ((((long long)ly * 100 + PyDateTime_GET_MONTH(L)) * 100
                                + PyDateTime_GET_DAY(L)) * 100 + PyDateTime_DATE_GET_HOUR(L))
                              * 10000 + PyDateTime_DATE_GET_MINUTE(L) * 100
                              + PyDateTime_DATE_GET_SECOND(L);
            int limit_micro = PyDateTime_DATE_GET_MICROSECOND(L);
            for (int year = ly; year > ly - 9; year--) {
                if (!valid(year, mo, d, h, mi, sec)) {
                    if (mo == 2 && d == 29 && year >= 1 && h <= 23 && mi <= 59 && sec <= 59)
                        continue;
                    break;   /* ValueError: no time */
                }
                long long stamp = ((((long long)year * 100 + mo) * 100 + d) * 100 + h) * 10000
                                  + mi * 100 + sec;
                if (stamp < limit || (stamp == limit && 0 <= limit_micro)) {
                    *out = PyDateTime_FromDateAndTime(year, mo, d, h, mi, sec, 0);
                    return *out == NULL ? -1 : 1;
                }
            }
            Py_INCREF(Py_None);
            *out = Py_None;
            return 1;
        }
    } else {
        y = num(p, 4); mo = num(p + 5, 2); d = num(p + 8, 2);
        h = num(p + 11, 2); mi = num(p + 14, 2); sec = num(p + 17, 2);
        const char *r = p + 19;
        if (r < end && *r == '.') {
            const char *f = ++r;
            while (r < end && is_digit((unsigned char)*r)) r++;
            if (r - f > 6) return 0;
            micro = num(f, (int)(r - f));
            for (Py_ssize_t k = r - f; k < 6; k++) micro *= 10;
        }
        if (r < end && (*r == '+' || *r == '-')) {
            if (end - r != 6 || r[3] != ':') return 0;
            int oh = num(r + 1, 2), om = num(r + 4, 2);
            if (oh > 23 || om > 59) return 0;
            offset = (oh * 60 + om) * 60 * (*r == '-' ? -1 : 1);
        }
        if (h > 23) return 0;
    }
    if (!valid(y, mo, d, h, mi, sec)) {
        Py_INCREF(Py_None);
        *out = Py_None;
        return 1;
    }
    PyObject *stamp = PyDateTime_FromDateAndTime(y, mo, d, h, mi, sec, micro);
    if (stamp == NULL) return -1;
    if (offset != 0) {
        PyObject *shift = PyDelta_FromDSU(0, offset, 0);
        if (shift == NULL) { Py_DECREF(stamp); return -1; }
        PyObject *utc = PyNumber_Subtract(stamp, shift);
        Py_DECREF(shift);
        Py_DECREF(stamp);
        if (utc == NULL) {
            if (!PyErr_ExceptionMatches(PyExc_OverflowError)) return -1;
            PyErr_Clear();
            Py_INCREF(Py_None);
            utc = Py_None;
        }
        stamp = utc;
    }
    *out = stamp;
    return 1;
}

/* The time of a line's header: told here, or asked of the parser's reader. New reference. */
static PyObject *time_of(Scanner *self, const char *s, const char *e) {
    PyObject *when = NULL;
    int told = header_time(self, s, e, &when);
    if (told < 0) return NULL;
    if (told) return when;
    PyObject *text = PyUnicode_DecodeASCII(s, e - s, NULL);
    if (text == NULL) return NULL;
    PyObject *read = PyObject_CallOneArg(self->read_header, text);
    Py_DECREF(text);
    if (read == NULL) return NULL;
    if (!PyTuple_Check(read) || PyTuple_GET_SIZE(read) < 1) {
        Py_DECREF(read);
        PyErr_SetString(PyExc_TypeError, "read_header must return (time, device)");
        return NULL;
    }
    when = PyTuple_GET_ITEM(read, 0);
    Py_INCREF(when);
    Py_DECREF(read);
    return when;
}

/* -- drops ----------------------------------------------------------------------------------------- */

/* A port slot of plain digits, as `parse_port` reads it; -1 when Python must read it. */
static long port_of(const char *p, const char *e) {
    if (e - p < 1 || e - p > 5) return -1;
    long v = 0;
    for (; p < e; p++) {
        if (!is_digit((unsigned char)*p)) return -1;
        v = v * 10 + (*p - '0');
    }
    return v <= 65535 ? v : -1;
}

typedef struct {
    int message, signal;
    const char *proto, *proto_end;   /* NULL: tcp */
    Endpoint a, b;                   /* initiator first */
    long count;
} Drop;

/* Whether `build_flow` would read this drop as it stands here: a protocol word of 1-32
 * characters that is no ICMP (no ports), plain ports, canonical IPv4 addresses. Writes the
 * protocol in lower case to `proto` (33 bytes) and its length to *plen. */
static int drop_plain(Drop *drop, char *proto, Py_ssize_t *plen, long *sport, long *dport) {
    *plen = 3;
    if (drop->proto == NULL) memcpy(proto, "tcp", 3);
    else {
        *plen = drop->proto_end - drop->proto;
        if (*plen < 1 || *plen > 32) return 0;
        for (Py_ssize_t i = 0; i < *plen; i++) {
            char c = drop->proto[i];
            proto[i] = (c >= 'A' && c <= 'Z') ? c + 32 : c;
        }
        if ((*plen == 4 && memcmp(proto, "icmp", 4) == 0)
            || (*plen == 5 && memcmp(proto, "icmp6", 5) == 0)
            || (*plen == 6 && memcmp(proto, "icmpv6", 6) == 0)
            || (*plen == 9 && memcmp(proto, "ipv6-icmp", 9) == 0)) return 0;
    }
    *sport = port_of(drop->a.port, drop->a.port_end);
    *dport = port_of(drop->b.port, drop->b.port_end);
    return *sport >= 0 && *dport >= 0 && canonical_ipv4(drop->a.addr, drop->a.addr_end)
           && canonical_ipv4(drop->b.addr, drop->b.addr_end);
}

/* `obj`'s index in a packed recording's `objects`, appending it when new (equal objects
 * share one index). -1 with an exception. */
static int pack_ref(Scanner *self, PyObject *obj) {
    PyObject *at = PyDict_GetItemWithError(self->index, obj);
    if (at != NULL) return (int)PyLong_AsLong(at);
    if (PyErr_Occurred()) return -1;
    Py_ssize_t n = PyList_GET_SIZE(self->objects);
    if (n >= 0x7fffffff) {
        PyErr_SetString(PyExc_OverflowError, "too many objects in one recording");
        return -1;
    }
    PyObject *num = PyLong_FromSsize_t(n);
    if (num == NULL) return -1;
    int rc = PyDict_SetItem(self->index, obj, num);
    Py_DECREF(num);
    if (rc < 0 || PyList_Append(self->objects, obj) < 0) return -1;
    return (int)n;
}

static int pack_text(Scanner *self, const char *p, Py_ssize_t n) {
    Text *slot = NULL;
    if (n <= TEXT_MAX) {
        uint32_t h = 2166136261u;
        for (Py_ssize_t i = 0; i < n; i++) h = (h ^ (unsigned char)p[i]) * 16777619u;
        slot = &self->texts[(h ^ (h >> 15)) & (TEXT_SLOTS - 1)];
        if (slot->at >= 0 && slot->len == n && memcmp(slot->text, p, n) == 0) return slot->at;
    }
    PyObject *text = PyUnicode_DecodeASCII(p, n, NULL);
    if (text == NULL) return -1;
    int at = pack_ref(self, text);
    Py_DECREF(text);
    if (at >= 0 && slot != NULL) {
        slot->at = at;
        slot->len = (unsigned char)n;
        memcpy(slot->text, p, n);
    }
    return at;
}

/* The index of a message id or signal (`fixed`: its place in `fixed_at`), asked of the
 * recording once. */
static int pack_fixed(Scanner *self, int fixed, PyObject *obj) {
    if (self->fixed_at[fixed] < 0) self->fixed_at[fixed] = pack_ref(self, obj);
    return self->fixed_at[fixed];
}

/* A time as a packed recording keeps it (new reference): a naive datetime as the int of its
 * microseconds since 0001-01-01T00:00 (an int pickles in a tenth of a datetime's time, and
 * a block's drops hold a thousand times; `auditor/_flows.c` and `Recording.replay` turn it
 * back), anything else as it is. */
static PyObject *packed_time(PyObject *when) {
    if (!PyDateTime_CheckExact(when) || PyDateTime_DATE_GET_TZINFO(when) != Py_None)
        return Py_NewRef(when);
    static const int before[13] = {0, 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
    int y = PyDateTime_GET_YEAR(when), m = PyDateTime_GET_MONTH(when);
    long long prior = y - 1;
    long long days = prior * 365 + prior / 4 - prior / 100 + prior / 400 + before[m]
                     + PyDateTime_GET_DAY(when) - 1;
    if (m > 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) days++;
    long long seconds = days * 86400 + PyDateTime_DATE_GET_HOUR(when) * 3600
                        + PyDateTime_DATE_GET_MINUTE(when) * 60
                        + PyDateTime_DATE_GET_SECOND(when);
    return PyLong_FromLongLong(seconds * 1000000 + PyDateTime_DATE_GET_MICROSECOND(when));
}

/* One drop as a packed record: nine little-endian int32, `time message signal protocol src
 * sport dst dport count`, the objects as indexes into `objects` (time -1: None), the
 * numbers as they are (`auditor/_flows.c` reads them back: `FlowTable.add_packed`). */
static int pack_drop(Scanner *self, PyObject *when, Drop *drop, const char *proto,
                     Py_ssize_t plen, long sport, long dport) {
    int32_t rec[9];
    if (when == Py_None) rec[0] = -1;
    else if (when == self->last_time) rec[0] = self->last_time_at;
    else {
        PyObject *packed = packed_time(when);
        if (packed == NULL) return FAILED;
        rec[0] = pack_ref(self, packed);
        Py_DECREF(packed);
        if (rec[0] < 0) return FAILED;
        Py_INCREF(when);
        Py_XSETREF(self->last_time, when);
        self->last_time_at = rec[0];
    }
    rec[1] = pack_fixed(self, drop->message, self->ids[drop->message]);
    rec[2] = pack_fixed(self, NIDS + drop->signal,
                        PyTuple_GET_ITEM(self->signals, drop->signal));
    rec[3] = pack_text(self, proto, plen);
    rec[4] = pack_text(self, drop->a.addr, drop->a.addr_end - drop->a.addr);
    rec[5] = (int32_t)sport;
    rec[6] = pack_text(self, drop->b.addr, drop->b.addr_end - drop->b.addr);
    rec[7] = (int32_t)dport;
    rec[8] = (int32_t)drop->count;
    if (rec[1] < 0 || rec[2] < 0 || rec[3] < 0 || rec[4] < 0 || rec[6] < 0) return FAILED;
    Py_ssize_t size = PyByteArray_GET_SIZE(self->blob);
    if (PyByteArray_Resize(self->blob, size + (Py_ssize_t)sizeof rec) < 0) return FAILED;
    memcpy(PyByteArray_AS_STRING(self->blob) + size, rec, sizeof rec);
    return DONE;
}

/* Hand a drop that is `drop_plain` to `add`, as `TrafficIndex.add` would get its event. */
static int emit_drop(Scanner *self, const char *s, const char *tag, Drop *drop,
                     const char *proto, Py_ssize_t plen, long sport, long dport) {
    PyObject *when = time_of(self, s, tag);
    if (when == NULL) return FAILED;
    if (self->blob != NULL) {   /* a packed recording */
        int outcome = pack_drop(self, when, drop, proto, plen, sport, dport);
        Py_DECREF(when);
        return outcome;
    }
    PyObject *args[9] = {when, self->ids[drop->message],
                         PyTuple_GET_ITEM(self->signals, drop->signal), NULL, NULL, NULL,
                         NULL, NULL, NULL};
    args[3] = PyUnicode_DecodeASCII(proto, plen, NULL);
    args[4] = PyUnicode_DecodeASCII(drop->a.addr, drop->a.addr_end - drop->a.addr, NULL);
    args[5] = PyLong_FromLong(sport);
    args[6] = PyUnicode_DecodeASCII(drop->b.addr, drop->b.addr_end - drop->b.addr, NULL);
    args[7] = PyLong_FromLong(dport);
    args[8] = PyLong_FromLong(drop->count);
    PyObject *done = NULL;
    if (args[3] && args[4] && args[5] && args[6] && args[7] && args[8]) {
        done = PyObject_Vectorcall(self->add, args, 9, NULL);
    }
    Py_DECREF(when);
    for (int i = 3; i < 9; i++) Py_XDECREF(args[i]);
    if (done == NULL) return FAILED;
    Py_DECREF(done);
    return DONE;
}

/* Hand one drop to `add`, as `build_flow` and `TrafficIndex.add` would see it; TO_PYTHON
 * (before anything is done) when it is not plain. */
static int fold_drop(Scanner *self, const char *s, const char *tag, Drop *drop) {
    char proto[33];
    Py_ssize_t plen;
    long sport, dport;
    if (!drop_plain(drop, proto, &plen, &sport, &dport)) return TO_PYTHON;
    return emit_drop(self, s, tag, drop, proto, plen, sport, dport);
}

/* `endpoints.is_server_port`: below 1024 (not 0), or one of `SERVER_PORTS`. */
static inline int is_server_port(Scanner *self, long port) {
    return (port > 0 && port < 1024)
           || (port >= 0 && port < 65536 && (self->server_ports[port >> 3] >> (port & 7) & 1));
}

/* Hand an unpaired SYN Timeout to `defer(number, time, device, protocol, a, a_port, b,
 * b_port, conn, a_first)` (`AsaLogParser._defer_syn_timeout`), which holds it back as
 * `_teardown` and `_line` would. */
static int defer_syn_timeout(Scanner *self, const char *s, const char *tag, Drop *drop,
                             const char *proto, Py_ssize_t plen, long sport, long dport,
                             int32_t device, const char *conn, const char *conn_end,
                             int a_first) {
    PyObject *args[10] = {NULL};
    args[0] = PyLong_FromSsize_t(self->number);
    args[1] = time_of(self, s, tag);
    args[2] = Py_NewRef(PyList_GET_ITEM(self->conns->devices, device));
    args[3] = PyUnicode_DecodeASCII(proto, plen, NULL);
    args[4] = PyUnicode_DecodeASCII(drop->a.addr, drop->a.addr_end - drop->a.addr, NULL);
    args[5] = PyLong_FromLong(sport);
    args[6] = PyUnicode_DecodeASCII(drop->b.addr, drop->b.addr_end - drop->b.addr, NULL);
    args[7] = PyLong_FromLong(dport);
    args[8] = PyUnicode_DecodeASCII(conn, conn_end - conn, NULL);
    args[9] = PyBool_FromLong(a_first);
    PyObject *done = NULL;
    int ok = 1;
    for (int i = 0; i < 10; i++) ok = ok && args[i] != NULL;
    if (ok) done = PyObject_Vectorcall(self->defer, args, 10, NULL);
    for (int i = 0; i < 10; i++) Py_XDECREF(args[i]);
    if (done == NULL) return FAILED;
    Py_DECREF(done);
    return DONE;
}

/* A SYN Timeout Teardown: the pair is popped and tells who opened the connection (outbound:
 * the second endpoint), as `_teardown` orders it; one whose Built was not seen is ordered by
 * ports, and held back for the merge when `defer` is set. */
static int fold_syn_timeout(Scanner *self, const char *s, const char *tag, const char *proto,
                            const char *proto_end, Endpoint *a, Endpoint *b, int32_t device,
                            const char *conn, const char *conn_end) {
    Drop drop = {.message = C302014, .signal = SYN_TIMEOUT, .proto = proto,
                 .proto_end = proto_end, .a = *a, .b = *b, .count = 1};
    char lower[33];
    Py_ssize_t plen;
    long sport, dport;
    if (!drop_plain(&drop, lower, &plen, &sport, &dport)) return TO_PYTHON;
    int swap = pairs_pop(self->conns, device, conn, conn_end - conn);
    if (swap < 0) {   /* its Built is elsewhere: `initiator_first` orders it by ports */
        swap = is_server_port(self, sport) && !is_server_port(self, dport);
        if (self->defer != Py_None)
            return defer_syn_timeout(self, s, tag, &drop, lower, plen, sport, dport, device,
                                     conn, conn_end, !swap);
    }
    if (swap) {
        drop.a = *b;
        drop.b = *a;
        long port = sport;
        sport = dport;
        dport = port;
    }
    return emit_drop(self, s, tag, &drop, lower, plen, sport, dport);
}

/* 106023 `Deny <proto> src <ifc>:<a>/<p> dst <ifc>:<b>/<p>...` */
static int deny(const char *p, const char *e, Drop *drop) {
    if (!starts(p, e, "Deny ", 5)) return TO_PYTHON;
    drop->proto = p + 5;
    drop->proto_end = nonspace(drop->proto, e);
    p = drop->proto_end;
    if (p == drop->proto || !starts(p, e, " src ", 5)) return TO_PYTHON;
    if ((p = endpoint(p + 5, e, &drop->a)) == NULL) return TO_PYTHON;
    if (!starts(p, e, " dst ", 5)) return TO_PYTHON;
    if ((p = endpoint(p + 5, e, &drop->b)) == NULL) return TO_PYTHON;
    if (p < e && *p != ' ') return TO_PYTHON;
    drop->signal = ACL_DENY;
    return DONE;
}

/* 110003 `Routing failed to locate next hop for <proto> from <ep> to <ep>` */
static int no_next_hop(const char *p, const char *e, Drop *drop) {
    if (starts(p, e, "Routing failed to locate next hop for ", 38)) p += 38;
    else if (starts(p, e, "Routing failed to locate next-hop for ", 38)) p += 38;
    else return TO_PYTHON;
    drop->proto = p;
    drop->proto_end = nonspace(p, e);
    p = drop->proto_end;
    if (p == drop->proto || !starts(p, e, " from ", 6)) return TO_PYTHON;
    if ((p = endpoint(p + 6, e, &drop->a)) == NULL || !starts(p, e, " to ", 4)) return TO_PYTHON;
    if (endpoint(p + 4, e, &drop->b) == NULL) return TO_PYTHON;
    drop->signal = NO_ROUTE;
    return DONE;
}

/* 419002 `[Received ]duplicate TCP SYN from <ep> to <ep>...` */
static int duplicate_syn(const char *p, const char *e, Drop *drop) {
    if (starts(p, e, "Received ", 9)) p += 9;
    if (starts(p, e, "duplicate TCP SYN from ", 23) || starts(p, e, "Duplicate TCP SYN from ", 23))
        p += 23;
    else return TO_PYTHON;
    if ((p = endpoint(p, e, &drop->a)) == NULL || !starts(p, e, " to ", 4)) return TO_PYTHON;
    if (endpoint(p + 4, e, &drop->b) == NULL) return TO_PYTHON;
    drop->proto = NULL;
    drop->signal = SYN_RETRANSMIT;
    return DONE;
}

/* `<ifc>/<addr>(<port>)` of 106100, the interface with no space. */
static const char *acl_endpoint(const char *p, const char *e, Endpoint *ep) {
    while (p < e && *p != '/' && *p != '(' && *p != ')' && !is_ws((unsigned char)*p)) p++;
    if (p >= e || *p != '/') return NULL;
    ep->addr = ++p;
    while (p < e && *p != '(' && !is_ws((unsigned char)*p)) p++;
    if (p == ep->addr || p >= e || *p != '(') return NULL;
    ep->addr_end = p++;
    ep->port = p;
    while (p < e && *p != ')' && !is_ws((unsigned char)*p)) p++;
    if (p >= e || *p != ')') return NULL;
    ep->port_end = p;
    return p + 1;
}

/* 106100 `access-list <acl> permitted|denied|est-allowed <proto> <ifc>/<a>(<p>) -> <ifc>/<b>(<p>)
 * [... hit-cnt N ...]`: DONE with drop->signal -1 for a permit (counted only). */
static int acl_log(const char *p, const char *e, Drop *drop) {
    if (!starts(p, e, "access-list ", 12)) return TO_PYTHON;
    const char *w = nonspace(p + 12, e);
    if (w == p + 12 || w >= e || *w != ' ') return TO_PYTHON;
    p = w + 1;
    int deny;
    if (starts(p, e, "denied ", 7)) { deny = 1; p += 7; }
    else if (starts(p, e, "permitted ", 10)) { deny = 0; p += 10; }
    else if (starts(p, e, "est-allowed ", 12)) { deny = 0; p += 12; }
    else return TO_PYTHON;
    drop->proto = p;
    drop->proto_end = nonspace(p, e);
    p = drop->proto_end;
    if (p == drop->proto || p >= e || *p != ' ') return TO_PYTHON;
    p++;
    if (starts(p, e, "for user ", 9)) return TO_PYTHON;
    if ((p = acl_endpoint(p, e, &drop->a)) == NULL || !starts(p, e, " -> ", 4)) return TO_PYTHON;
    if ((p = acl_endpoint(p + 4, e, &drop->b)) == NULL) return TO_PYTHON;
    if (!deny) { drop->signal = -1; return DONE; }
    drop->count = 1;
    for (const char *h = p; (h = memchr(h, 'h', e - h)) != NULL; h++) {
        if (starts(h, e, "hit-cnt ", 8) && h + 8 < e && is_digit((unsigned char)h[8])) {
            const char *d = h + 8, *x = d;
            while (x < e && is_digit((unsigned char)*x)) x++;
            if (x - d > 9) return TO_PYTHON;
            drop->count = num(d, (int)(x - d));
            break;
        }
    }
    drop->signal = ACL_DENY;
    return DONE;
}

/* The end of the line at `p` (its `\n`, or `end`) and whether it holds an odd character
 * (`is_odd`: Python's line breaks, or not ASCII): one pass over the line, 32 bytes at a time
 * with AVX2 where the CPU has it, else 16 with SSE2 (every x86-64), else one by one. (A pass
 * over the whole block for odd characters before it, then memchr line by line, read every
 * byte twice.) */
static const char *line_end_scalar(const char *p, const char *end, int *odd) {
    for (; p < end && *p != '\n'; p++)
        if (is_odd((unsigned char)*p)) *odd = 1;
    return p;
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
__attribute__((target("avx2")))
static const char *line_end_avx2(const char *p, const char *end, int *odd) {
    const __m256i nl = _mm256_set1_epi8('\n'), cr = _mm256_set1_epi8('\r');
    const __m256i vt = _mm256_set1_epi8('\v'), ff = _mm256_set1_epi8('\f');
    const __m256i fs = _mm256_set1_epi8(0x1c), gs = _mm256_set1_epi8(0x1d);
    const __m256i rs = _mm256_set1_epi8(0x1e);
    for (; end - p >= 32; p += 32) {
        __m256i v = _mm256_loadu_si256((const __m256i *)p);
        __m256i hit = _mm256_or_si256(
            _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(v, cr), _mm256_cmpeq_epi8(v, vt)),
                            _mm256_or_si256(_mm256_cmpeq_epi8(v, ff), _mm256_cmpeq_epi8(v, fs))),
            _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(v, gs), _mm256_cmpeq_epi8(v, rs)),
                            v));   /* a byte's own top bit: not ASCII */
        unsigned lines = (unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, nl));
        unsigned odds = (unsigned)_mm256_movemask_epi8(hit);
        if (lines) {
            unsigned at = __builtin_ctz(lines);
            if (odds & ((1u << at) - 1)) *odd = 1;   /* an odd one before the newline */
            return p + at;
        }
        if (odds) *odd = 1;
    }
    return line_end_scalar(p, end, odd);
}
#endif

#if defined(__SSE2__)
static const char *line_end_sse2(const char *p, const char *end, int *odd) {
    const __m128i nl = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r'), vt = _mm_set1_epi8('\v');
    const __m128i ff = _mm_set1_epi8('\f'), fs = _mm_set1_epi8(0x1c);
    const __m128i gs = _mm_set1_epi8(0x1d), rs = _mm_set1_epi8(0x1e);
    for (; end - p >= 16; p += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)p);
        __m128i hit = _mm_or_si128(
            _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, cr), _mm_cmpeq_epi8(v, vt)),
                         _mm_or_si128(_mm_cmpeq_epi8(v, ff), _mm_cmpeq_epi8(v, fs))),
            _mm_or_si128(_mm_cmpeq_epi8(v, gs), _mm_cmpeq_epi8(v, rs)));
        unsigned lines = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, nl));
        unsigned odds = (unsigned)(_mm_movemask_epi8(hit) | _mm_movemask_epi8(v));
        if (lines) {
            unsigned at = __builtin_ctz(lines);
            if (odds & ((1u << at) - 1)) *odd = 1;
            return p + at;
        }
        if (odds) *odd = 1;
    }
    return line_end_scalar(p, end, odd);
}
#endif

typedef const char *(*LineEnd)(const char *, const char *, int *);
static LineEnd line_end = line_end_scalar;   /* the best this CPU has (`choose_line_end`) */

static void choose_line_end(void) {
#if defined(__SSE2__)
    line_end = line_end_sse2;
#endif
#if defined(__x86_64__) && defined(__GNUC__)
    if (__builtin_cpu_supports("avx2")) line_end = line_end_avx2;
#endif
}

/* -- one line ------------------------------------------------------------------------------------ */

static int read_line(Scanner *self, const char *s, const char *e, Py_ssize_t chars) {
    const char *p = s;
    while (p < e && is_ws((unsigned char)*p)) p++;
    if (p == e) return DONE;   /* blank: numbered, not counted */
    if (chars > self->max_line) {
        self->lines++;
        self->unparsed++;
        return DONE;
    }
    long id;
    const char *text;
    const char *tag = find_tag(s, e, &id, &text);
    if (tag == NULL) return TO_PYTHON;   /* the relay's `6|...|302021:` or a bare tag */
    if (!(self->handled[id >> 3] & (1 << (id & 7)))) {
        self->lines++;
        self->unparsed++;
        return DONE;
    }
    int slot;
    switch (id) {
        case 302013: slot = C302013; break;
        case 302014: slot = C302014; break;
        case 302015: slot = C302015; break;
        case 302016: slot = C302016; break;
        case 305011: slot = C305011; break;
        case 305012: slot = C305012; break;
        case 106023: slot = C106023; break;
        case 110003: slot = C110003; break;
        case 419002: slot = C419002; break;
        case 106100: slot = C106100; break;
        default: return TO_PYTHON;
    }
    int outcome;
    if (slot == C305011 || slot == C305012) {
        outcome = translation(text, e);
    } else if (slot == C302013 || slot == C302015 || slot == C302014 || slot == C302016) {
        int32_t device_at;
        PyObject *device = device_of(self, s, tag, &device_at);
        if (device == NULL) return FAILED;
        if (device == Py_None) return TO_PYTHON;
        if (slot == C302013 || slot == C302015) outcome = built(self, text, e, device_at);
        else outcome = teardown(self, s, tag, text, e, device_at, slot == C302014);
    } else {
        if (self->add == Py_None) return TO_PYTHON;
        Drop drop;
        drop.message = slot;
        drop.count = 1;
        if (slot == C106023) outcome = deny(text, e, &drop);
        else if (slot == C110003) outcome = no_next_hop(text, e, &drop);
        else if (slot == C419002) outcome = duplicate_syn(text, e, &drop);
        else outcome = acl_log(text, e, &drop);
        if (outcome == DONE && drop.signal >= 0) outcome = fold_drop(self, s, tag, &drop);
    }
    if (outcome == DONE) {
        self->lines++;
        self->parsed++;
        self->counts[slot]++;
    }
    return outcome;
}

/* -- the type ------------------------------------------------------------------------------------ */

static int Scanner_init(Scanner *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"conns", "devices", "held", "handled", "pair_limit", "max_line",
                             "add", "read_header", "signals", "latest", "zones",
                             "server_ports", "defer", NULL};
    PyObject *conns, *devices, *held, *handled;
    PyObject *add = Py_None, *read_header = Py_None, *signals = Py_None, *latest = Py_None;
    PyObject *zones = Py_None, *server_ports = NULL, *defer = Py_None;
    Py_ssize_t pair_limit, max_line;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOOOnn|$OOOOOSO", kwlist, &conns, &devices,
                                     &held, &handled, &pair_limit, &max_line, &add,
                                     &read_header, &signals, &latest, &zones, &server_ports,
                                     &defer))
        return -1;
    memset(self->server_ports, 0, sizeof self->server_ports);
    if (server_ports != NULL) {
        if (PyBytes_GET_SIZE(server_ports) != sizeof self->server_ports) {
            PyErr_SetString(PyExc_ValueError, "server_ports is a bitmap of 65536 ports");
            return -1;
        }
        memcpy(self->server_ports, PyBytes_AS_STRING(server_ports), sizeof self->server_ports);
    }
    if (defer != Py_None && !PyCallable_Check(defer)) {
        PyErr_SetString(PyExc_TypeError, "defer must be callable or None");
        return -1;
    }
    Py_INCREF(defer); Py_XSETREF(self->defer, defer);
    int packed = PyTuple_CheckExact(add) && PyTuple_GET_SIZE(add) == 3
                 && PyByteArray_CheckExact(PyTuple_GET_ITEM(add, 0))
                 && PyList_CheckExact(PyTuple_GET_ITEM(add, 1))
                 && PyDict_CheckExact(PyTuple_GET_ITEM(add, 2));
    if (add != Py_None && ((!PyCallable_Check(add) && !packed)
                           || !PyCallable_Check(read_header)
                           || !PyTuple_Check(signals) || PyTuple_GET_SIZE(signals) != 4
                           || zones == Py_None)) {
        PyErr_SetString(PyExc_TypeError, "folding drops needs add, read_header, signals "
                        "(acl-deny, no-route, syn-retransmit, syn-timeout) and zones");
        return -1;
    }
    if (latest != Py_None && !PyDateTime_Check(latest)) {
        PyErr_SetString(PyExc_TypeError, "latest must be a datetime or None");
        return -1;
    }
    Py_INCREF(add); Py_XSETREF(self->add, add);
    self->blob = packed ? PyTuple_GET_ITEM(add, 0) : NULL;
    self->objects = packed ? PyTuple_GET_ITEM(add, 1) : NULL;
    self->index = packed ? PyTuple_GET_ITEM(add, 2) : NULL;
    Py_CLEAR(self->last_time);
    for (int i = 0; i < NIDS + 4; i++) self->fixed_at[i] = -1;
    PyMem_Free(self->texts);
    self->texts = NULL;
    if (packed) {
        self->texts = PyMem_Malloc(TEXT_SLOTS * sizeof(Text));
        if (self->texts == NULL) { PyErr_NoMemory(); return -1; }
        for (int i = 0; i < TEXT_SLOTS; i++) self->texts[i].at = -1;
    }
    Py_INCREF(read_header); Py_XSETREF(self->read_header, read_header);
    Py_INCREF(signals); Py_XSETREF(self->signals, signals);
    Py_INCREF(latest); Py_XSETREF(self->latest, latest);
    Py_INCREF(zones); Py_XSETREF(self->zones, zones);
    for (int i = 0; i < NIDS; i++) {
        PyObject *id = PyUnicode_InternFromString(COUNT_IDS[i]);
        if (id == NULL) return -1;
        Py_XSETREF(self->ids[i], id);
    }
    if (!PyObject_TypeCheck(conns, &PairTableType)) {
        PyErr_SetString(PyExc_TypeError, "conns must be a PairTable");
        return -1;
    }
    if (pairs_ready((PairTable *)conns) < 0) return -1;
    Py_INCREF(conns); Py_XSETREF(self->conns, (PairTable *)conns);
    Py_INCREF(devices); Py_XSETREF(self->devices, devices);
    Py_INCREF(held); Py_XSETREF(self->held, held);
    self->held_empty = 0;
    if (held != Py_None) {
        Py_ssize_t size = PyObject_Size(held);
        if (size < 0) return -1;
        self->held_empty = size == 0;
    }
    self->pair_limit = pair_limit;
    self->max_line = max_line;
    PyMem_Free(self->handled);
    self->handled = PyMem_Calloc(1000000 / 8 + 1, 1);
    if (self->handled == NULL) { PyErr_NoMemory(); return -1; }
    PyObject *it = PyObject_GetIter(handled);
    if (it == NULL) return -1;
    PyObject *item;
    while ((item = PyIter_Next(it)) != NULL) {
        long id = PyLong_AsLong(item);
        Py_DECREF(item);
        if (id == -1 && PyErr_Occurred()) { Py_DECREF(it); return -1; }
        if (id < 0 || id > 999999) {
            Py_DECREF(it);
            PyErr_SetString(PyExc_ValueError, "message ids are six digits");
            return -1;
        }
        self->handled[id >> 3] |= 1 << (id & 7);
    }
    Py_DECREF(it);
    if (PyErr_Occurred()) return -1;
    self->number = 1;
    return 0;
}

static void Scanner_dealloc(Scanner *self) {
    Py_XDECREF(self->conns);
    Py_XDECREF(self->devices);
    Py_XDECREF(self->held);
    Py_XDECREF(self->add);
    Py_XDECREF(self->read_header);
    Py_XDECREF(self->signals);
    Py_XDECREF(self->latest);
    Py_XDECREF(self->zones);
    Py_XDECREF(self->defer);
    for (int i = 0; i < NIDS; i++) Py_XDECREF(self->ids[i]);
    for (int i = 0; i < CACHE_SLOTS; i++) Py_XDECREF(self->cache[i].device);
    PyMem_Free(self->handled);
    PyMem_Free(self->texts);
    Py_XDECREF(self->last_time);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

PyDoc_STRVAR(scan_doc,
"scan(block, pos) -> int\n\n"
"Read the lines of `block` from offset `pos` (a line's start) while each is one this scanner\n"
"can vouch for; return the offset of the first that is not (Python reads it), or len(block).\n"
"`block` is text, or the UTF-8 bytes of whole lines (then any byte that is not ASCII, and\n"
"`\\r`, stop it: Python decodes that line). A text block that is not one byte per character\n"
"is returned at once: Python reads it all.");

static PyObject *Scanner_scan(Scanner *self, PyObject *args) {
    PyObject *block;
    Py_ssize_t pos;
    if (!PyArg_ParseTuple(args, "On", &block, &pos)) return NULL;
    const char *data;
    Py_ssize_t size;
    if (PyBytes_Check(block)) {
        data = PyBytes_AS_STRING(block);
        size = PyBytes_GET_SIZE(block);
    } else if (PyUnicode_Check(block)) {
        size = PyUnicode_GET_LENGTH(block);
        if (PyUnicode_KIND(block) != PyUnicode_1BYTE_KIND)
            return PyLong_FromSsize_t(pos < 0 ? 0 : pos > size ? size : pos);
        data = (const char *)PyUnicode_1BYTE_DATA(block);
    } else {
        PyErr_SetString(PyExc_TypeError, "scan() reads a str or bytes block");
        return NULL;
    }
    if (pos < 0 || pos >= size) return PyLong_FromSsize_t(pos < 0 ? 0 : pos > size ? size : pos);
    const char *end = data + size;
    const char *p = data + pos;
    while (p < end) {
        int odd = 0;
        const char *stop = line_end(p, end, &odd);
        if (odd) break;   /* Python reads it */
        const char *next = stop < end ? stop + 1 : end;
        int outcome = read_line(self, p, stop, next - p);
        if (outcome == FAILED) return NULL;
        if (outcome == TO_PYTHON) break;
        self->number++;
        p = next;
    }
    return PyLong_FromSsize_t(p - data);
}

PyDoc_STRVAR(take_counts_doc,
"take_counts() -> (lines, parsed, unparsed, {message id: lines})\n\n"
"What the scanner counted since the last call, and reset.");

static PyObject *Scanner_take_counts(Scanner *self, PyObject *Py_UNUSED(ignored)) {
    PyObject *by = PyDict_New();
    if (by == NULL) return NULL;
    for (int i = 0; i < NCOUNTS; i++) {
        if (self->counts[i] == 0) continue;
        PyObject *n = PyLong_FromSsize_t(self->counts[i]);
        if (n == NULL || PyDict_SetItemString(by, COUNT_IDS[i], n) < 0) {
            Py_XDECREF(n);
            Py_DECREF(by);
            return NULL;
        }
        Py_DECREF(n);
        self->counts[i] = 0;
    }
    PyObject *out = Py_BuildValue("(nnnN)", self->lines, self->parsed, self->unparsed, by);
    self->lines = self->parsed = self->unparsed = 0;
    return out;
}

PyDoc_STRVAR(header_key_doc,
"header_key(header) -> str\n\n"
"The header's shape, as `devices` is asked for it: its timestamps' digits set to 0\n"
"(None when the header is too long to be read in C).");

static PyObject *header_key(PyObject *module, PyObject *arg) {
    if (!PyUnicode_Check(arg) || !PyUnicode_IS_ASCII(arg)) Py_RETURN_NONE;
    Py_ssize_t size;
    const char *s = PyUnicode_AsUTF8AndSize(arg, &size);
    if (s == NULL) return NULL;
    char key[MAX_HEADER];
    Py_ssize_t n = header_shape(s, s + size, key, NULL);
    if (n < 0) Py_RETURN_NONE;
    return PyUnicode_DecodeASCII(key, n, NULL);
}

PyDoc_STRVAR(time_doc,
"header_time(header) -> (told, time)\n\n"
"The time this scanner tells for a header without asking the parser's reader: told is\n"
"False when it would ask (for the tests, which hold it to `SyslogHeader.read`).");

static PyObject *Scanner_header_time(Scanner *self, PyObject *arg) {
    if (!PyUnicode_Check(arg) || !PyUnicode_IS_ASCII(arg) || self->zones == NULL
        || self->zones == Py_None) {
        PyErr_SetString(PyExc_TypeError, "an ASCII header, on a scanner made with zones");
        return NULL;
    }
    Py_ssize_t size;
    const char *s = PyUnicode_AsUTF8AndSize(arg, &size);
    if (s == NULL) return NULL;
    PyObject *when = NULL;
    int told = header_time(self, s, s + size, &when);
    if (told < 0) return NULL;
    if (!told) return Py_BuildValue("(OO)", Py_False, Py_None);
    return Py_BuildValue("(ON)", Py_True, when);
}

static PyMemberDef Scanner_members[] = {
    {"number", T_PYSSIZET, offsetof(Scanner, number), 0,
     "The number of the next line to read (Python sets it past the lines it reads)."},
    {NULL}
};

static PyMethodDef Scanner_methods[] = {
    {"scan", (PyCFunction)Scanner_scan, METH_VARARGS, scan_doc},
    {"take_counts", (PyCFunction)Scanner_take_counts, METH_NOARGS, take_counts_doc},
    {"header_time", (PyCFunction)Scanner_header_time, METH_O, time_doc},
    {NULL}
};

static PyTypeObject ScannerType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "connectors.logs._asa_scan.Scanner",
    .tp_basicsize = sizeof(Scanner),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = PyDoc_STR("Scanner(conns, devices, held, handled, pair_limit, max_line): reads "
                        "the bulk lines of an ASA log for the fold (see the module)."),
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Scanner_init,
    .tp_dealloc = (destructor)Scanner_dealloc,
    .tp_methods = Scanner_methods,
    .tp_members = Scanner_members,
};

static PyMethodDef module_methods[] = {
    {"header_key", header_key, METH_O, header_key_doc},
    {NULL}
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "connectors.logs._asa_scan",
    "The bulk lines of a Cisco ASA log, read in C for the fold (see _asa_scan.c).", -1,
    module_methods,
};

PyMODINIT_FUNC PyInit__asa_scan(void) {
    PyDateTime_IMPORT;
    if (PyDateTimeAPI == NULL) return NULL;
    init_classes();
    choose_line_end();
    if (PyType_Ready(&ScannerType) < 0 || PyType_Ready(&PairTableType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) return NULL;
    Py_INCREF(&ScannerType);
    if (PyModule_AddObject(m, "Scanner", (PyObject *)&ScannerType) < 0) {
        Py_DECREF(&ScannerType);
        Py_DECREF(m);
        return NULL;
    }
    Py_INCREF(&PairTableType);
    if (PyModule_AddObject(m, "PairTable", (PyObject *)&PairTableType) < 0) {
        Py_DECREF(&PairTableType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
