/* Kernel dumps built in code (kernel_dump_writer.h says what and from
 * which format facts). */
#include "kernel_dump_writer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* Page table entry bits (Intel SDM vol. 3, 4.5): present, writable, and
 * page size (a 2 MiB page in a PMD entry, 1 GiB in a PUD entry). */
#define PTE_PRESENT 0x1ull
#define PTE_RW 0x2ull
#define PTE_PS 0x80ull
#define TABLE (PTE_PRESENT | PTE_RW)

/* ELF constants (gABI, include/uapi/linux/elf.h). */
#define ET_CORE 4
#define EM_X86_64 62
#define PT_LOAD 1
#define PT_NOTE 4
#define NT_PRSTATUS 1
#define EHDR_SIZE 64
#define PHDR_SIZE 56

/* struct elf_prstatus on x86_64: pr_pid at 32, pr_reg (27 x u64) at 112,
 * 336 bytes in all. */
#define PRSTATUS_SIZE 336
#define PRSTATUS_PID 32
#define PRSTATUS_REG 112

/* disk_dump_header (64-bit layout, makedumpfile diskdump_mod.h):
 * signature[8], header_version, new_utsname (6 x 65 bytes) at 12, 6 bytes
 * padding, timeval at 408, then status, block_size, sub_hdr_size,
 * bitmap_blocks, max_mapnr, total_ram_blocks, device_blocks,
 * written_blocks, current_cpu, nr_cpus. */
#define DH_VERSION 8
#define DH_UTSNAME 12
#define DH_STATUS 424
#define DH_BLOCK_SIZE 428
#define DH_SUB_HDR_SIZE 432
#define DH_BITMAP_BLOCKS 436
#define DH_MAX_MAPNR 440
#define DH_NR_CPUS 460
/* kdump_sub_header (64-bit): phys_base, dump_level (i32), split (i32),
 * start_pfn, end_pfn, offset/size_vmcoreinfo, offset/size_note,
 * offset/size_eraseinfo, start_pfn_64, end_pfn_64, max_mapnr_64. */
#define SH_PHYS_BASE 0
#define SH_DUMP_LEVEL 8
#define SH_OFFSET_VMCOREINFO 32
#define SH_SIZE_VMCOREINFO 40
#define SH_OFFSET_NOTE 48
#define SH_SIZE_NOTE 56
#define SH_MAX_MAPNR_64 96
#define SH_SIZE 104
/* struct page_desc: offset u64, size u32, flags u32, page_flags u64. */
#define PD_SIZE 24
#define DUMP_DH_COMPRESSED_ZLIB 0x1u

uint64_t kdw_get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

void kdw_put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

void kdw_put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

/* ---- the machine ---------------------------------------------------------- */

/* struct new_utsname: sysname, nodename, release, version, machine,
 * domainname, 65 bytes each.  The kernel keeps one in init_uts_ns (at
 * OFFSET(uts_namespace.name)); the kdump header carries a copy. */
#define UTS_FIELD 65
#define UTS_AT 0x800 /* in the banner page: SYMBOL(init_uts_ns) */
/* mem_map, the FLATMEM array of struct page (SYMBOL(mem_map)); makedumpfile
 * needs to know the memory model even at dump level 0.  Its value is
 * where x86_64's vmemmap starts; no struct page is read at level 0. */
#define MEM_MAP_AT 0xc00
#define MEM_MAP_VALUE 0xffffea0000000000ull

static void put_utsname(uint8_t *at)
{
    static const char *const fields[6] = {"Linux",  "dwtest", KDW_RELEASE,
                                          "#1 SMP", "x86_64", "(none)"};
    for (int i = 0; i < 6; i++)
        memcpy(at + UTS_FIELD * i, fields[i], strlen(fields[i]));
}

static kdw_page *add_page(kdw_machine *m, uint64_t phys)
{
    kdw_page *p = &m->pages[m->page_count++];
    memset(p, 0, sizeof *p);
    p->phys = phys;
    return p;
}

static void set_entry(kdw_page *table, uint64_t va, int shift, uint64_t value)
{
    kdw_put64(table->data + 8 * ((va >> shift) & 511), value);
}

/* init_top_pgt and the tables below it: pgd[273] -> a PUD whose first
 * entry is a 1 GiB page at physical 0 (the direct mapping); pgd[511] -> a
 * PUD -> a PMD whose entry for KDW_KTEXT_VA is a 2 MiB page at KDW_KTEXT_PA. */
static void build_page_tables(kdw_machine *m)
{
    kdw_page *pgd = add_page(m, KDW_KTEXT_PA);
    kdw_page *pud_direct = add_page(m, KDW_KTEXT_PA + 0x1000);
    kdw_page *pud_text = add_page(m, KDW_KTEXT_PA + 0x2000);
    kdw_page *pmd_text = add_page(m, KDW_KTEXT_PA + 0x3000);
    set_entry(pgd, KDW_DIRECT_MAP, 39, pud_direct->phys | TABLE);
    set_entry(pud_direct, KDW_DIRECT_MAP, 30, 0 | TABLE | PTE_PS);
    set_entry(pgd, KDW_KTEXT_VA, 39, pud_text->phys | TABLE);
    set_entry(pud_text, KDW_KTEXT_VA, 30, pmd_text->phys | TABLE);
    set_entry(pmd_text, KDW_KTEXT_VA, 21, KDW_KTEXT_PA | TABLE | PTE_PS);
}

static uint64_t text_pa(uint64_t va)
{
    return va - KDW_KTEXT_VA + KDW_KTEXT_PA;
}

/* Offsets in the code page (KDW_TAIL_VA): each CPU stopped at `hlt` in a
 * function with a frame (push rbp; mov rbp, rsp), called from a `call`
 * whose return address its stack holds. */
#define CODE_FUNC(cpu) (0x100u + 0x40u * (cpu))
#define CODE_CALLER(cpu) (0x800u + 0x40u * (cpu))

static void build_code(kdw_page *code)
{
    memset(code->data, 0xcc, sizeof code->data); /* int3 */
    for (unsigned cpu = 0; cpu < KDW_CPUS; cpu++) {
        static const uint8_t body[] = {0x55, 0x48, 0x89, 0xe5, 0xf4, 0xeb, 0xfd};
        memcpy(code->data + CODE_FUNC(cpu), body, sizeof body);
        uint8_t *call = code->data + CODE_CALLER(cpu);
        call[0] = 0xe8; /* call rel32 to the function */
        kdw_put32(call + 1, (uint32_t)(CODE_FUNC(cpu) - (CODE_CALLER(cpu) + 5)));
        call[5] = 0xf4;
    }
}

/* A 16 KiB stack per CPU in the direct mapping; rsp 0x200 below its top,
 * rbp one word above the saved-rbp slot chain: [rbp] = outer frame (whose
 * saved rbp is 0), [rbp + 8] = the caller's return address. */
static void build_cpu(kdw_machine *m, unsigned cpu)
{
    kdw_cpu *c = &m->cpus[cpu];
    uint64_t top_pa = KDW_STACK_PA(cpu) + 0x4000;
    uint64_t rsp = KDW_DIRECT_MAP + top_pa - 0x200, rbp = rsp + 0x10;
    for (unsigned i = 0; i < KDW_NREGS; i++)
        c->regs[i] = 0x5a5a000000000000ull | (uint64_t)cpu << 16 | i;
    c->pid = 100 + cpu;
    c->regs[KDW_RSP] = rsp;
    c->regs[KDW_RBP] = rbp;
    c->regs[KDW_RIP] = KDW_TAIL_VA + CODE_FUNC(cpu) + 4;
    c->regs[KDW_CS] = 0x10;
    c->regs[KDW_SS] = 0x18;
    c->regs[KDW_EFLAGS] = 0x246;
    c->return_address = KDW_TAIL_VA + CODE_CALLER(cpu) + 5;
    for (uint64_t pa = KDW_STACK_PA(cpu); pa < top_pa; pa += KDW_PAGE_SIZE)
        add_page(m, pa);
    kdw_page *top = &m->pages[m->page_count - 1];
    uint64_t outer = rbp + 0x40;
    kdw_put64(top->data + (rbp - KDW_DIRECT_MAP - top->phys), outer);
    kdw_put64(top->data + (rbp + 8 - KDW_DIRECT_MAP - top->phys), c->return_address);
    kdw_put64(top->data + (outer - KDW_DIRECT_MAP - top->phys), 0);
    kdw_put64(top->data + (outer + 8 - KDW_DIRECT_MAP - top->phys), 0);
}

static void build_vmcoreinfo(kdw_machine *m)
{
    snprintf(m->vmcoreinfo, sizeof m->vmcoreinfo,
             "OSRELEASE=%s\n"
             "PAGESIZE=%u\n"
             "SYMBOL(init_uts_ns)=%llx\n"
             "OFFSET(uts_namespace.name)=0\n"
             "SYMBOL(mem_map)=%llx\n"
             "SIZE(page)=64\n"
             "OFFSET(page.flags)=0\n"
             "OFFSET(page.mapping)=24\n"
             "OFFSET(page._refcount)=52\n"
             "SYMBOL(_stext)=%llx\n"
             "SYMBOL(init_top_pgt)=%llx\n"
             "SYMBOL(swapper_pg_dir)=%llx\n"
             "NUMBER(phys_base)=%llu\n"
             "NUMBER(pgtable_l5_enabled)=0\n"
             "KERNELOFFSET=0\n"
             "CRASHTIME=1700000000\n",
             KDW_RELEASE, KDW_PAGE_SIZE, (unsigned long long)KDW_BANNER_VA + UTS_AT,
             (unsigned long long)KDW_BANNER_VA + MEM_MAP_AT, (unsigned long long)KDW_KTEXT_VA,
             (unsigned long long)KDW_KTEXT_VA, (unsigned long long)KDW_KTEXT_VA,
             (unsigned long long)KDW_PHYS_BASE);
}

void kdw_machine_build(kdw_machine *m)
{
    memset(m, 0, sizeof *m);
    for (unsigned cpu = 0; cpu < KDW_CPUS; cpu++)
        build_cpu(m, cpu);
    build_page_tables(m);
    kdw_page *banner = add_page(m, text_pa(KDW_BANNER_VA));
    for (size_t off = 0; off < UTS_AT; off += 128)
        memcpy(banner->data + off, KDW_BANNER, sizeof KDW_BANNER);
    put_utsname(banner->data + UTS_AT);
    kdw_put64(banner->data + MEM_MAP_AT, MEM_MAP_VALUE);
    /* A linear congruential generator (Knuth MMIX constants) for bytes no
     * compressor shrinks. */
    kdw_page *noise = add_page(m, text_pa(KDW_NOISE_VA));
    uint64_t x = 0x2545f4914f6cdd1dull;
    for (size_t i = 0; i < sizeof noise->data; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        noise->data[i] = (uint8_t)(x >> 56);
    }
    kdw_page *filtered = add_page(m, text_pa(KDW_FILTERED_VA));
    memset(filtered->data, 0x77, sizeof filtered->data);
    filtered->filtered = 1;
    build_code(add_page(m, text_pa(KDW_TAIL_VA)));
    build_vmcoreinfo(m);
}

const kdw_page *kdw_page_at(const kdw_machine *m, uint64_t phys)
{
    for (size_t i = 0; i < m->page_count; i++)
        if (m->pages[i].phys == (phys & ~(uint64_t)(KDW_PAGE_SIZE - 1)))
            return &m->pages[i];
    return NULL;
}

/* ---- ELF notes -------------------------------------------------------------- */

static size_t align4(size_t n)
{
    return (n + 3) & ~(size_t)3;
}

/* Elf64_Nhdr: namesz, descsz, type; name and desc padded to 4 bytes. */
static size_t put_note(uint8_t *at, const char *name, uint32_t type, const void *desc,
                       size_t descsz)
{
    size_t namesz = strlen(name) + 1;
    if (at) {
        kdw_put32(at, (uint32_t)namesz);
        kdw_put32(at + 4, (uint32_t)descsz);
        kdw_put32(at + 8, type);
        memcpy(at + 12, name, namesz);
        memcpy(at + 12 + align4(namesz), desc, descsz);
    }
    return 12 + align4(namesz) + align4(descsz);
}

int kdw_notes(const kdw_machine *m, kdw_bytes *out)
{
    uint8_t prstatus[KDW_CPUS][PRSTATUS_SIZE];
    size_t size = 0;
    for (unsigned cpu = 0; cpu < KDW_CPUS; cpu++) {
        memset(prstatus[cpu], 0, PRSTATUS_SIZE);
        kdw_put32(prstatus[cpu] + PRSTATUS_PID, m->cpus[cpu].pid);
        for (unsigned r = 0; r < KDW_NREGS; r++)
            kdw_put64(prstatus[cpu] + PRSTATUS_REG + 8 * r, m->cpus[cpu].regs[r]);
        size += put_note(NULL, "CORE", NT_PRSTATUS, NULL, PRSTATUS_SIZE);
    }
    size_t info_len = strlen(m->vmcoreinfo);
    size += put_note(NULL, "VMCOREINFO", 0, NULL, info_len);
    out->data = calloc(1, size);
    out->size = size;
    if (!out->data)
        return -1;
    size_t at = 0;
    for (unsigned cpu = 0; cpu < KDW_CPUS; cpu++)
        at += put_note(out->data + at, "CORE", NT_PRSTATUS, prstatus[cpu], PRSTATUS_SIZE);
    put_note(out->data + at, "VMCOREINFO", 0, m->vmcoreinfo, info_len);
    return 0;
}

/* ---- ELF vmcore ------------------------------------------------------------ */

typedef struct segment {
    uint64_t vaddr, paddr, size;
} segment;

/* Runs of dumped pages with consecutive physical addresses, at their
 * direct-mapping addresses, then the kernel text run again at its text
 * address (as /proc/vmcore lists it). */
static size_t elf_segments(const kdw_machine *m, segment *segs, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < m->page_count && n < max; i++) {
        const kdw_page *p = &m->pages[i];
        if (p->filtered)
            continue;
        if (n && segs[n - 1].paddr + segs[n - 1].size == p->phys &&
            segs[n - 1].vaddr >= KDW_DIRECT_MAP && segs[n - 1].vaddr < KDW_KTEXT_VA) {
            segs[n - 1].size += KDW_PAGE_SIZE;
            continue;
        }
        segs[n++] = (segment){KDW_DIRECT_MAP + p->phys, p->phys, KDW_PAGE_SIZE};
    }
    for (size_t i = 0; i < n && n < max; i++) {
        if (segs[i].paddr == KDW_KTEXT_PA) {
            segs[n] = segs[i];
            segs[n++].vaddr = KDW_KTEXT_VA;
            break;
        }
    }
    return n;
}

static void put_ehdr(uint8_t *e, unsigned phnum)
{
    memcpy(e,
           "\x7f"
           "ELF",
           4);
    e[4] = 2; /* ELFCLASS64 */
    e[5] = 1; /* ELFDATA2LSB */
    e[6] = 1; /* EV_CURRENT */
    put16(e + 16, ET_CORE);
    put16(e + 18, EM_X86_64);
    kdw_put32(e + 20, 1);
    kdw_put64(e + 32, EHDR_SIZE); /* e_phoff */
    put16(e + 52, EHDR_SIZE);
    put16(e + 54, PHDR_SIZE);
    put16(e + 56, (uint16_t)phnum);
}

static void put_phdr(uint8_t *p, uint32_t type, uint64_t offset, uint64_t vaddr, uint64_t paddr,
                     uint64_t size)
{
    kdw_put32(p, type);
    kdw_put32(p + 4, type == PT_LOAD ? 7u : 0u); /* RWX, as the kernel writes them */
    kdw_put64(p + 8, offset);
    kdw_put64(p + 16, vaddr);
    kdw_put64(p + 24, paddr);
    kdw_put64(p + 32, size);
    kdw_put64(p + 40, size);
    kdw_put64(p + 48, type == PT_LOAD ? KDW_PAGE_SIZE : 0);
}

/* The bytes of physical [paddr, paddr + size) into out. */
static void copy_phys(const kdw_machine *m, uint64_t paddr, uint64_t size, uint8_t *out)
{
    for (uint64_t off = 0; off < size; off += KDW_PAGE_SIZE) {
        const kdw_page *p = kdw_page_at(m, paddr + off);
        if (p)
            memcpy(out + off, p->data, KDW_PAGE_SIZE);
    }
}

int kdw_write_elf(const kdw_machine *m, kdw_bytes *out)
{
    segment segs[KDW_MAX_PAGES + 1];
    size_t nseg = elf_segments(m, segs, KDW_MAX_PAGES + 1);
    kdw_bytes notes;
    if (kdw_notes(m, &notes) != 0)
        return -1;
    size_t headers = EHDR_SIZE + PHDR_SIZE * (nseg + 1);
    size_t data_at = (headers + notes.size + KDW_PAGE_SIZE - 1) & ~(size_t)(KDW_PAGE_SIZE - 1);
    size_t size = data_at;
    for (size_t i = 0; i < nseg; i++)
        size += segs[i].size;
    out->data = calloc(1, size);
    out->size = size;
    if (!out->data) {
        free(notes.data);
        return -1;
    }
    put_ehdr(out->data, (unsigned)nseg + 1);
    put_phdr(out->data + EHDR_SIZE, PT_NOTE, headers, 0, 0, notes.size);
    memcpy(out->data + headers, notes.data, notes.size);
    free(notes.data);
    size_t at = data_at;
    for (size_t i = 0; i < nseg; i++) {
        put_phdr(out->data + EHDR_SIZE + PHDR_SIZE * (i + 1), PT_LOAD, at, segs[i].vaddr,
                 segs[i].paddr, segs[i].size);
        copy_phys(m, segs[i].paddr, segs[i].size, out->data + at);
        at += segs[i].size;
    }
    return 0;
}

/* ---- compressed kdump ------------------------------------------------------ */

static void set_bit(uint8_t *bitmap, uint64_t pfn)
{
    bitmap[pfn / 8] |= (uint8_t)(1u << (pfn % 8));
}

/* The header block and the sub-header block(s): the sub-header, then the
 * ELF notes, VMCOREINFO being the desc of the last note (where makedumpfile
 * 1.7 points offset_vmcoreinfo), sized in whole blocks.  start/end_pfn are
 * 0: they only matter in split dumps. */
static size_t put_headers(const kdw_machine *m, uint8_t *file, const kdw_bytes *notes,
                          unsigned sub_blocks, unsigned bitmap_blocks)
{
    uint8_t *dh = file, *sh = file + KDW_PAGE_SIZE;
    memcpy(dh, "KDUMP   ", 8);
    kdw_put32(dh + DH_VERSION, 6);
    put_utsname(dh + DH_UTSNAME);
    kdw_put32(dh + DH_STATUS, DUMP_DH_COMPRESSED_ZLIB);
    kdw_put32(dh + DH_BLOCK_SIZE, KDW_PAGE_SIZE);
    kdw_put32(dh + DH_SUB_HDR_SIZE, sub_blocks);
    kdw_put32(dh + DH_BITMAP_BLOCKS, bitmap_blocks);
    kdw_put32(dh + DH_MAX_MAPNR, (uint32_t)KDW_MAX_PFN);
    kdw_put32(dh + DH_NR_CPUS, KDW_CPUS);
    size_t info_len = strlen(m->vmcoreinfo);
    uint64_t note_at = KDW_PAGE_SIZE + SH_SIZE;
    uint64_t info_at = note_at + notes->size - align4(info_len);
    kdw_put64(sh + SH_PHYS_BASE, KDW_PHYS_BASE);
    kdw_put32(sh + SH_DUMP_LEVEL, 0);
    kdw_put64(sh + SH_OFFSET_VMCOREINFO, info_at);
    kdw_put64(sh + SH_SIZE_VMCOREINFO, info_len);
    kdw_put64(sh + SH_OFFSET_NOTE, note_at);
    kdw_put64(sh + SH_SIZE_NOTE, notes->size);
    kdw_put64(sh + SH_MAX_MAPNR_64, KDW_MAX_PFN);
    memcpy(file + note_at, notes->data, notes->size);
    return (size_t)(1 + sub_blocks) * KDW_PAGE_SIZE;
}

/* One page's data: zlib when it shrinks, else as it is (makedumpfile's
 * rule).  Returns its size and sets *flags. */
static size_t put_page_data(const kdw_page *p, uint8_t *at, size_t room, uint32_t *flags)
{
    uLongf len = (uLongf)room;
    if (compress2(at, &len, p->data, KDW_PAGE_SIZE, Z_BEST_COMPRESSION) == Z_OK &&
        len < KDW_PAGE_SIZE) {
        *flags = DUMP_DH_COMPRESSED_ZLIB;
        return (size_t)len;
    }
    memcpy(at, p->data, KDW_PAGE_SIZE);
    *flags = 0;
    return KDW_PAGE_SIZE;
}

int kdw_write_kdump(const kdw_machine *m, kdw_bytes *out, kdw_layout *layout)
{
    kdw_bytes notes;
    if (kdw_notes(m, &notes) != 0)
        return -1;
    size_t sub_bytes = SH_SIZE + notes.size;
    unsigned sub_blocks = (unsigned)((sub_bytes + KDW_PAGE_SIZE - 1) / KDW_PAGE_SIZE);
    size_t bitmap_bytes = (KDW_MAX_PFN + 7) / 8;
    unsigned blocks_per_bitmap = (unsigned)((bitmap_bytes + KDW_PAGE_SIZE - 1) / KDW_PAGE_SIZE);
    /* Worst case: every page stored whole, plus zlib's overhead. */
    size_t cap = (size_t)(1 + sub_blocks + 2 * blocks_per_bitmap) * KDW_PAGE_SIZE +
                 m->page_count * (PD_SIZE + compressBound(KDW_PAGE_SIZE));
    out->data = calloc(1, cap);
    if (!out->data) {
        free(notes.data);
        return -1;
    }
    memset(layout, 0, sizeof *layout);
    size_t at = put_headers(m, out->data, &notes, sub_blocks, 2 * blocks_per_bitmap);
    free(notes.data);
    layout->sub_header = KDW_PAGE_SIZE;
    layout->bitmap1 = at;
    layout->bitmap2 = at + (size_t)blocks_per_bitmap * KDW_PAGE_SIZE;
    layout->descriptors = layout->bitmap2 + (size_t)blocks_per_bitmap * KDW_PAGE_SIZE;
    for (size_t i = 0; i < m->page_count; i++) {
        set_bit(out->data + layout->bitmap1, m->pages[i].phys / KDW_PAGE_SIZE);
        if (!m->pages[i].filtered) {
            set_bit(out->data + layout->bitmap2, m->pages[i].phys / KDW_PAGE_SIZE);
            layout->dumped_pages++;
        }
    }
    layout->page_data = layout->descriptors + layout->dumped_pages * PD_SIZE;
    /* Descriptors follow the 2nd bitmap's set bits in PFN order; the pages
     * are already sorted by physical address. */
    uint64_t desc = layout->descriptors, data = layout->page_data;
    for (size_t i = 0; i < m->page_count; i++) {
        const kdw_page *p = &m->pages[i];
        if (p->filtered)
            continue;
        uint32_t flags;
        size_t len = put_page_data(p, out->data + data, cap - data, &flags);
        kdw_put64(out->data + desc, data);
        kdw_put32(out->data + desc + 8, (uint32_t)len);
        kdw_put32(out->data + desc + 12, flags);
        if (p->phys == text_pa(KDW_NOISE_VA))
            layout->desc_of_noise = desc;
        if (p->phys == text_pa(KDW_BANNER_VA))
            layout->desc_of_banner = desc;
        if (p->phys == text_pa(KDW_TAIL_VA))
            layout->desc_of_tail = desc;
        desc += PD_SIZE;
        data += len;
    }
    out->size = data;
    return 0;
}

int kdw_save(const kdw_bytes *b, const char *path)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = fwrite(b->data, 1, b->size, f);
    return fclose(f) == 0 && w == b->size ? 0 : -1;
}
