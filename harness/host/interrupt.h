/* Ctrl-C and SIGTERM: a flag that long waits (workers, sweeps) poll, so an interrupted
 * command stops within a second and still writes what it finished. */
#ifndef ATTN_INTERRUPT_H
#define ATTN_INTERRUPT_H

#include <signal.h>

extern volatile sig_atomic_t attn_interrupted; /* the signal number, or 0 */

/* Installs the handler for SIGINT and SIGTERM (a second signal ends the process). */
void attn_interrupt_install(void);

#endif
