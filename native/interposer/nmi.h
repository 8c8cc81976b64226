/*
 * libnetmap-interpose internals. Model (docs/ARCHITECTURE.md, "C programs"):
 * - a netmap fd is a connected SOCK_SEQPACKET socket to netmapd, one connection per open(): the connection is the
 *   netmap_priv. struct nmi_file is this process's view of one such open file description, shared by every fd that
 *   refers to it (dup, fcntl, a descriptor received twice); it is found again by the socket's inode.
 * - after a REGISTER the file holds the region memfd and wakeup descriptors ("hidden" fds, moved high and
 *   close-on-exec) and a handle of the C# binding (Netmap.Interpose.so) that runs the syncs in this process.
 * - a fork child whose parent had loaded the runtime cannot call it: it uses the daemon (SESSION_SYNC).
 */
#ifndef NMI_H
#define NMI_H
#define _GNU_SOURCE
#include <pthread.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>
#include "abi.h"

#define NMI_MAX_FDS_PER_MSG 16
#define NMI_MSG_MAX (88 + NMI_REQ_MAXSIZE)

struct nmi_waiter;

struct nmi_file {
	uint64_t ino;                 /* identity: the socket's inode */
	int refs;                     /* fd-table entries of this process pointing here */
	struct nmi_file *next;        /* all files of the process */
	int sock;                     /* one of the fds referring to the connection (for requests) */

	/* the connection: one request writer at a time; replies read by one thread at a time (the "reader"),
	 * handed to the waiter whose tag they carry */
	pthread_mutex_t send_lock;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int reader_active;
	struct nmi_waiter *waiters;

	/* the registration (under lock while it changes; read without it on the data path) */
	int registered;
	int memfd, kickfd, peerfd;
	int nback, backfds[NMI_MAX_FDS_PER_MSG];
	uint64_t memsize, nifp;
	uint32_t token;
	int txpoll;
	int64_t spin_ns;
	intptr_t handle;              /* C# binding, 0 when the syncs go through the daemon */
	pid_t handle_pid;
};

/* hooks.c */
extern int (*nmi_real_close)(int);
extern int (*nmi_real_poll)(struct pollfd *, nfds_t, int);
extern int (*nmi_real_ppoll)(struct pollfd *, nfds_t, const struct timespec *, const sigset_t *);
extern ssize_t (*nmi_real_recvmsg)(int, struct msghdr *, int);
void nmi_resolve(void);
int nmi_verbose(void);
void nmi_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* fdtable.c */
extern volatile int nmi_nfiles;
struct nmi_file *nmi_lookup(int fd);
struct nmi_file *nmi_lookup_or_adopt(int fd);
int nmi_open_device(int flags);
void nmi_fd_dup(int oldfd, int newfd);
void nmi_fd_close(int fd);
int nmi_is_hidden(int fd);
int nmi_hide_fd(int fd);
void nmi_maybe_adopt_received(int fd);
void nmi_set_registration(struct nmi_file *f, int *fds, int nfds, int nback, uint64_t nifp, uint64_t memsize,
                          uint32_t token, int txpoll, const char *name);
void nmi_atfork_install(void);
int nmi_runtime_usable(void);
int nmi_handle_usable(struct nmi_file *f);

/* wire.c: one request, its reply (message part written back into msg), descriptors */
struct nmi_reply {
	int err;
	uint32_t token;
	int msglen;
	int backend_fds;
	int nfds;
	int fds[NMI_MAX_FDS_PER_MSG];
	char detail[NMI_REPLY_MAX_DETAIL + 1];
};
int nmi_call(struct nmi_file *f, void *msg, int len, int cap, struct nmi_reply *r);
/* the same, sending descriptors with the request (the option glue's eventfds, an extmem memfd) */
int nmi_call_fds(struct nmi_file *f, void *msg, int len, int cap, const int *fds, int nfds, struct nmi_reply *r);
void nmi_wire_reset(struct nmi_file *f);

/* ctrl.c */
int nmi_ioctl(struct nmi_file *f, int fd, unsigned long req, void *arg);
int nmi_session_sync(struct nmi_file *f, uint32_t flags, int events, int *revents);
int nmi_fetch_registration(struct nmi_file *f);

/* poll.c */
int nmi_check(struct nmi_file *f, int events, int mode);
void nmi_drain(struct nmi_file *f);
int nmi_poll(struct pollfd *fds, nfds_t n, int64_t timeout_ns, const sigset_t *mask);
void nmi_epoll_forget(int epfd);

/* runtime.c: Netmap.Interpose.so */
int nmi_rt_load(void);
void nmi_rt_enter(sigset_t *old);
int nmi_rt_connect_daemon(char *err, int errlen);
void nmi_rt_leave(const sigset_t *old);
extern int (*nmi_rt_connect)(char *err, int errlen);
extern int (*nmi_rt_socket_path)(char *buf, int len);
extern int (*nmi_rt_is_daemon_path)(const char *path);
extern intptr_t (*nmi_rt_bind)(int memfd, int64_t memsize, int64_t nifp, int kick, int peer, const int *back, int nback,
                               uint32_t token, int txpoll, const char *name, char *err, int errlen);
extern int (*nmi_rt_txsync)(intptr_t);
extern int (*nmi_rt_rxsync)(intptr_t);
extern int (*nmi_rt_check)(intptr_t, int, int);
extern void (*nmi_rt_drain)(intptr_t);
extern int64_t (*nmi_rt_spin_ns)(intptr_t);
extern void (*nmi_rt_unbind)(intptr_t);
extern char nmi_socket_path[108];
extern volatile int nmi_rt_state;     /* 0 not loaded, 1 loaded, -1 failed */
extern volatile int nmi_rt_forked;    /* this process is a fork child of a process that had loaded it */

/* user memory, never dereferenced directly: EFAULT instead of a crash */
int nmi_uread(void *dst, uint64_t src, size_t len);
int nmi_uwrite(uint64_t dst, const void *src, size_t len);

#endif
