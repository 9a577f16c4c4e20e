/*
 * tbe-itoken: test helper over the real internal token module
 * (src/collector/itoken.c), so that tests in other languages (it_itoken:
 * PyJWT, python3-cryptography) check exactly what the collector will send.
 * The secret comes from a file, as in the exporter; never printed.
 *
 *   tbe-itoken derive hkdf|sha256 SECRET_FILE
 *       the key, in hex
 *   tbe-itoken make hkdf|sha256 SECRET_FILE SUBJECT NOW TTL
 *       a token for SUBJECT expiring at NOW + TTL (Unix seconds)
 *   tbe-itoken verify hkdf|sha256 SECRET_FILE NOW   < token
 *       "ok SUB EXP" and exit 0, or the refusal ("bad signature", ...) and
 *       exit 1; one token on stdin, one trailing newline ignored
 *
 * Exit 2 on usage or secret file errors.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "itoken.h"

static void __attribute__((noreturn)) usage(void)
{
    fputs("usage: tbe-itoken derive hkdf|sha256 SECRET_FILE\n"
          "       tbe-itoken make hkdf|sha256 SECRET_FILE SUBJECT NOW TTL\n"
          "       tbe-itoken verify hkdf|sha256 SECRET_FILE NOW   (token on stdin)\n",
          stderr);
    exit(2);
}

static int64_t number(const char *s)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end)
        usage();
    return v;
}

int main(int argc, char **argv)
{
    static char secret[ITOKEN_SECRET_MAX + 1];
    unsigned char key[ITOKEN_KEY_LEN];
    char err[512];
    size_t len = 0;
    enum itoken_scheme scheme;
    int rc;

    if (argc < 4)
        usage();
    if (strcmp(argv[2], "hkdf") == 0)
        scheme = ITOKEN_HKDF;
    else if (strcmp(argv[2], "sha256") == 0)
        scheme = ITOKEN_SHA256;
    else
        usage();
    if (itoken_read_secret_file(argv[3], secret, sizeof(secret), &len, NULL, err, sizeof(err)) !=
        ITOKEN_OK) {
        fprintf(stderr, "tbe-itoken: %s\n", err);
        return 2;
    }
    rc = itoken_derive_key(secret, len, scheme, key);
    itoken_wipe(secret, sizeof(secret));
    if (rc != ITOKEN_OK) {
        fprintf(stderr, "tbe-itoken: derive: %s\n", itoken_status_str(rc));
        return 2;
    }

    if (strcmp(argv[1], "derive") == 0 && argc == 4) {
        for (size_t i = 0; i < sizeof(key); i++)
            printf("%02x", key[i]);
        putchar('\n');
        rc = ITOKEN_OK;
    } else if (strcmp(argv[1], "make") == 0 && argc == 7) {
        char tok[ITOKEN_MAX];
        rc = itoken_make(key, argv[4], number(argv[5]), number(argv[6]), tok, sizeof(tok));
        if (rc == ITOKEN_OK)
            puts(tok);
        else
            fprintf(stderr, "tbe-itoken: make: %s\n", itoken_status_str(rc));
    } else if (strcmp(argv[1], "verify") == 0 && argc == 5) {
        char tok[ITOKEN_MAX + 2], sub[ITOKEN_SUB_MAX + 1];
        int64_t exp = 0;
        size_t n = fread(tok, 1, sizeof(tok) - 1, stdin);
        if (n > 0 && tok[n - 1] == '\n')
            n--;
        rc = itoken_verify(key, tok, n, number(argv[4]), sub, &exp);
        if (rc == ITOKEN_OK)
            printf("ok %s %" PRId64 "\n", sub, exp);
        else
            puts(itoken_status_str(rc));
    } else {
        usage();
    }
    itoken_wipe(key, sizeof(key));
    return rc == ITOKEN_OK ? 0 : 1;
}
