/*
 * nmtest SCENARIO [ARGS]: netmap programs written from the ABI alone, run under bin/netmap-run by
 * tests/Netmap.Tests/Interposer. Each scenario exits 0 when every check passed, else prints "FAIL ..." and exits 1.
 */
#include "nmtest.h"
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

static const char *self_path;
static int g_bcast; /* VALE: frames get a broadcast destination (bytes 0..5 = ff) */

static int plen(uint32_t seq) { return 60 + (int)((seq * 1237u) % 5000u); }

static void fix_bcast(struct netmap_ring *r, uint32_t first)
{
	if (g_bcast) memset(NETMAP_BUF(r, r->slot[first].buf_idx), 0xff, 6);
}

static int send_one(struct netmap_ring *r, uint32_t seq, int len)
{
	uint32_t h = r->head;
	if (!put_packet(r, seq, len, (int)r->nr_buf_size)) return 0;
	fix_bcast(r, h);
	return 1;
}

static int recv_one(struct netmap_ring *r, uint32_t seq, int len)
{
	if (g_bcast && r->head != r->tail) { /* restore the pattern bytes the sender replaced */
		unsigned char *b = (unsigned char *)NETMAP_BUF(r, r->slot[r->head].buf_idx);
		for (int i = 0; i < 6; i++) { if (b[i] != 0xff) return -1; b[i] = (unsigned char)(seq * 7 + i); }
	}
	return get_packet(r, seq, len);
}

/* Sends n packets through tx (ring of port a) and receives them on rx (port b), syncing by ioctl or by poll. */
static void exchange(struct port *a, struct port *b, uint32_t n, int by_poll, int maxlen)
{
	struct netmap_ring *tx = NETMAP_TXRING(a->nifp, 0), *rx = NETMAP_RXRING(b->nifp, 0);
	uint32_t sent = 0, got = 0;
	time_t start = time(NULL);
	while (got < n) {
		CHECK(time(NULL) - start < 20, "exchange stalled: sent %u got %u", sent, got);
		while (sent < n && send_one(tx, sent, maxlen ? (plen(sent) % maxlen) + 60 : plen(sent))) sent++;
		if (by_poll) {
			struct pollfd p[2] = { { a->fd, sent < n ? POLLOUT : 0, 0 }, { b->fd, POLLIN, 0 } };
			CHECK(poll(p, 2, 1000) >= 0, "poll");
			CHECK(!(p[0].revents & POLLERR) && !(p[1].revents & POLLERR), "POLLERR");
		} else {
			CHECK(ioctl(a->fd, NIOCTXSYNC, NULL) == 0, "TXSYNC");
			CHECK(ioctl(b->fd, NIOCRXSYNC, NULL) == 0, "RXSYNC");
		}
		int r;
		while ((r = recv_one(rx, got, maxlen ? (plen(got) % maxlen) + 60 : plen(got))) > 0) got++;
		CHECK(r == 0, "packet %u is not what was sent", got);
	}
}

static void sc_pipe(int by_poll)
{
	struct port m, s;
	port_open(&m, by_poll ? "ctp{1" : "cti{1", REG_ALL_NIC, 0, 0);
	port_open(&s, by_poll ? "ctp}1" : "cti}1", REG_ALL_NIC, 0, 0);
	CHECK(m.reg.nr_mem_id == s.reg.nr_mem_id, "pipe ends share memory");
	exchange(&m, &s, 20000, by_poll, 0);
	port_close(&m);
	port_close(&s);
}

static void *delayed_send(void *arg)
{
	struct port *m = arg;
	usleep(150000);
	struct netmap_ring *tx = NETMAP_TXRING(m->nifp, 0);
	put_packet(tx, 7, 100, 2048);
	ioctl(m->fd, NIOCTXSYNC, NULL);
	return NULL;
}

static int64_t ms_since(struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* poll on a netmap fd mixed with a socket: timeout, socket-only readiness, netmap wakeup from another thread,
 * POLLERR for an unregistered fd, ppoll with a signal mask and EINTR. */
static void sc_pollmix(void)
{
	struct port m, s;
	port_open(&m, "cpm{1", REG_ALL_NIC, 0, 0);
	port_open(&s, "cpm}1", REG_ALL_NIC, 0, 0);
	int sp[2];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0, "socketpair");
	struct pollfd p[2] = { { s.fd, POLLIN, 0 }, { sp[0], POLLIN, 0 } };
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK(poll(p, 2, 200) == 0, "nothing is ready");
	int64_t el = ms_since(&t0);
	CHECK(el >= 190 && el < 1500, "poll slept %lld ms for a 200 ms timeout", (long long)el);
	CHECK(write(sp[1], "x", 1) == 1, "write");
	CHECK(poll(p, 2, 1000) == 1 && p[1].revents == POLLIN && p[0].revents == 0, "only the socket is ready (%x %x)", p[0].revents, p[1].revents);
	char c;
	CHECK(read(sp[0], &c, 1) == 1, "read");
	pthread_t th;
	pthread_create(&th, NULL, delayed_send, &m);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK(poll(p, 2, 5000) == 1 && p[0].revents == POLLIN, "woken by the pipe (%x)", p[0].revents);
	el = ms_since(&t0);
	CHECK(el >= 100 && el < 3000, "woke after %lld ms", (long long)el);
	pthread_join(th, NULL);
	struct netmap_ring *rx = NETMAP_RXRING(s.nifp, 0);
	CHECK(get_packet(rx, 7, 100) == 100, "the packet");
	CHECK(read(s.fd, &c, 1) == -1 && errno == EINVAL && write(s.fd, &c, 1) == -1 && errno == EINVAL, "read/write on a netmap fd: EINVAL");
	/* TX room: POLLOUT at once */
	struct pollfd o = { m.fd, POLLOUT, 0 };
	CHECK(poll(&o, 1, 0) == 1 && o.revents == POLLOUT, "POLLOUT");
	/* poll() flushes TX rings (np_txpoll) even with events 0 */
	put_packet(NETMAP_TXRING(m.nifp, 0), 9, 77, 2048);
	struct pollfd z = { m.fd, 0, 0 };
	poll(&z, 1, 0);
	CHECK(ioctl(s.fd, NIOCRXSYNC, NULL) == 0 && get_packet(rx, 9, 77) == 77, "poll with no events sent the packet");
	/* unregistered */
	int u = open("/dev/netmap", O_RDWR);
	struct pollfd e = { u, POLLIN, 0 };
	CHECK(poll(&e, 1, 100) == 1 && (e.revents & POLLERR), "POLLERR for an unregistered fd");
	close(u);
	/* ppoll: a blocked signal stays blocked while waiting; an unblocked one interrupts with EINTR */
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &old);
	kill(getpid(), SIGUSR1); /* pending and blocked: ppoll with the same mask must not deliver it */
	struct timespec ts = { 0, 100000000 };
	struct pollfd q = { s.fd, POLLIN, 0 };
	CHECK(ppoll(&q, 1, &ts, &block) == 0, "blocked signal: timeout");
	struct sigaction ign = { 0 };
	ign.sa_handler = SIG_IGN;
	sigaction(SIGUSR1, &ign, NULL); /* discard the pending one before unblocking */
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(sp[0]); close(sp[1]);
	port_close(&m);
	port_close(&s);
}

static void handler(int sig) { (void)sig; }

static void sc_eintr(void)
{
	struct port m, s;
	port_open(&m, "cie{1", REG_ALL_NIC, 0, 0);
	port_open(&s, "cie}1", REG_ALL_NIC, 0, 0);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = handler;
	sigaction(SIGALRM, &sa, NULL);
	alarm(1);
	struct pollfd q = { s.fd, POLLIN, 0 };
	errno = 0;
	CHECK(poll(&q, 1, 5000) == -1 && errno == EINTR, "poll interrupted by SIGALRM: EINTR");
	port_close(&m);
	port_close(&s);
}

static void sc_legacy(void)
{
	int fds[2];
	struct nmreq r[2];
	void *mem[2];
	for (int i = 0; i < 2; i++) {
		fds[i] = open("/dev/netmap", O_RDWR);
		CHECK(fds[i] >= 0, "open");
		memset(&r[i], 0, sizeof r[i]);
		snprintf(r[i].nr_name, sizeof r[i].nr_name, "clg");
		r[i].nr_version = 14;
		r[i].nr_flags = i == 0 ? REG_PIPE_MASTER : REG_PIPE_SLAVE;
		r[i].nr_ringid = 3;
		CHECK(ioctl(fds[i], NIOCREGIF, &r[i]) == 0, "NIOCREGIF %s pipe %s", r[i].nr_name, i ? "slave" : "master");
		CHECK(r[i].nr_memsize > 0 && r[i].nr_tx_rings == 1 && r[i].nr_rx_slots > 0, "written back");
		mem[i] = mmap(NULL, r[i].nr_memsize, PROT_READ | PROT_WRITE, MAP_SHARED, fds[i], 0);
		CHECK(mem[i] != MAP_FAILED, "mmap");
	}
	CHECK(r[0].nr_arg2 == r[1].nr_arg2, "same mem_id in nr_arg2");
	struct port a = { fds[0], { 0 }, mem[0], NETMAP_IF(mem[0], r[0].nr_offset) };
	struct port b = { fds[1], { 0 }, mem[1], NETMAP_IF(mem[1], r[1].nr_offset) };
	CHECK(strcmp(a.nifp->ni_name, "clg{3") == 0, "PIPE_MASTER became name clg{3 (%s)", a.nifp->ni_name);
	exchange(&a, &b, 3000, 0, 0);
	/* NIOCGINFO of the pipe end */
	int g = open("/dev/netmap", O_RDWR);
	struct nmreq gi;
	memset(&gi, 0, sizeof gi);
	snprintf(gi.nr_name, sizeof gi.nr_name, "clg{3");
	gi.nr_version = 14;
	CHECK(ioctl(g, NIOCGINFO, &gi) == 0 && gi.nr_memsize == r[0].nr_memsize && gi.nr_arg2 == r[0].nr_arg2, "NIOCGINFO");
	gi.nr_version = 13;
	errno = 0;
	CHECK(ioctl(g, NIOCGINFO, &gi) == -1 && errno == EINVAL, "nr_version 13: EINVAL");
	CHECK(ioctl(g, NIOCREGIF, (void *)16) == -1 && errno == EFAULT, "bad pointer: EFAULT");
	close(g);
	/* NETMAP_NO_TX_POLL in nr_ringid: poll() without POLLOUT must not flush the TX ring */
	int q[2];
	struct nmreq qr[2];
	void *qm[2];
	for (int i = 0; i < 2; i++) {
		q[i] = open("/dev/netmap", O_RDWR);
		memset(&qr[i], 0, sizeof qr[i]);
		snprintf(qr[i].nr_name, sizeof qr[i].nr_name, "clq");
		qr[i].nr_version = 14;
		qr[i].nr_flags = i == 0 ? REG_PIPE_MASTER : REG_PIPE_SLAVE;
		qr[i].nr_ringid = 1 | (i == 0 ? 0x1000 /* NETMAP_NO_TX_POLL */ : 0);
		CHECK(ioctl(q[i], NIOCREGIF, &qr[i]) == 0, "NIOCREGIF clq");
		qm[i] = mmap(NULL, qr[i].nr_memsize, PROT_READ | PROT_WRITE, MAP_SHARED, q[i], 0);
		CHECK(qm[i] != MAP_FAILED, "mmap clq");
	}
	struct netmap_ring *qt = NETMAP_TXRING(NETMAP_IF(qm[0], qr[0].nr_offset), 0);
	struct netmap_ring *qx = NETMAP_RXRING(NETMAP_IF(qm[1], qr[1].nr_offset), 0);
	CHECK(put_packet(qt, 3, 90, 2048), "room");
	struct pollfd z = { q[0], POLLIN, 0 };
	poll(&z, 1, 0);
	CHECK(ioctl(q[1], NIOCRXSYNC, NULL) == 0 && qx->head == qx->tail, "NO_TX_POLL: poll(POLLIN) did not transmit");
	struct pollfd o = { q[0], POLLOUT, 0 };
	CHECK(poll(&o, 1, 0) == 1, "POLLOUT");
	CHECK(ioctl(q[1], NIOCRXSYNC, NULL) == 0 && get_packet(qx, 3, 90) == 90, "poll(POLLOUT) transmitted");
	for (int i = 0; i < 2; i++) { munmap(qm[i], qr[i].nr_memsize); close(q[i]); }
	/* a VALE port through NIOCREGIF: its own region */
	int v = open("/dev/netmap", O_RDWR);
	struct nmreq vr;
	memset(&vr, 0, sizeof vr);
	snprintf(vr.nr_name, sizeof vr.nr_name, "valelg:x");
	vr.nr_version = 14;
	vr.nr_flags = REG_ALL_NIC;
	CHECK(ioctl(v, NIOCREGIF, &vr) == 0 && vr.nr_arg2 != r[0].nr_arg2 && vr.nr_memsize > 0, "NIOCREGIF of a VALE port");
	void *vm = mmap(NULL, vr.nr_memsize, PROT_READ | PROT_WRITE, MAP_SHARED, v, 0);
	CHECK(vm != MAP_FAILED && (NETMAP_IF(vm, vr.nr_offset)->ni_flags & 1), "NI_PRIV_MEM");
	munmap(vm, vr.nr_memsize);
	close(v);
	for (int i = 0; i < 2; i++) { munmap(mem[i], r[i].nr_memsize); close(fds[i]); }
}

static void sc_vale(int by_poll)
{
	struct port a, b;
	g_bcast = 1;
	port_open(&a, by_poll ? "valect:pa" : "valect:ia", REG_ALL_NIC, 0, 0);
	port_open(&b, by_poll ? "valect:pb" : "valect:ib", REG_ALL_NIC, 0, 0);
	CHECK(a.reg.nr_mem_id != b.reg.nr_mem_id, "VALE ports have private memory");
	/* VALE forwards asynchronously in netmapd: poll for room and for frames */
	struct netmap_ring *tx = NETMAP_TXRING(a.nifp, 0), *rx = NETMAP_RXRING(b.nifp, 0);
	uint32_t sent = 0, got = 0, n = 5000;
	time_t start = time(NULL);
	while (got < n) {
		CHECK(time(NULL) - start < 20, "vale stalled: sent %u got %u", sent, got);
		while (sent < n && sent - got < 200 && send_one(tx, sent, 60 + sent % 1400)) sent++;
		if (by_poll) {
			struct pollfd p[2] = { { a.fd, POLLOUT, 0 }, { b.fd, POLLIN, 0 } };
			CHECK(poll(p, 2, 1000) >= 0, "poll");
		} else {
			ioctl(a.fd, NIOCTXSYNC, NULL);
			struct pollfd p = { b.fd, POLLIN, 0 };
			poll(&p, 1, 10);
		}
		int r;
		while ((r = recv_one(rx, got, 60 + got % 1400)) > 0) got++;
		CHECK(r == 0, "frame %u differs", got);
	}
	port_close(&a);
	port_close(&b);
	g_bcast = 0;
}

static void sc_null(void)
{
	struct port m, n;
	port_open(&m, "cnl{1", REG_ALL_NIC, 0, 0);
	n.fd = open("/dev/netmap", O_RDWR);
	CHECK(nm_register(&n, "cnlx", REG_NULL, 0, 0, 0) == -1 && errno == EINVAL, "null port without mem_id: EINVAL");
	CHECK(nm_register(&n, "cnlx", REG_NULL, 0, 0, m.reg.nr_mem_id) == 0, "null port in the pipe's region");
	CHECK(n.reg.nr_mem_id == m.reg.nr_mem_id, "same region");
	CHECK(ioctl(n.fd, NIOCTXSYNC, NULL) == 0 && ioctl(n.fd, NIOCRXSYNC, NULL) == 0, "null syncs");
	n.mem = mmap(NULL, n.reg.nr_memsize, PROT_READ | PROT_WRITE, MAP_SHARED, n.fd, 0);
	CHECK(n.mem != MAP_FAILED, "mmap null");
	n.nifp = NETMAP_IF(n.mem, n.reg.nr_offset);
	CHECK(strcmp(n.nifp->ni_name, "null:cnlx") == 0, "name %s", n.nifp->ni_name);
	port_close(&n);
	port_close(&m);
}

static void sc_monitor(void)
{
	struct port m, s, mon;
	port_open(&m, "cmo{1", REG_ALL_NIC, 0, 0);
	port_open(&s, "cmo}1", REG_ALL_NIC, 0, 0);
	port_open(&mon, "cmo{1", REG_ALL_NIC, NR_MONITOR_TX, 0);
	CHECK(mon.reg.nr_mem_id == m.reg.nr_mem_id, "a monitor lives in the monitored region");
	struct netmap_ring *tx = NETMAP_TXRING(m.nifp, 0), *mrx = NETMAP_RXRING(mon.nifp, 0), *rx = NETMAP_RXRING(s.nifp, 0);
	for (uint32_t i = 0; i < 50; i++) CHECK(put_packet(tx, i, 200 + i, 2048), "room");
	CHECK(ioctl(m.fd, NIOCTXSYNC, NULL) == 0, "TXSYNC");
	struct pollfd p = { mon.fd, POLLIN, 0 };
	CHECK(poll(&p, 1, 2000) == 1 && p.revents == POLLIN, "monitor has frames");
	for (uint32_t i = 0; i < 50; i++) {
		int r = get_packet(mrx, i, 200 + i);
		if (r == 0) { ioctl(mon.fd, NIOCRXSYNC, NULL); r = get_packet(mrx, i, 200 + i); }
		CHECK(r == 200 + (int)i, "monitor copy %u", i);
	}
	CHECK(ioctl(s.fd, NIOCRXSYNC, NULL) == 0, "RXSYNC");
	for (uint32_t i = 0; i < 50; i++) CHECK(get_packet(rx, i, 200 + i) > 0, "receiver %u", i);
	port_close(&mon);
	port_close(&m);
	port_close(&s);
}

static void sc_select(void)
{
	struct port m, s;
	port_open(&m, "csl{1", REG_ALL_NIC, 0, 0);
	port_open(&s, "csl}1", REG_ALL_NIC, 0, 0);
	int sp[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sp);
	fd_set r;
	FD_ZERO(&r); FD_SET(s.fd, &r); FD_SET(sp[0], &r);
	struct timeval tv = { 0, 100000 };
	int mx = (s.fd > sp[0] ? s.fd : sp[0]) + 1;
	CHECK(select(mx, &r, NULL, NULL, &tv) == 0, "select: nothing");
	pthread_t th;
	pthread_create(&th, NULL, delayed_send, &m);
	FD_ZERO(&r); FD_SET(s.fd, &r); FD_SET(sp[0], &r);
	tv = (struct timeval){ 5, 0 };
	CHECK(select(mx, &r, NULL, NULL, &tv) == 1 && FD_ISSET(s.fd, &r) && !FD_ISSET(sp[0], &r), "select: the pipe");
	pthread_join(th, NULL);
	fd_set w;
	FD_ZERO(&w); FD_SET(m.fd, &w);
	struct timespec ts = { 1, 0 };
	CHECK(pselect(m.fd + 1, NULL, &w, NULL, &ts, NULL) == 1 && FD_ISSET(m.fd, &w), "pselect: TX room");
	close(sp[0]); close(sp[1]);
	port_close(&m);
	port_close(&s);
}

static void sc_epoll(void)
{
	struct port m, s;
	port_open(&m, "cep{1", REG_ALL_NIC, 0, 0);
	port_open(&s, "cep}1", REG_ALL_NIC, 0, 0);
	int sp[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sp);
	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 111 };
	CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, s.fd, &ev) == 0, "epoll add netmap fd");
	ev.data.u64 = 222;
	CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, sp[0], &ev) == 0, "epoll add socket");
	struct epoll_event out[4];
	CHECK(epoll_wait(ep, out, 4, 100) == 0, "epoll: nothing");
	pthread_t th;
	pthread_create(&th, NULL, delayed_send, &m);
	int n = epoll_wait(ep, out, 4, 5000);
	CHECK(n == 1 && out[0].data.u64 == 111 && (out[0].events & EPOLLIN), "epoll: the pipe (%d, %llu)", n, n > 0 ? (unsigned long long)out[0].data.u64 : 0ull);
	pthread_join(th, NULL);
	CHECK(get_packet(NETMAP_RXRING(s.nifp, 0), 7, 100) == 100, "packet");
	CHECK(write(sp[1], "x", 1) == 1, "write");
	n = epoll_wait(ep, out, 4, 1000);
	CHECK(n == 1 && out[0].data.u64 == 222, "epoll: the socket");
	char c; (void)!read(sp[0], &c, 1);
	ev.events = EPOLLOUT; ev.data.u64 = 333;
	CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, m.fd, &ev) == 0, "epoll add tx fd");
	n = epoll_pwait(ep, out, 4, 1000, NULL);
	CHECK(n == 1 && out[0].data.u64 == 333 && (out[0].events & EPOLLOUT), "epoll_pwait: TX room");
	CHECK(epoll_ctl(ep, EPOLL_CTL_DEL, m.fd, NULL) == 0 && epoll_wait(ep, out, 4, 50) == 0, "deleted");
	close(ep); close(sp[0]); close(sp[1]);
	port_close(&m);
	port_close(&s);
}

struct thr { struct port *p; int kind, ok; };

static void *thr_requests(void *arg)
{
	struct thr *t = arg;
	for (int i = 0; i < 1500; i++) {
		struct nmreq_header h;
		memset(&h, 0, sizeof h);
		h.nr_version = 14;
		if (t->kind == 0) {
			struct nmreq_port_info_get info;
			memset(&info, 0, sizeof info);
			h.nr_reqtype = REQ_PORT_INFO_GET;
			snprintf(h.nr_name, sizeof h.nr_name, "cth{1");
			h.nr_body = (uintptr_t)&info;
			if (ioctl(t->p->fd, NIOCCTRL, &h) != 0 || info.nr_memsize != t->p->reg.nr_memsize) return NULL;
		} else {
			struct nmreq_vale_list l;
			memset(&l, 0, sizeof l);
			h.nr_reqtype = REQ_VALE_LIST;
			snprintf(h.nr_name, sizeof h.nr_name, "valecth:nope");
			h.nr_body = (uintptr_t)&l;
			if (ioctl(t->p->fd, NIOCCTRL, &h) != -1 || errno != ENOENT) { fprintf(stderr, "VALE_LIST errno %d\n", errno); return NULL; }
		}
	}
	t->ok = 1;
	return NULL;
}

static void sc_threads(void)
{
	struct port m, s;
	port_open(&m, "cth{1", REG_ALL_NIC, 0, 0);
	port_open(&s, "cth}1", REG_ALL_NIC, 0, 0);
	struct thr a = { &m, 0, 0 }, b = { &m, 1, 0 };
	pthread_t ta, tb;
	pthread_create(&ta, NULL, thr_requests, &a);
	pthread_create(&tb, NULL, thr_requests, &b);
	exchange(&m, &s, 20000, 0, 0); /* syncs on the same fd meanwhile */
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	CHECK(a.ok && b.ok, "concurrent requests on one fd all answered correctly");
	port_close(&m);
	port_close(&s);
}

static void sc_badptr(void)
{
	int fd = open("/dev/netmap", O_RDWR);
	CHECK(fd >= 0, "open");
	errno = 0;
	CHECK(ioctl(fd, NIOCCTRL, (void *)8) == -1 && errno == EFAULT, "header at an unmapped address: EFAULT");
	char *page = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(page + 4096, 4096);
	struct nmreq_header h;
	memset(&h, 0, sizeof h);
	h.nr_version = 14;
	h.nr_reqtype = REQ_REGISTER;
	snprintf(h.nr_name, sizeof h.nr_name, "cbp{1");
	h.nr_body = (uintptr_t)(page + 4096);
	CHECK(ioctl(fd, NIOCCTRL, &h) == -1 && errno == EFAULT, "body at an unmapped address: EFAULT");
	CHECK(h.nr_body == (uintptr_t)(page + 4096) && strcmp(h.nr_name, "cbp{1") == 0, "header written back unchanged");
	struct nmreq_register reg;
	memset(&reg, 0, sizeof reg);
	h.nr_body = (uintptr_t)&reg;
	/* an option chain that loops on itself: EMSGSIZE for an unknown type, EINVAL (duplicate) for a known one */
	struct nmreq_option o;
	memset(&o, 0, sizeof o);
	o.nro_reqtype = 100;
	o.nro_next = (uintptr_t)&o;
	h.nr_options = (uintptr_t)&o;
	CHECK(ioctl(fd, NIOCCTRL, &h) == -1 && errno == EMSGSIZE, "self loop, unknown type: EMSGSIZE (%d)", errno);
	struct nmreq_opt_csb csb;
	memset(&csb, 0, sizeof csb);
	csb.nro_opt.nro_reqtype = OPT_CSB;
	csb.nro_opt.nro_next = (uintptr_t)&csb;
	h.nr_options = (uintptr_t)&csb;
	CHECK(ioctl(fd, NIOCCTRL, &h) == -1 && errno == EINVAL, "self loop, known type: EINVAL (%d)", errno);
	CHECK(csb.nro_opt.nro_status == EINVAL && csb.nro_opt.nro_next == (uintptr_t)&csb, "status EINVAL, nro_next restored");
	/* an option with nro_size 1000 on a stack object: whatever lies behind it is read or faults, never a crash */
	struct nmreq_option big;
	memset(&big, 0, sizeof big);
	big.nro_reqtype = OPT_KLOOP_EVENTFDS;
	big.nro_size = 1000;
	h.nr_options = (uintptr_t)&big;
	errno = 0;
	CHECK(ioctl(fd, NIOCCTRL, &h) == -1 && (errno == EOPNOTSUPP || errno == EFAULT || errno == EINVAL), "nro_size 1000: an errno (%d)", errno);
	/* the same option right before an unmapped page: EFAULT */
	struct nmreq_option *edge = (struct nmreq_option *)(page + 4096 - sizeof *edge);
	memset(edge, 0, sizeof *edge);
	edge->nro_reqtype = OPT_KLOOP_EVENTFDS;
	edge->nro_size = 1000;
	h.nr_options = (uintptr_t)edge;
	CHECK(ioctl(fd, NIOCCTRL, &h) == -1 && errno == EFAULT, "option body over an unmapped page: EFAULT (%d)", errno);
	/* an unknown option type: EOPNOTSUPP, reported in its nro_status */
	memset(&o, 0, sizeof o);
	o.nro_reqtype = 100;
	h.nr_options = (uintptr_t)&o;
	CHECK(ioctl(fd, NIOCCTRL, &h) == -1 && errno == EOPNOTSUPP && o.nro_status == EOPNOTSUPP, "unknown option: EOPNOTSUPP");
	/* body present where none is expected */
	struct nmreq_header d = h;
	d.nr_reqtype = REQ_VALE_DELIF;
	d.nr_options = 0;
	CHECK(ioctl(fd, NIOCCTRL, &d) == -1 && errno == EINVAL, "DELIF with a body: EINVAL");
	/* an unregistered fd */
	CHECK(ioctl(fd, NIOCTXSYNC, NULL) == -1 && errno == ENXIO, "TXSYNC unregistered: ENXIO");
	CHECK(mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED && errno == EINVAL, "mmap unregistered: EINVAL");
	/* the fd still works after all that */
	h.nr_options = 0;
	CHECK(ioctl(fd, NIOCCTRL, &h) == 0, "REGISTER after the refusals");
	CHECK(mmap(NULL, reg.nr_memsize + 4096, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED && errno == EINVAL, "mmap beyond nr_memsize: EINVAL");
	CHECK(ioctl(fd, 0x1234, NULL) == -1 && errno == EOPNOTSUPP, "unknown ioctl: EOPNOTSUPP");
	close(fd);
}

static int ctrl(int fd, uint16_t type, const char *name, void *body, void *options)
{
	struct nmreq_header h;
	memset(&h, 0, sizeof h);
	h.nr_version = 14;
	h.nr_reqtype = type;
	snprintf(h.nr_name, sizeof h.nr_name, "%s", name);
	h.nr_body = (uintptr_t)body;
	h.nr_options = (uintptr_t)options;
	return ioctl(fd, NIOCCTRL, &h);
}

/* requests and options whose glue comes later reach the engine byte-exact and get its answer (netmap's refusals) */
static void sc_kloop(void)
{
	struct port m;
	port_open(&m, "ckl{1", REG_ALL_NIC, 0, 0);
	uint64_t start[1] = { 100 };
	CHECK(ctrl(m.fd, 13 /* SYNC_KLOOP_START */, "ckl{1", start, NULL) == -1 && errno == EINVAL, "KLOOP_START without CSB: EINVAL");
	CHECK(ctrl(m.fd, 14 /* SYNC_KLOOP_STOP */, "ckl{1", NULL, NULL) == -1 && errno == EINVAL, "KLOOP_STOP: EINVAL");
	CHECK(ctrl(m.fd, REQ_CSB_ENABLE, "ckl{1", NULL, NULL) == -1 && errno == EINVAL, "CSB_ENABLE: EINVAL");
	int fd = open("/dev/netmap", O_RDWR);
	struct nmreq_register reg;
	memset(&reg, 0, sizeof reg);
	reg.nr_mode = REG_ALL_NIC;
	reg.nr_flags = NR_EXCLUSIVE;
	struct nmreq_opt_csb csb;
	memset(&csb, 0, sizeof csb);
	csb.nro_opt.nro_reqtype = OPT_CSB;
	CHECK(ctrl(fd, REQ_REGISTER, "ckl{2", &reg, &csb) == -1 && errno == EOPNOTSUPP && csb.nro_opt.nro_status == EOPNOTSUPP,
	      "REGISTER with OPT_CSB: EOPNOTSUPP in errno and nro_status (%u)", csb.nro_opt.nro_status);
	unsigned char extmem[96];
	memset(extmem, 0, sizeof extmem);
	((struct nmreq_option *)extmem)->nro_reqtype = OPT_EXTMEM;
	CHECK(ctrl(fd, REQ_REGISTER, "ckl{2", &reg, extmem) == -1 && errno == EOPNOTSUPP, "REGISTER with OPT_EXTMEM: EOPNOTSUPP");
	CHECK(ctrl(fd, REQ_REGISTER, "ckl{2", &reg, NULL) == 0, "the fd registers afterwards");
	unsigned char pools[64];
	memset(pools, 0, sizeof pools);
	CHECK(ctrl(fd, 12 /* POOLS_INFO_GET */, "ckl{2", pools, NULL) == 0 && *(uint64_t *)pools == reg.nr_memsize, "POOLS_INFO_GET");
	close(fd);
	port_close(&m);
}

/* fork after register: the parent keeps syncing in-process; the child (runtime gone) syncs through netmapd */
static void sc_fork(void)
{
	struct port m, s;
	port_open(&m, "cfk{1", REG_ALL_NIC, 0, 0);
	port_open(&s, "cfk}1", REG_ALL_NIC, 0, 0);
	pid_t pid = fork();
	if (pid == 0) {
		struct netmap_ring *tx = NETMAP_TXRING(m.nifp, 0);
		for (uint32_t i = 0; i < 3000; ) {
			if (put_packet(tx, i, plen(i), 2048)) { i++; continue; }
			struct pollfd p = { m.fd, POLLOUT, 0 };
			if (poll(&p, 1, 2000) != 1) _exit(3);
		}
		if (ioctl(m.fd, NIOCTXSYNC, NULL) != 0) _exit(4);
		struct nmreq_header h; /* a control request from the child too */
		struct nmreq_port_info_get info;
		memset(&h, 0, sizeof h); memset(&info, 0, sizeof info);
		h.nr_version = 14; h.nr_reqtype = REQ_PORT_INFO_GET; h.nr_body = (uintptr_t)&info;
		snprintf(h.nr_name, sizeof h.nr_name, "cfk}1");
		if (ioctl(m.fd, NIOCCTRL, &h) != 0 || info.nr_memsize != m.reg.nr_memsize) _exit(5);
		int fresh = open("/dev/netmap", O_RDWR); /* and a new port opened in the child */
		struct port c = { fresh };
		if (fresh < 0 || nm_register(&c, "cfkc{1", REG_ALL_NIC, 0, 0, 0) != 0) _exit(6);
		close(fresh);
		_exit(0);
	}
	struct netmap_ring *rx = NETMAP_RXRING(s.nifp, 0);
	uint32_t got = 0;
	time_t start = time(NULL);
	while (got < 3000) {
		CHECK(time(NULL) - start < 20, "fork: got %u", got);
		/* control requests on the connection the child is using at the same time: each process gets its replies */
		struct nmreq_port_info_get info;
		memset(&info, 0, sizeof info);
		CHECK(ctrl(m.fd, REQ_PORT_INFO_GET, "cfk{1", &info, NULL) == 0 && info.nr_memsize == m.reg.nr_memsize, "parent request");
		struct pollfd p = { s.fd, POLLIN, 0 };
		CHECK(poll(&p, 1, 2000) >= 0, "poll");
		int r;
		while ((r = get_packet(rx, got, plen(got))) > 0) got++;
		CHECK(r == 0, "packet %u from the child", got);
	}
	int st;
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %d", st);
	/* the parent keeps working on its own after the child is gone */
	exchange(&s, &m, 500, 1, 0);
	port_close(&m);
	port_close(&s);
}

/* exec with an inherited fd: the new image adopts it at its first mmap */
static void sc_exec(void)
{
	struct port m, s;
	port_open(&m, "cex{1", REG_ALL_NIC, 0, 0);
	port_open(&s, "cex}1", REG_ALL_NIC, 0, 0);
	pid_t pid = fork();
	if (pid == 0) {
		char a[3][32];
		snprintf(a[0], 32, "%d", m.fd);
		snprintf(a[1], 32, "%llu", (unsigned long long)m.reg.nr_memsize);
		snprintf(a[2], 32, "%llu", (unsigned long long)m.reg.nr_offset);
		execl(self_path, self_path, "exec-child", a[0], a[1], a[2], (char *)NULL);
		_exit(9);
	}
	struct netmap_ring *rx = NETMAP_RXRING(s.nifp, 0);
	uint32_t got = 0;
	time_t start = time(NULL);
	while (got < 1000) {
		CHECK(time(NULL) - start < 20, "exec: got %u", got);
		struct pollfd p = { s.fd, POLLIN, 0 };
		poll(&p, 1, 1000);
		int r;
		while ((r = get_packet(rx, got, plen(got))) > 0) got++;
		CHECK(r == 0, "packet %u from the exec'd child", got);
	}
	int st;
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "exec child status %d", st);
	port_close(&m);
	port_close(&s);
}

static int exec_child(int fd, uint64_t memsize, uint64_t offset)
{
	void *mem = mmap(NULL, memsize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(mem != MAP_FAILED, "mmap of the inherited fd");
	struct netmap_if *nifp = NETMAP_IF(mem, offset);
	struct netmap_ring *tx = NETMAP_TXRING(nifp, 0);
	for (uint32_t i = 0; i < 1000; ) {
		if (put_packet(tx, i, plen(i), 2048)) { i++; continue; }
		CHECK(ioctl(fd, NIOCTXSYNC, NULL) == 0, "TXSYNC in the exec'd child");
		usleep(1000);
	}
	CHECK(ioctl(fd, NIOCTXSYNC, NULL) == 0, "TXSYNC");
	return 0;
}

/* fd server: opens and registers the port, passes the fd with SCM_RIGHTS, keeps its copy until told to go */
static int fd_server(int sock)
{
	struct port p;
	port_open(&p, "cfd{1", REG_ALL_NIC, 0, 0);
	struct iovec iov = { &p.reg, sizeof p.reg };
	char ctl[CMSG_SPACE(sizeof(int))];
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl };
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET; c->cmsg_type = SCM_RIGHTS; c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &p.fd, sizeof(int));
	CHECK(sendmsg(sock, &mh, 0) == (ssize_t)sizeof p.reg, "sendmsg");
	char b;
	(void)!read(sock, &b, 1);
	port_close(&p);
	return 0;
}

static void sc_fdpass(void)
{
	int sp[2];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0, "socketpair");
	pid_t pid = fork();
	if (pid == 0) {
		close(sp[0]);
		char a[16];
		snprintf(a, sizeof a, "%d", sp[1]);
		execl(self_path, self_path, "fd-server", a, (char *)NULL);
		_exit(9);
	}
	close(sp[1]);
	struct port s;
	struct nmreq_register reg;
	struct iovec iov = { &reg, sizeof reg };
	char ctl[CMSG_SPACE(sizeof(int))];
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl };
	CHECK(recvmsg(sp[0], &mh, 0) == (ssize_t)sizeof reg, "recvmsg");
	int fd;
	memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&mh)), sizeof fd);
	struct port m = { fd, reg, NULL, NULL };
	/* poll before any ioctl: the received fd was adopted by recvmsg */
	struct pollfd p = { fd, POLLOUT, 0 };
	CHECK(poll(&p, 1, 1000) == 1 && p.revents == POLLOUT, "poll on the received fd");
	m.mem = mmap(NULL, reg.nr_memsize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(m.mem != MAP_FAILED, "mmap of the received fd");
	m.nifp = NETMAP_IF(m.mem, reg.nr_offset);
	port_open(&s, "cfd}1", REG_ALL_NIC, 0, 0);
	exchange(&m, &s, 3000, 1, 0);
	CHECK(write(sp[0], "q", 1) == 1, "release the server");
	int st;
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "server status %d", st);
	exchange(&m, &s, 300, 0, 0); /* still ours after the server closed its copy */
	port_close(&m);
	port_close(&s);
}

/* close_range and a close-all loop before the first open (fd_server's daemonize), then after it */
static void sc_closeall(void)
{
	long max = sysconf(_SC_OPEN_MAX);
	if (max > 20000) max = 20000;
	CHECK(syscall(SYS_close_range, 3u, ~0u, 0) == 0 || errno == ENOSYS, "close_range");
	CHECK(close_range(3, ~0u, 0) == 0, "close_range via libc");
	for (long i = max; i >= 3; i--) close((int)i);
	struct port m, s;
	port_open(&m, "cca{1", REG_ALL_NIC, 0, 0);
	port_open(&s, "cca}1", REG_ALL_NIC, 0, 0);
	for (long i = max; i >= 3; i--) if (i != m.fd && i != s.fd) close((int)i);
	CHECK(close_range((unsigned)(s.fd > m.fd ? s.fd : m.fd) + 1, ~0u, 0) == 0, "close_range after open");
	exchange(&m, &s, 3000, 1, 0);
	port_close(&m);
	port_close(&s);
}

/* a Linux interface pair (veth, in the test's namespace): frames from one end arrive at the other */
static void sc_nic(const char *a_if, const char *b_if)
{
	struct port a, b;
	char na[64], nb[64];
	snprintf(na, sizeof na, "%s", a_if);
	snprintf(nb, sizeof nb, "%s", b_if);
	port_open(&a, na, REG_ALL_NIC, 0, 0);
	port_open(&b, nb, REG_ALL_NIC, 0, 0);
	g_bcast = 1;
	struct netmap_ring *tx = NETMAP_TXRING(a.nifp, 0), *rx = NETMAP_RXRING(b.nifp, 0);
	uint32_t got = 0, n = 200;
	time_t start = time(NULL);
	for (uint32_t i = 0; i < n; i++) {
		while (!send_one(tx, i, 60 + i % 500)) { struct pollfd p = { a.fd, POLLOUT, 0 }; poll(&p, 1, 100); }
		ioctl(a.fd, NIOCTXSYNC, NULL);
		while (got <= i && time(NULL) - start < 20) {
			struct pollfd p = { b.fd, POLLIN, 0 };
			poll(&p, 1, 100);
			int r;
			while ((r = recv_one(rx, got, 60 + got % 500)) > 0) got++;
			CHECK(r == 0, "frame %u", got);
		}
	}
	CHECK(got == n, "got %u of %u frames", got, n);
	g_bcast = 0;
	port_close(&a);
	port_close(&b);
}

int main(int argc, char **argv)
{
	self_path = argv[0];
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc < 2) { fprintf(stderr, "usage: nmtest SCENARIO\n"); return 2; }
	const char *sc = argv[1];
	if (!strcmp(sc, "pipe")) sc_pipe(0);
	else if (!strcmp(sc, "pipe-poll")) sc_pipe(1);
	else if (!strcmp(sc, "pollmix")) sc_pollmix();
	else if (!strcmp(sc, "eintr")) sc_eintr();
	else if (!strcmp(sc, "legacy")) sc_legacy();
	else if (!strcmp(sc, "vale")) sc_vale(0);
	else if (!strcmp(sc, "vale-poll")) sc_vale(1);
	else if (!strcmp(sc, "null")) sc_null();
	else if (!strcmp(sc, "monitor")) sc_monitor();
	else if (!strcmp(sc, "select")) sc_select();
	else if (!strcmp(sc, "epoll")) sc_epoll();
	else if (!strcmp(sc, "threads")) sc_threads();
	else if (!strcmp(sc, "badptr")) sc_badptr();
	else if (!strcmp(sc, "kloop")) sc_kloop();
	else if (!strcmp(sc, "fork")) sc_fork();
	else if (!strcmp(sc, "exec")) sc_exec();
	else if (!strcmp(sc, "exec-child") && argc == 5) return exec_child(atoi(argv[2]), strtoull(argv[3], 0, 10), strtoull(argv[4], 0, 10));
	else if (!strcmp(sc, "fdpass")) sc_fdpass();
	else if (!strcmp(sc, "fd-server") && argc == 3) return fd_server(atoi(argv[2]));
	else if (!strcmp(sc, "closeall")) sc_closeall();
	else if (!strcmp(sc, "nic") && argc == 4) sc_nic(argv[2], argv[3]);
	else { fprintf(stderr, "nmtest: unknown scenario %s\n", sc); return 2; }
	printf("PASS %s\n", sc);
	return failures ? 1 : 0;
}
