/*
 * slot: the life of one collector slot as a pure transition function (no
 * I/O, no clock, no globals). The supervisor's loop names what happened to a
 * slot (enum slot_event); slot_next() gives the state it moves to and the one
 * action the loop performs (enum slot_action). Every (state, event) pair has
 * an answer; a pair that cannot happen keeps the state and does nothing.
 *
 * The table in slot.c reads row by row: one state, what each event does to it.
 */
#ifndef TBE_SLOT_H
#define TBE_SLOT_H

enum slot_state {
    SLOT_FREE = 0,    /* unused */
    SLOT_IDLE,        /* no process: one starts at its restart time */
    SLOT_RUNNING,     /* a process, restarted with backoff when it dies */
    SLOT_RESPAWNING,  /* a process told to stop: started again at once (new configuration) */
    SLOT_REMOVING,    /* a process told to stop: the slot is freed (no longer configured) */
    SLOT_STOPPING,    /* a process told to stop: the supervisor is shutting down */
    SLOT_WAIT_RELOAD, /* exited with EXIT_CONFIG: nothing until a reload */
    SLOT_DONE,        /* --once finished, or shutdown: the end */
    SLOT_NSTATES
};

enum slot_event {
    SLOT_EV_ADD = 0,           /* configured: a free slot is taken */
    SLOT_EV_DUE,               /* the restart time came (not while shutting down) */
    SLOT_EV_SPAWNED,           /* the spawn action started a process */
    SLOT_EV_SPAWN_FAILED,      /* the spawn action failed; a later one may work */
    SLOT_EV_SPAWN_FAILED_ONCE, /* the spawn action failed with --once */
    SLOT_EV_EXIT,              /* its process was reaped */
    SLOT_EV_EXIT_CONFIG,       /* reaped with EXIT_CONFIG, not killed by the supervisor */
    SLOT_EV_EXIT_ONCE,         /* reaped with --once (no restart) */
    SLOT_EV_HANG,              /* no CYCLE_END within the watchdog limit */
    SLOT_EV_KILL_DUE,          /* the deadline to SIGKILL it passed */
    SLOT_EV_RELOAD_SAME,       /* reload: still configured, unchanged */
    SLOT_EV_RELOAD_CHANGED,    /* reload: its configuration (or the program) changed */
    SLOT_EV_RELOAD_GONE,       /* reload: no longer configured */
    SLOT_EV_SHUTDOWN,          /* SIGTERM/SIGINT: the supervisor begins to stop */
    SLOT_NEVENTS
};

enum slot_action {
    SLOT_ACT_NONE = 0,
    SLOT_ACT_SPAWN,         /* start a process now (reports SPAWNED or SPAWN_FAILED*) */
    SLOT_ACT_RETRY,         /* spawn failed: next try after a backoff delay */
    SLOT_ACT_ONCE_FAIL,     /* spawn failed with --once: record the failure */
    SLOT_ACT_RESTART_NOW,   /* reset the backoff; start at the next deadline pass */
    SLOT_ACT_RESTART_LATER, /* it died: restart after a backoff delay */
    SLOT_ACT_WAIT,          /* configuration error: wait for a reload */
    SLOT_ACT_ONCE_EXIT,     /* --once: record how the run ended */
    SLOT_ACT_RESPAWN,       /* stopped for its new configuration: reset the backoff, spawn */
    SLOT_ACT_REMOVED,       /* stopped for good: the slot is free */
    SLOT_ACT_STOPPED,       /* stopped by the shutdown */
    SLOT_ACT_TERM_HANG,     /* SIGTERM now, SIGKILL at a deadline; count the hang */
    SLOT_ACT_KILL,          /* SIGKILL */
    SLOT_ACT_STOP,          /* drop its cycle and channel, SIGTERM now, SIGKILL at a deadline */
    SLOT_ACT_SHUTDOWN,      /* drop its cycle and channel, SIGTERM (the shutdown's deadline) */
    SLOT_NACTIONS
};

struct slot_step {
    enum slot_state next;
    enum slot_action act;
};

/*
 * The state after ev in st, and the action to perform. Out-of-range
 * arguments keep st (or SLOT_FREE) and do nothing.
 */
struct slot_step slot_next(enum slot_state st, enum slot_event ev);

/* Names for logs and tests ("RUNNING", "EXIT", "SPAWN"); "?" when out of range. */
const char *slot_state_name(enum slot_state st);
const char *slot_event_name(enum slot_event ev);
const char *slot_action_name(enum slot_action act);

#endif
