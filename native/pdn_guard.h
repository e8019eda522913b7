/* Internal: the per-thread guard used by pdn_calls.c. */
#ifndef PDN_GUARD_H
#define PDN_GUARD_H
#include <setjmp.h>
#include "pdn_native.h"

typedef struct pdn_guard {
    jmp_buf env;
    int exit_status;
    struct pdn_guard *previous;
} pdn_guard;

extern __thread pdn_guard *pdn_active_guard;

/* Inside a function returning int: runs BODY with the guard active, returns the status.
 * Locals changed inside BODY and read after a failure must be volatile. */
#define PDN_GUARDED(BODY)                                   \
    do {                                                    \
        pdn_guard guard_;                                   \
        guard_.exit_status = 0;                             \
        guard_.previous = pdn_active_guard;                 \
        pdn_clear_message();                                \
        pdn_apply_threads();                                \
        int status_ = setjmp(guard_.env);                   \
        if (status_ == 0) {                                 \
            pdn_active_guard = &guard_;                     \
            BODY;                                           \
        }                                                   \
        pdn_active_guard = guard_.previous;                 \
        return status_;                                     \
    } while (0)

#endif
