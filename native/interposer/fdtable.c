/*
 * The fd model: which descriptors are netmap fds, the file each one refers to, opening /dev/netmap, dup/close
 * bookkeeping, lazy adoption of descriptors this process did not open, and the registration a file carries.
 * The table is two-level and allocated only when a netmap fd appears, so a program that never uses netmap pays
 * nothing but a NULL test per intercepted call.
 */
#include "nmi.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/un.h>

#define CHUNK 1024
#define NCHUNKS 1024

static struct nmi_file **chunks[NCHUNKS];
static unsigned char *hidden[NCHUNKS];
static struct nmi_file *files;
volatile int nmi_nfiles;
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;

struct nmi_file *nmi_lookup(int fd)
{
	if (fd < 0 || fd >= CHUNK * NCHUNKS || nmi_nfiles == 0)
		return NULL;
	struct nmi_file **c = __atomic_load_n(&chunks[fd / CHUNK], __ATOMIC_ACQUIRE);
	return c ? __atomic_load_n(&c[fd % CHUNK], __ATOMIC_ACQUIRE) : NULL;
}

int nmi_is_hidden(int fd)
{
	if (fd < 0 || fd >= CHUNK * NCHUNKS || nmi_nfiles == 0)
		return 0;
	unsigned char *h = hidden[fd / CHUNK];
	return h && h[fd % CHUNK];
}

static int set_hidden(int fd, int on)
{
	if (fd < 0 || fd >= CHUNK * NCHUNKS)
		return -1;
	if (!hidden[fd / CHUNK] && !(hidden[fd / CHUNK] = calloc(CHUNK, 1)))
		return -1;
	hidden[fd / CHUNK][fd % CHUNK] = (unsigned char)on;
	return 0;
}

/* table_lock held */
static int set_entry(int fd, struct nmi_file *f)
{
	if (fd < 0 || fd >= CHUNK * NCHUNKS)
		return -1;
	if (!chunks[fd / CHUNK]) {
		struct nmi_file **c = calloc(CHUNK, sizeof *c);
		if (!c)
			return -1;
		__atomic_store_n(&chunks[fd / CHUNK], c, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&chunks[fd / CHUNK][fd % CHUNK], f, __ATOMIC_RELEASE);
	return 0;
}

/* Moves a descriptor of ours out of the way of the program (high number, close-on-exec) and marks it hidden:
 * the program's close() and close_range() leave it alone. Returns the new number (or the old one). */
int nmi_hide_fd(int fd)
{
	if (fd < 0)
		return fd;
	struct rlimit rl;
	int base = 256;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && (rlim_t)base * 2 > rl.rlim_cur)
		base = (int)(rl.rlim_cur / 2);
	int nfd = fcntl(fd, F_DUPFD_CLOEXEC, base);
	if (nfd >= 0) {
		nmi_real_close(fd);
		fd = nfd;
	} else {
		fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
	pthread_mutex_lock(&table_lock);
	set_hidden(fd, 1);
	pthread_mutex_unlock(&table_lock);
	return fd;
}

static void unhide_close(int fd)
{
	if (fd < 0)
		return;
	pthread_mutex_lock(&table_lock);
	set_hidden(fd, 0);
	pthread_mutex_unlock(&table_lock);
	nmi_real_close(fd);
}

static void drop_registration(struct nmi_file *f)
{
	if (f->handle && nmi_handle_usable(f))
		nmi_rt_unbind(f->handle);
	f->handle = 0;
	if (f->registered) {
		unhide_close(f->memfd);
		unhide_close(f->kickfd);
		unhide_close(f->peerfd);
		for (int i = 0; i < f->nback; i++)
			unhide_close(f->backfds[i]);
	}
	f->registered = 0;
	f->nback = 0;
}

static uint64_t inode_of(int fd)
{
	struct stat st;
	return fstat(fd, &st) == 0 ? (uint64_t)st.st_ino : 0;
}

/* table_lock held: the file of inode ino, or a new one for socket fd. */
static struct nmi_file *file_for(int fd, uint64_t ino)
{
	for (struct nmi_file *f = files; f; f = f->next)
		if (f->ino == ino)
			return f;
	struct nmi_file *f = calloc(1, sizeof *f);
	if (!f)
		return NULL;
	f->ino = ino;
	f->sock = fd;
	f->memfd = f->kickfd = f->peerfd = -1;
	nmi_wire_reset(f);
	f->next = files;
	files = f;
	__atomic_add_fetch(&nmi_nfiles, 1, __ATOMIC_RELEASE);
	return f;
}

/* table_lock held */
static void release_file(struct nmi_file *f)
{
	if (--f->refs > 0)
		return;
	for (struct nmi_file **p = &files; *p; p = &(*p)->next)
		if (*p == f) { *p = f->next; break; }
	pthread_mutex_unlock(&table_lock);
	drop_registration(f);
	pthread_mutex_lock(&table_lock);
	free(f);
	__atomic_sub_fetch(&nmi_nfiles, 1, __ATOMIC_RELEASE);
}

static int attach(int fd, uint64_t ino)
{
	pthread_mutex_lock(&table_lock);
	struct nmi_file *old = nmi_nfiles ? nmi_lookup(fd) : NULL;
	struct nmi_file *f = file_for(fd, ino);
	if (!f || set_entry(fd, f) < 0) {
		pthread_mutex_unlock(&table_lock);
		return -1;
	}
	f->refs++;
	if (old && old != f)
		release_file(old);
	if (old == f)
		f->refs--;
	pthread_mutex_unlock(&table_lock);
	return 0;
}

int nmi_open_device(int flags)
{
	char err[512] = "";
	int fd;
	nmi_atfork_install();
	if (nmi_rt_load() == 0) {
		fd = nmi_rt_connect_daemon(err, sizeof err);
	} else if (nmi_socket_path[0]) {
		/* a fork child of a process whose runtime is gone: the daemon's address is known, connect directly */
		fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
		struct sockaddr_un a = { .sun_family = AF_UNIX };
		snprintf(a.sun_path, sizeof a.sun_path, "%s", nmi_socket_path);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
			int e = errno;
			nmi_real_close(fd);
			fd = -e;
			snprintf(err, sizeof err, "%s: connect: %s", nmi_socket_path, strerror(e));
		}
	} else {
		fd = -ENODEV;
		snprintf(err, sizeof err, "/dev/netmap: Netmap.Interpose.so could not be loaded");
	}
	if (fd < 0) {
		if (err[0])
			fprintf(stderr, "netmap-interpose: %s\n", err);
		errno = -fd == ENOENT || -fd == ECONNREFUSED ? ENODEV : -fd;
		return -1;
	}
	if (!(flags & O_CLOEXEC))
		fcntl(fd, F_SETFD, 0);
	/* the daemon this process talks to: where a fork child connects, and a peer adoption accepts */
	struct sockaddr_un pa;
	socklen_t pl = sizeof pa;
	memset(&pa, 0, sizeof pa);
	if (getpeername(fd, (struct sockaddr *)&pa, &pl) == 0 && pa.sun_family == AF_UNIX && pa.sun_path[0])
		snprintf(nmi_socket_path, sizeof nmi_socket_path, "%.*s", (int)sizeof pa.sun_path, pa.sun_path);
	if (attach(fd, inode_of(fd)) < 0) {
		nmi_real_close(fd);
		errno = ENOMEM;
		return -1;
	}
	return fd;
}

void nmi_fd_dup(int oldfd, int newfd)
{
	struct nmi_file *f = nmi_lookup(oldfd);
	if (!f || newfd < 0 || newfd == oldfd)
		return;
	attach(newfd, f->ino);
}

void nmi_fd_close(int fd)
{
	if (nmi_nfiles == 0)
		return;
	pthread_mutex_lock(&table_lock);
	struct nmi_file *f = nmi_lookup(fd);
	if (f) {
		set_entry(fd, NULL);
		if (f->sock == fd) {
			/* requests go out on another fd of the same file while one remains */
			for (int i = 0; i < CHUNK * NCHUNKS && f->refs > 1; i++) {
				if (!chunks[i / CHUNK]) { i += CHUNK - 1; continue; }
				if (chunks[i / CHUNK][i % CHUNK] == f) { f->sock = i; break; }
			}
		}
		release_file(f);
	}
	pthread_mutex_unlock(&table_lock);
}

/* Is fd a connection to our netmapd? fstat -> socket, SOCK_SEQPACKET, peer bound at the daemon's path. */
static int is_daemon_socket(int fd)
{
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode))
		return 0;
	int type;
	socklen_t tl = sizeof type;
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) != 0 || type != SOCK_SEQPACKET)
		return 0;
	struct sockaddr_un a;
	socklen_t al = sizeof a;
	memset(&a, 0, sizeof a);
	if (getpeername(fd, (struct sockaddr *)&a, &al) != 0 || a.sun_family != AF_UNIX || al <= sizeof(sa_family_t) || !a.sun_path[0])
		return 0;
	char peer[sizeof a.sun_path + 1];
	memcpy(peer, a.sun_path, sizeof a.sun_path);
	peer[sizeof a.sun_path] = 0;
	if (strcmp(peer, nmi_socket_path) == 0)
		return 1;
	if (nmi_rt_load() != 0)
		return 0;
	sigset_t old;
	nmi_rt_enter(&old);
	int yes = nmi_rt_is_daemon_path(peer);
	nmi_rt_leave(&old);
	return yes;
}

struct nmi_file *nmi_lookup_or_adopt(int fd)
{
	struct nmi_file *f = nmi_lookup(fd);
	if (f || fd < 0 || nmi_is_hidden(fd))
		return f;
	if (!is_daemon_socket(fd))
		return NULL;
	nmi_atfork_install();
	if (attach(fd, inode_of(fd)) < 0)
		return NULL;
	f = nmi_lookup(fd);
	if (f) {
		pthread_mutex_lock(&f->lock);
		int fresh = !f->registered;
		pthread_mutex_unlock(&f->lock);
		if (fresh)
			nmi_fetch_registration(f);
	}
	return f;
}

void nmi_maybe_adopt_received(int fd)
{
	nmi_lookup_or_adopt(fd);
}

/* This process's pid, kept current across fork (getpid() is a system call: not on the sync path). */
static volatile pid_t self_pid;

int nmi_handle_usable(struct nmi_file *f)
{
	return f->handle && !nmi_rt_forked && f->handle_pid == self_pid;
}

void nmi_set_registration(struct nmi_file *f, int *fds, int nfds, int nback, uint64_t nifp, uint64_t memsize,
                          uint32_t token, int txpoll, const char *name)
{
	if (nfds < 2 || nback < 0 || nback > nfds - 2) {
		for (int i = 0; i < nfds; i++) nmi_real_close(fds[i]);
		return;
	}
	pthread_mutex_lock(&f->lock);
	if (f->registered) { /* a second copy of the same registration (two adopters racing) */
		pthread_mutex_unlock(&f->lock);
		for (int i = 0; i < nfds; i++) nmi_real_close(fds[i]);
		return;
	}
	f->memfd = nmi_hide_fd(fds[0]);
	f->kickfd = nmi_hide_fd(fds[1]);
	f->peerfd = nfds - nback >= 3 ? nmi_hide_fd(fds[2]) : -1;
	for (int k = 3; k < nfds - nback; k++)
		nmi_real_close(fds[k]); /* descriptors we do not know (a newer daemon's) */
	f->nback = nback;
	for (int i = 0; i < nback; i++)
		f->backfds[i] = nmi_hide_fd(fds[nfds - nback + i]);
	f->nifp = nifp;
	f->memsize = memsize;
	f->token = token;
	f->txpoll = txpoll;
	f->spin_ns = 0;
	f->handle = 0;
	if (nmi_rt_load() == 0) {
		char err[512] = "";
		sigset_t old;
		nmi_rt_enter(&old);
		f->handle = nmi_rt_bind(f->memfd, (int64_t)memsize, (int64_t)nifp, f->kickfd, f->peerfd, f->backfds, f->nback,
		                        token, txpoll, name, err, sizeof err);
		nmi_rt_leave(&old);
		if (f->handle) {
			f->handle_pid = self_pid;
			f->spin_ns = nmi_rt_spin_ns(f->handle);
		} else {
			fprintf(stderr, "netmap-interpose: %s (syncs go through netmapd)\n", err);
		}
	}
	__atomic_store_n(&f->registered, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&f->lock);
}

/* fork: the child gets a copy of the table and of every descriptor; locks held by other threads at fork time
 * would stay held, so the child re-creates them, and a runtime loaded by the parent must not be called. */
static void at_prepare(void) { pthread_mutex_lock(&table_lock); }
static void at_parent(void) { pthread_mutex_unlock(&table_lock); }
static void at_child(void)
{
	self_pid = getpid();
	pthread_mutex_init(&table_lock, NULL);
	if (nmi_rt_state == 1)
		nmi_rt_forked = 1;
	for (struct nmi_file *f = files; f; f = f->next) {
		nmi_wire_reset(f);
		f->handle = 0;
	}
}

static void install_once(void)
{
	self_pid = getpid();
	pthread_atfork(at_prepare, at_parent, at_child);
}

void nmi_atfork_install(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, install_once);
}
