/*
 * test_esc: the shared escaping of control bytes (src/common/esc.h) that
 * keeps configuration errors, log lines and the landing page one line:
 * every control byte escaped, the rest as it is, ESC_QUOTES, and a cut at
 * the buffer's end that never splits an escape.
 */
#include <string.h>

#include "esc.h"

#include "check.h"

static void test_bytes(void)
{
    char out[64];
    size_t len = 0;

    CHECK(esc_append(out, sizeof(out), &len, "a\nb\rc\td\x01\x1f\x7f \"\\\xc3\xa9", 15, 0) == 15);
    CHECK_STR(out, "a\\nb\\rc\\td\\u0001\\u001f\\u007f \"\\\xc3\xa9");
    len = 0;
    CHECK(esc_append(out, sizeof(out), &len, "\"q\\\n", 4, ESC_QUOTES) == 4);
    CHECK_STR(out, "\\\"q\\\\\\n");
    len = 0;
    CHECK(esc_append(out, sizeof(out), &len, "x\0y", 3, 0) == 3); /* a NUL inside n bytes */
    CHECK_STR(out, "x\\u0000y");
    for (int c = 0; c < 256; c++)
        CHECK(esc_is_ctl((unsigned char)c) == (c < 0x20 || c == 0x7f), "byte %d", c);
}

/* Appending continues after *len; a cut falls between escapes. */
static void test_cuts(void)
{
    const char *src = "ab\x1b\ncd";
    const char *full = "ab\\u001b\\ncd";
    for (size_t cap = 1; cap <= strlen(full) + 1; cap++) {
        char out[32];
        size_t len = 0, used = esc_append(out, cap, &len, src, strlen(src), 0);
        CHECK(len == strlen(out) && len < cap, "cap %zu", cap);
        CHECK(strncmp(out, full, len) == 0, "cap %zu: %s", cap, out);
        /* what was copied is exactly the escape of src's first used bytes */
        char again[32];
        size_t l2 = 0;
        esc_append(again, sizeof(again), &l2, src, used, 0);
        CHECK_STR(out, again);
    }
    char out[16] = "k=";
    size_t len = 2;
    CHECK(esc_append(out, sizeof(out), &len, "\t", 1, 0) == 1 && len == 4);
    CHECK_STR(out, "k=\\t");
    CHECK(esc_append(out, 4, &len, "z", 1, 0) == 0); /* full: nothing, *len kept */
    CHECK(len == 4);
}

static void test_format(void)
{
    char out[64];
    CHECK(esc_format(out, sizeof(out), "%s:%d: \"%s\"", "f\nx", 3, "v\r\x1b") == 19);
    CHECK_STR(out, "f\\nx:3: \"v\\r\\u001b\"");
    CHECK(esc_format(out, 8, "%s", "\n\n\n\n") == 6); /* three escapes fit, not the fourth */
    CHECK_STR(out, "\\n\\n\\n");
    CHECK(esc_format(out, 1, "%s", "abc") == 0 && out[0] == '\0');
}

int main(void)
{
    test_bytes();
    test_cuts();
    test_format();
    return check_report("test_esc");
}
