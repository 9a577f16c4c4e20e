/*
 * esc: control bytes of quoted text escaped (see esc.h).
 */
#include "esc.h"

#include <stdio.h>
#include <string.h>

size_t esc_append(char *dst, size_t cap, size_t *len, const char *src, size_t n, unsigned flags)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = *len, i;

    if (cap == 0 || o >= cap)
        return 0;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)src[i];
        char e[6];
        size_t k = 0;

        if (c == '\n') {
            e[k++] = '\\';
            e[k++] = 'n';
        } else if (c == '\r') {
            e[k++] = '\\';
            e[k++] = 'r';
        } else if (c == '\t') {
            e[k++] = '\\';
            e[k++] = 't';
        } else if (esc_is_ctl(c)) {
            memcpy(e, "\\u00", 4);
            k = 4;
            e[k++] = hex[c >> 4];
            e[k++] = hex[c & 15];
        } else if ((flags & ESC_QUOTES) && (c == '"' || c == '\\')) {
            e[k++] = '\\';
            e[k++] = (char)c;
        } else {
            e[k++] = (char)c;
        }
        if (k > cap - 1 - o)
            break;
        memcpy(dst + o, e, k);
        o += k;
    }
    dst[o] = '\0';
    *len = o;
    return i;
}

size_t esc_vformat(char *dst, size_t cap, const char *fmt, va_list ap)
{
    char tmp[ESC_FORMAT_MAX];
    size_t len = 0;
    int n;

    if (cap == 0)
        return 0;
    dst[0] = '\0';
    n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    if (n < 0)
        return 0;
    esc_append(dst, cap, &len, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1, 0);
    return len;
}

size_t esc_format(char *dst, size_t cap, const char *fmt, ...)
{
    va_list ap;
    size_t n;

    va_start(ap, fmt);
    n = esc_vformat(dst, cap, fmt, ap);
    va_end(ap);
    return n;
}
