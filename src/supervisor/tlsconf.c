/*
 * tlsconf: GnuTLS priorities and client certificate checks. See tlsconf.h.
 */
#include "tlsconf.h"

#include <gnutls/x509.h>
#include <stdint.h>
#include <stdio.h>

/*
 * GnuTLS calls this during a handshake that asked for a client certificate
 * that must verify: none given is for GNUTLS_CERT_REQUIRE to refuse (it does),
 * one given must chain to the client CA and be fit for client authentication
 * (Go's crypto/tls asks for ExtKeyUsageClientAuth too). Nonzero fails the
 * handshake.
 */
static int verify_client(gnutls_session_t ss)
{
    gnutls_typed_vdata_st purpose = {GNUTLS_DT_KEY_PURPOSE_OID,
                                     (unsigned char *)(uintptr_t)GNUTLS_KP_TLS_WWW_CLIENT, 0};
    unsigned n = 0, status = 0;

    if (!gnutls_certificate_get_peers(ss, &n) || n == 0)
        return 0;
    if (gnutls_certificate_verify_peers(ss, &purpose, 1, &status) < 0 || status != 0)
        return -1;
    return 0;
}

void tlsconf_session(gnutls_session_t ss, enum webconf_client_auth ca)
{
    gnutls_certificate_request_t req = GNUTLS_CERT_IGNORE;

    switch (ca) {
    case WEBCONF_NO_CLIENT_CERT:
        break;
    case WEBCONF_REQUEST_CLIENT_CERT:
    case WEBCONF_VERIFY_CLIENT_CERT_IF_GIVEN:
        req = GNUTLS_CERT_REQUEST;
        break;
    case WEBCONF_REQUIRE_ANY_CLIENT_CERT:
    case WEBCONF_REQUIRE_AND_VERIFY_CLIENT_CERT:
        req = GNUTLS_CERT_REQUIRE;
        break;
    }
    gnutls_certificate_server_set_request(ss, req);
    if (ca == WEBCONF_VERIFY_CLIENT_CERT_IF_GIVEN || ca == WEBCONF_REQUIRE_AND_VERIFY_CLIENT_CERT)
        gnutls_session_set_verify_function(ss, verify_client);
}

int tlsconf_priorities(const struct webconf_tls *t, char *buf, size_t cap)
{
    static const char *const names[] = {"", "VERS-TLS1.0", "VERS-TLS1.1", "VERS-TLS1.2",
                                        "VERS-TLS1.3"};
    int lo = t->min_version ? (int)t->min_version : WEBCONF_TLS12;
    int hi = t->max_version ? (int)t->max_version : WEBCONF_TLS13;
    size_t n;

    n = (size_t)snprintf(buf, cap,
                         "NORMAL:%%SERVER_PRECEDENCE:-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:"
                         "+CHACHA20-POLY1305:+AES-128-CCM:+AES-256-CCM:+AES-128-CBC:+AES-256-CBC:"
                         "-VERS-ALL");
    for (int v = hi; v >= lo && n < cap; v--)
        n += (size_t)snprintf(buf + n, cap - n, ":+%s", names[v]);
    return n < cap ? 0 : -1;
}
