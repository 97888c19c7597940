/* System service numbers per Windows build.
 *
 * Source: Mateusz "j00ru" Jurczyk's Windows system call tables,
 * github.com/j00ru/windows-syscalls, x64/csv/nt.csv at commit f84a0252
 * (columns "Windows 7 (SP0)" .. "Windows 11 and Server (Server 23H2)").
 * Each number below was transcribed from that table; builds it does not
 * list (e.g. Windows 11 24H2, 26100) are absent, so lookups for them fail
 * instead of guessing.
 */
#include "analysis/ssn_table.h"

#include <string.h>

#define NA 0xffff /* the service does not exist on that build */

/* The table's columns, as OS build numbers (SystemInfo BuildNumber). */
static const uint32_t x64_builds[] = {
    7600,  /* Windows 7 */
    7601,  /* Windows 7 SP1 */
    9200,  /* Windows 8 */
    9600,  /* Windows 8.1 */
    10240, /* Windows 10 1507 */
    10586, /* 1511 */
    14393, /* 1607 */
    15063, /* 1703 */
    16299, /* 1709 */
    17134, /* 1803 */
    17763, /* 1809 */
    18362, /* 1903 */
    18363, /* 1909 */
    19041, /* 2004 */
    19042, /* 20H2 */
    19043, /* 21H1 */
    19044, /* 21H2 */
    19045, /* 22H2 */
    20348, /* Server 2022 */
    22000, /* Windows 11 21H2 */
    22621, /* Windows 11 22H2 */
    22631, /* Windows 11 23H2 */
    25398, /* Server 23H2 */
};
#define X64_BUILD_COUNT (sizeof x64_builds / sizeof x64_builds[0])

typedef struct ssn_row {
    const char *name;
    uint16_t ssn[X64_BUILD_COUNT];
} ssn_row;

static const ssn_row x64_nt[] = {
    {"NtCallbackReturn", {0x002, 0x002, 0x003, 0x004, 0x005, 0x005, 0x005, 0x005, 0x005, 0x005,
                          0x005, 0x005, 0x005, 0x005, 0x005, 0x005, 0x005, 0x005, 0x005, 0x005,
                          0x005, 0x005, 0x005}},
    {"NtWaitForSingleObject", {0x001, 0x001, 0x002, 0x003, 0x004, 0x004, 0x004, 0x004, 0x004,
                               0x004, 0x004, 0x004, 0x004, 0x004, 0x004, 0x004, 0x004, 0x004,
                               0x004, 0x004, 0x004, 0x004, 0x004}},
    {"NtWaitForMultipleObjects", {0x058, 0x058, 0x059, 0x05a, 0x05b, 0x05b, 0x05b, 0x05b, 0x05b,
                                  0x05b, 0x05b, 0x05b, 0x05b, 0x05b, 0x05b, 0x05b, 0x05b, 0x05b,
                                  0x05b, 0x05b, 0x05b, 0x05b, 0x05b}},
    {"NtWaitForMultipleObjects32", {0x017, 0x017, 0x018, 0x019, 0x01a, 0x01a, 0x01a, 0x01a,
                                    0x01a, 0x01a, 0x01a, 0x01a, 0x01a, 0x01a, 0x01a, 0x01a,
                                    0x01a, 0x01a, 0x01a, 0x01a, 0x01a, 0x01a, 0x01a}},
    {"NtDelayExecution", {0x031, 0x031, 0x032, 0x033, 0x034, 0x034, 0x034, 0x034, 0x034, 0x034,
                          0x034, 0x034, 0x034, 0x034, 0x034, 0x034, 0x034, 0x034, 0x034, 0x034,
                          0x034, 0x034, 0x034}},
    {"NtSignalAndWaitForSingleObject", {0x176, 0x176, 0x18d, 0x192, 0x19a, 0x19d, 0x1a3, 0x1a9,
                                        0x1ac, 0x1ae, 0x1af, 0x1b0, 0x1b0, 0x1b6, 0x1b6, 0x1b6,
                                        0x1b8, 0x1b8, 0x1be, 0x1c1, 0x1c5, 0x1c5, 0x1c7}},
    {"NtWaitForAlertByThreadId", {NA, NA, 0x1a6, 0x1ab, 0x1b3, 0x1b6, 0x1bc, 0x1c2, 0x1c6,
                                  0x1c8, 0x1c9, 0x1ca, 0x1ca, 0x1d0, 0x1d0, 0x1d0, 0x1d2, 0x1d2,
                                  0x1d8, 0x1dc, 0x1e0, 0x1e0, 0x1e2}},
    {"NtWaitForKeyedEvent", {0x18c, 0x18c, 0x1a8, 0x1ad, 0x1b5, 0x1b8, 0x1be, 0x1c4, 0x1c8,
                             0x1ca, 0x1cb, 0x1cc, 0x1cc, 0x1d2, 0x1d2, 0x1d2, 0x1d4, 0x1d4,
                             0x1da, 0x1de, 0x1e2, 0x1e2, 0x1e4}},
    {"NtWaitForWorkViaWorkerFactory", {0x18d, 0x18d, 0x1aa, 0x1ae, 0x1b6, 0x1b9, 0x1bf, 0x1c5,
                                       0x1c9, 0x1cb, 0x1cc, 0x1cd, 0x1cd, 0x1d3, 0x1d3, 0x1d3,
                                       0x1d5, 0x1d5, 0x1db, 0x1df, 0x1e3, 0x1e3, 0x1e5}},
    {"NtAlpcSendWaitReceivePort", {0x082, 0x082, 0x087, 0x087, 0x088, 0x088, 0x088, 0x089,
                                   0x089, 0x08a, 0x08a, 0x08a, 0x08a, 0x08c, 0x08c, 0x08c, 0x08c,
                                   0x08c, 0x08c, 0x08c, 0x08c, 0x08c, 0x08d}},
    {"NtReplyWaitReceivePort", {0x008, 0x008, 0x009, 0x00a, 0x00b, 0x00b, 0x00b, 0x00b, 0x00b,
                                0x00b, 0x00b, 0x00b, 0x00b, 0x00b, 0x00b, 0x00b, 0x00b, 0x00b,
                                0x00b, 0x00b, 0x00b, 0x00b, 0x00b}},
    {"NtReplyWaitReceivePortEx", {0x028, 0x028, 0x029, 0x02a, 0x02b, 0x02b, 0x02b, 0x02b, 0x02b,
                                  0x02b, 0x02b, 0x02b, 0x02b, 0x02b, 0x02b, 0x02b, 0x02b, 0x02b,
                                  0x02b, 0x02b, 0x02b, 0x02b, 0x02b}},
    {"NtRequestWaitReplyPort", {0x01f, 0x01f, 0x020, 0x021, 0x022, 0x022, 0x022, 0x022, 0x022,
                                0x022, 0x022, 0x022, 0x022, 0x022, 0x022, 0x022, 0x022, 0x022,
                                0x022, 0x022, 0x022, 0x022, 0x022}},
    {"NtDeviceIoControlFile", {0x004, 0x004, 0x005, 0x006, 0x007, 0x007, 0x007, 0x007, 0x007,
                               0x007, 0x007, 0x007, 0x007, 0x007, 0x007, 0x007, 0x007, 0x007,
                               0x007, 0x007, 0x007, 0x007, 0x007}},
    {"NtFsControlFile", {0x036, 0x036, 0x037, 0x038, 0x039, 0x039, 0x039, 0x039, 0x039, 0x039,
                         0x039, 0x039, 0x039, 0x039, 0x039, 0x039, 0x039, 0x039, 0x039, 0x039,
                         0x039, 0x039, 0x039}},
};

typedef struct ssn_table {
    int bits;
    const uint32_t *builds;
    size_t build_count;
    const ssn_row *rows;
    size_t row_count;
} ssn_table;

static const ssn_table tables[] = {
    {64, x64_builds, X64_BUILD_COUNT, x64_nt, sizeof x64_nt / sizeof x64_nt[0]},
};

/* The table and column for (bits, build), or NULL. */
static const ssn_table *find_column(int bits, uint32_t build, size_t *column)
{
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++) {
        if (tables[t].bits != bits)
            continue;
        for (size_t c = 0; c < tables[t].build_count; c++)
            if (tables[t].builds[c] == build) {
                *column = c;
                return &tables[t];
            }
    }
    return NULL;
}

int dw_ssn_build_covered(int bits, uint32_t build)
{
    size_t column;
    return find_column(bits, build, &column) != NULL;
}

const char *dw_ssn_name(int bits, uint32_t build, uint32_t ssn)
{
    size_t column;
    const ssn_table *t = find_column(bits, build, &column);
    if (!t || ssn >= NA)
        return NULL;
    for (size_t r = 0; r < t->row_count; r++)
        if (t->rows[r].ssn[column] == ssn)
            return t->rows[r].name;
    return NULL;
}

int dw_ssn_lookup(int bits, uint32_t build, const char *name, uint32_t *ssn)
{
    size_t column;
    const ssn_table *t = find_column(bits, build, &column);
    if (!t || !name)
        return 0;
    for (size_t r = 0; r < t->row_count; r++)
        if (strcmp(t->rows[r].name, name) == 0 && t->rows[r].ssn[column] != NA) {
            *ssn = t->rows[r].ssn[column];
            return 1;
        }
    return 0;
}

int dw_ssn_callback_return(int bits, uint32_t build, uint32_t *ssn)
{
    return dw_ssn_lookup(bits, build, "NtCallbackReturn", ssn);
}
