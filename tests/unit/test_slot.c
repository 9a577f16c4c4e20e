/*
 * test_slot: the whole (state x event) table of a collector slot's life
 * (slot.c), pair by pair against the expected moves written out here, and
 * the properties the supervisor relies on: no signal without a process,
 * every reaped process leaves its process state, nothing restarts after the
 * shutdown, a slot is freed only when its coordinator is no longer
 * configured.
 */
#include "check.h"
#include "slot.h"

#include <stdio.h>
#include <string.h>

struct move {
    enum slot_state from;
    enum slot_event ev;
    enum slot_state to;
    enum slot_action act;
};

/* Every pair that moves or acts; any other pair keeps its state and does nothing. */
static const struct move moves[] = {
    {SLOT_FREE, SLOT_EV_ADD, SLOT_IDLE, SLOT_ACT_SPAWN},

    {SLOT_IDLE, SLOT_EV_DUE, SLOT_IDLE, SLOT_ACT_SPAWN},
    {SLOT_IDLE, SLOT_EV_SPAWNED, SLOT_RUNNING, SLOT_ACT_NONE},
    {SLOT_IDLE, SLOT_EV_SPAWN_FAILED, SLOT_IDLE, SLOT_ACT_RETRY},
    {SLOT_IDLE, SLOT_EV_SPAWN_FAILED_ONCE, SLOT_DONE, SLOT_ACT_ONCE_FAIL},
    {SLOT_IDLE, SLOT_EV_RELOAD_CHANGED, SLOT_IDLE, SLOT_ACT_RESTART_NOW},
    {SLOT_IDLE, SLOT_EV_RELOAD_GONE, SLOT_FREE, SLOT_ACT_NONE},
    {SLOT_IDLE, SLOT_EV_SHUTDOWN, SLOT_DONE, SLOT_ACT_NONE},

    {SLOT_RUNNING, SLOT_EV_EXIT, SLOT_IDLE, SLOT_ACT_RESTART_LATER},
    {SLOT_RUNNING, SLOT_EV_EXIT_CONFIG, SLOT_WAIT_RELOAD, SLOT_ACT_WAIT},
    {SLOT_RUNNING, SLOT_EV_EXIT_ONCE, SLOT_DONE, SLOT_ACT_ONCE_EXIT},
    {SLOT_RUNNING, SLOT_EV_HANG, SLOT_RUNNING, SLOT_ACT_TERM_HANG},
    {SLOT_RUNNING, SLOT_EV_KILL_DUE, SLOT_RUNNING, SLOT_ACT_KILL},
    {SLOT_RUNNING, SLOT_EV_RELOAD_CHANGED, SLOT_RESPAWNING, SLOT_ACT_STOP},
    {SLOT_RUNNING, SLOT_EV_RELOAD_GONE, SLOT_REMOVING, SLOT_ACT_STOP},
    {SLOT_RUNNING, SLOT_EV_SHUTDOWN, SLOT_STOPPING, SLOT_ACT_SHUTDOWN},

    {SLOT_RESPAWNING, SLOT_EV_EXIT, SLOT_IDLE, SLOT_ACT_RESPAWN},
    {SLOT_RESPAWNING, SLOT_EV_EXIT_CONFIG, SLOT_IDLE, SLOT_ACT_RESPAWN},
    {SLOT_RESPAWNING, SLOT_EV_EXIT_ONCE, SLOT_DONE, SLOT_ACT_ONCE_EXIT},
    {SLOT_RESPAWNING, SLOT_EV_KILL_DUE, SLOT_RESPAWNING, SLOT_ACT_KILL},
    {SLOT_RESPAWNING, SLOT_EV_RELOAD_CHANGED, SLOT_RESPAWNING, SLOT_ACT_STOP},
    {SLOT_RESPAWNING, SLOT_EV_RELOAD_GONE, SLOT_REMOVING, SLOT_ACT_STOP},
    {SLOT_RESPAWNING, SLOT_EV_SHUTDOWN, SLOT_STOPPING, SLOT_ACT_SHUTDOWN},

    {SLOT_REMOVING, SLOT_EV_EXIT, SLOT_FREE, SLOT_ACT_REMOVED},
    {SLOT_REMOVING, SLOT_EV_EXIT_CONFIG, SLOT_FREE, SLOT_ACT_REMOVED},
    {SLOT_REMOVING, SLOT_EV_EXIT_ONCE, SLOT_FREE, SLOT_ACT_REMOVED},
    {SLOT_REMOVING, SLOT_EV_KILL_DUE, SLOT_REMOVING, SLOT_ACT_KILL},
    {SLOT_REMOVING, SLOT_EV_SHUTDOWN, SLOT_REMOVING, SLOT_ACT_SHUTDOWN},

    {SLOT_STOPPING, SLOT_EV_EXIT, SLOT_DONE, SLOT_ACT_STOPPED},
    {SLOT_STOPPING, SLOT_EV_EXIT_CONFIG, SLOT_DONE, SLOT_ACT_STOPPED},
    {SLOT_STOPPING, SLOT_EV_EXIT_ONCE, SLOT_DONE, SLOT_ACT_STOPPED},
    {SLOT_STOPPING, SLOT_EV_KILL_DUE, SLOT_STOPPING, SLOT_ACT_KILL},

    {SLOT_WAIT_RELOAD, SLOT_EV_RELOAD_SAME, SLOT_IDLE, SLOT_ACT_SPAWN},
    {SLOT_WAIT_RELOAD, SLOT_EV_RELOAD_CHANGED, SLOT_IDLE, SLOT_ACT_RESTART_NOW},
    {SLOT_WAIT_RELOAD, SLOT_EV_RELOAD_GONE, SLOT_FREE, SLOT_ACT_NONE},
    {SLOT_WAIT_RELOAD, SLOT_EV_SHUTDOWN, SLOT_DONE, SLOT_ACT_NONE},
};

#define NMOVES (sizeof(moves) / sizeof(moves[0]))

static const struct move *expected(enum slot_state st, enum slot_event ev)
{
    for (size_t i = 0; i < NMOVES; i++)
        if (moves[i].from == st && moves[i].ev == ev)
            return &moves[i];
    return NULL;
}

/* A process exists in these states (pid > 0 until reaped). */
static int has_process(enum slot_state st)
{
    return st == SLOT_RUNNING || st == SLOT_RESPAWNING || st == SLOT_REMOVING ||
           st == SLOT_STOPPING;
}

static int is_exit(enum slot_event ev)
{
    return ev == SLOT_EV_EXIT || ev == SLOT_EV_EXIT_CONFIG || ev == SLOT_EV_EXIT_ONCE;
}

static int signals(enum slot_action a)
{
    return a == SLOT_ACT_TERM_HANG || a == SLOT_ACT_KILL || a == SLOT_ACT_STOP ||
           a == SLOT_ACT_SHUTDOWN;
}

static int starts(enum slot_action a)
{
    return a == SLOT_ACT_SPAWN || a == SLOT_ACT_RETRY || a == SLOT_ACT_RESTART_NOW ||
           a == SLOT_ACT_RESTART_LATER || a == SLOT_ACT_RESPAWN;
}

static void test_whole_table(void)
{
    int written = 0;

    for (int st = 0; st < SLOT_NSTATES; st++)
        for (int ev = 0; ev < SLOT_NEVENTS; ev++) {
            struct slot_step got = slot_next((enum slot_state)st, (enum slot_event)ev);
            const struct move *m = expected((enum slot_state)st, (enum slot_event)ev);
            enum slot_state to = m ? m->to : (enum slot_state)st;
            enum slot_action act = m ? m->act : SLOT_ACT_NONE;

            CHECK(got.next == to && got.act == act, "%s + %s: got %s/%s, want %s/%s",
                  slot_state_name((enum slot_state)st), slot_event_name((enum slot_event)ev),
                  slot_state_name(got.next), slot_action_name(got.act), slot_state_name(to),
                  slot_action_name(act));
            written += m != NULL;
        }
    CHECK_EQ(written, (int)NMOVES); /* no expected move names a pair twice */
}

static void test_properties(void)
{
    for (int st = 0; st < SLOT_NSTATES; st++)
        for (int ev = 0; ev < SLOT_NEVENTS; ev++) {
            enum slot_state s = (enum slot_state)st;
            enum slot_event e = (enum slot_event)ev;
            struct slot_step got = slot_next(s, e);
            const char *sn = slot_state_name(s), *en = slot_event_name(e);

            CHECK((unsigned)got.next < SLOT_NSTATES && (unsigned)got.act < SLOT_NACTIONS,
                  "%s + %s out of range", sn, en);
            /* no signal without a process */
            if (signals(got.act))
                CHECK(has_process(s), "%s + %s signals no process", sn, en);
            /* a reaped process leaves every process state */
            if (has_process(s) && is_exit(e))
                CHECK(!has_process(got.next), "%s + %s stays in %s", sn, en,
                      slot_state_name(got.next));
            /* a process is only gained through SPAWNED */
            if (!has_process(s) && has_process(got.next))
                CHECK(e == SLOT_EV_SPAWNED, "%s + %s gains a process", sn, en);
            /* a slot is freed only when its coordinator went away */
            if (s != SLOT_FREE && got.next == SLOT_FREE)
                CHECK(s == SLOT_REMOVING || e == SLOT_EV_RELOAD_GONE, "%s + %s frees the slot", sn,
                      en);
            /* --once never restarts: its events end in DONE (or FREE when removed) */
            if (e == SLOT_EV_EXIT_ONCE || e == SLOT_EV_SPAWN_FAILED_ONCE)
                CHECK(!starts(got.act) &&
                          (got.next == SLOT_DONE || got.next == SLOT_FREE || got.next == s),
                      "%s + %s restarts under --once", sn, en);
            /* DONE is the end */
            if (s == SLOT_DONE)
                CHECK(got.next == SLOT_DONE && got.act == SLOT_ACT_NONE, "DONE + %s moves", en);
        }
}

/* After SHUTDOWN, no sequence of events that can still happen starts a process. */
static void test_no_restart_after_shutdown(void)
{
    static const enum slot_event after[] = {SLOT_EV_EXIT, SLOT_EV_EXIT_CONFIG, SLOT_EV_EXIT_ONCE,
                                            SLOT_EV_KILL_DUE, SLOT_EV_SHUTDOWN};
    const size_t na = sizeof(after) / sizeof(after[0]);

    for (int st = 0; st < SLOT_NSTATES; st++) {
        struct slot_step s0 = slot_next((enum slot_state)st, SLOT_EV_SHUTDOWN);
        CHECK(!starts(s0.act), "%s + SHUTDOWN starts", slot_state_name((enum slot_state)st));
        if (st != SLOT_FREE && st != SLOT_REMOVING)
            CHECK(s0.next == SLOT_DONE || s0.next == SLOT_STOPPING, "%s + SHUTDOWN -> %s",
                  slot_state_name((enum slot_state)st), slot_state_name(s0.next));
        for (size_t i = 0; i < na; i++) {
            struct slot_step s1 = slot_next(s0.next, after[i]);
            CHECK(!starts(s1.act), "%s, SHUTDOWN, %s starts", slot_state_name((enum slot_state)st),
                  slot_event_name(after[i]));
            for (size_t j = 0; j < na; j++) {
                struct slot_step s2 = slot_next(s1.next, after[j]);
                CHECK(!starts(s2.act), "%s, SHUTDOWN, %s, %s starts",
                      slot_state_name((enum slot_state)st), slot_event_name(after[i]),
                      slot_event_name(after[j]));
            }
        }
    }
}

/* The lives the supervisor's tests drive, as event sequences. */
static void test_lives(void)
{
    static const struct {
        const char *name;
        enum slot_event ev[6];
        size_t n;
        enum slot_state end;
    } lives[] = {
        {"crash, backoff, restart",
         {SLOT_EV_ADD, SLOT_EV_SPAWNED, SLOT_EV_EXIT, SLOT_EV_DUE, SLOT_EV_SPAWNED},
         5,
         SLOT_RUNNING},
        {"hang: TERM, KILL, restart",
         {SLOT_EV_ADD, SLOT_EV_SPAWNED, SLOT_EV_HANG, SLOT_EV_KILL_DUE, SLOT_EV_EXIT},
         5,
         SLOT_IDLE},
        {"configuration error waits for a reload",
         {SLOT_EV_ADD, SLOT_EV_SPAWNED, SLOT_EV_EXIT_CONFIG, SLOT_EV_DUE, SLOT_EV_RELOAD_SAME,
          SLOT_EV_SPAWNED},
         6,
         SLOT_RUNNING},
        {"reconfigured: respawned at once",
         {SLOT_EV_ADD, SLOT_EV_SPAWNED, SLOT_EV_RELOAD_CHANGED, SLOT_EV_EXIT, SLOT_EV_SPAWNED},
         5,
         SLOT_RUNNING},
        {"removed while respawning",
         {SLOT_EV_ADD, SLOT_EV_SPAWNED, SLOT_EV_RELOAD_CHANGED, SLOT_EV_RELOAD_GONE, SLOT_EV_EXIT},
         5,
         SLOT_FREE},
        {"shutdown while reconfiguring",
         {SLOT_EV_ADD, SLOT_EV_SPAWNED, SLOT_EV_RELOAD_CHANGED, SLOT_EV_SHUTDOWN, SLOT_EV_EXIT},
         5,
         SLOT_DONE},
        {"--once", {SLOT_EV_ADD, SLOT_EV_SPAWNED, SLOT_EV_EXIT_ONCE}, 3, SLOT_DONE},
        {"spawn keeps failing", {SLOT_EV_ADD, SLOT_EV_SPAWN_FAILED, SLOT_EV_DUE}, 3, SLOT_IDLE},
    };

    for (size_t i = 0; i < sizeof(lives) / sizeof(lives[0]); i++) {
        enum slot_state st = SLOT_FREE;
        for (size_t k = 0; k < lives[i].n; k++)
            st = slot_next(st, lives[i].ev[k]).next;
        CHECK(st == lives[i].end, "%s: ends in %s, want %s", lives[i].name, slot_state_name(st),
              slot_state_name(lives[i].end));
    }
}

static void test_names_and_range(void)
{
    for (int a = 0; a < SLOT_NSTATES; a++) {
        CHECK(strcmp(slot_state_name((enum slot_state)a), "?") != 0, "state %d", a);
        for (int b = a + 1; b < SLOT_NSTATES; b++)
            CHECK(strcmp(slot_state_name((enum slot_state)a),
                         slot_state_name((enum slot_state)b)) != 0,
                  "states %d and %d share a name", a, b);
    }
    CHECK_STR(slot_state_name(SLOT_WAIT_RELOAD), "WAIT_RELOAD");
    CHECK_STR(slot_event_name(SLOT_EV_RELOAD_GONE), "RELOAD_GONE");
    CHECK_STR(slot_action_name(SLOT_ACT_RESTART_LATER), "RESTART_LATER");
    for (int a = 0; a < SLOT_NEVENTS; a++) {
        CHECK(strcmp(slot_event_name((enum slot_event)a), "?") != 0, "event %d", a);
        for (int b = a + 1; b < SLOT_NEVENTS; b++)
            CHECK(strcmp(slot_event_name((enum slot_event)a),
                         slot_event_name((enum slot_event)b)) != 0,
                  "events %d and %d share a name", a, b);
    }
    for (int a = 0; a < SLOT_NACTIONS; a++) {
        CHECK(strcmp(slot_action_name((enum slot_action)a), "?") != 0, "action %d", a);
        for (int b = a + 1; b < SLOT_NACTIONS; b++)
            CHECK(strcmp(slot_action_name((enum slot_action)a),
                         slot_action_name((enum slot_action)b)) != 0,
                  "actions %d and %d share a name", a, b);
    }
    CHECK_STR(slot_state_name(SLOT_NSTATES), "?");
    CHECK_STR(slot_event_name(SLOT_NEVENTS), "?");
    CHECK_STR(slot_action_name(SLOT_NACTIONS), "?");

    struct slot_step s = slot_next(SLOT_NSTATES, SLOT_EV_ADD);
    CHECK(s.next == SLOT_FREE && s.act == SLOT_ACT_NONE, "state out of range");
    s = slot_next(SLOT_RUNNING, SLOT_NEVENTS);
    CHECK(s.next == SLOT_RUNNING && s.act == SLOT_ACT_NONE, "event out of range");
}

int main(void)
{
    test_whole_table();
    test_properties();
    test_no_restart_after_shutdown();
    test_lives();
    test_names_and_range();
    return check_report("test_slot");
}
