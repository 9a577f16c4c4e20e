/*
 * test_fetch_urlencode: fetch_urlencode (used for the pod-map PromQL query
 * parameter) keeps RFC 3986 unreserved bytes, escapes the rest, and refuses
 * output that does not fit.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "fetch.h"

static void expect(const char *in, size_t cap, int want_rc, const char *want)
{
    char out[256];
    int rc = fetch_urlencode(in, out, cap);

    if (rc != want_rc || (rc >= 0 && strcmp(out, want) != 0)) {
        printf("FAIL %s cap %zu: rc %d out %s (want %d %s)\n", in, cap, rc, rc >= 0 ? out : "-",
               want_rc, want);
        check_failures++;
    }
}

int main(void)
{
    expect("trino_execution_executor_TaskExecutor_Tasks", 256, 43,
           "trino_execution_executor_TaskExecutor_Tasks");
    expect("up{job=\"a b\"}", 256, 25, "up%7Bjob%3D%22a%20b%22%7D");
    expect("a~.-_", 256, 5, "a~.-_");
    expect("\xc3\xa9&", 256, 9, "%C3%A9%26");
    expect("", 1, 0, "");
    expect("", 0, -1, "");
    expect("abc", 3, -1, "");
    expect("abc", 4, 3, "abc");
    expect("a b", 5, -1, "");
    expect("a b", 6, 5, "a%20b");
    return check_report("test_fetch_urlencode");
}
