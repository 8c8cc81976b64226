/*
 * Loading Netmap.Interpose.so (the NativeAOT build of src/Netmap.Interpose): on the first /dev/netmap open or
 * adoption, never before (a preloaded program that never touches netmap gets no runtime, no threads). The library
 * is NETMAP_INTERPOSE_LIB, else Netmap.Interpose.so next to this library. Its entry points are declared here with
 * the signatures of src/Netmap.Interpose/Exports.cs.
 */
#include "nmi.h"
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <libgen.h>
#include <errno.h>
#include <spawn.h>
#include <time.h>
#include <sys/wait.h>

extern char **environ;

int (*nmi_rt_connect)(char *, int);
int (*nmi_rt_socket_path)(char *, int);
int (*nmi_rt_start_command)(char *, int, char *, int);
int (*nmi_rt_is_daemon_path)(const char *);
intptr_t (*nmi_rt_bind)(int, int64_t, int64_t, int, int, const int *, int, uint32_t, int, const char *, char *, int);
int (*nmi_rt_txsync)(intptr_t);
int (*nmi_rt_rxsync)(intptr_t);
int (*nmi_rt_check)(intptr_t, int, int);
void (*nmi_rt_drain)(intptr_t);
int64_t (*nmi_rt_spin_ns)(intptr_t);
void (*nmi_rt_unbind)(intptr_t);
char nmi_socket_path[108];
volatile int nmi_rt_state;
volatile int nmi_rt_forked;

static pthread_mutex_t rt_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * The runtime's threads (finalizer, and those an autostart creates) inherit the signal mask of the thread that
 * creates them. They must not take the program's process-directed signals (a signal the program blocks to sigwait
 * for, or whose default action is to kill it), so every call that may create threads runs with all signals blocked
 * except the synchronous ones and SIGRTMIN, which the runtime uses to interrupt its own threads.
 */
void nmi_rt_enter(sigset_t *old)
{
	sigset_t all;
	sigfillset(&all);
	sigdelset(&all, SIGSEGV); sigdelset(&all, SIGBUS); sigdelset(&all, SIGFPE);
	sigdelset(&all, SIGILL); sigdelset(&all, SIGTRAP); sigdelset(&all, SIGRTMIN);
	pthread_sigmask(SIG_BLOCK, &all, old);
}

void nmi_rt_leave(const sigset_t *old)
{
	pthread_sigmask(SIG_SETMASK, old, NULL);
}

static void *sym(void *h, const char *name, int *missing)
{
	void *p = dlsym(h, name);
	if (!p) {
		nmi_log("netmap-interpose: %s: missing in Netmap.Interpose.so", name);
		*missing = 1;
	}
	return p;
}

int nmi_rt_load(void)
{
	if (nmi_rt_state != 0)
		return nmi_rt_state == 1 && !nmi_rt_forked ? 0 : -1;
	pthread_mutex_lock(&rt_lock);
	if (nmi_rt_state == 0) {
		char path[4096];
		const char *env = getenv("NETMAP_INTERPOSE_LIB");
		if (env && *env) {
			snprintf(path, sizeof path, "%s", env);
		} else {
			Dl_info info;
			char self[4096];
			if (!dladdr((void *)nmi_rt_load, &info) || !info.dli_fname) {
				path[0] = 0;
			} else {
				snprintf(self, sizeof self, "%s", info.dli_fname);
				snprintf(path, sizeof path, "%s/Netmap.Interpose.so", dirname(self));
			}
		}
		void *h = path[0] ? dlopen(path, RTLD_NOW | RTLD_LOCAL) : NULL;
		int missing = 0;
		if (!h) {
			fprintf(stderr, "netmap-interpose: cannot load %s: %s (set NETMAP_INTERPOSE_LIB)\n",
			        path[0] ? path : "Netmap.Interpose.so", dlerror());
			missing = 1;
		} else {
			nmi_rt_connect = sym(h, "nmi_connect", &missing);
			nmi_rt_socket_path = sym(h, "nmi_socket_path", &missing);
			nmi_rt_start_command = sym(h, "nmi_start_command", &missing);
			nmi_rt_is_daemon_path = sym(h, "nmi_is_daemon_path", &missing);
			nmi_rt_bind = sym(h, "nmi_bind", &missing);
			nmi_rt_txsync = sym(h, "nmi_txsync", &missing);
			nmi_rt_rxsync = sym(h, "nmi_rxsync", &missing);
			nmi_rt_check = sym(h, "nmi_check", &missing);
			nmi_rt_drain = sym(h, "nmi_drain", &missing);
			nmi_rt_spin_ns = sym(h, "nmi_spin_ns", &missing);
			nmi_rt_unbind = sym(h, "nmi_unbind", &missing);
		}
		if (!missing) {
			sigset_t old;
			nmi_rt_enter(&old); /* the first call starts the runtime */
			if (nmi_rt_socket_path(nmi_socket_path, sizeof nmi_socket_path) < 0)
				nmi_socket_path[0] = 0;
			nmi_rt_leave(&old);
		}
		nmi_rt_state = missing ? -1 : 1;
	}
	pthread_mutex_unlock(&rt_lock);
	return nmi_rt_state == 1 && !nmi_rt_forked ? 0 : -1;
}

int nmi_runtime_usable(void)
{
	return nmi_rt_state == 1 && !nmi_rt_forked;
}

/*
 * A connection to netmapd at the clients' path; when nothing listens, the autostart of every C# client
 * (DaemonLocator's command: netmapd --socket PATH --detach, which returns once the daemon listens), spawned here
 * with default signal dispositions and an empty mask, then connecting again for up to 10 s.
 */
int nmi_rt_connect_daemon(char *err, int errlen)
{
	sigset_t old;
	nmi_rt_enter(&old);
	int fd = nmi_rt_connect(err, errlen);
	nmi_rt_leave(&old);
	if (fd != -ECONNREFUSED && fd != -ENOENT)
		return fd;
	char cmd[8192];
	nmi_rt_enter(&old);
	int argc = nmi_rt_start_command(cmd, sizeof cmd, err, errlen);
	nmi_rt_leave(&old);
	if (argc <= 0 || argc > 16)
		return argc < 0 ? argc : -ENOENT;
	char *argv[17];
	char *p = cmd;
	for (int i = 0; i < argc; i++) { argv[i] = p; p += strlen(p) + 1; }
	argv[argc] = NULL;
	posix_spawnattr_t at;
	posix_spawnattr_init(&at);
	sigset_t none, all;
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &all);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	pid_t pid;
	int e = posix_spawn(&pid, argv[0], NULL, &at, argv, environ);
	posix_spawnattr_destroy(&at);
	if (e != 0) {
		snprintf(err, (size_t)errlen, "%s: cannot start: %s (set NETMAPD_PATH)", argv[0], strerror(e));
		return -e;
	}
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	for (int i = 0; i < 500; i++) {
		nmi_rt_enter(&old);
		fd = nmi_rt_connect(err, errlen);
		nmi_rt_leave(&old);
		if (fd != -ECONNREFUSED && fd != -ENOENT)
			return fd;
		struct timespec ts = { 0, 20000000 };
		nanosleep(&ts, NULL);
	}
	snprintf(err, (size_t)errlen, "%s: netmapd did not start listening (launcher status %d)", nmi_socket_path, st);
	return -ETIMEDOUT;
}
