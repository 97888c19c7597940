/* Test PE images, stacks and process memory: see pe_builder.h. */
#include "pe_builder.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dumpwalk/threads.h"

static void die(const char *what)
{
    fprintf(stderr, "pe_builder: %s\n", what);
    abort();
}

const pe_layout pe_layout_small = {
    .size_of_image = PE_SMALL_SIZE,
    .time_date_stamp = PE_SMALL_TS,
    .export_rva = 0x2000,
    .pdata_rva = 0x2800,
    .unwind_rva = 0x2c00,
    .section_count = 1,
    .sections = {{".text", 0x1000, PE_SMALL_SIZE - 0x1000, 0xe0000020u}},
};

/* ---- images ---------------------------------------------------------------- */

static void touch(pe_image *p, uint32_t rva, size_t n)
{
    if (n == 0)
        return;
    if (rva > p->size || n > p->size - rva)
        die("write outside the image");
    for (uint32_t g = rva / PE_GRANULE; g <= (rva + n - 1) / PE_GRANULE; g++)
        p->touched[g] = 1;
}

void pe_put_bytes(pe_image *p, uint32_t rva, const void *b, size_t n)
{
    touch(p, rva, n);
    memcpy(p->img + rva, b, n);
}

void pe_put16(pe_image *p, uint32_t rva, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    pe_put_bytes(p, rva, b, 2);
}

void pe_put32(pe_image *p, uint32_t rva, uint32_t v)
{
    pe_put16(p, rva, (uint16_t)v);
    pe_put16(p, rva + 2, (uint16_t)(v >> 16));
}

void pe_put64(pe_image *p, uint32_t rva, uint64_t v)
{
    pe_put32(p, rva, (uint32_t)v);
    pe_put32(p, rva + 4, (uint32_t)(v >> 32));
}

/* IMAGE_OPTIONAL_HEADER DataDirectory[index]: after 112 (PE32+) or 96 bytes. */
static void dir_set(pe_image *p, unsigned index, uint32_t rva, uint32_t size)
{
    uint32_t dirs = p->opt + (p->pe64 ? 112 : 96);
    pe_put32(p, dirs + 8 * index, rva);
    pe_put32(p, dirs + 8 * index + 4, size);
}

/* IMAGE_SECTION_HEADER (40 bytes): raw offset = RVA, raw size = virtual size. */
static void section_header(pe_image *p, uint32_t at, const pe_section_spec *s)
{
    char name[8] = {0};
    size_t len = strlen(s->name);
    memcpy(name, s->name, len < 8 ? len : 8);
    pe_put_bytes(p, at, name, 8);
    pe_put32(p, at + 8, s->size);
    pe_put32(p, at + 12, s->rva);
    pe_put32(p, at + 16, s->size);
    pe_put32(p, at + 20, s->rva);
    pe_put32(p, at + 36, s->characteristics);
}

/* The first section is code: int3 filler up to the tables that share it. */
static void fill_code(pe_image *p)
{
    const pe_section_spec *s = &p->layout.sections[0];
    uint32_t end = s->rva + s->size;
    const uint32_t tables[3] = {p->layout.export_rva, p->layout.pdata_rva, p->layout.unwind_rva};
    for (int i = 0; i < 3; i++)
        if (tables[i] > s->rva && tables[i] < end)
            end = tables[i];
    memset(p->img + s->rva, 0xcc, end - s->rva);
}

static void file_header(pe_image *p)
{
    PE_CODE(p, 0, "MZ");
    pe_put32(p, 0x3c, p->nt);
    PE_CODE(p, p->nt, "PE\0\0");
    pe_put16(p, p->nt + 4, p->pe64 ? 0x8664 : 0x14c);
    pe_put16(p, p->nt + 6, (uint16_t)p->layout.section_count);
    pe_put32(p, p->nt + 8, p->layout.time_date_stamp);
    pe_put16(p, p->nt + 20, p->pe64 ? 0xf0 : 0xe0);
    /* EXECUTABLE_IMAGE | LARGE_ADDRESS_AWARE, and DLL for libraries. */
    pe_put16(p, p->nt + 22, p->layout.exe ? 0x22 : 0x2022);
}

static void optional_header(pe_image *p)
{
    pe_put16(p, p->opt, p->pe64 ? 0x20b : 0x10b);
    pe_put32(p, p->opt + 16, p->layout.entry_rva);
    if (p->pe64)
        pe_put64(p, p->opt + 24, p->base);
    else
        pe_put32(p, p->opt + 28, (uint32_t)p->base);
    pe_put32(p, p->opt + 32, 0x1000);
    pe_put32(p, p->opt + 36, 0x200);
    pe_put32(p, p->opt + 56, p->layout.size_of_image);
    pe_put32(p, p->opt + 60, 0x400);
    pe_put32(p, p->opt + (p->pe64 ? 108 : 92), 16);
}

void pe_init(pe_image *p, int pe64, uint64_t base, const pe_layout *layout)
{
    memset(p, 0, sizeof *p);
    p->layout = layout ? *layout : pe_layout_small;
    if (p->layout.section_count == 0 || p->layout.section_count > PE_MAX_SECTIONS)
        die("bad section count");
    for (uint32_t i = 0; i < p->layout.section_count; i++) {
        const pe_section_spec *sec = &p->layout.sections[i];
        if (sec->rva > p->layout.size_of_image || sec->size > p->layout.size_of_image - sec->rva)
            die("section beyond SizeOfImage");
    }
    p->size = p->layout.size_of_image;
    p->img = calloc(p->size, 1);
    p->touched = calloc(p->size / PE_GRANULE + 1, 1);
    if (!p->img || !p->touched)
        die("out of memory");
    p->pe64 = pe64;
    p->base = base;
    p->nt = 0x80;
    p->opt = p->nt + 24;
    file_header(p);
    optional_header(p);
    uint32_t sect = p->opt + (pe64 ? 0xf0 : 0xe0);
    for (uint32_t i = 0; i < p->layout.section_count; i++)
        section_header(p, sect + 40 * i, &p->layout.sections[i]);
    fill_code(p);
}

void pe_free(pe_image *p)
{
    free(p->img);
    free(p->touched);
    p->img = NULL;
    p->touched = NULL;
}

/* IMAGE_EXPORT_DIRECTORY (40 bytes), then AddressOfFunctions, AddressOfNames,
 * AddressOfNameOrdinals and the strings: the DLL name, then each name. */
void pe_exports(pe_image *p, const char *dll, const pe_export *ex, uint32_t n)
{
    uint32_t dir = p->layout.export_rva;
    if (!dir)
        die("layout has no export directory");
    uint32_t funcs = dir + 0x40, names = funcs + 4 * n, ords = names + 4 * n;
    uint32_t str = ords + 2 * n + 2;
    pe_put32(p, dir + 12, str);
    pe_put_bytes(p, str, dll, strlen(dll) + 1);
    str += (uint32_t)strlen(dll) + 1;
    pe_put32(p, dir + 16, 1);
    pe_put32(p, dir + 20, n);
    pe_put32(p, dir + 24, n);
    pe_put32(p, dir + 28, funcs);
    pe_put32(p, dir + 32, names);
    pe_put32(p, dir + 36, ords);
    for (uint32_t i = 0; i < n; i++) {
        if (i > 0 && strcmp(ex[i - 1].name, ex[i].name) >= 0)
            die("export names out of order");
        pe_put32(p, funcs + 4 * i, ex[i].rva);
        pe_put32(p, names + 4 * i, str);
        pe_put16(p, ords + 2 * i, (uint16_t)i);
        pe_put_bytes(p, str, ex[i].name, strlen(ex[i].name) + 1);
        str += (uint32_t)strlen(ex[i].name) + 1;
    }
    dir_set(p, 0, dir, str - dir);
}

/* The RUNTIME_FUNCTION table (12 bytes each) must be sorted by BeginAddress. */
static void write_pdata_table(pe_image *p)
{
    for (uint32_t i = 0; i < p->npdata; i++)
        for (int k = 0; k < 3; k++)
            pe_put32(p, p->layout.pdata_rva + 12 * i + 4 * (uint32_t)k, p->pdata[i][k]);
    dir_set(p, 3, p->layout.pdata_rva, 12 * p->npdata);
}

void pe_pdata(pe_image *p, uint32_t begin, uint32_t end, const void *unwind, size_t len)
{
    if (!p->layout.pdata_rva || p->npdata == PE_MAX_PDATA || len > PE_UNWIND_SLOT)
        die("pdata: no room");
    uint32_t ui = p->layout.unwind_rva + PE_UNWIND_SLOT * p->npdata;
    pe_put_bytes(p, ui, unwind, len);
    uint32_t i = p->npdata++;
    for (; i > 0 && p->pdata[i - 1][0] > begin; i--)
        memcpy(p->pdata[i], p->pdata[i - 1], sizeof p->pdata[i]);
    p->pdata[i][0] = begin;
    p->pdata[i][1] = end;
    p->pdata[i][2] = ui;
    write_pdata_table(p);
}

/* UNWIND_CODE: {CodeOffset, UnwindOp | OpInfo << 4}; codes are listed from
 * the end of the prologue backwards.  UWOP_PUSH_NONVOL = 0 (rbx = 3),
 * UWOP_ALLOC_SMALL = 2 (OpInfo = size / 8 - 1). */
size_t pe_unwind_frame(uint8_t out[PE_UNWIND_SLOT], uint8_t push_end, uint8_t alloc_end,
                       uint32_t alloc)
{
    if (alloc < 8 || alloc > 0x80 || alloc % 8)
        die("pe_unwind_frame: alloc must be 8..0x80 in steps of 8");
    size_t n = 4;
    out[0] = 0x01;
    out[1] = alloc_end;
    out[3] = 0;
    out[n++] = alloc_end;
    out[n++] = (uint8_t)(0x02 | (alloc / 8 - 1) << 4);
    if (push_end) {
        out[n++] = push_end;
        out[n++] = 0x30;
    }
    out[2] = (uint8_t)((n - 4) / 2);
    return n;
}

const uint8_t pe_unwind_alloc28[6] = {0x01, 0x04, 0x01, 0x00, 0x04, 0x42};
const uint8_t pe_unwind_dispatcher[8] = {0x01, 0x00, 0x02, 0x00, 0x00, 0x52, 0x00, 0x0a};

/* The displacement wraps for a target beyond rel32 range (the scenario
 * tests' app -> DLL calls): their walks use only the return address and
 * the frame, never the call's target. */
void pe_caller(pe_image *p, uint32_t rva, uint64_t target)
{
    pe_asm a = pe_asm_at(p, rva);
    ASM(&a, "\x48\x83\xec\x28\xe8");
    pe_put32(p, a.at, (uint32_t)(target - (p->base + a.at + 4)));
    a.at += 4;
    ASM(&a, "\x48\x83\xc4\x28\xc3");
    pe_pdata(p, rva, rva + 0x20, pe_unwind_alloc28, sizeof pe_unwind_alloc28);
}

void pe_stub64(pe_image *p, uint32_t rva, uint32_t ssn)
{
    uint8_t s[] = {0x4c, 0x8b, 0xd1, 0xb8, 0,    0,    0,    0,    0xf6, 0x04, 0x25, 0x08,
                   0x03, 0xfe, 0x7f, 0x01, 0x75, 0x03, 0x0f, 0x05, 0xc3, 0xcd, 0x2e, 0xc3};
    for (int i = 0; i < 4; i++)
        s[4 + i] = (uint8_t)(ssn >> (8 * i));
    pe_put_bytes(p, rva, s, sizeof s);
}

void pe_capture(mdw *w, const pe_image *p, uint32_t granule)
{
    if (granule == 0 || granule % PE_GRANULE)
        die("pe_capture: granule must be a multiple of PE_GRANULE");
    uint32_t per = granule / PE_GRANULE, units = (p->size + granule - 1) / granule;
    uint32_t run = 0, start = 0;
    for (uint32_t u = 0; u <= units; u++) {
        int used = 0;
        for (uint32_t k = 0; u < units && k < per && (u * per + k) * PE_GRANULE < p->size; k++)
            used |= p->touched[u * per + k];
        if (used && !run++)
            start = u * granule;
        if (!used && run) {
            uint32_t end = u * granule < p->size ? u * granule : p->size;
            mdw_add_memory(w, p->base + start, p->img + start, end - start);
            run = 0;
        }
    }
}

/* ---- x64 code ------------------------------------------------------------------- */

pe_asm pe_asm_at(pe_image *p, uint32_t rva)
{
    pe_asm a = {p, rva};
    return a;
}

void asm_bytes(pe_asm *a, const void *b, size_t n)
{
    pe_put_bytes(a->p, a->at, b, n);
    a->at += (uint32_t)n;
}

static void asm_rel32(pe_asm *a, int64_t rel)
{
    if (rel < INT32_MIN || rel > INT32_MAX)
        die("rel32 out of range");
    pe_put32(a->p, a->at, (uint32_t)(int32_t)rel);
    a->at += 4;
}

uint32_t asm_call(pe_asm *a, uint64_t target)
{
    ASM(a, "\xe8");
    asm_rel32(a, (int64_t)(target - (a->p->base + a->at + 4)));
    return a->at;
}

uint32_t asm_riprel(pe_asm *a, const void *opcode, size_t n, uint32_t target_rva)
{
    asm_bytes(a, opcode, n);
    asm_rel32(a, (int64_t)target_rva - (int64_t)(a->at + 4));
    return a->at;
}

void asm_pad_to(pe_asm *a, uint32_t rva)
{
    if (rva < a->at)
        die("asm_pad_to: code overlaps the next function");
    while (a->at < rva)
        asm_bytes(a, "\xcc", 1);
}

/* ---- stacks ------------------------------------------------------------------------ */

void stk_init(pe_stack *s, uint64_t base, uint32_t size)
{
    if (size > STK_MAX)
        die("stack too large");
    memset(s, 0, sizeof *s);
    s->base = base;
    s->size = size;
}

static void stk_put(pe_stack *s, uint64_t va, uint64_t v, int n)
{
    if (va < s->base || va - s->base > s->size || s->size - (va - s->base) < (uint64_t)n)
        die("stack write outside the stack");
    for (int i = 0; i < n; i++)
        s->b[va - s->base + (uint64_t)i] = (uint8_t)(v >> (8 * i));
}

void stk_put64(pe_stack *s, uint64_t va, uint64_t v)
{
    stk_put(s, va, v, 8);
}

void stk_put32(pe_stack *s, uint64_t va, uint32_t v)
{
    stk_put(s, va, v, 4);
}

/* MACHINE_FRAME: RIP, CS, EFLAGS, RSP, SS (8 bytes each). */
void stk_callout(pe_stack *s, uint64_t at, uint64_t buffer, uint32_t length, uint32_t api,
                 uint64_t outer_ip, uint64_t outer_rsp)
{
    stk_put64(s, at + 0x20, buffer);
    stk_put32(s, at + 0x28, length);
    stk_put32(s, at + 0x2c, api);
    stk_put64(s, at + 0x30, outer_ip);
    stk_put64(s, at + 0x38, 0x33);
    stk_put64(s, at + 0x40, 0x246);
    stk_put64(s, at + 0x48, outer_rsp);
    stk_put64(s, at + 0x50, 0x2b);
}

/* ---- process memory and files ------------------------------------------------------ */

static void le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

void scn_add_teb64(mdw *w, uint64_t teb, uint64_t peb, uint64_t stack_base, uint64_t stack_limit,
                   uint32_t pid, uint32_t tid)
{
    uint8_t b[0x100] = {0};
    le64(b + 0x08, stack_base);
    le64(b + 0x10, stack_limit);
    le64(b + 0x30, teb);
    le64(b + 0x40, pid);
    le64(b + 0x48, tid);
    le64(b + 0x60, peb);
    mdw_add_memory(w, teb, b, sizeof b);
}

void scn_add_peb64(mdw *w, uint64_t peb, uint64_t image_base, uint64_t kernel_callback_table)
{
    uint8_t b[0x100] = {0};
    le64(b + 0x10, image_base);
    le64(b + 0x58, kernel_callback_table);
    mdw_add_memory(w, peb, b, sizeof b);
}

uint32_t scn_context64(mdw *w, const mdw_regs *regs, uint32_t *size)
{
    mdw_regs r = *regs;
    const struct {
        int reg;
        uint64_t selector;
    } user[] = {{DW_AMD64_CS, 0x33}, {DW_AMD64_SS, 0x2b}, {DW_AMD64_DS, 0x2b},
                {DW_AMD64_ES, 0x2b}, {DW_AMD64_FS, 0x53}, {DW_AMD64_GS, 0x2b}};
    for (size_t i = 0; i < sizeof user / sizeof user[0]; i++)
        if (!r.r[user[i].reg])
            r.r[user[i].reg] = user[i].selector;
    /* CONTEXT_AMD64 | CONTROL | INTEGER | SEGMENTS */
    return mdw_context_amd64(w, &r, 0x10000b, size);
}

void scn_debug_id(const uint8_t guid[16], uint32_t age, char out[41])
{
    uint32_t d1 = guid[0] | guid[1] << 8 | guid[2] << 16 | (uint32_t)guid[3] << 24;
    unsigned d2 = guid[4] | guid[5] << 8, d3 = guid[6] | guid[7] << 8;
    int n = snprintf(out, 41, "%08X%04X%04X", d1, d2, d3);
    for (int i = 8; i < 16; i++)
        n += snprintf(out + n, (size_t)(41 - n), "%02X", guid[i]);
    snprintf(out + n, (size_t)(41 - n), "%X", age);
}

int scn_mkdirs(const char *path)
{
    char tmp[1024];
    if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp)
        return -1;
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    return mkdir(tmp, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

int scn_write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t put = fwrite(data, 1, len, f);
    return fclose(f) != 0 || put != len ? -1 : 0;
}

int scn_write_sym(const char *root, const char *pdb, const char *id, const char *body)
{
    char dir[1024], path[1400], base[256];
    snprintf(dir, sizeof dir, "%s/%s/%s", root, pdb, id);
    if (scn_mkdirs(dir) != 0)
        return -1;
    snprintf(base, sizeof base, "%s", pdb);
    char *dot = strrchr(base, '.');
    if (dot)
        *dot = '\0';
    snprintf(path, sizeof path, "%s/%s.sym", dir, base);
    size_t len = strlen(id) + strlen(pdb) + strlen(body) + 64;
    char *text = malloc(len);
    if (!text)
        return -1;
    int n = snprintf(text, len, "MODULE windows x86_64 %s %s\n%s", id, pdb, body);
    int rc = scn_write_file(path, text, (size_t)n);
    free(text);
    return rc;
}
