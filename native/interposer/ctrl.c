/*
 * The netmap ioctls on a netmap fd. NIOCCTRL mirrors the kernel's nmreq_copyin/nmreq_copyout: the header (88 B),
 * the body by request type and every option of the chain are gathered from user memory into one message, user
 * pointers replaced by message offsets (a chain that comes back to an option already gathered keeps its loop in the
 * message, so the engine's own rules decide it); the reply is scattered back: the header always (user pointers
 * restored), the body only on success, every option header (nro_status, nro_next restored), option bodies only when
 * both the request and that option succeeded. User memory is touched only with process_vm_readv/writev, so a bad
 * pointer is EFAULT, never a crash. The budget is the kernel's: body + options <= NETMAP_REQ_MAXSIZE, else EMSGSIZE.
 */
#include "nmi.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/uio.h>

int nmi_uread(void *dst, uint64_t src, size_t len)
{
	if (len == 0)
		return 0;
	struct iovec l = { dst, len }, r = { (void *)(uintptr_t)src, len };
	return src != 0 && process_vm_readv(getpid(), &l, 1, &r, 1, 0) == (ssize_t)len ? 0 : -EFAULT;
}

int nmi_uwrite(uint64_t dst, const void *src, size_t len)
{
	if (len == 0)
		return 0;
	struct iovec l = { (void *)src, len }, r = { (void *)(uintptr_t)dst, len };
	return dst != 0 && process_vm_writev(getpid(), &l, 1, &r, 1, 0) == (ssize_t)len ? 0 : -EFAULT;
}

static void report(const struct nmi_reply *r, const char *what)
{
	if (r->err && (nmi_verbose() || strncmp(r->detail, "netmapd", 7) == 0)) /* the connection's own failures always */
		nmi_log("netmap-interpose: %s: %s%s%s", what, strerror(r->err), r->detail[0] ? ": " : "", r->detail);
}

/*
 * Options whose bodies carry user pointers or descriptors (OPT_EXTMEM's nro_usrptr, OPT_CSB's csb_atok/csb_ktoa,
 * OPT_SYNC_KLOOP_EVENTFDS's eventfd numbers) travel byte-exact today, and the engine answers them with netmap's
 * errnos. This is where their glue goes, once the engine serves them: given the gathered option (header + body in
 * the message) it adds the descriptors to send with the request (memfd of the extmem pages, the eventfds) to
 * fds/nfds, which niocctrl() sends by SCM_RIGHTS with the message (nmi_call_fds); daemon-side pointers never
 * travel back (the scatter restores the user's bytes). It returns 0 or an errno that fails the request unsent.
 */
static int option_glue(struct nmi_req_option *opt, void *body, int *fds, int *nfds)
{
	(void)body; (void)fds; (void)nfds;
	switch (opt->nro_reqtype) {
	case NMI_OPT_EXTMEM:               /* the engine refuses extmem (EOPNOTSUPP): nothing to map for it */
	case NMI_OPT_CSB:                  /* CSB mode is not offered (EOPNOTSUPP / EINVAL per netmap's rules) */
	case NMI_OPT_SYNC_KLOOP_EVENTFDS:  /* only meaningful with SYNC_KLOOP_START, which needs a CSB */
	default:
		return 0;
	}
}

static int registered_from_reply(struct nmi_file *f, struct nmi_reply *r, uint64_t nifp, uint64_t memsize, int txpoll, const char *name)
{
	if (r->nfds >= 2)
		nmi_set_registration(f, r->fds, r->nfds, r->backend_fds, nifp, memsize, r->token, txpoll, name);
	else
		for (int i = 0; i < r->nfds; i++) nmi_real_close(r->fds[i]);
	r->nfds = 0;
	return 0;
}

static void close_reply_fds(struct nmi_reply *r)
{
	for (int i = 0; i < r->nfds; i++) nmi_real_close(r->fds[i]);
	r->nfds = 0;
}

#define MAX_OPTIONS (NMI_REQ_MAXSIZE / 24)

static int niocctrl(struct nmi_file *f, uint64_t uhdr)
{
	static __thread char msg[NMI_MSG_MAX + 16];
	struct nmi_req_header h;
	if (nmi_uread(&h, uhdr, sizeof h))
		return EFAULT;
	h.nr_name[sizeof h.nr_name - 1] = 0;
	const uint64_t ubody = h.nr_body, uopts = h.nr_options;
	struct nmi_req_header *m = (void *)msg;
	*m = h;
	m->nr_body = m->nr_options = 0;
	int len = (int)sizeof h;
	int rqsz = nmi_body_size(h.nr_reqtype);
	uint64_t uaddr[MAX_OPTIONS], unext[MAX_OPTIONS], osz[MAX_OPTIONS];
	int off[MAX_OPTIONS], nopt = 0, err = 0;
	int fds[NMI_MAX_FDS_PER_MSG], nfds = 0;

	if (h.nr_version >= NMI_MIN_API && h.nr_version <= NMI_MAX_API && h.nr_reserved == 0) {
		if (ubody) {
			m->nr_body = (uint64_t)len; /* present; a type without a body then fails EINVAL in the engine */
			if (rqsz > 0) {
				if (nmi_uread(msg + len, ubody, (size_t)rqsz)) { err = EFAULT; goto writeback_header; }
				len += rqsz;
			}
		}
		uint64_t total = rqsz > 0 ? (uint64_t)rqsz : 0;
		uint64_t *link = &m->nr_options;
		for (uint64_t src = uopts; src; ) {
			int seen = -1;
			for (int k = 0; k < nopt; k++)
				if (uaddr[k] == src) { seen = k; break; }
			if (seen >= 0) { *link = (uint64_t)off[seen]; break; }
			struct nmi_req_option o;
			if (nmi_uread(&o, src, sizeof o)) { err = EFAULT; goto writeback_header; }
			uint64_t bsz = nmi_option_body_size(o.nro_reqtype, o.nro_size);
			total += sizeof o + bsz;
			if (total > NMI_REQ_MAXSIZE || nopt == MAX_OPTIONS) { err = EMSGSIZE; goto writeback_header; }
			struct nmi_req_option *mo = (void *)(msg + len);
			*mo = o;
			if (nmi_uread(mo + 1, src + sizeof o, (size_t)bsz)) { err = EFAULT; goto writeback_header; }
			uaddr[nopt] = src; unext[nopt] = o.nro_next; osz[nopt] = bsz; off[nopt] = len;
			*link = (uint64_t)len;
			link = &mo->nro_next;
			*link = 0;
			len += (int)(sizeof o + bsz);
			if ((err = option_glue(mo, mo + 1, fds, &nfds)) != 0) goto writeback_header;
			nopt++;
			src = o.nro_next;
		}
	}

	struct nmi_reply r;
	if (nmi_call_fds(f, msg, len, sizeof msg, fds, nfds, &r) < 0) {
		report(&r, h.nr_name);
		return r.err;
	}
	report(&r, h.nr_name);
	err = r.err;
	if (r.msglen < (int)sizeof h) {
		close_reply_fds(&r);
		goto writeback_header;
	}
	/* scatter */
	memcpy(&h, msg, sizeof h);
	h.nr_body = ubody;
	h.nr_options = uopts;
	if (nmi_uwrite(uhdr, &h, sizeof h)) { close_reply_fds(&r); return EFAULT; }
	if (err == 0 && rqsz > 0 && ubody && nmi_uwrite(ubody, msg + sizeof h, (size_t)rqsz)) { close_reply_fds(&r); return EFAULT; }
	for (int k = 0; k < nopt; k++) {
		struct nmi_req_option *mo = (void *)(msg + off[k]);
		struct nmi_req_option o = *mo;
		o.nro_next = unext[k];
		if (nmi_uwrite(uaddr[k], &o, sizeof o)) { close_reply_fds(&r); return EFAULT; }
		if (err == 0 && o.nro_status == 0 && nmi_uwrite(uaddr[k] + sizeof o, mo + 1, (size_t)osz[k])) { close_reply_fds(&r); return EFAULT; }
	}
	if (err == 0 && h.nr_reqtype == NMI_REQ_REGISTER && rqsz > 0) {
		struct nmi_req_register reg;
		memcpy(&reg, msg + sizeof h, sizeof reg);
		registered_from_reply(f, &r, reg.nr_offset, reg.nr_memsize, !(reg.nr_flags & NMI_NR_NO_TX_POLL), h.nr_name);
	}
	close_reply_fds(&r);
	return err;

writeback_header:
	/* what the kernel's ioctl copy-out does on an early failure: the header goes back as it came */
	h.nr_body = ubody;
	h.nr_options = uopts;
	if (nmi_uwrite(uhdr, &h, sizeof h))
		return EFAULT;
	return err;
}

static int legacy(struct nmi_file *f, uint64_t ureq, int regif)
{
	char msg[88 + sizeof(struct nmi_legacy_req) + 16];
	struct nmi_req_header *h = (void *)msg;
	struct nmi_legacy_req lr;
	if (nmi_uread(&lr, ureq, sizeof lr))
		return EFAULT;
	memset(h, 0, sizeof *h);
	h->nr_version = NMI_MIN_API;
	h->nr_reqtype = regif ? NMI_REQ_LEGACY_REGIF : NMI_REQ_LEGACY_GINFO;
	h->nr_body = sizeof *h;
	memcpy(msg + sizeof *h, &lr, sizeof lr);
	struct nmi_reply r;
	char name[17];
	memcpy(name, lr.nr_name, 16);
	name[16] = 0;
	if (nmi_call(f, msg, sizeof *h + sizeof lr, sizeof msg, &r) < 0) {
		report(&r, name);
		return r.err;
	}
	report(&r, name);
	if (r.err || r.msglen < (int)(sizeof *h + sizeof lr)) {
		close_reply_fds(&r);
		return r.err ? r.err : EPROTO;
	}
	memcpy(&lr, msg + sizeof *h, sizeof lr);
	if (nmi_uwrite(ureq, &lr, sizeof lr)) {
		close_reply_fds(&r);
		return EFAULT;
	}
	if (regif && lr.nr_cmd == 0) {
		int txpoll = !(lr.nr_ringid & NMI_LEGACY_NO_TX_POLL) && !(lr.nr_flags & NMI_NR_NO_TX_POLL);
		registered_from_reply(f, &r, lr.nr_offset, lr.nr_memsize, txpoll, name);
	}
	close_reply_fds(&r);
	return 0;
}

int nmi_session_sync(struct nmi_file *f, uint32_t flags, int events, int *revents)
{
	char msg[88 + sizeof(struct nmi_session_sync) + 16];
	struct nmi_req_header *h = (void *)msg;
	memset(msg, 0, sizeof msg);
	h->nr_version = NMI_MIN_API;
	h->nr_reqtype = NMI_REQ_SESSION_SYNC;
	h->nr_body = sizeof *h;
	struct nmi_session_sync *b = (void *)(msg + sizeof *h);
	b->flags = flags;
	b->events = (uint16_t)events;
	struct nmi_reply r;
	if (nmi_call(f, msg, sizeof *h + sizeof *b, sizeof msg, &r) < 0)
		return r.err;
	close_reply_fds(&r);
	if (revents)
		*revents = r.err == 0 && r.msglen >= (int)(sizeof *h + sizeof *b) ? b->revents : POLLERR;
	return r.err;
}

/* Adoption: the registration of a file this process did not register (ENXIO: not registered, nothing to do). */
int nmi_fetch_registration(struct nmi_file *f)
{
	char msg[88 + sizeof(struct nmi_req_register) + 16];
	struct nmi_req_header *h = (void *)msg;
	memset(msg, 0, sizeof msg);
	h->nr_version = NMI_MIN_API;
	h->nr_reqtype = NMI_REQ_SESSION_REGISTRATION_GET;
	h->nr_body = sizeof *h;
	struct nmi_reply r;
	if (nmi_call(f, msg, sizeof *h + sizeof(struct nmi_req_register), sizeof msg, &r) < 0)
		return r.err;
	if (r.err == 0 && r.msglen >= (int)(sizeof *h + sizeof(struct nmi_req_register))) {
		struct nmi_req_register reg;
		memcpy(&reg, msg + sizeof *h, sizeof reg);
		registered_from_reply(f, &r, reg.nr_offset, reg.nr_memsize, !(reg.nr_flags & NMI_NR_NO_TX_POLL), "adopted");
	}
	close_reply_fds(&r);
	return r.err;
}

int nmi_ioctl(struct nmi_file *f, int fd, unsigned long req, void *arg)
{
	(void)fd;
	int err;
	switch ((unsigned)req) {
	case NMI_NIOCCTRL:
		err = niocctrl(f, (uint64_t)(uintptr_t)arg);
		break;
	case NMI_NIOCREGIF:
	case NMI_NIOCGINFO:
		err = legacy(f, (uint64_t)(uintptr_t)arg, (unsigned)req == NMI_NIOCREGIF);
		break;
	case NMI_NIOCTXSYNC:
	case NMI_NIOCRXSYNC: {
		int tx = (unsigned)req == NMI_NIOCTXSYNC;
		if (!__atomic_load_n(&f->registered, __ATOMIC_ACQUIRE)) { err = ENXIO; break; }
		if (nmi_handle_usable(f)) {
			if (tx) nmi_rt_txsync(f->handle); else nmi_rt_rxsync(f->handle);
			err = 0;
		} else {
			err = nmi_session_sync(f, tx ? NMI_SS_TXSYNC : NMI_SS_RXSYNC, 0, NULL);
		}
		break;
	}
	default:
		err = EOPNOTSUPP;
		break;
	}
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}
