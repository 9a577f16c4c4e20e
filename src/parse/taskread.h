/*
 * taskread: the reading rules of one TaskInfo object, shared by the
 * coordinator-mode extractor (extract.c, the tasks of a QueryInfo) and the
 * worker-mode task list parser (wtask.c), so that both read a task alike
 * (pure, no I/O, no allocation).
 *
 * The caller walks the document and classifies each key with taskread_key at
 * the TaskInfo object, its taskStatus and its outputBuffers; the values of
 * the keys taskread reads (taskStatus and outputBuffers themselves,
 * taskStatus.{state,nodeId}, outputBuffers.{type,state,totalBufferedBytes,
 * totalBufferedPages,totalPagesSent}) go to taskread_open, taskread_number,
 * taskread_string or taskread_scalar, which hold them in a struct taskread
 * until the task object closes (key order does not matter: a type after the
 * totals still decides); taskread_finish then gives the agg_task that
 * agg_task_count / agg_add_task count (agg.h), node id included. A caller's
 * own fields of taskStatus (the extractor's self, wtask's taskId) use keys
 * from TASKREAD_NKEYS up: they are strings, and a container or another
 * scalar there is refused by the same functions with the same reasons.
 *
 * The rules: taskStatus and outputBuffers are objects, once each; a read
 * field is a scalar of its type (strings, integer totals), a null is an
 * absent field; a total appears once and is read exactly up to 2^63-1
 * (larger saturate, see jscan_uint); a second type is refused (the buffer's
 * kind would be ambiguous), a state counts as done when either of two is; a
 * type cut at max_string is not EXTERNAL, a state cut there is refused. The
 * nodeId (which worker holds the task's data) is read whole or refused: cut
 * at max_string, AGG_ID_MAX bytes or more, a NUL, or a second one in the
 * task (the worker would be ambiguous; taking the last, as the extractor
 * did, could count one worker's data under another).
 *
 * Each function returns NULL when the value is fine, else the reason (a
 * static string) the caller fails the document with: PARSE_EINVAL for
 * taskread_open, _scalar, _number and _string, PARSE_EUNSUPPORTED for
 * taskread_finish (a task we cannot read exactly, never a number).
 */
#ifndef TBE_TASKREAD_H
#define TBE_TASKREAD_H

#include <stddef.h>
#include <stdint.h>

#include "agg.h"

/* The object a key belongs to. */
enum taskread_obj { TASKREAD_IN_TASK, TASKREAD_IN_STATUS, TASKREAD_IN_BUFFERS };

enum taskread_key {
    TASKREAD_OTHER = 0, /* a key nobody reads: its value is skipped */
    TASKREAD_TSTATUS,   /* TaskInfo.taskStatus */
    TASKREAD_OBUF,      /* TaskInfo.outputBuffers */
    TASKREAD_TSTATE,    /* taskStatus.state */
    TASKREAD_NODEID,    /* taskStatus.nodeId */
    TASKREAD_BTYPE,     /* outputBuffers.type */
    TASKREAD_BSTATE,    /* outputBuffers.state */
    TASKREAD_BYTES,     /* outputBuffers.totalBufferedBytes */
    TASKREAD_PAGES,     /* outputBuffers.totalBufferedPages */
    TASKREAD_SENT,      /* outputBuffers.totalPagesSent */
    TASKREAD_NKEYS      /* the caller's own (string) keys start here */
};

/*
 * The same members as schema keys (jscan.h, which the parser includes) for a
 * parser's skeleton: TaskInfo's two objects (their schema nodes ts and ob),
 * and the fields of taskStatus and outputBuffers, each handed to yajl whole.
 * A parser adds its own fields of taskStatus to TASKREAD_TSTATUS_KEYS.
 */
#define TASKREAD_TASK_KEYS(ts, ob) JSCAN_KEY("taskStatus", ts), JSCAN_KEY("outputBuffers", ob)
#define TASKREAD_TSTATUS_KEYS JSCAN_KEY("state", JSCAN_PASS), JSCAN_KEY("nodeId", JSCAN_PASS)
#define TASKREAD_OBUF_KEYS                                                                         \
    JSCAN_KEY("type", JSCAN_PASS), JSCAN_KEY("state", JSCAN_PASS),                                 \
        JSCAN_KEY("totalBufferedBytes", JSCAN_PASS), JSCAN_KEY("totalBufferedPages", JSCAN_PASS),  \
        JSCAN_KEY("totalPagesSent", JSCAN_PASS)

/* One task's values so far; zero it (taskread_begin) when its object opens. */
struct taskread {
    unsigned flags;
    uint64_t bytes, pages, sent;
    char node_id[AGG_ID_MAX]; /* taskStatus.nodeId, "" if none */
};

void taskread_begin(struct taskread *t);
/* The taskread key of the raw key (s, n) in object obj, or TASKREAD_OTHER. */
int taskread_key(int obj, const unsigned char *s, size_t n);
/*
 * A container opens as the value of key (not TASKREAD_OTHER): NULL for a
 * first taskStatus or outputBuffers object (the caller enters it), else the
 * reason.
 */
const char *taskread_open(struct taskread *t, int key, int is_map);
/* A boolean (or a value of no type read at key) as the value of key (not TASKREAD_OTHER). */
const char *taskread_scalar(int key);
/* A number (raw, as yajl gives it) as the value of key (not TASKREAD_OTHER). */
const char *taskread_number(struct taskread *t, int key, const char *s, size_t n);
/* A string as the value of one of taskread's keys (below TASKREAD_NKEYS, not
 * TASKREAD_OTHER); truncated: cut at max_string (jscan_take_truncated). */
const char *taskread_string(struct taskread *t, int key, const unsigned char *s, size_t n,
                            int truncated);
/*
 * The task object closed: NULL and *ret filled (node_id t->node_id, valid
 * while t is; address "", the caller sets it), or the reason it cannot be
 * counted.
 */
const char *taskread_finish(const struct taskread *t, struct agg_task *ret);

#endif
