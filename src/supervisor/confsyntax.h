/*
 * confsyntax: pure syntax checks of configuration values (URLs, the listen
 * address, Prometheus names, HTTP header names). They take strings, say why
 * a value is wrong in `why`, and know nothing of files or libconfig, so they
 * are unit-tested and fuzzed through the loader.
 */
#ifndef TBE_CONFSYNTAX_H
#define TBE_CONFSYNTAX_H

#include <stddef.h>

/*
 * Check an http(s) URL (scheme, host, optional port, no query or fragment)
 * and return a malloc'd copy with the scheme lower-cased in *out. Returns 0,
 * -1 with the reason in why, or -2 when memory is short.
 */
int confsyntax_url(const char *in, char **out, char *why, size_t whylen);

/*
 * "HOST:PORT" (HOST an IPv4 address), "[HOST]:PORT" (an IPv6 address) or
 * "PORT": *host (malloc'd, the address without brackets, "" for all IPv4
 * addresses) and *port. Returns 0, -1 with the reason in why, or -2 when
 * memory is short.
 */
int confsyntax_listen(const char *v, char **host, unsigned *port, char *why, size_t whylen);

/*
 * 1 if v is "HOST:PORT" (HOST a name or an IPv4 address, of name characters)
 * or "[IPV6]:PORT", PORT 1..65535: a worker address, as a URL would hold it.
 */
int confsyntax_hostport(const char *v);

/* 1 if s is a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*; colon: metric names allow ':'). */
int confsyntax_prom_name(const char *s, int colon);

/* 1 if c may appear in a coordinator name: [A-Za-z0-9_.-] (also what a process title keeps). */
int confsyntax_name_char(int c);

/* 1 if s is an HTTP header field name (an RFC 9110 token). */
int confsyntax_token(const char *s);

#endif
