/* The interrupt flag and its handler. */
#define _POSIX_C_SOURCE 200809L
#include "interrupt.h"

#include <string.h>

volatile sig_atomic_t attn_interrupted;

static void on_signal(int signal_number) {
    attn_interrupted = signal_number;
}

void attn_interrupt_install(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_signal;
    /* no SA_RESTART: a wait in poll() returns at once to look at the flag */
    action.sa_flags = (int)SA_RESETHAND;
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);
}
