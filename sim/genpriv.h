/* The generator's private header: what model.c (hashing, names, the model),
 * jsonw.c (the JSON writer) and gen.c (emitters, truth, lists) share. The
 * public interface is sim.h. */
#ifndef TRINO_SIM_GENPRIV_H
#define TRINO_SIM_GENPRIV_H

#include "sim.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum tstate { T_PLANNED, T_RUNNING, T_FLUSHING, T_FINISHED, T_CANCELED, T_ABORTED, T_FAILED };

enum bstate {
    B_OPEN,
    B_NO_MORE_BUFFERS,
    B_NO_MORE_PAGES,
    B_FLUSHING,
    B_FINISHED,
    B_ABORTED,
    B_FAILED
};

enum btype { BT_PARTITIONED, BT_BROADCAST, BT_ARBITRARY, BT_EXTERNAL, BT_UNINITIALIZED };

struct task {
    int stage, part, attempt, worker;
    enum tstate ts;
    enum bstate bs;
    enum btype bt;
    int64_t bytes, pages, rows_sent, pages_sent;
    int64_t instance_id;
    int64_t version;
    int speculative;
};

#define JW_BUF 65536

#define JW_MAXD 256

struct jw {
    sim_sink_fn sink;
    void *arg;
    uint64_t total;
    int err;
    int pretty;
    int depth;
    int objdepth; /* Jackson indents by open objects only; arrays are inline */
    unsigned char is_arr[JW_MAXD];
    uint32_t count[JW_MAXD];
    int after_key;
    size_t len;
    char buf[JW_BUF];
};

extern const char *const task_state_names[];
extern const char *const buffer_state_names[];
extern const char *const buffer_type_names[];

/* model.c */
uint64_t mix(uint64_t x);
uint64_t hv(const struct sim_params *p, uint64_t a, uint64_t b, uint64_t c, uint64_t salt);
uint64_t hs(const struct sim_params *p, uint64_t a, uint64_t salt);
int query_serial(const struct sim_params *p, int q);
const struct sim_dquery *query_dq(const struct sim_params *p, int q);
int stage_tasks(const struct sim_params *p, int s);
int query_explain(int q);
int query_retry_task(int q);
int query_mixed(int q);
void task_model(const struct sim_params *p, const struct sim_dquery *dq, int q, int s, int t,
                struct task *k);
int bstate_terminal(enum bstate b);
int tstate_terminal(enum tstate t);

/* jsonw.c */
void jw_reset(struct jw *w, sim_sink_fn sink, void *arg, int pretty);
void jw_flush(struct jw *w);
void jw_put(struct jw *w, const char *s, size_t n);
void jw_obj_begin(struct jw *w);
void jw_obj_end(struct jw *w);
void jw_arr_begin(struct jw *w);
void jw_arr_end(struct jw *w);
void jw_esc(struct jw *w, const char *s, size_t n);
void jw_key(struct jw *w, const char *k);
void jw_str(struct jw *w, const char *s);
void jw_str_begin(struct jw *w);
void jw_str_end(struct jw *w);
void jw_raw(struct jw *w, const char *s);
void jw_int(struct jw *w, int64_t v);
void jw_bool(struct jw *w, int v);
void jw_jdbl(struct jw *w, uint64_t digits, int exp10);

#endif
