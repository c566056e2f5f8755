/* Schedules as compact text (coop/strategy.h): one hex digit per choice, runs of zeros as "xN.". */
#ifndef COOP_SIM_SCHEDULE_H
#define COOP_SIM_SCHEDULE_H

#include <stddef.h>
#include <stdint.h>

/* Writes n choices (each below 16); returns the length the whole text needs, as snprintf. */
size_t sim_schedule_format(const uint8_t *v, size_t n, char *buf, size_t len);
/* Reads text into a malloc'd array (*out, *n); 0, or -1 when malformed or out of memory. */
int sim_schedule_parse(const char *text, uint8_t **out, size_t *n);

#endif
