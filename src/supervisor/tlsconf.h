/*
 * tlsconf: the HTTP server's GnuTLS settings from the web configuration, as
 * Go's crypto/tls (the exporter toolkit's) applies them: the protocol
 * versions and suite order, and the client_auth_type on each new session.
 */
#ifndef TBE_TLSCONF_H
#define TBE_TLSCONF_H

#include <gnutls/gnutls.h>
#include <stddef.h>

#include "webconf.h"

/*
 * GnuTLS priorities for t's min_version..max_version (the toolkit's default:
 * TLS 1.2 and up), in the server's order and AES-128-GCM first, as Go's
 * crypto/tls picks its TLS 1.3 suite (its list, AES-128-GCM first, against
 * the client's); GnuTLS' NORMAL would follow the client, usually to
 * AES-256-GCM with SHA-384, which costs more per scrape. Into buf; returns
 * 0, or -1 if cap is too small. Pure.
 */
int tlsconf_priorities(const struct webconf_tls *t, char *buf, size_t cap);

/*
 * Apply client_auth_type ca to a new session, before its handshake: a
 * certificate that is required but missing, or that must verify and does not
 * (another CA, expired, not for client authentication), fails the handshake
 * itself.
 */
void tlsconf_session(gnutls_session_t ss, enum webconf_client_auth ca);

#endif
