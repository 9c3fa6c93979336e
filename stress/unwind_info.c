/*
 * unwind_info.c — FDE lookups through .eh_frame_hdr (unwind_info.h).
 *
 * The formats, from the Linux Standard Base's "Exception Frames" (the
 * .eh_frame_hdr and .eh_frame sections) and DWARF's pointer encodings:
 * .eh_frame_hdr is a version byte, three encoding bytes (eh_frame_ptr,
 * fde_count, table), the encoded eh_frame pointer and FDE count, then a
 * table of (initial location, FDE address) pairs sorted by location. An FDE
 * is a length, the offset back to its CIE, then pc_begin and pc_range in
 * the encoding the CIE's augmentation names with 'R'.
 */
#include "unwind_info.h"

#include <link.h>
#include <stddef.h>
#include <string.h>

enum { OBJECTS_MAX = 96 };

enum {
    PE_ABSPTR = 0x00, PE_ULEB128 = 0x01, PE_UDATA2 = 0x02, PE_UDATA4 = 0x03, PE_UDATA8 = 0x04,
    PE_SDATA2 = 0x0a, PE_SDATA4 = 0x0b, PE_SDATA8 = 0x0c,
    PE_PCREL = 0x10, PE_DATAREL = 0x30, PE_OMIT = 0xff
};

typedef struct object {
    uintptr_t lo, hi;        /* its executable segments */
    const uint8_t *hdr;      /* .eh_frame_hdr, or NULL: unreadable (covered) */
    const int32_t *table;    /* pairs, datarel sdata4 */
    uint32_t count;
} object;

static object objects[OBJECTS_MAX];
static unsigned nobjects;

static int add_object(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size, (void)arg;
    if (nobjects >= OBJECTS_MAX)
        return 1;
    object o = {UINTPTR_MAX, 0, NULL, NULL, 0};
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t at = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
            if (at < o.lo)
                o.lo = at;
            if (at + ph->p_memsz > o.hi)
                o.hi = at + ph->p_memsz;
        } else if (ph->p_type == PT_GNU_EH_FRAME) {
            o.hdr = (const uint8_t *)at;
        }
    }
    if (!o.hi)
        return 0;
    /* the usual encodings only: version 1, a 4-byte eh_frame pointer, a
     * udata4 count, a datarel sdata4 table */
    const uint8_t *h = o.hdr;
    if (h && h[0] == 1 && ((h[1] & 0x0f) == PE_SDATA4 || (h[1] & 0x0f) == PE_UDATA4) &&
        h[2] == PE_UDATA4 && h[3] == (PE_DATAREL | PE_SDATA4)) {
        memcpy(&o.count, h + 8, 4);
        o.table = (const int32_t *)(h + 12);
    } else {
        o.hdr = NULL;
    }
    objects[nobjects++] = o;
    return 0;
}

void unwind_info_load(void)
{
    nobjects = 0;
    dl_iterate_phdr(add_object, NULL);
}

static uint64_t read_uleb(const uint8_t **p)
{
    uint64_t v = 0;
    unsigned shift = 0;
    uint8_t b;
    do {
        b = *(*p)++;
        if (shift < 64)
            v |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
    } while (b & 0x80);
    return v;
}

/* Reads a value of encoding enc at *p (pcrel: relative to its own address);
 * false for encodings not handled here. */
static bool read_encoded(const uint8_t **p, uint8_t enc, uintptr_t *out)
{
    const uint8_t *at = *p;
    uint64_t v;
    uint64_t u8;
    uint32_t u4;
    uint16_t u2;
    switch (enc & 0x0f) {
    case PE_ABSPTR:
    case PE_UDATA8:
    case PE_SDATA8:
        memcpy(&u8, at, 8);
        v = u8;
        *p += 8;
        break;
    case PE_UDATA4:
    case PE_SDATA4:
        memcpy(&u4, at, 4);
        v = (enc & 0x0f) == PE_SDATA4 ? (uint64_t)(int64_t)(int32_t)u4 : u4;
        *p += 4;
        break;
    case PE_UDATA2:
    case PE_SDATA2:
        memcpy(&u2, at, 2);
        v = (enc & 0x0f) == PE_SDATA2 ? (uint64_t)(int64_t)(int16_t)u2 : u2;
        *p += 2;
        break;
    case PE_ULEB128:
        v = read_uleb(p);
        break;
    default:
        return false;
    }
    switch (enc & 0x70) {
    case 0: break;
    case PE_PCREL: v += (uintptr_t)at; break;
    default: return false;
    }
    *out = (uintptr_t)v;
    return true;
}

/* The pointer encoding of an FDE's pc_begin, from its CIE's augmentation;
 * false if the CIE is not one this reader handles. */
static bool cie_fde_encoding(const uint8_t *cie, uint8_t *enc)
{
    uint32_t len, id;
    memcpy(&len, cie, 4);
    memcpy(&id, cie + 4, 4);
    if (len == 0 || len == 0xffffffffu || id != 0)
        return false;
    const uint8_t *p = cie + 8;
    uint8_t version = *p++;
    const char *aug = (const char *)p;
    p += strlen(aug) + 1;
    read_uleb(&p); /* code alignment */
    read_uleb(&p); /* data alignment (sleb: only its length matters) */
    if (version == 1)
        p++;
    else
        read_uleb(&p); /* return address register */
    *enc = PE_ABSPTR;
    if (aug[0] != 'z')
        return aug[0] == 0;
    read_uleb(&p); /* augmentation data length */
    for (const char *a = aug + 1; *a; a++) {
        uintptr_t personality;
        uint8_t penc;
        switch (*a) {
        case 'R':
            *enc = *p++;
            break;
        case 'L':
            p++;
            break;
        case 'P': /* its encoding, then the pointer: skipped */
            penc = *p++;
            if (!read_encoded(&p, penc & 0x0f, &personality))
                return false;
            break;
        case 'S':
        case 'B':
            break;
        default:
            return false;
        }
    }
    return true;
}

/* Whether the FDE at fde covers pc (true when it cannot be read: no
 * excuse on a guess). */
static bool fde_covers(const uint8_t *fde, uintptr_t pc)
{
    uint32_t len, back;
    memcpy(&len, fde, 4);
    if (len == 0xffffffffu)
        return true;
    memcpy(&back, fde + 4, 4);
    uint8_t enc;
    if (!cie_fde_encoding(fde + 4 - back, &enc) || enc == PE_OMIT)
        return true;
    const uint8_t *p = fde + 8;
    uintptr_t begin, range;
    if (!read_encoded(&p, enc, &begin) || !read_encoded(&p, enc & 0x0f, &range))
        return true;
    return pc >= begin && pc - begin < range;
}

bool unwind_info_covers(uintptr_t pc)
{
    const object *o = NULL;
    for (unsigned i = 0; i < nobjects && !o; i++)
        if (pc >= objects[i].lo && pc < objects[i].hi)
            o = &objects[i];
    if (!o || !o->hdr)
        return true;
    /* the last entry whose initial location is at or below pc */
    uint32_t lo = 0, hi = o->count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if ((uintptr_t)(o->hdr + o->table[2 * mid]) <= pc)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo > 0 && fde_covers(o->hdr + o->table[2 * (lo - 1) + 1], pc);
}
