/* Formatting helpers shared by the reports. */
#ifndef DW_REPORT_COMMON_H
#define DW_REPORT_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dumpwalk/modules.h"
#include "dumpwalk/system.h"
#include "report/json.h"

/* "GenuineIntel family 6 model 13 stepping 8" (Breakpad's wording). */
const char *dw_report_cpu_description(const dw_system_info *si, char *buf, size_t size);
/* "10.0.19045" or "5.1.2600 Service Pack 2". */
const char *dw_report_os_version(const dw_system_info *si, char *buf, size_t size);
/* ISO 8601 UTC time of a time_t-style stamp. */
const char *dw_report_time(uint32_t t, char *buf, size_t size);
/* A module's file version "5.1.2600.2180", or NULL when it has none. */
const char *dw_report_module_version(const dw_module *m, char *buf, size_t size);
/* The "Operating system: ... CPU: ..." block of the text reports. */
void dw_report_text_system(dw_dump *dump, FILE *out);
/* "Health: ok" or the list of problems (text); the "health" member (JSON). */
void dw_report_text_health(FILE *out, dw_dump *dump);
void dw_report_json_health(dw_json *j, dw_dump *dump);

#endif
