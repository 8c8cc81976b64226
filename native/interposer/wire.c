/*
 * The daemon protocol on one connection (docs/ARCHITECTURE.md, "Hosts"): a request is netmap's structs in message
 * form; the reply is a ReplyHeader, the message as written back, a detail text, and descriptors by SCM_RIGHTS.
 *
 * Several threads may have requests outstanding on one connection, and after fork() two processes share it. Every
 * request therefore ends with a 16-byte tag {magic, pid, seq} past its structs, which netmapd echoes with the message
 * (the engine never looks beyond the structs). One thread of a process reads at a time: it peeks at the next reply,
 * leaves a reply tagged with another live process's pid where it is (that process will read it), and hands a reply
 * of this process to the waiter with that seq; so replies need not come back in request order (the later blocking
 * SYNC_KLOOP_START, answered after a STOP sent by another thread, is matched by its tag). A request at the size limit
 * has no room for the tag; its reply goes to the oldest untagged waiter of this process. A reply netmapd sends
 * without a request (refusing the connection: too many connections, no descriptors) goes to the oldest waiter.
 */
#include "nmi.h"
#include <errno.h>
#include <string.h>
#include <stdlib.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include <sys/uio.h>

#define TAG_MAGIC 0x54494d4eu /* "NMIT" */
#define REPLY_CAP (sizeof(struct nmi_reply_header) + NMI_MSG_MAX + 16 + NMI_REPLY_MAX_DETAIL)

struct tag { uint32_t magic; uint32_t pid; uint64_t seq; };

struct nmi_waiter {
	uint64_t seq;              /* 0: untagged */
	int done;
	void *msg;
	int cap;
	struct nmi_reply *r;
	struct nmi_waiter *next;
};

static uint64_t next_seq = 1;

void nmi_wire_reset(struct nmi_file *f)
{
	pthread_mutex_init(&f->send_lock, NULL);
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->cond, NULL);
	f->reader_active = 0;
	f->waiters = NULL;
}

/* One request message, with descriptors by SCM_RIGHTS when nfds > 0. */
static int send_all(int fd, const void *buf, int len, const int *fds, int nfds)
{
	struct iovec iov = { (void *)buf, (size_t)len };
	char ctl[CMSG_SPACE(sizeof(int) * NMI_MAX_FDS_PER_MSG)];
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (nfds > 0) {
		if (nfds > NMI_MAX_FDS_PER_MSG)
			return -E2BIG;
		memset(ctl, 0, sizeof ctl);
		m.msg_control = ctl;
		m.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
	}
	for (;;) {
		ssize_t n = sendmsg(fd, &m, MSG_NOSIGNAL);
		if (n >= 0)
			return 0;
		if (errno != EINTR)
			return -errno;
	}
}

static void close_fds(int *fds, int n)
{
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0)
			nmi_real_close(fds[i]);
}

/* The tag of a reply in buf[0..n): 0 and *pid 0 when untagged. */
static uint64_t reply_tag(const char *buf, ssize_t n, uint32_t *pid)
{
	const struct nmi_reply_header *h = (const void *)buf;
	*pid = 0;
	if (n < (ssize_t)sizeof *h || h->message_length < 88 + (int)sizeof(struct tag) ||
	    (ssize_t)sizeof *h + h->message_length > n)
		return 0;
	struct tag t;
	memcpy(&t, buf + sizeof *h + h->message_length - sizeof t, sizeof t);
	if (t.magic != TAG_MAGIC)
		return 0;
	*pid = t.pid;
	return t.seq;
}

/* Reads one reply of this process and delivers it; returns 0, or -errno when the connection failed. */
static int read_one(struct nmi_file *f)
{
	static __thread char buf[REPLY_CAP];
	for (;;) {
		struct iovec iov = { buf, sizeof buf };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t n = nmi_real_recvmsg(f->sock, &m, MSG_PEEK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n == 0 ? -EPIPE : -errno;
		uint32_t pid;
		uint64_t seq = reply_tag(buf, n, &pid);
		int mine = pid == 0 || pid == (uint32_t)getpid();
		if (!mine && kill((pid_t)pid, 0) == 0) {
			struct timespec ts = { 0, 200000 };
			nanosleep(&ts, NULL); /* another process's reply: it will take it */
			continue;
		}
		char ctl[CMSG_SPACE(sizeof(int) * NMI_MAX_FDS_PER_MSG)];
		struct msghdr r = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl };
		do
			n = nmi_real_recvmsg(f->sock, &r, MSG_CMSG_CLOEXEC);
		while (n < 0 && errno == EINTR);
		if (n <= 0)
			return n == 0 ? -EPIPE : -errno;
		int fds[NMI_MAX_FDS_PER_MSG], nfds = 0;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&r); c; c = CMSG_NXTHDR(&r, c)) {
			if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
				continue;
			int k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
			for (int i = 0; i < k; i++) {
				int fd;
				memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
				if (nfds < NMI_MAX_FDS_PER_MSG) fds[nfds++] = fd; else nmi_real_close(fd);
			}
		}
		if (!mine) { /* the reply of a process that died: nobody will read it */
			close_fds(fds, nfds);
			continue;
		}
		pthread_mutex_lock(&f->lock);
		struct nmi_waiter *w = f->waiters;
		for (; w; w = w->next)
			if (!w->done && (seq ? w->seq == seq : w->seq == 0))
				break;
		if (!w && !seq) /* an untagged reply nobody sent untagged: netmapd refusing the connection (limits) */
			for (w = f->waiters; w && w->done; w = w->next)
				;
		if (!w) {
			pthread_mutex_unlock(&f->lock);
			close_fds(fds, nfds);
			nmi_log("netmap-interpose: fd %d: a reply nobody waits for (seq %llu) was dropped", f->sock, (unsigned long long)seq);
			continue;
		}
		const struct nmi_reply_header *h = (const void *)buf;
		struct nmi_reply *out = w->r;
		memset(out, 0, sizeof *out);
		if (n < (ssize_t)sizeof *h || h->message_length < 0 || h->message_length > w->cap || h->detail_length < 0 ||
		    (ssize_t)sizeof *h + h->message_length + h->detail_length != n) {
			out->err = EPROTO;
			close_fds(fds, nfds);
		} else {
			out->err = h->err;
			out->token = h->token;
			out->msglen = h->message_length;
			out->backend_fds = h->backend_fds;
			memcpy(w->msg, buf + sizeof *h, (size_t)h->message_length);
			int dl = h->detail_length > NMI_REPLY_MAX_DETAIL ? NMI_REPLY_MAX_DETAIL : h->detail_length;
			memcpy(out->detail, buf + sizeof *h + h->message_length, (size_t)dl);
			out->detail[dl] = 0;
			out->nfds = nfds;
			memcpy(out->fds, fds, sizeof(int) * (size_t)nfds);
		}
		w->done = 1;
		pthread_cond_broadcast(&f->cond);
		pthread_mutex_unlock(&f->lock);
		return 0;
	}
}

int nmi_call_fds(struct nmi_file *f, void *msg, int len, int cap, const int *fds, int nfds, struct nmi_reply *r)
{
	struct nmi_waiter w = { .msg = msg, .cap = cap, .r = r };
	memset(r, 0, sizeof *r);
	if (len + (int)sizeof(struct tag) <= NMI_MSG_MAX && len + (int)sizeof(struct tag) <= cap) {
		w.seq = __atomic_fetch_add(&next_seq, 1, __ATOMIC_RELAXED);
		struct tag t = { TAG_MAGIC, (uint32_t)getpid(), w.seq };
		memcpy((char *)msg + len, &t, sizeof t);
		len += sizeof t;
	}
	pthread_mutex_lock(&f->send_lock);
	pthread_mutex_lock(&f->lock);
	struct nmi_waiter **tail = &f->waiters; /* registered before sending: another thread may read the reply at once */
	while (*tail)
		tail = &(*tail)->next;
	*tail = &w;
	pthread_mutex_unlock(&f->lock);
	int e = send_all(f->sock, msg, len, fds, nfds);
	pthread_mutex_unlock(&f->send_lock);

	pthread_mutex_lock(&f->lock);
	while (e == 0 && !w.done) {
		if (f->reader_active) {
			pthread_cond_wait(&f->cond, &f->lock);
			continue;
		}
		f->reader_active = 1;
		pthread_mutex_unlock(&f->lock);
		int re = read_one(f);
		pthread_mutex_lock(&f->lock);
		f->reader_active = 0;
		pthread_cond_broadcast(&f->cond);
		if (re < 0 && !w.done)
			e = re;
	}
	for (struct nmi_waiter **p = &f->waiters; *p; p = &(*p)->next)
		if (*p == &w) { *p = w.next; break; }
	pthread_mutex_unlock(&f->lock);
	if (e < 0) {
		r->err = -e;
		snprintf(r->detail, sizeof r->detail, "netmapd connection: %s", strerror(-e));
		/* netmapd may have refused the connection (limits) before closing it: its reason is waiting to be read */
		static __thread char buf[sizeof(struct nmi_reply_header) + NMI_REPLY_MAX_DETAIL + 16];
		ssize_t n = nmi_real_recvmsg(f->sock, &(struct msghdr){ .msg_iov = &(struct iovec){ buf, sizeof buf }, .msg_iovlen = 1 }, MSG_DONTWAIT);
		const struct nmi_reply_header *h = (const void *)buf;
		if (n >= (ssize_t)sizeof *h && h->err > 0 && h->message_length == 0 && h->detail_length >= 0 &&
		    (ssize_t)sizeof *h + h->detail_length <= n) {
			r->err = h->err;
			int dl = h->detail_length > NMI_REPLY_MAX_DETAIL ? NMI_REPLY_MAX_DETAIL : h->detail_length;
			memcpy(r->detail, buf + sizeof *h, (size_t)dl);
			r->detail[dl] = 0;
		}
		return -1;
	}
	return 0;
}

int nmi_call(struct nmi_file *f, void *msg, int len, int cap, struct nmi_reply *r)
{
	return nmi_call_fds(f, msg, len, cap, NULL, 0, r);
}
