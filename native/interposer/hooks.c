/*
 * The libc entry points a netmap program reaches the kernel through (research/c-compat.md section 2), interposed
 * with LD_PRELOAD. Every hook is inert for a descriptor that is not a netmap fd: it forwards to the next definition
 * (dlsym RTLD_NEXT, resolved on first use) after a table lookup that is a NULL test until a netmap fd exists. No
 * constructor, no I/O, no thread and no descriptor of ours before /dev/netmap is opened or a netmapd connection is
 * adopted.
 */
#include "nmi.h"
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/syscall.h>

int (*nmi_real_close)(int);
int (*nmi_real_poll)(struct pollfd *, nfds_t, int);
int (*nmi_real_ppoll)(struct pollfd *, nfds_t, const struct timespec *, const sigset_t *);
ssize_t (*nmi_real_recvmsg)(int, struct msghdr *, int);
static int (*real_open)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_dup)(int);
static int (*real_dup2)(int, int);
static int (*real_dup3)(int, int, int);
static int (*real_fcntl)(int, int, ...);
static int (*real_ioctl)(int, unsigned long, ...);
static int (*real_select)(int, fd_set *, fd_set *, fd_set *, struct timeval *);
static int (*real_pselect)(int, fd_set *, fd_set *, fd_set *, const struct timespec *, const sigset_t *);
static int (*real_epoll_ctl)(int, int, int, struct epoll_event *);
static int (*real_epoll_wait)(int, struct epoll_event *, int, int);
static int (*real_epoll_pwait)(int, struct epoll_event *, int, int, const sigset_t *);
static ssize_t (*real_read)(int, void *, size_t);
static ssize_t (*real_write)(int, const void *, size_t);

int nmi_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev, int (*ctl)(int, int, int, struct epoll_event *));
int nmi_epoll_wait(int epfd, struct epoll_event *ev, int max, int timeout, const sigset_t *mask,
                   int (*pwait)(int, struct epoll_event *, int, int, const sigset_t *), int *handled);
int nmi_select(int nfds, fd_set *r, fd_set *w, fd_set *e, int64_t timeout_ns, const sigset_t *mask, int *handled);

static int sys_close(int fd) { return (int)syscall(SYS_close, fd); }

void nmi_resolve(void)
{
	static volatile int done;
	if (done)
		return;
	nmi_real_close = dlsym(RTLD_NEXT, "close");
	if (!nmi_real_close) nmi_real_close = sys_close;
	nmi_real_poll = dlsym(RTLD_NEXT, "poll");
	nmi_real_ppoll = dlsym(RTLD_NEXT, "ppoll");
	nmi_real_recvmsg = dlsym(RTLD_NEXT, "recvmsg");
	real_open = dlsym(RTLD_NEXT, "open");
	real_openat = dlsym(RTLD_NEXT, "openat");
	real_dup = dlsym(RTLD_NEXT, "dup");
	real_dup2 = dlsym(RTLD_NEXT, "dup2");
	real_dup3 = dlsym(RTLD_NEXT, "dup3");
	real_fcntl = dlsym(RTLD_NEXT, "fcntl");
	real_ioctl = dlsym(RTLD_NEXT, "ioctl");
	real_select = dlsym(RTLD_NEXT, "select");
	real_pselect = dlsym(RTLD_NEXT, "pselect");
	real_epoll_ctl = dlsym(RTLD_NEXT, "epoll_ctl");
	real_epoll_wait = dlsym(RTLD_NEXT, "epoll_wait");
	real_epoll_pwait = dlsym(RTLD_NEXT, "epoll_pwait");
	real_read = dlsym(RTLD_NEXT, "read");
	real_write = dlsym(RTLD_NEXT, "write");
	done = 1;
}

int nmi_verbose(void)
{
	static int v = -1;
	if (v < 0) {
		const char *e = getenv("NETMAP_INTERPOSE_VERBOSE");
		v = e && *e && *e != '0';
	}
	return v;
}

void nmi_log(const char *fmt, ...)
{
	char b[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(b, sizeof b - 1, fmt, ap);
	va_end(ap);
	if (n < 0) return;
	if (n > (int)sizeof b - 2) n = (int)sizeof b - 2;
	b[n++] = '\n';
	(void)!syscall(SYS_write, 2, b, (size_t)n);
}

static int is_device(const char *path)
{
	return path && strcmp(path, "/dev/netmap") == 0;
}

/* ---------------------------------------------------------------- open */

static int do_open(const char *path, int flags, mode_t mode)
{
	nmi_resolve();
	if (is_device(path))
		return nmi_open_device(flags);
	return real_open(path, flags, mode);
}

static int do_openat(int dirfd, const char *path, int flags, mode_t mode)
{
	nmi_resolve();
	if (is_device(path))
		return nmi_open_device(flags);
	return real_openat(dirfd, path, flags, mode);
}

#define MODE_ARG(flags) \
	mode_t mode = 0; \
	if ((flags) & (O_CREAT | __O_TMPFILE)) { va_list ap; va_start(ap, flags); mode = va_arg(ap, mode_t); va_end(ap); }

int open(const char *path, int flags, ...) { MODE_ARG(flags); return do_open(path, flags, mode); }
int open64(const char *path, int flags, ...) { MODE_ARG(flags); return do_open(path, flags | O_LARGEFILE, mode); }
int openat(int d, const char *path, int flags, ...) { MODE_ARG(flags); return do_openat(d, path, flags, mode); }
int openat64(int d, const char *path, int flags, ...) { MODE_ARG(flags); return do_openat(d, path, flags | O_LARGEFILE, mode); }
int __open_2(const char *path, int flags) { return do_open(path, flags, 0); }
int __open64_2(const char *path, int flags) { return do_open(path, flags | O_LARGEFILE, 0); }
int __openat_2(int d, const char *path, int flags) { return do_openat(d, path, flags, 0); }

/* ---------------------------------------------------------------- close, dup */

int close(int fd)
{
	nmi_resolve();
	if (nmi_nfiles) {
		if (nmi_is_hidden(fd)) { /* ours (region, wakeup lines): a close-all loop must not take them */
			errno = EBADF;
			return -1;
		}
		nmi_epoll_forget(fd);
		nmi_fd_close(fd);
	}
	return nmi_real_close(fd);
}

int close_range(unsigned first, unsigned last, int flags)
{
	nmi_resolve();
	if (nmi_nfiles == 0 || (flags & CLOSE_RANGE_CLOEXEC))
		return (int)syscall(SYS_close_range, first, last, flags);
	/* close the program's descriptors of the range, around ours */
	unsigned lo = first;
	unsigned top = last > 1024 * 1024 ? 1024 * 1024 : last;
	for (unsigned fd = first; fd <= top; fd++) {
		if (nmi_is_hidden((int)fd)) {
			if (fd > lo && syscall(SYS_close_range, lo, fd - 1, flags) != 0) return -1;
			lo = fd + 1;
			continue;
		}
		if (nmi_lookup((int)fd)) { nmi_epoll_forget((int)fd); nmi_fd_close((int)fd); }
		if (fd == top) break;
	}
	if (lo <= last && syscall(SYS_close_range, lo, last, flags) != 0) return -1;
	return 0;
}

int dup(int fd)
{
	nmi_resolve();
	int r = real_dup(fd);
	if (r >= 0 && nmi_lookup(fd)) nmi_fd_dup(fd, r);
	return r;
}

int dup2(int fd, int fd2)
{
	nmi_resolve();
	int r = real_dup2(fd, fd2);
	if (r >= 0 && fd != fd2 && nmi_nfiles) {
		if (nmi_lookup(fd2) && !nmi_lookup(fd)) nmi_fd_close(fd2);
		if (nmi_lookup(fd)) nmi_fd_dup(fd, r);
	}
	return r;
}

int dup3(int fd, int fd2, int flags)
{
	nmi_resolve();
	int r = real_dup3(fd, fd2, flags);
	if (r >= 0 && nmi_nfiles) {
		if (nmi_lookup(fd2) && !nmi_lookup(fd)) nmi_fd_close(fd2);
		if (nmi_lookup(fd)) nmi_fd_dup(fd, r);
	}
	return r;
}

static int do_fcntl(int fd, int cmd, void *arg)
{
	nmi_resolve();
	int r = real_fcntl(fd, cmd, arg);
	if (r >= 0 && (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC) && nmi_lookup(fd))
		nmi_fd_dup(fd, r);
	return r;
}

int fcntl(int fd, int cmd, ...) { va_list ap; va_start(ap, cmd); void *a = va_arg(ap, void *); va_end(ap); return do_fcntl(fd, cmd, a); }
int fcntl64(int fd, int cmd, ...) { va_list ap; va_start(ap, cmd); void *a = va_arg(ap, void *); va_end(ap); return do_fcntl(fd, cmd, a); }

/* ---------------------------------------------------------------- ioctl, mmap */

static int netmap_request(unsigned long req)
{
	switch ((unsigned)req) {
	case NMI_NIOCCTRL: case NMI_NIOCTXSYNC: case NMI_NIOCRXSYNC: case NMI_NIOCGINFO: case NMI_NIOCREGIF: return 1;
	default: return 0;
	}
}

int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	va_start(ap, req);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	nmi_resolve();
	struct nmi_file *f = netmap_request(req) ? nmi_lookup_or_adopt(fd) : nmi_lookup(fd);
	if (f)
		return nmi_ioctl(f, fd, req, arg);
	return real_ioctl(fd, req, arg);
}

static void *sys_mmap(void *a, size_t len, int prot, int flags, int fd, off_t off)
{
	return (void *)syscall(SYS_mmap, a, len, prot, flags, fd, off);
}

void *mmap(void *a, size_t len, int prot, int flags, int fd, off_t off)
{
	if (fd >= 0 && !(flags & MAP_ANONYMOUS)) {
		struct nmi_file *f = nmi_lookup(fd);
		if (!f && nmi_rt_state >= 0 && (flags & MAP_SHARED)) {
			/* a shared mapping of a socket we do not know may be a received or inherited netmap fd */
			nmi_resolve();
			f = nmi_lookup_or_adopt(fd);
		}
		if (f) {
			/* as linux_netmap_mmap: EINVAL when unregistered or beyond nr_memsize; the region itself otherwise */
			if (!__atomic_load_n(&f->registered, __ATOMIC_ACQUIRE) || off < 0 || (uint64_t)off + len > f->memsize || len == 0) {
				errno = EINVAL;
				return MAP_FAILED;
			}
			return sys_mmap(a, len, prot, flags, f->memfd, off);
		}
	}
	return sys_mmap(a, len, prot, flags, fd, off);
}

void *mmap64(void *a, size_t len, int prot, int flags, int fd, off_t off) { return mmap(a, len, prot, flags, fd, off); }

/* ---------------------------------------------------------------- read, write */

/* /dev/netmap has no read or write: EINVAL, as the kernel answers for the device (and a read must never take one of
 * netmapd's replies off the connection) */
ssize_t read(int fd, void *buf, size_t n)
{
	nmi_resolve();
	if (nmi_lookup(fd)) { errno = EINVAL; return -1; }
	return real_read(fd, buf, n);
}

ssize_t write(int fd, const void *buf, size_t n)
{
	nmi_resolve();
	if (nmi_lookup(fd)) { errno = EINVAL; return -1; }
	return real_write(fd, buf, n);
}

/* ---------------------------------------------------------------- recvmsg: eager adoption */

ssize_t recvmsg(int fd, struct msghdr *m, int flags)
{
	nmi_resolve();
	ssize_t n = nmi_real_recvmsg(fd, m, flags);
	if (n < 0 || !m || !m->msg_control || m->msg_controllen == 0 || (flags & MSG_PEEK))
		return n;
	int e = errno;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
		int k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		for (int i = 0; i < k; i++) {
			int rfd;
			memcpy(&rfd, CMSG_DATA(c) + i * sizeof(int), sizeof rfd);
			nmi_maybe_adopt_received(rfd);
		}
	}
	errno = e;
	return n;
}

/* ---------------------------------------------------------------- poll, select, epoll */

static int has_netmap(struct pollfd *fds, nfds_t n)
{
	if (nmi_nfiles == 0 || !fds) return 0;
	for (nfds_t i = 0; i < n; i++)
		if (nmi_lookup(fds[i].fd)) return 1;
	return 0;
}

int poll(struct pollfd *fds, nfds_t n, int timeout)
{
	nmi_resolve();
	if (!has_netmap(fds, n)) return nmi_real_poll(fds, n, timeout);
	return nmi_poll(fds, n, timeout < 0 ? -1 : (int64_t)timeout * 1000000, NULL);
}

int __poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t fdslen)
{
	if (fdslen / sizeof *fds < n) abort();
	return poll(fds, n, timeout);
}

int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts, const sigset_t *mask)
{
	nmi_resolve();
	if (!has_netmap(fds, n)) return nmi_real_ppoll(fds, n, ts, mask);
	return nmi_poll(fds, n, ts ? (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec : -1, mask);
}

int __ppoll_chk(struct pollfd *fds, nfds_t n, const struct timespec *ts, const sigset_t *mask, size_t fdslen)
{
	if (fdslen / sizeof *fds < n) abort();
	return ppoll(fds, n, ts, mask);
}

int select(int nfds, fd_set *r, fd_set *w, fd_set *e, struct timeval *tv)
{
	nmi_resolve();
	int handled = 0, rc = 0;
	if (nmi_nfiles) {
		struct timespec t0;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		int64_t to = tv ? (int64_t)tv->tv_sec * 1000000000 + (int64_t)tv->tv_usec * 1000 : -1;
		rc = nmi_select(nfds, r, w, e, to, NULL, &handled);
		if (handled && tv) { /* Linux updates the timeout to what is left */
			struct timespec t1;
			clock_gettime(CLOCK_MONOTONIC, &t1);
			int64_t left = to - ((int64_t)(t1.tv_sec - t0.tv_sec) * 1000000000 + (t1.tv_nsec - t0.tv_nsec));
			if (left < 0) left = 0;
			tv->tv_sec = left / 1000000000;
			tv->tv_usec = (left % 1000000000) / 1000;
		}
	}
	return handled ? rc : real_select(nfds, r, w, e, tv);
}

int pselect(int nfds, fd_set *r, fd_set *w, fd_set *e, const struct timespec *ts, const sigset_t *mask)
{
	nmi_resolve();
	int handled = 0, rc = 0;
	if (nmi_nfiles)
		rc = nmi_select(nfds, r, w, e, ts ? (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec : -1, mask, &handled);
	return handled ? rc : real_pselect(nfds, r, w, e, ts, mask);
}

int epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	nmi_resolve();
	if (nmi_lookup(fd))
		return nmi_epoll_ctl(epfd, op, fd, ev, real_epoll_ctl);
	return real_epoll_ctl(epfd, op, fd, ev);
}

static int pwait_real(int epfd, struct epoll_event *ev, int max, int timeout, const sigset_t *mask)
{
	return mask ? real_epoll_pwait(epfd, ev, max, timeout, mask) : real_epoll_wait(epfd, ev, max, timeout);
}

int epoll_wait(int epfd, struct epoll_event *ev, int max, int timeout)
{
	nmi_resolve();
	int handled = 0;
	int rc = nmi_nfiles ? nmi_epoll_wait(epfd, ev, max, timeout, NULL, pwait_real, &handled) : 0;
	return handled ? rc : real_epoll_wait(epfd, ev, max, timeout);
}

int epoll_pwait(int epfd, struct epoll_event *ev, int max, int timeout, const sigset_t *mask)
{
	nmi_resolve();
	int handled = 0;
	int rc = nmi_nfiles ? nmi_epoll_wait(epfd, ev, max, timeout, mask, pwait_real, &handled) : 0;
	return handled ? rc : real_epoll_pwait(epfd, ev, max, timeout, mask);
}
