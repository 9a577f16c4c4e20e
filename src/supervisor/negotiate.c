/*
 * negotiate: the exposition format of a scrape from its Accept header. Pure;
 * see negotiate.h for the rules and the contract.
 *
 * One pass over the header: each clause (media-range *( OWS ";" OWS
 * parameter ) per RFC 9110 12.5.1) is parsed in place, classified as
 * OpenMetrics 1.0.0, OpenMetrics 0.0.1 (or unversioned), text 0.0.4 (or
 * unversioned), or other, and the best q of each class is kept with the
 * position of its clause. The choice is made once at the end.
 */
#include "negotiate.h"

#include <stddef.h>

#include "render.h"

/* ASCII only: the header is bytes, and the locale must not matter. */
static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int is_ows(int c)
{
    return c == ' ' || c == '\t';
}

/* RFC 9110 tchar: the characters of a token. */
static int is_tchar(int c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return 1;
    switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
        return 1;
    default:
        return 0;
    }
}

/* A slice of the header. */
struct span {
    const char *p;
    size_t n;
    int quoted; /* p..p+n is the inside of a quoted-string, escapes not yet resolved */
};

/* 1 if s equals the lower-case literal lit, ignoring case (quoted: escapes resolved). */
static int span_is(const struct span *s, const char *lit)
{
    size_t i = 0, k = 0;
    while (i < s->n) {
        char c = s->p[i++];
        if (s->quoted && c == '\\' && i < s->n)
            c = s->p[i++];
        if (!lit[k] || lower((unsigned char)c) != lit[k])
            return 0;
        k++;
    }
    return lit[k] == '\0';
}

static const char *skip_ows(const char *p)
{
    while (is_ows((unsigned char)*p))
        p++;
    return p;
}

static const char *token(const char *p, struct span *ret)
{
    const char *s = p;
    while (is_tchar((unsigned char)*p))
        p++;
    ret->p = s;
    ret->n = (size_t)(p - s);
    ret->quoted = 0;
    return p;
}

/* A quoted-string at p (p[0] == '"'): its inside in ret; NULL when unterminated. */
static const char *quoted(const char *p, struct span *ret)
{
    const char *s = ++p;
    while (*p && *p != '"') {
        if (*p == '\\' && p[1])
            p++;
        p++;
    }
    if (*p != '"')
        return NULL;
    ret->p = s;
    ret->n = (size_t)(p - s);
    ret->quoted = 1;
    return p + 1;
}

/*
 * An RFC 9110 qvalue in thousandths: "0", "0.5", "1", "1.000"; more than
 * three decimals are tolerated (cut). -1 when it is not one (then the clause
 * is malformed and skipped).
 */
static int qvalue(const struct span *v)
{
    size_t i = 0;
    int q, scale = 100;

    if (v->quoted || v->n == 0 || (v->p[0] != '0' && v->p[0] != '1'))
        return -1;
    q = (v->p[i++] - '0') * 1000;
    if (i < v->n) {
        if (v->p[i++] != '.')
            return -1;
        for (; i < v->n; i++) {
            if (v->p[i] < '0' || v->p[i] > '9')
                return -1;
            q += (v->p[i] - '0') * scale;
            scale /= 10;
        }
    }
    return q > 1000 ? -1 : q;
}

/* The end of the header: an unterminated quoted-string swallows the rest. */
static const char *to_end(const char *p)
{
    while (*p)
        p++;
    return p;
}

/* Past the rest of a clause: to its comma (outside quotes) or the end. */
static const char *skip_clause(const char *p)
{
    while (*p && *p != ',') {
        if (*p == '"') {
            struct span ignored;
            const char *e = quoted(p, &ignored);
            if (!e)
                return to_end(p);
            p = e;
            continue;
        }
        p++;
    }
    return p;
}

enum kind {
    K_OTHER,
    K_OM_100,   /* application/openmetrics-text;version=1.0.0 */
    K_OM_OTHER, /* application/openmetrics-text, version 0.0.1 or none */
    K_TEXT_004, /* text/plain;version=0.0.4 */
    K_TEXT_ANY, /* text/plain without a version */
    K_N
};

/*
 * The parameters after a media range or a coding: *ret_q (1000 when absent)
 * and the version parameter, if any, in *ret_ver (n 0 and p NULL when
 * absent). Returns the end of the clause (its comma or the NUL), or NULL
 * when the clause is malformed (then the caller skips it from *ret_end).
 */
static const char *params(const char *p, int *ret_q, struct span *ret_ver, const char **ret_end)
{
    struct span name, val;

    *ret_q = 1000;
    ret_ver->p = NULL;
    ret_ver->n = 0;
    ret_ver->quoted = 0;
    for (;;) {
        p = skip_ows(p);
        if (*p != ';')
            break;
        p = skip_ows(p + 1);
        if (*p == ',' || *p == '\0' || *p == ';')
            continue; /* an empty parameter, as in "text/plain;version=0.0.4;" */
        p = token(p, &name);
        *ret_end = p;
        if (name.n == 0)
            return NULL;
        p = skip_ows(p);
        *ret_end = p;
        if (*p != '=')
            return NULL;
        p = skip_ows(p + 1);
        if (*p == '"') {
            const char *e = quoted(p, &val);
            if (!e) {
                *ret_end = to_end(p);
                return NULL;
            }
            p = e;
        } else {
            p = token(p, &val);
        }
        if (span_is(&name, "q")) {
            *ret_q = qvalue(&val);
            *ret_end = p;
            if (*ret_q < 0)
                return NULL;
        } else if (span_is(&name, "version")) {
            *ret_ver = val;
        }
    }
    *ret_end = p;
    return *p == ',' || *p == '\0' ? p : NULL;
}

/*
 * Parse one clause at p into *ret_kind and *ret_q; returns the end of the
 * clause (its comma or the NUL). A malformed clause is K_OTHER.
 */
static const char *clause(const char *p, enum kind *ret_kind, int *ret_q)
{
    struct span type, sub, ver;
    const char *end;
    int q;

    *ret_kind = K_OTHER;
    *ret_q = 0;
    p = token(p, &type);
    if (type.n == 0 || *p != '/')
        return skip_clause(p);
    p = token(p + 1, &sub);
    if (sub.n == 0)
        return skip_clause(p);
    if (!(p = params(p, &q, &ver, &end)))
        return skip_clause(end);
    *ret_q = q;
    if (span_is(&type, "application") && span_is(&sub, "openmetrics-text")) {
        if (ver.p && span_is(&ver, "1.0.0"))
            *ret_kind = K_OM_100;
        else if (!ver.p || span_is(&ver, "0.0.1"))
            *ret_kind = K_OM_OTHER;
    } else if (span_is(&type, "text") && span_is(&sub, "plain")) {
        if (ver.p && span_is(&ver, "0.0.4"))
            *ret_kind = K_TEXT_004;
        else if (!ver.p)
            *ret_kind = K_TEXT_ANY;
    }
    return p;
}

int negotiate_format(const char *accept)
{
    int best[K_N], seen[K_N];
    size_t pos[K_N], n = 0;
    const char *p = accept;

    for (int k = 0; k < K_N; k++) {
        best[k] = -1;
        seen[k] = 0;
        pos[k] = 0;
    }
    if (!p)
        return NEGOTIATE_TEXT;
    while (*p) {
        enum kind k;
        int q;
        p = skip_ows(p);
        if (*p == ',') {
            p++;
            continue;
        }
        if (!*p)
            break;
        p = clause(p, &k, &q);
        n++;
        if (k != K_OTHER && q > best[k]) {
            best[k] = q;
            pos[k] = n;
        }
        seen[k] = 1;
    }

    /* the most specific clause of each format decides its q */
    int om = seen[K_OM_100] ? best[K_OM_100] : best[K_OM_OTHER];
    size_t om_pos = seen[K_OM_100] ? pos[K_OM_100] : pos[K_OM_OTHER];
    int text = seen[K_TEXT_004] ? best[K_TEXT_004] : best[K_TEXT_ANY];
    size_t text_pos = seen[K_TEXT_004] ? pos[K_TEXT_004] : pos[K_TEXT_ANY];

    if (om > 0 && (om > text || (om == text && om_pos < text_pos)))
        return NEGOTIATE_OPENMETRICS;
    return NEGOTIATE_TEXT;
}

const char *negotiate_content_type(int format)
{
    return format == NEGOTIATE_OPENMETRICS ? NEGOTIATE_CONTENT_TYPE_OPENMETRICS
                                           : RENDER_CONTENT_TYPE;
}

int negotiate_gzip(const char *accept_encoding)
{
    const char *p = accept_encoding;
    int gzip = -1, star = -1; /* the best q of each, -1: not named */

    if (!p)
        return 0;
    while (*p) {
        struct span coding, ver;
        const char *end;
        int q;

        p = skip_ows(p);
        if (*p == ',') {
            p++;
            continue;
        }
        if (!*p)
            break;
        p = token(p, &coding);
        if (coding.n == 0 || !(p = params(p, &q, &ver, &end))) {
            p = skip_clause(coding.n == 0 ? p : end);
            continue;
        }
        if (span_is(&coding, "gzip") && q > gzip)
            gzip = q;
        else if (span_is(&coding, "*") && q > star)
            star = q;
    }
    /* "*" stands only for codings the header does not name */
    return gzip >= 0 ? gzip > 0 : star > 0;
}
