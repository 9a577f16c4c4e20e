/*
 * fuzz_msg: libFuzzer target for the supervisor <-> collector frame decoder
 * (src/common/msg.c). Every input is one packet. What decodes must re-encode
 * to exactly the same bytes (the encoding is canonical: fixed fields, no
 * padding, the whole packet consumed) and decode again to the same message.
 * Whatever fails to decode must leave the output struct zeroed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t out[MSG_MAX_FRAME];

static int reencode(const struct msg *m)
{
    switch (m->type) {
    case MSG_CONFIG:
        return msg_encode_config(out, sizeof(out), &m->u.config);
    case MSG_CYCLE_BEGIN:
        return msg_encode_begin(out, sizeof(out), &m->u.begin);
    case MSG_WORKER:
        return msg_encode_worker(out, sizeof(out), &m->u.worker);
    case MSG_CYCLE_END:
        return msg_encode_end(out, sizeof(out), &m->u.end);
    case MSG_POD:
        return msg_encode_pod(out, sizeof(out), &m->u.pod);
    default:
        abort(); /* decode accepted a type it does not know */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct msg zero;
    struct msg m, again;
    int r, n;

    memset(&m, 0x5a, sizeof(m));
    r = msg_decode(data, size, &m);
    if (r != MSG_OK) {
        if (r > 0 || memcmp(&m, &zero, sizeof(m)) != 0)
            abort(); /* a failed decode must return < 0 and leave *ret zeroed */
        msg_clear(&m);
        return 0;
    }
    if (size > MSG_MAX_FRAME)
        abort();
    n = reencode(&m);
    if (n < 0 || (size_t)n != size || memcmp(out, data, size) != 0)
        abort(); /* not canonical: decode accepted what encode would not produce */
    if (msg_decode(out, (size_t)n, &again) != MSG_OK || again.type != m.type)
        abort();
    if (reencode(&again) != n || memcmp(out, data, size) != 0)
        abort();
    msg_clear(&again);
    msg_clear(&m);
    msg_clear(&m); /* clearing twice is safe */
    return 0;
}
