/*
 * esc: text from outside (a configuration file, a web configuration file, a
 * Trino response, a request) made safe to quote in a one-line message. Every
 * control byte (0x00-0x1f and 0x7f) becomes an escape: \n, \r, \t, or \u00XX
 * for the others. Whatever a value holds, a message or log line that quotes
 * it through here stays one line, and a terminal shows no escape sequence.
 * The escapes are JSON's, so a JSON writer uses them as they are. Bytes from
 * 0x80 are copied as they are. Pure; no allocation.
 */
#ifndef TBE_ESC_H
#define TBE_ESC_H

#include <stdarg.h>
#include <stddef.h>

/* esc_append flag: '"' and '\\' become \" and \\ too (a quoted JSON or logfmt value). */
#define ESC_QUOTES 1u
/* The longest message esc_vformat formats before escaping (longer ones are cut). */
#define ESC_FORMAT_MAX 4096

/* 1 if esc_append escapes byte c (a control byte), else 0. */
static inline int esc_is_ctl(unsigned char c)
{
    return c < 0x20 || c == 0x7f;
}

/*
 * Append the n bytes of src to dst, which holds *len bytes and has room for
 * cap (cap > *len), escaped; *len grows and dst stays NUL-terminated. An
 * escape that does not fit is left out whole and the copy stops there.
 * Returns the number of bytes of src copied (n when everything fit).
 */
size_t esc_append(char *dst, size_t cap, size_t *len, const char *src, size_t n, unsigned flags);

/*
 * dst[cap] (cap > 0) = the printf-formatted message, its control bytes
 * escaped: the format's own text too, so the result never holds a line
 * break, whatever the arguments hold. Returns strlen(dst).
 */
size_t esc_vformat(char *dst, size_t cap, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
size_t esc_format(char *dst, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
