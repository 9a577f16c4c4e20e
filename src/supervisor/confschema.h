/*
 * confschema: every key of the configuration file as data, one row per key
 * path: its group, name, type, range or names, default, one line of
 * documentation, and where its value lands in struct config (config.h).
 *
 * The loader (config.c) reads the file by walking this table
 * (confread_walk); what no row can say (rules that tie keys together,
 * secret files, the list of coordinators, addresses) is in the checks the
 * rows name, which config.c defines. `trino-buffer-exporter
 * --print-config-schema` prints the table (confschema_print), the manual's
 * check (tests/deploy/test_docs.py) compares it with docs/configuration.md,
 * and tbe-msgtool takes its CONFIG defaults from the loader. A new key is a
 * row here (and its field in config.h), a row in docs/configuration.md, and,
 * when the collectors need it, its place in collconf.c.
 */
#ifndef TBE_CONFSCHEMA_H
#define TBE_CONFSCHEMA_H

#include <stdio.h>

#include "confread.h"

/* The rows, in the order the loader reads them; ended by a row whose name is NULL. */
extern const struct confread_key confschema_keys[];

/*
 * Print the schema on f: a header line, then one line per row,
 * tab-separated: KEY.PATH, type, range, default, doc. The range is "LO..HI"
 * (integers, list entries), "a|b|c" (names), "true|false" or "at most N
 * bytes"; the default is a number, true/false, a quoted string, empty for
 * an empty string, or the words of a computed one ("3 × poll interval").
 */
void confschema_print(FILE *f);

/* The checks and computed defaults the rows name (config.c). */
int config_check_listen(struct confread_ctx *x);
int config_check_health_listen(struct confread_ctx *x);
int config_dflt_stale(struct confread_ctx *x);
int config_check_stale(struct confread_ctx *x);
int config_check_memory_limit(struct confread_ctx *x);
int config_check_nonempty(struct confread_ctx *x);
int config_check_collector_path(struct confread_ctx *x);
int config_check_header_name(struct confread_ctx *x);
int config_check_header_value(struct confread_ctx *x);
int config_check_trino_auth(struct confread_ctx *x);
int config_check_tls_pair(struct confread_ctx *x);
int config_check_pm_url(struct confread_ctx *x);
int config_check_pm_metric(struct confread_ctx *x);
int config_check_pm_label(struct confread_ctx *x);
int config_dflt_pm_refresh(struct confread_ctx *x);
int config_dflt_pm_stale(struct confread_ctx *x);
int config_check_pm_stale(struct confread_ctx *x);
int config_check_pm_auth(struct confread_ctx *x);
int config_check_coordinators(struct confread_ctx *x);
int config_check_coord_name(struct confread_ctx *x);
int config_check_coord_url(struct confread_ctx *x);
int config_check_release(struct confread_ctx *x);
int config_check_discovery(struct confread_ctx *x);
int config_check_dns_name(struct confread_ctx *x);
int config_check_addresses(struct confread_ctx *x);
int config_dflt_worker_port(struct confread_ctx *x);
int config_check_workers_tls(struct confread_ctx *x);
int config_check_shared_secret(struct confread_ctx *x);
int config_dflt_node_states(struct confread_ctx *x);
int config_check_node_states(struct confread_ctx *x);

#endif
