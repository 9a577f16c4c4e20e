/*
 * negotiate: which exposition format a scrape gets, from its Accept header.
 *
 * Two formats are served: the Prometheus text format 0.0.4 and OpenMetrics
 * text 1.0.0, both rendered once per change by the loop (render.h). The rules
 * mirror client_golang's promhttp (expfmt.NegotiateIncludingOpenMetrics) as
 * every Prometheus exporter applies them, with HTTP's q=0 honoured:
 *   - OpenMetrics only when a clause names application/openmetrics-text with
 *     version=1.0.0, version=0.0.1 or no version (expfmt reads no version as
 *     0.0.1; our OpenMetrics body is valid for both); wildcards ("star/star",
 *     application/star) never select it, so curl and browsers get text;
 *   - text/plain with version=0.0.4 or no version selects text; other
 *     versions (Prometheus 3's text/plain;version=1.0.0) match nothing;
 *   - of the two, the higher q wins, a tie goes to the clause written first;
 *     q=0 makes a clause "not acceptable"; an explicit
 *     application/openmetrics-text;version=1.0.0;q=0 refuses OpenMetrics even
 *     if another OpenMetrics clause accepts it (our body is labelled 1.0.0);
 *   - anything else, nothing acceptable, garbage, an empty or absent header:
 *     text 0.0.4 (a scraper always gets a body, never a 406).
 * Media types, parameter names and values compare case-insensitively; spaces
 * and tabs around separators are tolerated, quoted parameter values
 * (version="1.0.0") too, and a malformed clause is skipped up to the next
 * comma outside quotes. Extra parameters (charset, escaping=allow-utf-8 of
 * Prometheus 3) are ignored.
 *
 * The same parser decides gzip from Accept-Encoding (negotiate_gzip).
 *
 * Pure: no syscalls, no allocation, no globals; linear in the header length.
 */
#ifndef TBE_NEGOTIATE_H
#define TBE_NEGOTIATE_H

enum negotiate_format {
    NEGOTIATE_TEXT = 0,        /* Prometheus text 0.0.4: RENDER_CONTENT_TYPE */
    NEGOTIATE_OPENMETRICS = 1, /* OpenMetrics 1.0.0: NEGOTIATE_CONTENT_TYPE_OPENMETRICS */
};

/*
 * The OpenMetrics Content-Type as client_golang (expfmt, v1.20 and later)
 * sends it: escaping=underscores says the metric and label names are the
 * legacy ones ([a-zA-Z_:][a-zA-Z0-9_:]*, which every name here is), so a
 * scraper that would accept UTF-8 names has nothing to unescape.
 */
#define NEGOTIATE_CONTENT_TYPE_OPENMETRICS                                                         \
    "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=underscores"

/*
 * The format for a request whose Accept header is accept (NULL: no header).
 * Returns NEGOTIATE_TEXT or NEGOTIATE_OPENMETRICS. Thread-safe (reads only
 * accept).
 */
int negotiate_format(const char *accept);

/*
 * 1 if a response may be gzipped for a request whose Accept-Encoding header
 * is accept_encoding (NULL: no header, 0): a "gzip" coding with a q-value
 * above 0, or, when gzip is not named, "*" with one. The clauses are parsed
 * as the Accept header's (q-values, quoting, a malformed clause skipped).
 * Thread-safe.
 */
int negotiate_gzip(const char *accept_encoding);

/* The Content-Type of a format returned by negotiate_format (a static string). */
const char *negotiate_content_type(int format);

#endif
