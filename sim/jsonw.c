/* trino-sim generator: the streaming JSON writer (compact or Jackson-pretty,
 * optional seeded key shuffling). */
#include "genpriv.h"

/* ---------------------------------------------------------------- JSON writer */

/* Make w a fresh writer into sink (the buffer itself is not cleared). */
void jw_reset(struct jw *w, sim_sink_fn sink, void *arg, int pretty)
{
    memset(w, 0, offsetof(struct jw, buf));
    w->sink = sink;
    w->arg = arg;
    w->pretty = pretty;
}

void jw_flush(struct jw *w)
{
    if (w->len && !w->err && w->sink(w->arg, w->buf, w->len) != 0)
        w->err = 1;
    w->len = 0;
}

void jw_put(struct jw *w, const char *s, size_t n)
{
    w->total += n;
    while (n > 0 && !w->err) {
        size_t room = JW_BUF - w->len;
        size_t c = n < room ? n : room;
        memcpy(w->buf + w->len, s, c);
        w->len += c;
        s += c;
        n -= c;
        if (w->len == JW_BUF)
            jw_flush(w);
    }
}

static void jw_puts(struct jw *w, const char *s)
{
    jw_put(w, s, strlen(s));
}

static void jw_indent(struct jw *w, int level)
{
    static const char sp[] = "                                                                ";
    jw_put(w, "\n", 1);
    size_t n = (size_t)level * 2;
    while (n > 0) {
        size_t c = n < sizeof(sp) - 1 ? n : sizeof(sp) - 1;
        jw_put(w, sp, c);
        n -= c;
    }
}

static void jw_prefix(struct jw *w)
{
    if (w->after_key) {
        w->after_key = 0;
        return;
    }
    if (w->depth == 0)
        return;
    if (w->count[w->depth - 1] > 0)
        jw_puts(w, w->pretty ? ", " : ",");
    else if (w->pretty)
        jw_put(w, " ", 1);
    w->count[w->depth - 1]++;
}

static void jw_push(struct jw *w, int arr)
{
    if (w->depth >= JW_MAXD) {
        w->err = 1; /* a model bug; never reached with the caps on stages */
        return;
    }
    w->is_arr[w->depth] = (unsigned char)arr;
    w->count[w->depth] = 0;
    w->depth++;
    if (!arr)
        w->objdepth++;
}

void jw_obj_begin(struct jw *w)
{
    jw_prefix(w);
    jw_put(w, "{", 1);
    jw_push(w, 0);
}

void jw_obj_end(struct jw *w)
{
    if (w->depth == 0)
        return;
    uint32_t n = w->count[--w->depth];
    w->objdepth--;
    if (w->pretty) {
        if (n > 0)
            jw_indent(w, w->objdepth);
        else
            jw_put(w, " ", 1);
    }
    jw_put(w, "}", 1);
}

void jw_arr_begin(struct jw *w)
{
    jw_prefix(w);
    jw_put(w, "[", 1);
    jw_push(w, 1);
}

void jw_arr_end(struct jw *w)
{
    if (w->depth == 0)
        return;
    w->depth--;
    jw_puts(w, w->pretty ? " ]" : "]");
}

void jw_esc(struct jw *w, const char *s, size_t n)
{
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *e = NULL;
        char u[8];
        if (c == '"')
            e = "\\\"";
        else if (c == '\\')
            e = "\\\\";
        else if (c == '\n')
            e = "\\n";
        else if (c == '\t')
            e = "\\t";
        else if (c == '\r')
            e = "\\r";
        else if (c < 0x20) {
            snprintf(u, sizeof(u), "\\u%04x", c);
            e = u;
        }
        if (e) {
            jw_put(w, s + start, i - start);
            jw_puts(w, e);
            start = i + 1;
        }
    }
    jw_put(w, s + start, n - start);
}

void jw_key(struct jw *w, const char *k)
{
    if (w->depth > 0) {
        if (w->count[w->depth - 1] > 0)
            jw_put(w, ",", 1);
        w->count[w->depth - 1]++;
    }
    if (w->pretty)
        jw_indent(w, w->objdepth);
    jw_put(w, "\"", 1);
    jw_esc(w, k, strlen(k));
    jw_puts(w, w->pretty ? "\" : " : "\":");
    w->after_key = 1;
}

void jw_str(struct jw *w, const char *s)
{
    jw_prefix(w);
    jw_put(w, "\"", 1);
    jw_esc(w, s, strlen(s));
    jw_put(w, "\"", 1);
}

void jw_str_begin(struct jw *w)
{
    jw_prefix(w);
    jw_put(w, "\"", 1);
}

void jw_str_end(struct jw *w)
{
    jw_put(w, "\"", 1);
}

void jw_raw(struct jw *w, const char *s)
{
    jw_prefix(w);
    jw_puts(w, s);
}

void jw_int(struct jw *w, int64_t v)
{
    char b[24];
    snprintf(b, sizeof(b), "%" PRId64, v);
    jw_raw(w, b);
}

void jw_bool(struct jw *w, int v)
{
    jw_raw(w, v ? "true" : "false");
}

/* Java Double.toString of digits * 10^exp10, computed on integers. */
void jw_jdbl(struct jw *w, uint64_t digits, int exp10)
{
    char d[24], out[64];
    if (digits == 0) {
        jw_raw(w, "0.0");
        return;
    }
    while (digits % 10 == 0) {
        digits /= 10;
        exp10++;
    }
    int n = snprintf(d, sizeof(d), "%" PRIu64, digits);
    int e = n - 1 + exp10;
    size_t o = 0;
    if (e >= -3 && e < 7) {
        if (e >= 0) {
            for (int i = 0; i <= e; i++)
                out[o++] = i < n ? d[i] : '0';
            out[o++] = '.';
            if (e + 1 < n) {
                for (int i = e + 1; i < n; i++)
                    out[o++] = d[i];
            } else {
                out[o++] = '0';
            }
        } else {
            out[o++] = '0';
            out[o++] = '.';
            for (int i = 0; i < -e - 1; i++)
                out[o++] = '0';
            for (int i = 0; i < n; i++)
                out[o++] = d[i];
        }
        out[o] = '\0';
    } else {
        out[o++] = d[0];
        out[o++] = '.';
        if (n > 1) {
            for (int i = 1; i < n; i++)
                out[o++] = d[i];
        } else {
            out[o++] = '0';
        }
        snprintf(out + o, sizeof(out) - o, "E%d", e);
    }
    jw_raw(w, out);
}
