/*
 * netmap's poll() semantics for netmap fds mixed with ordinary ones (spec section 3, "poll()"): every round runs the
 * syncs (txsync on bound TX rings unless NR_NO_TX_POLL, even with events 0; rxsync when POLLIN is asked), a netmap
 * fd is ready when cur != tail after the sync, POLLERR when it is not registered or a ring needed a reinit.
 * Waiting: spin as NetmapPort.Poll does (50 us for shared-memory ports), then arm each port's wakeup and re-check
 * (so no kick is lost), then sleep in the real poll on the ordinary fds plus every port's wait descriptors (its kick
 * descriptor, and the kernel queues of a Linux interface), then repeat; at the timeout one last scan.
 * The rounds are the C# code (nmi_check -> PortBinding) in this process, or SESSION_SYNC requests in a fork child.
 * select/pselect become a pollfd array; epoll keeps, per epoll fd, the netmap fds added to it and puts their wait
 * descriptors into the real epoll set under a cookie.
 */
#include "nmi.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/syscall.h>

#define PORT_IN 1
#define PORT_OUT 4
#define PORT_ERR 8

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int port_events(short ev)
{
	return ((ev & (POLLIN | POLLRDNORM)) ? PORT_IN : 0) | ((ev & (POLLOUT | POLLWRNORM)) ? PORT_OUT : 0);
}

/* One round on f for poll events ev; returns the user's revents. mode 0 check, 1 arm, 2 disarm + check. */
int nmi_check(struct nmi_file *f, int ev, int mode)
{
	if (!__atomic_load_n(&f->registered, __ATOMIC_ACQUIRE))
		return POLLERR;
	int want = port_events((short)ev), ready;
	if (nmi_handle_usable(f)) {
		ready = nmi_rt_check(f->handle, want, mode);
	} else {
		uint32_t fl = mode == 1 ? NMI_SS_ARM : mode == 2 ? (NMI_SS_DISARM | NMI_SS_CHECK) : NMI_SS_CHECK;
		if (nmi_session_sync(f, fl, want, &ready) != 0)
			return POLLERR;
	}
	int rev = 0;
	if (ready & PORT_IN) rev |= ev & (POLLIN | POLLRDNORM);
	if (ready & PORT_OUT) rev |= ev & (POLLOUT | POLLWRNORM);
	if (ready & PORT_ERR) rev |= POLLERR;
	return rev;
}

/* Resets the kick descriptor: an eventfd (read) or a datagram socket (recv until empty). */
void nmi_drain(struct nmi_file *f)
{
	if (nmi_handle_usable(f)) {
		nmi_rt_drain(f->handle);
		return;
	}
	char b[64];
	for (int i = 0; i < 64; i++) {
		ssize_t n = recv(f->kickfd, b, sizeof b, MSG_DONTWAIT);
		if (n < 0 && errno == ENOTSOCK) {
			(void)!syscall(SYS_read, f->kickfd, b, 8); /* eventfds are non-blocking */
			return;
		}
		if (n < 0)
			return;
	}
}

/* The wait descriptors of f for user events ev, appended to w (the kick fd first). */
static int add_waits(struct nmi_file *f, short ev, struct pollfd *w, int max)
{
	int n = 0;
	if (!f->registered || max < 1)
		return 0;
	int want = port_events(ev);
	w[n++] = (struct pollfd){ f->kickfd, POLLIN, 0 };
	for (int i = 0; i < f->nback && n < max; i++)
		w[n++] = (struct pollfd){ f->backfds[i], (short)(((want & PORT_IN) ? POLLIN : 0) | ((want & PORT_OUT) ? POLLOUT : 0)), 0 };
	return n;
}

static int real_wait(struct pollfd *p, nfds_t n, int64_t left_ns, const sigset_t *mask)
{
	if (left_ns < 0)
		return mask ? nmi_real_ppoll(p, n, NULL, mask) : nmi_real_poll(p, n, -1);
	struct timespec ts = { left_ns / 1000000000, left_ns % 1000000000 };
	return nmi_real_ppoll(p, n, &ts, mask);
}

int nmi_poll(struct pollfd *fds, nfds_t n, int64_t timeout_ns, const sigset_t *mask)
{
	/* a few fds (the usual case: one to a handful of ports): everything on the stack, no allocation per call */
	enum { SMALL = 8, SMALL_W = SMALL * (2 + NMI_MAX_FDS_PER_MSG) };
	struct nmi_file *stackf[SMALL];
	struct pollfd stackw[SMALL_W];
	int stacko[SMALL_W];
	int small = n <= SMALL;
	int nwmax = (int)n * (2 + NMI_MAX_FDS_PER_MSG);
	struct nmi_file **nf = small ? stackf : calloc(n, sizeof *nf);
	struct pollfd *w = small ? stackw : malloc(sizeof *w * (size_t)(nwmax > 0 ? nwmax : 1));
	int *owner = small ? stacko : malloc(sizeof(int) * (size_t)(nwmax > 0 ? nwmax : 1));
	int rc = -1;
	if (!nf || !w || !owner) { errno = ENOMEM; goto out; }
	int nothers = 0, nnm = 0;
	int64_t spin = 0;
	for (nfds_t i = 0; i < n; i++) {
		nf[i] = nmi_lookup(fds[i].fd);
		fds[i].revents = 0;
		if (nf[i]) {
			nnm++;
			if (nf[i]->spin_ns > spin && nmi_handle_usable(nf[i])) spin = nf[i]->spin_ns;
		} else if (fds[i].fd >= 0) {
			nothers++;
		}
	}
	const int64_t start = now_ns();
	const int64_t deadline = timeout_ns < 0 ? INT64_MAX : start + timeout_ns;

	/* ordinary fds first in w (their revents are copied back), then the netmap fds' wait descriptors */
	int nw0 = 0;
	for (nfds_t i = 0; i < n; i++)
		if (!nf[i] && fds[i].fd >= 0) { w[nw0] = fds[i]; w[nw0].revents = 0; owner[nw0++] = (int)i; }

	for (int phase = 0; ; phase++) {
		int mode = phase == 0 ? 0 : 1;       /* the first round only looks; later ones arm before sleeping */
		int64_t t = now_ns();
		int spinning = phase > 0 && t < start + spin && t < deadline;
		if (spinning) mode = 0;
		int ready = 0;
		for (nfds_t i = 0; i < n; i++) {
			if (!nf[i]) continue;
			fds[i].revents = (short)nmi_check(nf[i], fds[i].events, mode);
			if (fds[i].revents) ready++;
		}
		int others = 0;
		if (nothers && (ready || phase == 0 || spinning)) {
			others = nmi_real_poll(w, (nfds_t)nw0, 0);
			if (others < 0) { if (errno == EINTR) { rc = -1; goto out; } others = 0; }
		}
		if (ready || others || timeout_ns == 0) break;
		if (spinning) { sched_yield(); continue; }
		if (phase == 0) continue;
		/* armed and nothing ready: sleep */
		int nw = nw0;
		for (nfds_t i = 0; i < n; i++) {
			if (!nf[i] || !port_events(fds[i].events)) continue; /* events 0: flushed each round, never waited on */
			int k = add_waits(nf[i], fds[i].events, w + nw, nwmax - nw);
			for (int j = 0; j < k; j++) owner[nw + j] = (int)i;
			nw += k;
		}
		t = now_ns();
		if (t >= deadline) {
			for (nfds_t i = 0; i < n; i++) /* the last scan */
				if (nf[i]) fds[i].revents = (short)nmi_check(nf[i], fds[i].events, 2);
			break;
		}
		int r = real_wait(w, (nfds_t)nw, deadline == INT64_MAX ? -1 : deadline - t, mask);
		if (r < 0) {
			if (errno == EINTR) { rc = -1; goto out; }
			goto out;
		}
		for (int j = nw0; j < nw; j++)
			if (w[j].revents && w[j].fd == nf[owner[j]]->kickfd)
				nmi_drain(nf[owner[j]]);
		int any_other = 0;
		for (int j = 0; j < nw0; j++) if (w[j].revents) any_other = 1;
		if (any_other) {
			for (nfds_t i = 0; i < n; i++)
				if (nf[i]) fds[i].revents = (short)nmi_check(nf[i], fds[i].events, 2);
			break;
		}
		if (deadline != INT64_MAX && now_ns() >= deadline) {
			for (nfds_t i = 0; i < n; i++)
				if (nf[i]) fds[i].revents = (short)nmi_check(nf[i], fds[i].events, 2);
			break;
		}
	}
	for (int j = 0; j < nw0; j++) fds[owner[j]].revents = w[j].revents;
	rc = 0;
	for (nfds_t i = 0; i < n; i++) if (fds[i].revents) rc++;
out:
	if (!small) {
		free(nf);
		free(w);
		free(owner);
	}
	return rc;
}

/* ---------------------------------------------------------------- epoll */

#define COOKIE 0x4E4D495000000000ull   /* "NMIP" << 32 | entry id */

struct ep_entry {
	int epfd, fd, id;
	struct nmi_file *f;
	uint32_t events;
	epoll_data_t data;
	int disabled;
	int nw;
	int wfds[1 + NMI_MAX_FDS_PER_MSG];
	struct ep_entry *next;
};

static struct ep_entry *eps;
static int ep_ids;
static pthread_mutex_t ep_lock = PTHREAD_MUTEX_INITIALIZER;

static struct ep_entry *ep_find(int epfd, int fd)
{
	for (struct ep_entry *e = eps; e; e = e->next)
		if (e->epfd == epfd && e->fd == fd) return e;
	return NULL;
}

static int ep_has(int epfd)
{
	for (struct ep_entry *e = eps; e; e = e->next)
		if (e->epfd == epfd) return 1;
	return 0;
}

static void ep_unwatch(struct ep_entry *e, int (*ctl)(int, int, int, struct epoll_event *))
{
	for (int i = 0; i < e->nw; i++) ctl(e->epfd, EPOLL_CTL_DEL, e->wfds[i], NULL);
	e->nw = 0;
}

static void ep_watch(struct ep_entry *e, int (*ctl)(int, int, int, struct epoll_event *))
{
	struct pollfd w[1 + NMI_MAX_FDS_PER_MSG];
	short pev = (short)(((e->events & EPOLLIN) ? POLLIN : 0) | ((e->events & EPOLLOUT) ? POLLOUT : 0));
	int k = add_waits(e->f, pev, w, 1 + NMI_MAX_FDS_PER_MSG);
	for (int i = 0; i < k; i++) {
		struct epoll_event ev = { .events = ((w[i].events & POLLIN) ? EPOLLIN : 0) | ((w[i].events & POLLOUT) ? EPOLLOUT : 0),
		                          .data.u64 = COOKIE | (uint32_t)e->id };
		if (ctl(e->epfd, EPOLL_CTL_ADD, w[i].fd, &ev) == 0 || errno == EEXIST)
			e->wfds[e->nw++] = w[i].fd;
	}
}

/* epoll_ctl on a netmap fd: 0/-1 (errno), the entry kept here instead of the socket in the kernel's set. */
int nmi_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev, int (*ctl)(int, int, int, struct epoll_event *))
{
	struct nmi_file *f = nmi_lookup(fd);
	pthread_mutex_lock(&ep_lock);
	struct ep_entry *e = ep_find(epfd, fd);
	int rc = 0;
	switch (op) {
	case EPOLL_CTL_ADD:
		if (e) { errno = EEXIST; rc = -1; break; }
		if (!ev) { errno = EFAULT; rc = -1; break; }
		e = calloc(1, sizeof *e);
		if (!e) { errno = ENOMEM; rc = -1; break; }
		*e = (struct ep_entry){ .epfd = epfd, .fd = fd, .id = ++ep_ids, .f = f, .events = ev->events, .data = ev->data, .next = eps };
		eps = e;
		ep_watch(e, ctl);
		break;
	case EPOLL_CTL_MOD:
		if (!e) { errno = ENOENT; rc = -1; break; }
		if (!ev) { errno = EFAULT; rc = -1; break; }
		ep_unwatch(e, ctl);
		e->events = ev->events; e->data = ev->data; e->disabled = 0;
		ep_watch(e, ctl);
		break;
	case EPOLL_CTL_DEL:
		if (!e) { errno = ENOENT; rc = -1; break; }
		ep_unwatch(e, ctl);
		for (struct ep_entry **p = &eps; *p; p = &(*p)->next)
			if (*p == e) { *p = e->next; break; }
		free(e);
		break;
	default:
		errno = EINVAL; rc = -1;
	}
	pthread_mutex_unlock(&ep_lock);
	return rc;
}

void nmi_epoll_forget(int fd)
{
	pthread_mutex_lock(&ep_lock);
	for (struct ep_entry **p = &eps; *p; ) {
		struct ep_entry *e = *p;
		if (e->epfd == fd || e->fd == fd) { *p = e->next; free(e); } else p = &e->next;
	}
	pthread_mutex_unlock(&ep_lock);
}

static int ep_round(int epfd, struct epoll_event *out, int max, int mode)
{
	int n = 0;
	pthread_mutex_lock(&ep_lock);
	for (struct ep_entry *e = eps; e && n < max; e = e->next) {
		if (e->epfd != epfd || e->disabled) continue;
		short pev = (short)(((e->events & EPOLLIN) ? POLLIN : 0) | ((e->events & EPOLLOUT) ? POLLOUT : 0));
		int rev = nmi_check(e->f, pev, mode);
		if (!rev) continue;
		out[n].events = ((rev & POLLIN) ? EPOLLIN : 0) | ((rev & POLLOUT) ? EPOLLOUT : 0) | ((rev & POLLERR) ? EPOLLERR : 0);
		out[n].data = e->data;
		if (e->events & EPOLLONESHOT) e->disabled = 1;
		n++;
	}
	pthread_mutex_unlock(&ep_lock);
	return n;
}

/* Drops our cookies from what the kernel returned (draining those kicks); returns the user's events kept. */
static int ep_filter(struct epoll_event *ev, int n)
{
	int k = 0;
	for (int i = 0; i < n; i++) {
		if ((ev[i].data.u64 & 0xFFFFFFFF00000000ull) == COOKIE) {
			int id = (int)(ev[i].data.u64 & 0xFFFFFFFFu);
			pthread_mutex_lock(&ep_lock);
			for (struct ep_entry *e = eps; e; e = e->next)
				if (e->id == id) { if (e->f->registered) nmi_drain(e->f); break; }
			pthread_mutex_unlock(&ep_lock);
			continue;
		}
		ev[k++] = ev[i];
	}
	return k;
}

int nmi_epoll_wait(int epfd, struct epoll_event *ev, int max, int timeout, const sigset_t *mask,
                   int (*pwait)(int, struct epoll_event *, int, int, const sigset_t *), int *handled)
{
	pthread_mutex_lock(&ep_lock);
	*handled = ep_has(epfd);
	pthread_mutex_unlock(&ep_lock);
	if (!*handled || max <= 0)
		return 0;
	const int64_t start = now_ns();
	const int64_t deadline = timeout < 0 ? INT64_MAX : start + (int64_t)timeout * 1000000;
	for (int phase = 0; ; phase++) {
		int mode = phase == 0 ? 0 : 1;
		int n = ep_round(epfd, ev, max, mode);
		if (n < max) {
			int k = pwait(epfd, ev + n, max - n, 0, NULL);
			if (k > 0) n += ep_filter(ev + n, k);
		}
		if (n > 0 || timeout == 0) return n;
		if (phase == 0) continue;
		int64_t t = now_ns();
		if (t >= deadline) return ep_round(epfd, ev, max, 2);
		int64_t left = deadline == INT64_MAX ? -1 : (deadline - t + 999999) / 1000000;
		int k = pwait(epfd, ev, max, (int)left, mask);
		if (k < 0) return -1;
		k = ep_filter(ev, k);
		if (k > 0) {
			int m = k < max ? ep_round(epfd, ev + k, max - k, 2) : 0;
			return k + m;
		}
	}
}

/* ---------------------------------------------------------------- select */

int nmi_select(int nfds, fd_set *r, fd_set *wr, fd_set *ex, int64_t timeout_ns, const sigset_t *mask, int *handled)
{
	*handled = 0;
	if (nfds <= 0 || nfds > FD_SETSIZE) return 0;
	int any = 0, cnt = 0;
	for (int fd = 0; fd < nfds; fd++) {
		int in = (r && FD_ISSET(fd, r)) || (wr && FD_ISSET(fd, wr)) || (ex && FD_ISSET(fd, ex));
		if (!in) continue;
		cnt++;
		if (nmi_lookup(fd)) any = 1;
	}
	if (!any) return 0;
	*handled = 1;
	struct pollfd *p = calloc((size_t)cnt, sizeof *p);
	if (!p) { errno = ENOMEM; return -1; }
	int k = 0;
	for (int fd = 0; fd < nfds; fd++) {
		short ev = 0;
		if (r && FD_ISSET(fd, r)) ev |= POLLIN;
		if (wr && FD_ISSET(fd, wr)) ev |= POLLOUT;
		if (ex && FD_ISSET(fd, ex)) ev |= POLLPRI;
		if (ev) p[k++] = (struct pollfd){ fd, ev, 0 };
	}
	int rc = nmi_poll(p, (nfds_t)k, timeout_ns, mask);
	if (rc < 0) { free(p); return -1; }
	for (int i = 0; i < k; i++)
		if (p[i].revents & POLLNVAL) { free(p); errno = EBADF; return -1; }
	if (r) FD_ZERO(r);
	if (wr) FD_ZERO(wr);
	if (ex) FD_ZERO(ex);
	int bits = 0;
	for (int i = 0; i < k; i++) {
		short ev = p[i].events, rv = p[i].revents;
		if ((ev & POLLIN) && (rv & (POLLIN | POLLHUP | POLLERR))) { FD_SET(p[i].fd, r); bits++; }
		if ((ev & POLLOUT) && (rv & (POLLOUT | POLLERR))) { FD_SET(p[i].fd, wr); bits++; }
		if ((ev & POLLPRI) && (rv & POLLPRI)) { FD_SET(p[i].fd, ex); bits++; }
	}
	free(p);
	return bits;
}
