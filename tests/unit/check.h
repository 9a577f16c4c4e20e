/*
 * check: the assertion macros of every C unit test. A failed check prints
 * file:line, the expression and an optional printf-style message, counts in
 * check_failures, and the test goes on, so one run shows every failure (after
 * CHECK_MAX_FAILURES the test stops, so a broken loop cannot flood the log).
 * main ends with `return check_report("name");`.
 *   CHECK(cond)  CHECK(cond, "fmt", ...)  CHECK_EQ(a, b)  CHECK_STR(a, b)
 */
#ifndef TBE_TEST_CHECK_H
#define TBE_TEST_CHECK_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK_MAX_FAILURES 50

static int check_failures;

static void check_failed(const char *file, int line, const char *expr, const char *fmt, ...)
    __attribute__((format(printf, 4, 5), unused));

static void check_failed(const char *file, int line, const char *expr, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s:%d: CHECK(%s) failed", file, line, expr);
    if (fmt[1]) { /* fmt is " " followed by the message, if any */
        fputc(':', stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
    }
    fputc('\n', stderr);
    if (++check_failures >= CHECK_MAX_FAILURES) {
        fprintf(stderr, "%d failures: stopping\n", check_failures);
        exit(1);
    }
}

/* The closing line; the exit status of main. */
static int __attribute__((unused)) check_report(const char *name)
{
    if (check_failures)
        fprintf(stderr, "%s: %d failure(s)\n", name, check_failures);
    else
        fprintf(stderr, "%s: all passed\n", name);
    return check_failures ? 1 : 0;
}

/* The message, when given, must start with a string literal. */
#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond))                                                                               \
            check_failed(__FILE__, __LINE__, #cond, " " __VA_ARGS__);                              \
    } while (0)

#define CHECK_EQ(a, b)                                                                             \
    do {                                                                                           \
        long long a_ = (long long)(a), b_ = (long long)(b);                                        \
        if (a_ != b_)                                                                              \
            check_failed(__FILE__, __LINE__, #a " == " #b, " %lld, expected %lld", a_, b_);        \
    } while (0)

#define CHECK_STR(a, b)                                                                            \
    do {                                                                                           \
        const char *a_ = (a), *b_ = (b);                                                           \
        if (!a_ || !b_ || strcmp(a_, b_) != 0)                                                     \
            check_failed(__FILE__, __LINE__, #a " == " #b, " got \"%s\", expected \"%s\"",         \
                         a_ ? a_ : "(null)", b_ ? b_ : "(null)");                                  \
    } while (0)

#endif
