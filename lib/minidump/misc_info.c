/* MiscInfo stream (type 15): process id and times, CPU clock, time zone,
 * OS build strings.
 *
 * MINIDUMP_MISC_INFO grew in versions; SizeOfInfo says which fields exist
 * (Microsoft minidumpapiset.h):
 *   v1   24: SizeOfInfo, Flags1, ProcessId, ProcessCreateTime, ProcessUserTime,
 *            ProcessKernelTime (u32 each)
 *   v2   44: + ProcessorMaxMhz, ProcessorCurrentMhz, ProcessorMhzLimit,
 *            ProcessorMaxIdleState, ProcessorCurrentIdleState
 *   v3  232: + ProcessIntegrityLevel, ProcessExecuteFlags, ProtectedProcess,
 *            TimeZoneId, TIME_ZONE_INFORMATION (172 bytes)
 *   v4  832: + BuildString WCHAR[260], DbgBldStr WCHAR[40]
 *   v5 1364: + XSTATE_CONFIG_FEATURE_MSC_INFO (SizeOfInfo u32, ContextSize u32,
 *            EnabledFeatures u64, Features[64] {Offset u32, Size u32}), ProcessCookie
 * Larger sizes come from newer writers (1368 is seen in the wild): the known
 * prefix is read and the rest ignored. */
#include <string.h>

#include "minidump/internal.h"
#include "util/text.h"

enum {
    MISC_V1_SIZE = 24,
    MISC_V2_SIZE = 44,
    MISC_V3_SIZE = 232,
    MISC_V4_SIZE = 832,
    MISC_V5_SIZE = 1364,
    TZ_NAME_UNITS = 32,
    BUILD_STRING_UNITS = 260,
    DBG_BLD_STR_UNITS = 40,
    XSTATE_FEATURES = 64,
};

static int misc_version(uint32_t size)
{
    if (size >= MISC_V5_SIZE)
        return 5;
    if (size >= MISC_V4_SIZE)
        return 4;
    if (size >= MISC_V3_SIZE)
        return 3;
    if (size >= MISC_V2_SIZE)
        return 2;
    return 1;
}

/* A fixed WCHAR[units] field as UTF-8 (stops at the first NUL). */
static const char *read_wchar_array(dw_dump *dump, dw_reader *r, size_t units)
{
    const uint8_t *p = dw_reader_take(r, units * 2);
    if (!p)
        return "";
    const char *s = dw_utf16le_to_utf8(&dump->arena, p, units);
    return s ? s : "";
}

static dw_system_time read_system_time(dw_reader *r)
{
    dw_system_time t;
    t.year = dw_read_u16(r);
    t.month = dw_read_u16(r);
    t.day_of_week = dw_read_u16(r);
    t.day = dw_read_u16(r);
    t.hour = dw_read_u16(r);
    t.minute = dw_read_u16(r);
    t.second = dw_read_u16(r);
    t.milliseconds = dw_read_u16(r);
    return t;
}

/* TIME_ZONE_INFORMATION: Bias, StandardName[32], StandardDate, StandardBias,
 * DaylightName[32], DaylightDate, DaylightBias. */
static void read_time_zone(dw_dump *dump, dw_reader *r, dw_time_zone *tz)
{
    tz->bias = (int32_t)dw_read_u32(r);
    tz->standard_name = read_wchar_array(dump, r, TZ_NAME_UNITS);
    tz->standard_date = read_system_time(r);
    tz->standard_bias = (int32_t)dw_read_u32(r);
    tz->daylight_name = read_wchar_array(dump, r, TZ_NAME_UNITS);
    tz->daylight_date = read_system_time(r);
    tz->daylight_bias = (int32_t)dw_read_u32(r);
}

static void read_v2_fields(dw_reader *r, dw_misc_info *mi)
{
    mi->processor_max_mhz = dw_read_u32(r);
    mi->processor_current_mhz = dw_read_u32(r);
    mi->processor_mhz_limit = dw_read_u32(r);
    mi->processor_max_idle_state = dw_read_u32(r);
    mi->processor_current_idle_state = dw_read_u32(r);
}

static void read_v3_fields(dw_dump *dump, dw_reader *r, dw_misc_info *mi)
{
    mi->process_integrity_level = dw_read_u32(r);
    mi->process_execute_flags = dw_read_u32(r);
    mi->protected_process = dw_read_u32(r);
    mi->time_zone_id = dw_read_u32(r);
    read_time_zone(dump, r, &mi->time_zone);
}

static void read_v5_fields(dw_reader *r, dw_misc_info *mi)
{
    mi->xstate_size_of_info = dw_read_u32(r);
    mi->xstate_context_size = dw_read_u32(r);
    mi->xstate_enabled_features = dw_read_u64(r);
    dw_reader_skip(r, XSTATE_FEATURES * 8); /* Features[64]: not exposed */
    mi->process_cookie = dw_read_u32(r);
}

/* Which part of the stream to read: SizeOfInfo, unless the stream is
 * shorter (then that is damage and only what exists is read). */
static dw_status usable_size(dw_dump *dump, const dw_reader *r, uint32_t rva, uint32_t declared,
                             uint32_t *size)
{
    *size = declared;
    if (declared < MISC_V1_SIZE) {
        /* Some writers (LLDB's test dumps) leave SizeOfInfo 0; the stream size
         * then says how much there is. */
        *size = r->size > UINT32_MAX ? UINT32_MAX : (uint32_t)r->size;
        dw_damage(dump, DW_STREAM_MISC_INFO, rva, DW_ERR_DAMAGED,
                  "MiscInfo: SizeOfInfo %u is smaller than the 24-byte version 1 record; "
                  "using the stream size (%zu bytes) instead",
                  declared, r->size);
        if (*size < MISC_V1_SIZE)
            return DW_ERR_TRUNCATED;
        return DW_OK;
    }
    if (declared > r->size) {
        *size = (uint32_t)r->size;
        dw_damage(dump, DW_STREAM_MISC_INFO, rva, DW_ERR_TRUNCATED,
                  "MiscInfo: SizeOfInfo says %u bytes but the stream holds %zu; "
                  "fields past the end are missing",
                  declared, r->size);
        if (*size < MISC_V1_SIZE)
            return DW_ERR_TRUNCATED;
    }
    return DW_OK;
}

static dw_status parse_misc_info(dw_dump *dump)
{
    dw_reader r;
    uint32_t rva = 0;
    if (dw_find_stream(dump, DW_STREAM_MISC_INFO, &r, &rva) == DW_ERR_NOT_FOUND)
        return DW_ERR_NOT_FOUND;
    uint32_t declared;
    if (!dw_peek_u32(&r, 0, &declared))
        return dw_damage(dump, DW_STREAM_MISC_INFO, rva, DW_ERR_TRUNCATED,
                         "MiscInfo: stream of %zu bytes has no SizeOfInfo", r.size);
    uint32_t size;
    dw_status st = usable_size(dump, &r, rva, declared, &size);
    if (st != DW_OK)
        return st;
    r = dw_reader_sub_clamped(&r, 0, size);
    dw_misc_info *mi = &dump->misc_info;
    memset(mi, 0, sizeof *mi);
    mi->time_zone.standard_name = mi->time_zone.daylight_name = "";
    mi->build_string = mi->dbg_bld_str = "";
    mi->size_of_info = declared;
    mi->version = misc_version(size);
    dw_read_u32(&r); /* SizeOfInfo, read above */
    mi->flags1 = dw_read_u32(&r);
    mi->process_id = dw_read_u32(&r);
    mi->process_create_time = dw_read_u32(&r);
    mi->process_user_time = dw_read_u32(&r);
    mi->process_kernel_time = dw_read_u32(&r);
    if (mi->version >= 2)
        read_v2_fields(&r, mi);
    if (mi->version >= 3)
        read_v3_fields(dump, &r, mi);
    if (mi->version >= 4) {
        mi->build_string = read_wchar_array(dump, &r, BUILD_STRING_UNITS);
        mi->dbg_bld_str = read_wchar_array(dump, &r, DBG_BLD_STR_UNITS);
    }
    if (mi->version >= 5)
        read_v5_fields(&r, mi);
    return DW_OK;
}

dw_status dw_dump_misc_info(dw_dump *dump, const dw_misc_info **out)
{
    if (!dump || !out)
        return DW_ERR_INVALID_ARG;
    *out = NULL;
    dw_status st = dw_lazy_run(dump, &dump->misc_info_lazy, parse_misc_info);
    if (st == DW_OK)
        *out = &dump->misc_info;
    return st;
}
