/*
 * log: one line per event on stderr, logfmt (default) or JSON.
 *
 *   ts=2026-11-25T09:30:00.123Z level=info component=collector coordinator=blue
 *   msg="collector started" url=http://trino:8080   (one line)
 *
 * Fields are key/value string pairs ending with NULL. Values are quoted and
 * escaped as needed; callers never pass secrets. Thread-safe: each line is
 * formatted into a local buffer and written with one write(2).
 * The only global state of a process besides signal state (CONTRIBUTING.md, Style).
 */
#ifndef TBE_LOG_H
#define TBE_LOG_H

enum log_level { LOG_DEBUG = 0, LOG_INFO = 1, LOG_WARN = 2, LOG_ERROR = 3 };
enum log_format { LOG_FORMAT_LOGFMT = 0, LOG_FORMAT_JSON = 1 };

/* Set the process-wide level, format and component name (copied). */
void log_init(enum log_level level, enum log_format format, const char *component);
void log_set_level(enum log_level level);
void log_set_format(enum log_format format);
/* Fields added to every line, e.g. "coordinator", "blue" (copied; NULL clears). */
void log_set_context(const char *key, const char *value);

/* Parse "debug|info|warn|error" / "logfmt|json"; return -1 when unknown. */
int log_level_parse(const char *s);
int log_format_parse(const char *s);

int log_enabled(enum log_level level);

/* log_write(LOG_INFO, "collector started", "coordinator", name, "pid", buf, NULL) */
void log_write(enum log_level level, const char *msg, ...) __attribute__((sentinel));

#endif
