/*
 * taskread: one TaskInfo object's fields, held until it closes (see
 * taskread.h). The flags record what was seen, for the duplicate and
 * completeness checks.
 */
#include "taskread.h"

#include <string.h>

#include "jscan.h"

enum {
    F_STATUS = 1 << 0,
    F_BUFFERS = 1 << 1,
    F_BYTES = 1 << 2,
    F_PAGES = 1 << 3,
    F_SENT = 1 << 4,
    F_TTERM = 1 << 5,
    F_BTERM = 1 << 6,
    F_BTYPE = 1 << 7,    /* outputBuffers.type was seen */
    F_EXTERNAL = 1 << 8, /* ... and is "EXTERNAL": a spooling buffer (agg.h) */
    F_NODEID = 1 << 9,   /* taskStatus.nodeId was seen */
};

void taskread_begin(struct taskread *t)
{
    t->flags = 0;
    t->bytes = t->pages = t->sent = 0;
    t->node_id[0] = 0;
}

int taskread_key(int obj, const unsigned char *s, size_t n)
{
    switch (obj) {
    case TASKREAD_IN_TASK:
        if (jscan_eq(s, n, "taskStatus"))
            return TASKREAD_TSTATUS;
        if (jscan_eq(s, n, "outputBuffers"))
            return TASKREAD_OBUF;
        break;
    case TASKREAD_IN_STATUS:
        if (jscan_eq(s, n, "state"))
            return TASKREAD_TSTATE;
        if (jscan_eq(s, n, "nodeId"))
            return TASKREAD_NODEID;
        break;
    case TASKREAD_IN_BUFFERS:
        if (jscan_eq(s, n, "type"))
            return TASKREAD_BTYPE;
        if (jscan_eq(s, n, "state"))
            return TASKREAD_BSTATE;
        if (jscan_eq(s, n, "totalBufferedBytes"))
            return TASKREAD_BYTES;
        if (jscan_eq(s, n, "totalBufferedPages"))
            return TASKREAD_PAGES;
        if (jscan_eq(s, n, "totalPagesSent"))
            return TASKREAD_SENT;
        break;
    }
    return TASKREAD_OTHER;
}

const char *taskread_open(struct taskread *t, int key, int is_map)
{
    if (key != TASKREAD_TSTATUS && key != TASKREAD_OBUF)
        return "task field is not a scalar";
    if (!is_map)
        return "taskStatus or outputBuffers is not an object";
    unsigned f = key == TASKREAD_TSTATUS ? F_STATUS : F_BUFFERS;
    if (t->flags & f)
        return "duplicate taskStatus or outputBuffers";
    t->flags |= f;
    return NULL;
}

const char *taskread_scalar(int key)
{
    if (key == TASKREAD_TSTATUS || key == TASKREAD_OBUF)
        return "taskStatus or outputBuffers is not an object";
    return "task field of the wrong type";
}

const char *taskread_number(struct taskread *t, int key, const char *s, size_t n)
{
    unsigned f;
    uint64_t *dst;
    if (key == TASKREAD_BYTES) {
        f = F_BYTES;
        dst = &t->bytes;
    } else if (key == TASKREAD_PAGES) {
        f = F_PAGES;
        dst = &t->pages;
    } else if (key == TASKREAD_SENT) {
        f = F_SENT;
        dst = &t->sent;
    } else {
        return taskread_scalar(key);
    }
    if (!jscan_uint(s, n, dst))
        return "outputBuffers total is not an integer";
    if (t->flags & f)
        return "duplicate outputBuffers total";
    t->flags |= f;
    return NULL;
}

const char *taskread_string(struct taskread *t, int key, const unsigned char *s, size_t n,
                            int truncated)
{
    switch (key) {
    case TASKREAD_TSTATE:
        if (truncated)
            return "taskStatus.state longer than max_string";
        if (agg_task_state_done(s, n))
            t->flags |= F_TTERM;
        return NULL;
    case TASKREAD_NODEID:
        if (truncated)
            return "taskStatus.nodeId longer than max_string";
        if (t->flags & F_NODEID)
            return "duplicate taskStatus.nodeId";
        if (memchr(s, 0, n))
            return "taskStatus.nodeId contains NUL";
        if (!jscan_copy(t->node_id, sizeof(t->node_id), s, n))
            return "taskStatus.nodeId too long";
        t->flags |= F_NODEID;
        return NULL;
    case TASKREAD_BSTATE:
        if (agg_buffer_state_terminal(s, n))
            t->flags |= F_BTERM;
        return NULL;
    case TASKREAD_BTYPE:
        if (t->flags & F_BTYPE)
            return "duplicate outputBuffers.type";
        t->flags |= F_BTYPE;
        if (!truncated && agg_buffer_type_spooling(s, n))
            t->flags |= F_EXTERNAL;
        return NULL;
    default:
        return taskread_scalar(key);
    }
}

const char *taskread_finish(const struct taskread *t, struct agg_task *ret)
{
    if (!(t->flags & F_STATUS))
        return "unsupported layout: task without taskStatus (Presto before 0.146)";
    if ((t->flags & F_BUFFERS) &&
        (t->flags & (F_BYTES | F_PAGES | F_SENT)) != (F_BYTES | F_PAGES | F_SENT))
        return "unsupported layout: outputBuffers without totalBufferedBytes, "
               "totalBufferedPages or totalPagesSent";
    *ret = (struct agg_task){
        .node_id = t->node_id,
        .address = "",
        .has_buffers = (t->flags & F_BUFFERS) != 0,
        .spooling = (t->flags & F_EXTERNAL) != 0,
        .buffer_terminal = (t->flags & F_BTERM) != 0,
        .task_terminal = (t->flags & F_TTERM) != 0,
        .buffered_bytes = t->bytes,
        .buffered_pages = t->pages,
        .pages_sent = t->sent,
    };
    return NULL;
}
