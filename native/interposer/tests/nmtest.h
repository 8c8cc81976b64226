/*
 * netmap's user ABI for our C test programs, written from the spec (/work/shared/netmap-spec.md sections 1-2):
 * the shared-memory structs, netmap's address arithmetic and the control structs. These programs are what a
 * netmap application does, without libnetmap; they run under bin/netmap-run.
 */
#ifndef NMTEST_H
#define NMTEST_H
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

struct netmap_slot { uint32_t buf_idx; uint16_t len; uint16_t flags; uint64_t ptr; };

struct netmap_ring {
	int64_t buf_ofs;
	uint32_t num_slots, nr_buf_size;
	uint16_t ringid, dir;
	uint32_t head, cur, tail;
	uint32_t flags;
	uint32_t pad0;
	int64_t ts_sec, ts_usec;
	uint64_t offset_mask, buf_align;
	char pad1[128 - 72];
	char sem[128];
	struct netmap_slot slot[];
};

struct netmap_if {
	char ni_name[16];
	uint32_t ni_version, ni_flags, ni_tx_rings, ni_rx_rings, ni_bufs_head, ni_host_tx_rings, ni_host_rx_rings;
	uint32_t ni_spare1[3];
	int64_t ring_ofs[];
};

struct nmreq_header {
	uint16_t nr_version, nr_reqtype;
	uint32_t nr_reserved;
	char nr_name[64];
	uint64_t nr_options, nr_body;
};

struct nmreq_option { uint64_t nro_next; uint32_t nro_reqtype, nro_status; uint64_t nro_size; };

struct nmreq_register {
	uint64_t nr_offset, nr_memsize;
	uint32_t nr_tx_slots, nr_rx_slots;
	uint16_t nr_tx_rings, nr_rx_rings, nr_host_tx_rings, nr_host_rx_rings, nr_mem_id, nr_ringid;
	uint32_t nr_mode, nr_extra_bufs, pad;
	uint64_t nr_flags;
};

struct nmreq_port_info_get {
	uint64_t nr_memsize;
	uint32_t nr_tx_slots, nr_rx_slots;
	uint16_t nr_tx_rings, nr_rx_rings, nr_host_tx_rings, nr_host_rx_rings, nr_mem_id, pad[3];
};

struct nmreq_vale_list { uint16_t nr_bridge_idx, pad1; uint32_t nr_port_idx; };

struct nmreq_opt_csb { struct nmreq_option nro_opt; uint64_t csb_atok, csb_ktoa; };

struct nmreq {
	char nr_name[16];
	uint32_t nr_version, nr_offset, nr_memsize, nr_tx_slots, nr_rx_slots;
	uint16_t nr_tx_rings, nr_rx_rings, nr_ringid, nr_cmd, nr_arg1, nr_arg2;
	uint32_t nr_arg3, nr_flags, spare1;
};

_Static_assert(sizeof(struct netmap_ring) == 256, "netmap_ring header");
_Static_assert(sizeof(struct netmap_if) == 56, "netmap_if header");
_Static_assert(sizeof(struct nmreq_header) == 88, "nmreq_header");
_Static_assert(sizeof(struct nmreq_register) == 56, "nmreq_register");
_Static_assert(sizeof(struct nmreq) == 60, "nmreq");

#define NIOCCTRL 0xC0586997u
#define NIOCTXSYNC 0x6994u
#define NIOCRXSYNC 0x6995u
#define NIOCGINFO 0xC03C6991u
#define NIOCREGIF 0xC03C6992u

enum { REQ_REGISTER = 1, REQ_PORT_INFO_GET = 2, REQ_VALE_LIST = 5, REQ_VALE_DELIF = 9, REQ_CSB_ENABLE = 15 };
enum { OPT_EXTMEM = 1, OPT_KLOOP_EVENTFDS = 2, OPT_CSB = 3, OPT_KLOOP_MODE = 4 };
enum { REG_ALL_NIC = 1, REG_SW = 2, REG_ONE_NIC = 4, REG_PIPE_MASTER = 5, REG_PIPE_SLAVE = 6, REG_NULL = 7 };
#define NR_MONITOR_TX 0x100ull
#define NR_MONITOR_RX 0x200ull
#define NR_EXCLUSIVE 0x800ull
#define NR_NO_TX_POLL 0x20000ull
#define NS_BUF_CHANGED 0x1
#define NS_MOREFRAG 0x20

#define NETMAP_IF(base, ofs) ((struct netmap_if *)((char *)(base) + (ofs)))
#define NETMAP_TXRING(nifp, i) ((struct netmap_ring *)((char *)(nifp) + (nifp)->ring_ofs[i]))
#define NETMAP_RXRING(nifp, i) ((struct netmap_ring *)((char *)(nifp) + (nifp)->ring_ofs[(i) + (nifp)->ni_tx_rings + (nifp)->ni_host_tx_rings]))
#define NETMAP_BUF(ring, idx) ((char *)(ring) + (ring)->buf_ofs + (int64_t)(idx) * (ring)->nr_buf_size)

static inline uint32_t nm_next(struct netmap_ring *r, uint32_t i) { return i + 1 == r->num_slots ? 0 : i + 1; }
static inline uint32_t nm_space(struct netmap_ring *r) { int64_t s = (int64_t)r->tail - r->head; return (uint32_t)(s < 0 ? s + r->num_slots : s); }

static int failures;
#define CHECK(cond, ...) do { if (!(cond)) { fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); fprintf(stderr, __VA_ARGS__); fprintf(stderr, " (errno %d %s)\n", errno, strerror(errno)); failures++; exit(1); } } while (0)

struct port {
	int fd;
	struct nmreq_register reg;
	void *mem;
	struct netmap_if *nifp;
};

static inline int nm_register(struct port *p, const char *name, uint32_t mode, uint16_t ringid, uint64_t flags, uint16_t mem_id)
{
	struct nmreq_header h;
	memset(&h, 0, sizeof h);
	memset(&p->reg, 0, sizeof p->reg);
	h.nr_version = 14;
	h.nr_reqtype = REQ_REGISTER;
	snprintf(h.nr_name, sizeof h.nr_name, "%s", name);
	h.nr_body = (uint64_t)(uintptr_t)&p->reg;
	p->reg.nr_mode = mode;
	p->reg.nr_ringid = ringid;
	p->reg.nr_flags = flags;
	p->reg.nr_mem_id = mem_id;
	return ioctl(p->fd, NIOCCTRL, &h);
}

/* open + REGISTER + mmap, exiting on failure */
static inline void port_open(struct port *p, const char *name, uint32_t mode, uint64_t flags, uint16_t mem_id)
{
	p->fd = open("/dev/netmap", O_RDWR);
	CHECK(p->fd >= 0, "open /dev/netmap");
	CHECK(nm_register(p, name, mode, 0, flags, mem_id) == 0, "REGISTER %s", name);
	p->mem = mmap(NULL, p->reg.nr_memsize, PROT_READ | PROT_WRITE, MAP_SHARED, p->fd, 0);
	CHECK(p->mem != MAP_FAILED, "mmap %s (%llu bytes)", name, (unsigned long long)p->reg.nr_memsize);
	p->nifp = NETMAP_IF(p->mem, p->reg.nr_offset);
}

static inline void port_close(struct port *p)
{
	munmap(p->mem, p->reg.nr_memsize);
	close(p->fd);
}

/* Fills one packet of len bytes (pattern seeded by seq) into TX ring r, in fragments of at most frag bytes. */
static inline int put_packet(struct netmap_ring *r, uint32_t seq, int len, int frag)
{
	int nfrag = (len + frag - 1) / frag;
	if ((int)nm_space(r) < nfrag) return 0;
	uint32_t h = r->head;
	for (int f = 0, off = 0; f < nfrag; f++) {
		struct netmap_slot *s = &r->slot[h];
		int l = len - off < frag ? len - off : frag;
		unsigned char *b = (unsigned char *)NETMAP_BUF(r, s->buf_idx);
		for (int i = 0; i < l; i++) b[i] = (unsigned char)(seq * 7 + off + i);
		s->len = (uint16_t)l;
		s->flags = f + 1 < nfrag ? NS_MOREFRAG : 0;
		off += l;
		h = nm_next(r, h);
	}
	r->head = r->cur = h;
	return 1;
}

/* Takes one whole packet from RX ring r and checks it byte for byte; returns its length, 0 if none, -1 if wrong. */
static inline int get_packet(struct netmap_ring *r, uint32_t seq, int len)
{
	uint32_t h = r->head;
	int off = 0;
	if (h == r->tail) return 0;
	for (;;) {
		if (h == r->tail) return -1; /* a packet must arrive whole */
		struct netmap_slot *s = &r->slot[h];
		unsigned char *b = (unsigned char *)NETMAP_BUF(r, s->buf_idx);
		for (int i = 0; i < s->len; i++)
			if (b[i] != (unsigned char)(seq * 7 + off + i)) { fprintf(stderr, "byte %d of packet %u: %u\n", off + i, seq, b[i]); return -1; }
		off += s->len;
		int more = s->flags & NS_MOREFRAG;
		h = nm_next(r, h);
		if (!more) break;
	}
	r->head = r->cur = h;
	return off == len ? off : -1;
}
#endif
