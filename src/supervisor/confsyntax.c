/*
 * confsyntax: the pure syntax checks of configuration values (see
 * confsyntax.h). No I/O, no logging, no libconfig.
 */
#include "confsyntax.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int confsyntax_name_char(int c)
{
    /* not isalnum: a locale must not widen what a name (and a ps title) may hold */
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
}

static int valid_port(const char *p, size_t n, unsigned *out)
{
    unsigned v = 0;
    if (n == 0 || n > 5)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)p[i]))
            return 0;
        v = v * 10 + (unsigned)(p[i] - '0');
    }
    if (v < 1 || v > 65535)
        return 0;
    *out = v;
    return 1;
}

/* 1 if the n bytes at p are an address of family af; copied NUL-terminated into buf (cap bytes). */
static int ip_literal(int af, const char *p, size_t n, char *buf, size_t cap)
{
    unsigned char a[16];
    if (n == 0 || n >= cap)
        return 0;
    memcpy(buf, p, n);
    buf[n] = '\0';
    return inet_pton(af, buf, a) == 1;
}

/*
 * Check a base URL and return its normalised copy (scheme lower-cased,
 * trailing slashes removed) in *out. On failure returns -1 with the reason
 * in why; -2 on allocation failure.
 */
int confsyntax_url(const char *in, char **out, char *why, size_t whylen)
{
    const char *p, *auth, *end, *host, *hend;
    size_t schemelen;
    char tmp[64];
    unsigned port;

    if (strncasecmp(in, "http://", 7) == 0)
        schemelen = 4;
    else if (strncasecmp(in, "https://", 8) == 0)
        schemelen = 5;
    else {
        snprintf(why, whylen, "scheme must be http or https");
        return -1;
    }
    if (strpbrk(in, "?#")) {
        snprintf(why, whylen, "query and fragment are not allowed");
        return -1;
    }
    for (p = in; *p; p++)
        if (*p == ' ' || *p == '\\') {
            snprintf(why, whylen, "spaces and backslashes are not allowed");
            return -1;
        }
    auth = in + schemelen + 3;
    end = auth + strcspn(auth, "/");
    if (memchr(auth, '@', (size_t)(end - auth))) {
        snprintf(why, whylen, "user info is not allowed (credentials belong in the auth settings)");
        return -1;
    }
    host = auth;
    if (*host != '[') {
        const char *c1 = memchr(auth, ':', (size_t)(end - auth));
        if (c1 && memchr(c1 + 1, ':', (size_t)(end - c1 - 1))) {
            snprintf(why, whylen, "an IPv6 address must be in brackets");
            return -1;
        }
    }
    if (*host == '[') {
        hend = memchr(host, ']', (size_t)(end - host));
        if (!hend) {
            snprintf(why, whylen, "unterminated [IPv6] host");
            return -1;
        }
        if (!ip_literal(AF_INET6, host + 1, (size_t)(hend - host - 1), tmp, sizeof(tmp))) {
            snprintf(why, whylen, "invalid IPv6 address");
            return -1;
        }
        p = hend + 1;
    } else {
        hend = host + strcspn(host, ":/");
        if (hend > end)
            hend = end;
        if (hend == host) {
            snprintf(why, whylen, "empty host");
            return -1;
        }
        for (p = host; p < hend; p++)
            if (!confsyntax_name_char((unsigned char)*p)) {
                snprintf(why, whylen, "invalid character '%c' in host", *p);
                return -1;
            }
        p = hend;
    }
    if (p < end) {
        if (*p != ':') {
            snprintf(why, whylen, "invalid host");
            return -1;
        }
        p++;
        if (memchr(p, ':', (size_t)(end - p))) {
            snprintf(why, whylen, "an IPv6 address must be in brackets");
            return -1;
        }
        if (!valid_port(p, (size_t)(end - p), &port)) {
            snprintf(why, whylen, "port must be 1..65535");
            return -1;
        }
    }
    size_t len = strlen(in);
    while (len > (size_t)(end - in) && in[len - 1] == '/')
        len--;
    char *o = malloc(len + 1);
    if (!o)
        return -2;
    memcpy(o, in, len);
    o[len] = '\0';
    for (size_t i = 0; i < schemelen; i++)
        o[i] = (char)tolower((unsigned char)o[i]);
    *out = o;
    return 0;
}

/*
 * "HOST:PORT" (HOST an IPv4 address), "[HOST]:PORT" (an IPv6 address) or
 * "PORT" (all IPv4 addresses). An IPv6 address without brackets is refused:
 * "::1:8000" reads as an address or as an address and a port.
 */
int confsyntax_listen(const char *v, char **host, unsigned *port, char *why, size_t whylen)
{
    const char *colon = strrchr(v, ':');
    char tmp[64];

    if (*v == '[') {
        const char *close = strchr(v, ']');
        if (!close || close[1] != ':' || close == v + 1) {
            snprintf(why, whylen, "expected \"[IPV6]:PORT\"");
            return -1;
        }
        if (!ip_literal(AF_INET6, v + 1, (size_t)(close - v - 1), tmp, sizeof(tmp))) {
            snprintf(why, whylen, "host in brackets must be an IPv6 address");
            return -1;
        }
        colon = close + 1;
    } else if (colon && memchr(v, ':', (size_t)(colon - v))) {
        snprintf(why, whylen, "an IPv6 address needs brackets: \"[ADDRESS]:PORT\"");
        return -1;
    } else if (!colon) {
        if (!valid_port(v, strlen(v), port)) {
            snprintf(why, whylen, "expected \"HOST:PORT\" or PORT 1..65535");
            return -1;
        }
        *host = strdup("");
        return *host ? 0 : -2;
    } else {
        if (colon == v) {
            snprintf(why, whylen, "invalid host");
            return -1;
        }
        if (!ip_literal(AF_INET, v, (size_t)(colon - v), tmp, sizeof(tmp))) {
            snprintf(why, whylen, "host must be an IPv4 address (or an IPv6 one in brackets)");
            return -1;
        }
    }
    if (!valid_port(colon + 1, strlen(colon + 1), port)) {
        snprintf(why, whylen, "port must be 1..65535");
        return -1;
    }
    *host = strdup(tmp);
    return *host ? 0 : -2;
}

/* Prometheus label name [a-zA-Z_][a-zA-Z0-9_]*; metric names also allow ':'. */
int confsyntax_prom_name(const char *s, int colon)
{
    if (!*s || isdigit((unsigned char)*s))
        return 0;
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '_' || (colon && *s == ':')))
            return 0;
    return 1;
}

int confsyntax_hostport(const char *v)
{
    const char *colon = strrchr(v, ':');
    char tmp[64];
    unsigned port;

    if (!colon || !valid_port(colon + 1, strlen(colon + 1), &port))
        return 0;
    if (*v == '[')
        return colon[-1] == ']' &&
               ip_literal(AF_INET6, v + 1, (size_t)(colon - v - 2), tmp, sizeof(tmp));
    if (colon == v)
        return 0;
    for (const char *p = v; p < colon; p++)
        if (!confsyntax_name_char((unsigned char)*p))
            return 0;
    return 1;
}

/* HTTP header field name: an RFC 9110 token. */
int confsyntax_token(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || strchr("!#$%&'*+-.^_`|~", *s)))
            return 0;
    return 1;
}
