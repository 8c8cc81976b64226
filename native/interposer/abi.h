/*
 * netmap's control ABI as the interposer needs it (x86_64 Linux), written from the spec
 * (/work/shared/netmap-spec.md section 2): request header, option header, body and option sizes, ioctl numbers,
 * and our extensions of the daemon protocol (docs/ARCHITECTURE.md, "C programs").
 */
#ifndef NMI_ABI_H
#define NMI_ABI_H
#include <stdint.h>

#define NMI_NIOCCTRL    0xC0586997u
#define NMI_NIOCTXSYNC  0x6994u
#define NMI_NIOCRXSYNC  0x6995u
#define NMI_NIOCGINFO   0xC03C6991u
#define NMI_NIOCREGIF   0xC03C6992u

#define NMI_REQ_MAXSIZE 4096
#define NMI_MIN_API 14
#define NMI_MAX_API 15

struct nmi_req_header {          /* struct nmreq_header, 88 bytes */
	uint16_t nr_version;
	uint16_t nr_reqtype;
	uint32_t nr_reserved;
	char     nr_name[64];
	uint64_t nr_options;
	uint64_t nr_body;
};

struct nmi_req_option {          /* struct nmreq_option, 24 bytes */
	uint64_t nro_next;
	uint32_t nro_reqtype;
	uint32_t nro_status;
	uint64_t nro_size;
};

struct nmi_req_register {        /* struct nmreq_register, 56 bytes */
	uint64_t nr_offset;
	uint64_t nr_memsize;
	uint32_t nr_tx_slots, nr_rx_slots;
	uint16_t nr_tx_rings, nr_rx_rings, nr_host_tx_rings, nr_host_rx_rings;
	uint16_t nr_mem_id, nr_ringid;
	uint32_t nr_mode;
	uint32_t nr_extra_bufs;
	uint32_t pad;
	uint64_t nr_flags;
};

struct nmi_legacy_req {          /* legacy struct nmreq, 60 bytes */
	char     nr_name[16];
	uint32_t nr_version, nr_offset, nr_memsize, nr_tx_slots, nr_rx_slots;
	uint16_t nr_tx_rings, nr_rx_rings, nr_ringid, nr_cmd, nr_arg1, nr_arg2;
	uint32_t nr_arg3, nr_flags, spare1;
};

enum {
	NMI_REQ_REGISTER = 1, NMI_REQ_PORT_INFO_GET = 2, NMI_REQ_VALE_ATTACH = 3, NMI_REQ_VALE_DETACH = 4,
	NMI_REQ_VALE_LIST = 5, NMI_REQ_PORT_HDR_SET = 6, NMI_REQ_PORT_HDR_GET = 7, NMI_REQ_VALE_NEWIF = 8,
	NMI_REQ_VALE_DELIF = 9, NMI_REQ_VALE_POLLING_ENABLE = 10, NMI_REQ_VALE_POLLING_DISABLE = 11,
	NMI_REQ_POOLS_INFO_GET = 12, NMI_REQ_SYNC_KLOOP_START = 13, NMI_REQ_SYNC_KLOOP_STOP = 14,
	NMI_REQ_CSB_ENABLE = 15,
	/* our extensions (src/Netmap/Abi/RequestType.cs) */
	NMI_REQ_VALE_PORT_STATS = 0x4E01, NMI_REQ_SESSION_REGISTRATION_GET = 0x4E02, NMI_REQ_SESSION_SYNC = 0x4E03,
	NMI_REQ_LEGACY_REGIF = 0x4E04, NMI_REQ_LEGACY_GINFO = 0x4E05,
};

enum {
	NMI_OPT_EXTMEM = 1, NMI_OPT_SYNC_KLOOP_EVENTFDS = 2, NMI_OPT_CSB = 3, NMI_OPT_SYNC_KLOOP_MODE = 4,
	NMI_OPT_OFFSETS = 5, NMI_OPT_IF_BACKEND = 0x4E00,
};

#define NMI_NR_NO_TX_POLL 0x20000ull
#define NMI_LEGACY_NO_TX_POLL 0x1000

/* NETMAP_REQ_SESSION_SYNC body (src/Netmap/Abi/NmReqSessionSync.cs), 16 bytes */
struct nmi_session_sync {
	uint32_t flags;
	uint16_t events;
	uint16_t revents;
	uint64_t reserved;
};
#define NMI_SS_TXSYNC 1u
#define NMI_SS_RXSYNC 2u
#define NMI_SS_CHECK  4u
#define NMI_SS_ARM    8u
#define NMI_SS_DISARM 16u

/* netmapd's reply envelope (src/Netmap/Hosting/Daemon/ReplyHeader.cs), 24 bytes */
struct nmi_reply_header {
	int32_t  err;
	uint32_t token;
	int32_t  message_length;
	int32_t  detail_length;
	int32_t  backend_fds;
	int32_t  reserved;
};
#define NMI_REPLY_MAX_DETAIL 512

_Static_assert(sizeof(struct nmi_req_header) == 88, "nmreq_header");
_Static_assert(sizeof(struct nmi_req_option) == 24, "nmreq_option");
_Static_assert(sizeof(struct nmi_req_register) == 56, "nmreq_register");
_Static_assert(sizeof(struct nmi_legacy_req) == 60, "struct nmreq");
_Static_assert(sizeof(struct nmi_session_sync) == 16, "NmReqSessionSync");
_Static_assert(sizeof(struct nmi_reply_header) == 24, "ReplyHeader");

/* Body size of a request type: >0 bytes, -1 none, 0 unknown type (sent without body). */
static inline int nmi_body_size(uint16_t t)
{
	switch (t) {
	case NMI_REQ_REGISTER: return 56;
	case NMI_REQ_PORT_INFO_GET: return 32;
	case NMI_REQ_VALE_ATTACH: return 64;
	case NMI_REQ_VALE_DETACH: case NMI_REQ_VALE_LIST: case NMI_REQ_PORT_HDR_SET: case NMI_REQ_PORT_HDR_GET: return 8;
	case NMI_REQ_VALE_NEWIF: case NMI_REQ_VALE_POLLING_ENABLE: case NMI_REQ_VALE_POLLING_DISABLE: return 16;
	case NMI_REQ_POOLS_INFO_GET: return 64;
	case NMI_REQ_SYNC_KLOOP_START: return 8;
	case NMI_REQ_VALE_DELIF: case NMI_REQ_SYNC_KLOOP_STOP: case NMI_REQ_CSB_ENABLE: return -1;
	case NMI_REQ_VALE_PORT_STATS: return 64;
	default: return 0;
	}
}

/* Bytes after the 24-byte option header, as the kernel copies them. */
static inline uint64_t nmi_option_body_size(uint32_t type, uint64_t nro_size)
{
	switch (type) {
	case NMI_OPT_EXTMEM: return 96 - 24;
	case NMI_OPT_SYNC_KLOOP_EVENTFDS: return nro_size >= 24 ? nro_size - 24 : 0;
	case NMI_OPT_CSB: return 40 - 24;
	case NMI_OPT_SYNC_KLOOP_MODE: return 32 - 24;
	case NMI_OPT_OFFSETS: return 56 - 24;
	case NMI_OPT_IF_BACKEND: return 32 - 24;
	default: return 0;
	}
}

#endif
