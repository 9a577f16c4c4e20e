/*
 * wcount: the descriptor table of a worker's counters (see wcount.h).
 */
#include "wcount.h"

const struct wcount_desc wcount_desc[WCOUNT_N] = {
#define WCOUNT_DESC(idx, col, fam, hlp) [WC_##idx] = {.column = col, .family = fam, .help = hlp},
    WCOUNT_TABLE(WCOUNT_DESC)
#undef WCOUNT_DESC
};
