/* Schedules as compact text (coop/strategy.h): one hex digit per choice, runs of zeros as "xN.". */
#ifndef COOP_SIM_SCHEDULE_H
#define COOP_SIM_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Writes n choices (each below 16); returns the length the whole text needs, as snprintf. */
size_t sim_schedule_format(const uint8_t *v, size_t n, char *buf, size_t len);
/* Reads text into a malloc'd array (*out, *n); 0, or -1 when malformed or out of memory. */
int sim_schedule_parse(const char *text, uint8_t **out, size_t *n);

/*
 * A schedule with fault decisions: the tie choices, then, when any fault
 * decision was taken (nf > 0), "/" and the decisions (1: the fault
 * fired) in the same compact form.  Returns the length, as snprintf.
 */
size_t sim_schedule_format_full(const uint8_t *ties, size_t nt, const uint8_t *faults, size_t nf, char *buf,
                                size_t len);
/*
 * Reads either form: *has_faults tells whether the text has a fault part
 * (each decision 0 or 1); without one *faults is NULL and *nf 0.
 */
int sim_schedule_parse_full(const char *text, uint8_t **ties, size_t *nt, uint8_t **faults, size_t *nf,
                            bool *has_faults);

#endif
