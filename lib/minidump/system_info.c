/* SystemInfo stream (type 7): which CPU and OS the dump was written on.
 *
 * MINIDUMP_SYSTEM_INFO (56 bytes, Microsoft minidumpapiset.h):
 *   0  ProcessorArchitecture u16   2  ProcessorLevel u16   4  ProcessorRevision u16
 *   6  NumberOfProcessors u8       7  ProductType u8
 *   8  MajorVersion u32  12 MinorVersion u32  16 BuildNumber u32  20 PlatformId u32
 *   24 CSDVersionRva u32 (MINIDUMP_STRING)    28 SuiteMask u16    30 Reserved2 u16
 *   32 CPU_INFORMATION (24 bytes): for x86/amd64 VendorId[3] u32 (12 chars),
 *      VersionInformation, FeatureInformation, AMDExtendedCpuFeatures (u32 each);
 *      for every other CPU ProcessorFeatures[2] u64.
 * Breakpad (minidump_format.h) extends PlatformId and ProcessorArchitecture
 * with values of its own (0x8xxx), named below. */
#include <string.h>

#include "minidump/backend.h"
#include "minidump/internal.h"

#define SYSTEM_INFO_SIZE 56
#define CPU_INFO_OFFSET 32

typedef struct code_name {
    uint32_t code;
    const char *name;
} code_name;

/* CPU names as Breakpad's processor prints them (minidump_processor.cc
 * GetCPUInfo); values are PROCESSOR_ARCHITECTURE_* and Breakpad's MD_CPU_*. */
static const code_name cpu_names[] = {
    {DW_CPU_X86, "x86"},
    {1, "mips"},
    {2, "alpha"},
    {3, "ppc"},
    {4, "shx"},
    {DW_CPU_ARM, "arm"},
    {DW_CPU_IA64, "ia64"},
    {7, "alpha64"},
    {8, "msil"},
    {DW_CPU_AMD64, "amd64"},
    {10, "x86"}, /* PROCESSOR_ARCHITECTURE_IA32_ON_WIN64 */
    {DW_CPU_ARM64, "arm64"},
    {0x8001, "sparc"},
    {0x8002, "ppc64"},
    {DW_CPU_ARM64_OLD, "arm64"},
    {0x8004, "mips64"},
    {0x8005, "riscv"},
    {0x8006, "riscv64"},
};

/* OS names as Breakpad prints them (GetOSInfo); VER_PLATFORM_* values and
 * Breakpad's MD_OS_* extensions. */
static const code_name os_names[] = {
    {1, "Windows"},
    {DW_PLATFORM_WIN32_NT, "Windows NT"},
    {DW_PLATFORM_MAC_OS_X, "Mac OS X"},
    {DW_PLATFORM_IOS, "iOS"},
    {DW_PLATFORM_LINUX, "Linux"},
    {DW_PLATFORM_SOLARIS, "Solaris"},
    {DW_PLATFORM_ANDROID, "Android"},
    {DW_PLATFORM_PS3, "PS3"},
    {DW_PLATFORM_NACL, "NaCl"},
    {DW_PLATFORM_FUCHSIA, "Fuchsia"},
};

static const char *lookup(const code_name *table, size_t n, uint32_t code)
{
    for (size_t i = 0; i < n; i++) {
        if (table[i].code == code)
            return table[i].name;
    }
    return NULL;
}

/* A CPUID vendor string is 12 printable ASCII characters ("GenuineIntel",
 * "AuthenticAMD"). */
static int is_vendor_string(const uint8_t *p)
{
    for (int i = 0; i < 12; i++) {
        if (p[i] < 0x20 || p[i] > 0x7e)
            return 0;
    }
    return 1;
}

static void read_x86_cpu_info(dw_reader r, dw_system_info *si)
{
    const uint8_t *vendor = dw_reader_take(&r, 12);
    if (vendor && is_vendor_string(vendor)) {
        memcpy(si->vendor_id, vendor, 12);
        si->vendor_id[12] = '\0';
    }
    si->version_information = dw_read_u32(&r);
    si->feature_information = dw_read_u32(&r);
    si->amd_extended_cpu_features = dw_read_u32(&r);
}

static void read_other_cpu_info(dw_reader r, dw_system_info *si)
{
    si->processor_features[0] = dw_read_u64(&r);
    si->processor_features[1] = dw_read_u64(&r);
}

/* CPU_INFORMATION is a union.  Microsoft documents X86CpuInfo for x86 only,
 * and Windows fills ProcessorFeatures on amd64, but Breakpad's Linux and macOS
 * writers put the CPUID vendor there on amd64 too; so amd64 gets both views,
 * with the vendor kept only when it reads as one. */
static void read_cpu_information(dw_reader cpu, dw_system_info *si)
{
    uint16_t arch = si->processor_architecture;
    if (arch == DW_CPU_X86 || arch == 10 /* IA32 on Win64 */) {
        read_x86_cpu_info(cpu, si);
    } else if (arch == DW_CPU_AMD64) {
        read_x86_cpu_info(cpu, si);
        read_other_cpu_info(cpu, si);
    } else {
        read_other_cpu_info(cpu, si);
    }
}

static const char *name_or_hex(dw_dump *dump, const code_name *table, size_t n, uint32_t code,
                               const char *hex_fmt)
{
    const char *name = lookup(table, n, code);
    if (name)
        return name;
    /* Unknown values are shown numerically, as Breakpad does. */
    const char *hex = dw_arena_printf(&dump->arena, hex_fmt, code);
    return hex ? hex : "unknown";
}

/* The CSD string is optional: RVA 0 means "none".  An RVA that points
 * nowhere readable is damage, but the rest of the stream stays usable. */
static void read_csd_version(dw_dump *dump, uint32_t stream_rva, uint32_t csd_rva,
                             dw_system_info *si)
{
    si->csd_version = "";
    if (csd_rva == 0)
        return;
    const char *csd = dw_read_md_string(dump, csd_rva);
    if (csd) {
        si->csd_version = csd;
        return;
    }
    dw_damage(dump, DW_STREAM_SYSTEM_INFO, stream_rva + 24, DW_ERR_DAMAGED,
              "SystemInfo: CSDVersion string at offset 0x%x cannot be read; "
              "service-pack/kernel text is unknown",
              csd_rva);
}

static dw_status parse_system_info(dw_dump *dump)
{
    if (dump->backend) /* filled at open (backend.h) */
        return dump->backend_status->system_info;
    dw_reader r;
    uint32_t rva = 0;
    dw_status st =
        dw_find_record_stream(dump, DW_STREAM_SYSTEM_INFO, SYSTEM_INFO_SIZE, "MINIDUMP_SYSTEM_INFO",
                              "; CPU and OS are unknown", &r, &rva);
    if (st != DW_OK)
        return st;
    dw_system_info *si = &dump->system_info;
    memset(si, 0, sizeof *si);
    si->processor_architecture = dw_read_u16(&r);
    si->processor_level = dw_read_u16(&r);
    si->processor_revision = dw_read_u16(&r);
    si->number_of_processors = dw_read_u8(&r);
    si->product_type = dw_read_u8(&r);
    si->major_version = dw_read_u32(&r);
    si->minor_version = dw_read_u32(&r);
    si->build_number = dw_read_u32(&r);
    si->platform_id = dw_read_u32(&r);
    uint32_t csd_rva = dw_read_u32(&r);
    si->suite_mask = dw_read_u16(&r);
    dw_read_u16(&r); /* Reserved2 */
    read_cpu_information(dw_reader_sub_clamped(&r, CPU_INFO_OFFSET, 24), si);
    si->cpu_name = name_or_hex(dump, cpu_names, sizeof cpu_names / sizeof cpu_names[0],
                               si->processor_architecture, "0x%04x");
    si->os_name = name_or_hex(dump, os_names, sizeof os_names / sizeof os_names[0], si->platform_id,
                              "0x%08x");
    read_csd_version(dump, rva, csd_rva, si);
    return DW_OK;
}

dw_status dw_dump_system_info(dw_dump *dump, const dw_system_info **out)
{
    if (!dump || !out)
        return DW_ERR_INVALID_ARG;
    *out = NULL;
    dw_status st = dw_lazy_run(dump, &dump->system_info_lazy, parse_system_info);
    if (st == DW_OK)
        *out = &dump->system_info;
    return st;
}
