/* Small Linux x86_64 kernel dumps built in code, for the libkdumpfile
 * backend's tests: the same machine state written as an ELF vmcore (what
 * /proc/vmcore gives the kdump kernel) and as a makedumpfile compressed
 * kdump ("KDUMP   ", header version 6).
 *
 * The machine has a handful of physical pages: 4-level page tables whose
 * root is SYMBOL(init_top_pgt), a kernel text mapping (0xffffffff81000000 ->
 * phys_base + 16 MiB, one 2 MiB page), the direct mapping at
 * 0xffff888000000000 (one 1 GiB page), two 16 KiB kernel stacks, pages of
 * known content, and one RAM page that the dump leaves out (filtered).
 * Two CPUs have NT_PRSTATUS notes whose registers point into those stacks.
 *
 * Facts used: ELF gABI (Elf64_Ehdr/Phdr/Nhdr); struct elf_prstatus and
 * user_regs_struct of x86_64 (include/uapi/linux/elfcore.h,
 * arch/x86/include/asm/user_64.h); the VMCOREINFO text the kernel writes
 * (kernel/crash_core.c, arch/x86/kernel/machine_kexec_64.c: SYMBOL(x)=%lx,
 * NUMBER(x)=%ld, KERNELOFFSET=%lx); x86_64 page table entries (Intel SDM
 * vol. 3 4.5: P bit 0, PS bit 7); makedumpfile's disk_dump_header,
 * kdump_sub_header and page_desc (diskdump_mod.h, IMPLEMENTATION). */
#ifndef DW_TESTS_KERNEL_DUMP_WRITER_H
#define DW_TESTS_KERNEL_DUMP_WRITER_H

#include <stddef.h>
#include <stdint.h>

#define KDW_PAGE_SIZE 4096u
#define KDW_CPUS 2
#define KDW_MAX_PAGES 32

/* Where things are.  phys_base is not 0 so that a reader which ignores it
 * reads the wrong page. */
#define KDW_PHYS_BASE 0x200000ull
#define KDW_KTEXT_VA 0xffffffff81000000ull          /* _stext, init_top_pgt */
#define KDW_KTEXT_PA (0x1000000ull + KDW_PHYS_BASE) /* = 0x1200000 */
#define KDW_DIRECT_MAP 0xffff888000000000ull
#define KDW_BANNER_VA (KDW_KTEXT_VA + 0x4000)   /* text, zlib-compressed */
#define KDW_NOISE_VA (KDW_KTEXT_VA + 0x5000)    /* incompressible: stored raw */
#define KDW_FILTERED_VA (KDW_KTEXT_VA + 0x6000) /* RAM the dump leaves out */
#define KDW_TAIL_VA (KDW_KTEXT_VA + 0x7000)     /* the last page of the dump */
#define KDW_STACK_PA(cpu) (0x10000ull + (uint64_t)(cpu)*0x4000)
#define KDW_MAX_PFN ((KDW_KTEXT_PA + 0x8000) / KDW_PAGE_SIZE)

/* The text at KDW_BANNER_VA. */
#define KDW_BANNER "Linux version 6.1.0-dwtest (dumpwalk@test) #1 SMP PREEMPT_DYNAMIC"
#define KDW_RELEASE "6.1.0-dwtest"

/* x86_64 user_regs_struct, in its order (27 registers). */
enum {
    KDW_R15,
    KDW_R14,
    KDW_R13,
    KDW_R12,
    KDW_RBP,
    KDW_RBX,
    KDW_R11,
    KDW_R10,
    KDW_R9,
    KDW_R8,
    KDW_RAX,
    KDW_RCX,
    KDW_RDX,
    KDW_RSI,
    KDW_RDI,
    KDW_ORIG_RAX,
    KDW_RIP,
    KDW_CS,
    KDW_EFLAGS,
    KDW_RSP,
    KDW_SS,
    KDW_FS_BASE,
    KDW_GS_BASE,
    KDW_DS,
    KDW_ES,
    KDW_FS,
    KDW_GS,
    KDW_NREGS
};

typedef struct kdw_page {
    uint64_t phys;
    int filtered; /* RAM, but left out of the dump */
    uint8_t data[KDW_PAGE_SIZE];
} kdw_page;

typedef struct kdw_cpu {
    uint32_t pid;
    uint64_t regs[KDW_NREGS];
    uint64_t return_address; /* the caller's, saved at [rbp + 8] */
} kdw_cpu;

typedef struct kdw_machine {
    kdw_page pages[KDW_MAX_PAGES]; /* in physical address order */
    size_t page_count;
    kdw_cpu cpus[KDW_CPUS];
    char vmcoreinfo[1024];
} kdw_machine;

/* The machine described above (deterministic). */
void kdw_machine_build(kdw_machine *m);

/* The page at physical address `phys`, or NULL. */
const kdw_page *kdw_page_at(const kdw_machine *m, uint64_t phys);

typedef struct kdw_bytes {
    uint8_t *data; /* malloc'd */
    size_t size;
} kdw_bytes;

/* The PT_NOTE contents: one NT_PRSTATUS per CPU, then VMCOREINFO. */
int kdw_notes(const kdw_machine *m, kdw_bytes *out);

/* ELF vmcore: PT_NOTE, PT_LOAD of the kernel text (virtual KDW_KTEXT_VA),
 * PT_LOADs of RAM at their direct-mapping addresses; the filtered page is
 * in no PT_LOAD.  Returns 0 on success. */
int kdw_write_elf(const kdw_machine *m, kdw_bytes *out);

/* Where the parts of a compressed kdump were put (file offsets). */
typedef struct kdw_layout {
    uint64_t sub_header;
    uint64_t bitmap1, bitmap2; /* 1st: RAM, 2nd: pages in the dump */
    uint64_t descriptors;      /* page_desc[] of the 2nd bitmap's pages */
    uint64_t page_data;
    size_t dumped_pages;
    uint64_t desc_of_noise; /* the page stored uncompressed */
    uint64_t desc_of_banner;
    uint64_t desc_of_tail;
} kdw_layout;

/* Compressed kdump, header version 6: every page zlib-compressed except
 * KDW_NOISE_VA's, which does not compress and is stored as it is. */
int kdw_write_kdump(const kdw_machine *m, kdw_bytes *out, kdw_layout *layout);

/* Write bytes to path; 0 on success. */
int kdw_save(const kdw_bytes *b, const char *path);

/* Little-endian field access on a built file (for damaging it). */
uint64_t kdw_get64(const uint8_t *p);
void kdw_put32(uint8_t *p, uint32_t v);
void kdw_put64(uint8_t *p, uint64_t v);

#endif
