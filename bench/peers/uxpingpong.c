/*
 * uxpingpong.c - AF_UNIX socketpair(SOCK_SEQPACKET) peer benchmark.
 *
 * The "ordinary OS" floor for the netmap-pipe comparison (performance-peers.md
 * B.1 rows P6/P7): two processes (fork) exchange 60-byte messages over a
 * SOCK_SEQPACKET socketpair; parent pinned to CPU0, child to CPU1.
 *
 *   uxpingpong [seconds] [pingpong|stream]        defaults: 5 pingpong
 *
 * pingpong: one message in flight. The parent sends, the child echoes it
 *           back, the parent waits for the echo before sending the next one.
 *           Every round trip is timed with CLOCK_MONOTONIC.
 *           stdout: socketpair_rtt_us <median RTT, us, 2 decimals>
 *                   socketpair_rtt_per_s <round trips per second>
 * stream:   one-way, batch 1 (one send() per message, one recv() per message).
 *           Parent sends, child receives and counts; the rate is taken on the
 *           receiver over the steady window (after a warm-up) while the
 *           sender is still running.
 *           stdout: socketpair_stream_mps <messages per second / 1e6, 3 decimals>
 *
 * Environment (optional): UXPP_PARENT_CPU (default 0), UXPP_CHILD_CPU
 * (default 1); set both to 0 to measure the same-CPU case.
 * Details (counts, mean, percentiles) go to stderr.
 *
 * Build: gcc -O2 -o uxpingpong uxpingpong.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MSG_BYTES 60
#define SOCK_BUF (4 << 20)
#define WARMUP_RTTS 2000          /* ping-pong round trips not recorded */
#define HIST_NS_PER_BUCKET 10     /* 0.01 us resolution */
#define HIST_BUCKETS 200000       /* covers [0, 2 ms); larger RTTs kept aside */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *what)
{
    fprintf(stderr, "uxpingpong: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void pin_to(int cpu, const char *who)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof(set), &set) != 0) {
        fprintf(stderr, "uxpingpong: cannot pin %s to CPU%d: %s\n", who, cpu,
                strerror(errno));
        exit(1);
    }
}

static int env_int(const char *name, int dflt)
{
    const char *v = getenv(name);
    if (v == NULL || *v == '\0')
        return dflt;
    return atoi(v);
}

/* Full-message send/recv on a SOCK_SEQPACKET socket, retrying on EINTR. */
static int send_msg(int fd, const void *buf)
{
    for (;;) {
        ssize_t n = send(fd, buf, MSG_BYTES, 0);
        if (n == MSG_BYTES)
            return 0;
        if (n < 0 && errno == EINTR)
            continue;
        return -1;
    }
}

/* Returns bytes received, 0 on EOF, -1 on error. */
static ssize_t recv_msg(int fd, void *buf)
{
    for (;;) {
        ssize_t n = recv(fd, buf, MSG_BYTES, 0);
        if (n < 0 && errno == EINTR)
            continue;
        return n;
    }
}

/* ---------------------------------------------------------------- ping-pong */

struct rtt_stats {
    uint64_t *hist;       /* HIST_BUCKETS counters */
    uint64_t *big;        /* RTTs >= 2 ms, in ns */
    size_t nbig, capbig;
    uint64_t n;
    double sum_ns;
};

static void rtt_add(struct rtt_stats *s, uint64_t ns)
{
    uint64_t b = ns / HIST_NS_PER_BUCKET;
    if (b < HIST_BUCKETS) {
        s->hist[b]++;
    } else {
        if (s->nbig == s->capbig) {
            s->capbig = s->capbig ? s->capbig * 2 : 1024;
            s->big = realloc(s->big, s->capbig * sizeof(*s->big));
            if (s->big == NULL)
                die("realloc");
        }
        s->big[s->nbig++] = ns;
    }
    s->n++;
    s->sum_ns += (double)ns;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Value (ns) of the k-th smallest sample, 0-based; bucket midpoint resolution. */
static double rtt_kth(const struct rtt_stats *s, uint64_t k)
{
    uint64_t seen = 0;
    for (uint64_t b = 0; b < HIST_BUCKETS; b++) {
        seen += s->hist[b];
        if (seen > k)
            return (double)b * HIST_NS_PER_BUCKET + HIST_NS_PER_BUCKET / 2.0;
    }
    return (double)s->big[k - seen];   /* big[] is sorted by the caller */
}

static double rtt_quantile(const struct rtt_stats *s, double q)
{
    double pos = q * (double)(s->n - 1);
    uint64_t lo = (uint64_t)pos;
    uint64_t hi = lo + 1 < s->n ? lo + 1 : lo;
    double f = pos - (double)lo;
    return rtt_kth(s, lo) * (1.0 - f) + rtt_kth(s, hi) * f;
}

static int run_pingpong(int seconds, int cpu_parent, int cpu_child)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) != 0)
        die("socketpair");

    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {                       /* child: echo until EOF */
        close(sv[0]);
        pin_to(cpu_child, "child");
        unsigned char buf[MSG_BYTES];
        for (;;) {
            ssize_t n = recv_msg(sv[1], buf);
            if (n == 0)
                _exit(0);
            if (n != MSG_BYTES) {
                fprintf(stderr, "uxpingpong: child recv returned %zd\n", n);
                _exit(1);
            }
            if (send_msg(sv[1], buf) != 0)
                _exit(errno == EPIPE ? 0 : 1);
        }
    }

    close(sv[1]);
    pin_to(cpu_parent, "parent");
    int fd = sv[0];

    struct rtt_stats st = {0};
    st.hist = calloc(HIST_BUCKETS, sizeof(*st.hist));
    if (st.hist == NULL)
        die("calloc");

    unsigned char out[MSG_BYTES], in[MSG_BYTES];
    memset(out, 0x5a, sizeof(out));
    uint64_t seq = 0;
    int rc = 0;

    /* Warm-up (page faults, wakeup paths), not recorded. */
    for (int i = 0; i < WARMUP_RTTS; i++) {
        memcpy(out, &seq, sizeof(seq));
        seq++;
        if (send_msg(fd, out) != 0 || recv_msg(fd, in) != MSG_BYTES)
            die("warm-up round trip");
    }

    uint64_t t_start = now_ns();
    uint64_t t_end = t_start + (uint64_t)seconds * 1000000000ull;
    uint64_t t = t_start;
    while (t < t_end) {
        memcpy(out, &seq, sizeof(seq));
        uint64_t t0 = t;
        if (send_msg(fd, out) != 0)
            die("send");
        ssize_t n = recv_msg(fd, in);
        t = now_ns();
        if (n != MSG_BYTES) {
            fprintf(stderr, "uxpingpong: parent recv returned %zd\n", n);
            rc = 1;
            break;
        }
        if (memcmp(in, &seq, sizeof(seq)) != 0) {
            fprintf(stderr, "uxpingpong: echo out of order at seq %llu\n",
                    (unsigned long long)seq);
            rc = 1;
            break;
        }
        seq++;
        rtt_add(&st, t - t0);
    }
    double elapsed = (double)(t - t_start) * 1e-9;

    close(fd);                            /* child sees EOF and exits */
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        rc = 1;
    if (rc != 0 || st.n == 0) {
        fprintf(stderr, "uxpingpong: ping-pong failed\n");
        return 1;
    }

    qsort(st.big, st.nbig, sizeof(*st.big), cmp_u64);
    double med = rtt_quantile(&st, 0.5);
    fprintf(stderr,
            "uxpingpong: pingpong %d B, parent CPU%d <-> child CPU%d, %.2f s, "
            "%llu round trips; RTT us: mean %.2f p1 %.2f p50 %.2f p99 %.2f "
            "max-bucket-overflows %zu\n",
            MSG_BYTES, cpu_parent, cpu_child, elapsed, (unsigned long long)st.n,
            st.sum_ns / (double)st.n / 1e3, rtt_quantile(&st, 0.01) / 1e3,
            med / 1e3, rtt_quantile(&st, 0.99) / 1e3, st.nbig);
    printf("socketpair_rtt_us %.2f\n", med / 1e3);
    printf("socketpair_rtt_per_s %.0f\n", (double)st.n / elapsed);
    free(st.hist);
    free(st.big);
    return 0;
}

/* ------------------------------------------------------------------- stream */

struct shared {
    _Alignas(64) atomic_int stop;         /* set by the sender at the deadline */
    _Alignas(64) uint64_t msgs;           /* counted by the receiver in window */
    double window_s;
    int ok;
};

static int run_stream(int seconds, int cpu_parent, int cpu_child)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) != 0)
        die("socketpair");
    int sz = SOCK_BUF;
    for (int i = 0; i < 2; i++) {
        /* Best effort: capped by net.core.[rw]mem_max. */
        setsockopt(sv[i], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
        setsockopt(sv[i], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
    }

    struct shared *sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
                             MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED)
        die("mmap");
    memset(sh, 0, sizeof(*sh));

    /* Warm-up: the first 10% of the run (at least 0.2 s) is not counted. */
    double warm = seconds * 0.1 < 0.2 ? 0.2 : seconds * 0.1;

    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {                       /* child: receiver */
        close(sv[0]);
        pin_to(cpu_child, "receiver");
        unsigned char buf[MSG_BYTES];
        uint64_t expect = 0, counted = 0;
        double t_first = -1, t_count0 = -1, t_stop = -1;
        int counting = 0, bad = 0;
        for (;;) {
            ssize_t n = recv_msg(sv[1], buf);
            if (n == 0)
                break;
            if (n != MSG_BYTES) {
                bad = 1;
                break;
            }
            uint64_t seq;
            memcpy(&seq, buf, sizeof(seq));
            if (seq != expect)
                bad = 1;
            expect = seq + 1;
            if (t_stop >= 0)
                continue;                 /* draining after the deadline */
            double t = now_s();
            if (t_first < 0)
                t_first = t;
            if (!counting) {
                if (t - t_first >= warm) {
                    counting = 1;
                    t_count0 = t;
                }
                continue;
            }
            counted++;
            if (atomic_load_explicit(&sh->stop, memory_order_relaxed))
                t_stop = t;
        }
        if (t_stop < 0 && counting)
            t_stop = now_s();
        sh->msgs = counted;
        sh->window_s = counting ? t_stop - t_count0 : 0;
        sh->ok = !bad && counting && counted > 0;
        _exit(0);
    }

    close(sv[1]);
    pin_to(cpu_parent, "sender");
    int fd = sv[0];
    unsigned char out[MSG_BYTES];
    memset(out, 0xa5, sizeof(out));
    uint64_t seq = 0;
    double t_end = now_s() + seconds;
    for (;;) {
        /* Reading the clock every 64 messages keeps it off the hot path. */
        if ((seq & 63) == 0 && now_s() >= t_end)
            break;
        memcpy(out, &seq, sizeof(seq));
        if (send_msg(fd, out) != 0)
            die("send");
        seq++;
    }
    atomic_store(&sh->stop, 1);
    /* A few more so the receiver observes the flag while data still flows. */
    for (int i = 0; i < 64; i++) {
        memcpy(out, &seq, sizeof(seq));
        if (send_msg(fd, out) != 0)
            die("send");
        seq++;
    }
    close(fd);
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !sh->ok ||
        sh->window_s <= 0) {
        fprintf(stderr, "uxpingpong: stream failed (ok=%d window=%.3f)\n",
                sh->ok, sh->window_s);
        return 1;
    }
    double mps = (double)sh->msgs / sh->window_s;
    fprintf(stderr,
            "uxpingpong: stream %d B batch 1, sender CPU%d -> receiver CPU%d, "
            "sent %llu, counted %llu in %.2f s window (warm-up %.1f s)\n",
            MSG_BYTES, cpu_parent, cpu_child, (unsigned long long)seq,
            (unsigned long long)sh->msgs, sh->window_s, warm);
    printf("socketpair_stream_mps %.3f\n", mps / 1e6);
    munmap(sh, sizeof(*sh));
    return 0;
}

int main(int argc, char **argv)
{
    int seconds = 5;
    const char *mode = "pingpong";
    if (argc > 1)
        seconds = atoi(argv[1]);
    if (argc > 2)
        mode = argv[2];
    if (argc > 3 || seconds < 1 || seconds > 3600 ||
        (strcmp(mode, "pingpong") != 0 && strcmp(mode, "stream") != 0)) {
        fprintf(stderr, "usage: %s [seconds 1..3600] [pingpong|stream]\n", argv[0]);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IOLBF, 0);

    int cpu_parent = env_int("UXPP_PARENT_CPU", 0);
    int cpu_child = env_int("UXPP_CHILD_CPU", 1);
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    if (cpu_parent < 0 || cpu_child < 0 || cpu_parent >= ncpu || cpu_child >= ncpu) {
        fprintf(stderr, "uxpingpong: CPU%d/CPU%d not available (%ld online)\n",
                cpu_parent, cpu_child, ncpu);
        return 2;
    }

    if (strcmp(mode, "pingpong") == 0)
        return run_pingpong(seconds, cpu_parent, cpu_child);
    return run_stream(seconds, cpu_parent, cpu_child);
}
