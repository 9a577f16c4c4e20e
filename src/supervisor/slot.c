/*
 * slot: the table of a collector slot's life. See slot.h.
 */
#include "slot.h"

#include <stddef.h>

/* One cell: `set` tells a written pair from an empty one. */
struct cell {
    unsigned char set, next, act;
};

// clang-format off
#define TO(s, a) {1, SLOT_##s, SLOT_ACT_##a}

/*
 * table[state][event]. A pair left out keeps the state and does nothing:
 * every pair that can happen, and does something, is written out.
 */
static const struct cell table[SLOT_NSTATES][SLOT_NEVENTS] = {
    [SLOT_FREE] = {
        [SLOT_EV_ADD] = TO(IDLE, SPAWN),
    },
    [SLOT_IDLE] = {
        [SLOT_EV_DUE] = TO(IDLE, SPAWN),
        [SLOT_EV_SPAWNED] = TO(RUNNING, NONE),
        [SLOT_EV_SPAWN_FAILED] = TO(IDLE, RETRY),
        [SLOT_EV_SPAWN_FAILED_ONCE] = TO(DONE, ONCE_FAIL),
        [SLOT_EV_RELOAD_CHANGED] = TO(IDLE, RESTART_NOW),
        [SLOT_EV_RELOAD_GONE] = TO(FREE, NONE),
        [SLOT_EV_SHUTDOWN] = TO(DONE, NONE),
    },
    [SLOT_RUNNING] = {
        [SLOT_EV_EXIT] = TO(IDLE, RESTART_LATER),
        [SLOT_EV_EXIT_CONFIG] = TO(WAIT_RELOAD, WAIT),
        [SLOT_EV_EXIT_ONCE] = TO(DONE, ONCE_EXIT),
        [SLOT_EV_HANG] = TO(RUNNING, TERM_HANG),
        [SLOT_EV_KILL_DUE] = TO(RUNNING, KILL),
        [SLOT_EV_RELOAD_CHANGED] = TO(RESPAWNING, STOP),
        [SLOT_EV_RELOAD_GONE] = TO(REMOVING, STOP),
        [SLOT_EV_SHUTDOWN] = TO(STOPPING, SHUTDOWN),
    },
    [SLOT_RESPAWNING] = {
        /* the respawn spawns from IDLE: SPAWNED then makes it RUNNING */
        [SLOT_EV_EXIT] = TO(IDLE, RESPAWN),
        [SLOT_EV_EXIT_CONFIG] = TO(IDLE, RESPAWN),
        [SLOT_EV_EXIT_ONCE] = TO(DONE, ONCE_EXIT),
        [SLOT_EV_KILL_DUE] = TO(RESPAWNING, KILL),
        /* changed again: the new deadline may be earlier */
        [SLOT_EV_RELOAD_CHANGED] = TO(RESPAWNING, STOP),
        [SLOT_EV_RELOAD_GONE] = TO(REMOVING, STOP),
        [SLOT_EV_SHUTDOWN] = TO(STOPPING, SHUTDOWN),
    },
    [SLOT_REMOVING] = {
        /* a reload cannot bring it back: a new slot is taken for the name */
        [SLOT_EV_EXIT] = TO(FREE, REMOVED),
        [SLOT_EV_EXIT_CONFIG] = TO(FREE, REMOVED),
        [SLOT_EV_EXIT_ONCE] = TO(FREE, REMOVED),
        [SLOT_EV_KILL_DUE] = TO(REMOVING, KILL),
        [SLOT_EV_SHUTDOWN] = TO(REMOVING, SHUTDOWN),
    },
    [SLOT_STOPPING] = {
        [SLOT_EV_EXIT] = TO(DONE, STOPPED),
        [SLOT_EV_EXIT_CONFIG] = TO(DONE, STOPPED),
        [SLOT_EV_EXIT_ONCE] = TO(DONE, STOPPED),
        [SLOT_EV_KILL_DUE] = TO(STOPPING, KILL),
    },
    [SLOT_WAIT_RELOAD] = {
        [SLOT_EV_RELOAD_SAME] = TO(IDLE, SPAWN),
        [SLOT_EV_RELOAD_CHANGED] = TO(IDLE, RESTART_NOW),
        [SLOT_EV_RELOAD_GONE] = TO(FREE, NONE),
        [SLOT_EV_SHUTDOWN] = TO(DONE, NONE),
    },
    [SLOT_DONE] = {{0, 0, 0}}, /* the end: nothing moves it */
};
// clang-format on

struct slot_step slot_next(enum slot_state st, enum slot_event ev)
{
    struct slot_step keep = {st, SLOT_ACT_NONE};

    if ((unsigned)st >= SLOT_NSTATES) {
        keep.next = SLOT_FREE;
        return keep;
    }
    if ((unsigned)ev >= SLOT_NEVENTS)
        return keep;
    const struct cell *c = &table[st][ev];
    if (!c->set)
        return keep;
    struct slot_step t = {(enum slot_state)c->next, (enum slot_action)c->act};
    return t;
}

#define NAME(prefix, x) [prefix##x] = #x

const char *slot_state_name(enum slot_state st)
{
    static const char *const names[SLOT_NSTATES] = {
        NAME(SLOT_, FREE),        NAME(SLOT_, IDLE),     NAME(SLOT_, RUNNING),
        NAME(SLOT_, RESPAWNING),  NAME(SLOT_, REMOVING), NAME(SLOT_, STOPPING),
        NAME(SLOT_, WAIT_RELOAD), NAME(SLOT_, DONE),
    };
    return (unsigned)st < SLOT_NSTATES && names[st] ? names[st] : "?";
}

const char *slot_event_name(enum slot_event ev)
{
    static const char *const names[SLOT_NEVENTS] = {
        NAME(SLOT_EV_, ADD),
        NAME(SLOT_EV_, DUE),
        NAME(SLOT_EV_, SPAWNED),
        NAME(SLOT_EV_, SPAWN_FAILED),
        NAME(SLOT_EV_, SPAWN_FAILED_ONCE),
        NAME(SLOT_EV_, EXIT),
        NAME(SLOT_EV_, EXIT_CONFIG),
        NAME(SLOT_EV_, EXIT_ONCE),
        NAME(SLOT_EV_, HANG),
        NAME(SLOT_EV_, KILL_DUE),
        NAME(SLOT_EV_, RELOAD_SAME),
        NAME(SLOT_EV_, RELOAD_CHANGED),
        NAME(SLOT_EV_, RELOAD_GONE),
        NAME(SLOT_EV_, SHUTDOWN),
    };
    return (unsigned)ev < SLOT_NEVENTS && names[ev] ? names[ev] : "?";
}

const char *slot_action_name(enum slot_action act)
{
    static const char *const names[SLOT_NACTIONS] = {
        NAME(SLOT_ACT_, NONE),      NAME(SLOT_ACT_, SPAWN),       NAME(SLOT_ACT_, RETRY),
        NAME(SLOT_ACT_, ONCE_FAIL), NAME(SLOT_ACT_, RESTART_NOW), NAME(SLOT_ACT_, RESTART_LATER),
        NAME(SLOT_ACT_, WAIT),      NAME(SLOT_ACT_, ONCE_EXIT),   NAME(SLOT_ACT_, RESPAWN),
        NAME(SLOT_ACT_, REMOVED),   NAME(SLOT_ACT_, STOPPED),     NAME(SLOT_ACT_, TERM_HANG),
        NAME(SLOT_ACT_, KILL),      NAME(SLOT_ACT_, STOP),        NAME(SLOT_ACT_, SHUTDOWN),
    };
    return (unsigned)act < SLOT_NACTIONS && names[act] ? names[act] : "?";
}
