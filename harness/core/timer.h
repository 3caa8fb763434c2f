/* The clock used for every timing: CLOCK_MONOTONIC, in seconds. */
#ifndef ATTN_TIMER_H
#define ATTN_TIMER_H

double attn_now_seconds(void);

#endif
