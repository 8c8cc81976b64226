/*
 * nm-pkt MODE PORT SECONDS: a minimal netmap packet generator of ours, for bench/interposer.sh (run under
 * bin/netmap-run beside the C# pkt-gen). Poll-driven like pkt-gen's default mode: poll() does the syncs.
 *   tx    60-byte broadcast frames, bursts of 512; prints "tx N packets" at the end
 *   rx    counts frames; prints "rate X Mpps" each second and "rx N packets" at the end
 *   ping  one frame, waits for it to come back; prints "rtt avg X ns" each second
 *   pong  sends back every frame it receives
 * PORT is a netmap name ("p{1", "vale0:a"); the mode is ALL_NIC.
 */
#include "nmtest.h"
#include <time.h>

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

static const unsigned char frame[60] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00,
	0x45, 0, 0, 46, 0, 0, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 1, 0, 1,
	0x04, 0xd2, 0x04, 0xd2, 0, 26, 0, 0, 'n', 'm', '-', 'p', 'k', 't',
};

static void prefill(struct netmap_ring *r)
{
	for (uint32_t i = 0; i < r->num_slots; i++) {
		memcpy(NETMAP_BUF(r, r->slot[i].buf_idx), frame, sizeof frame);
		r->slot[i].len = sizeof frame;
	}
}

int main(int argc, char **argv)
{
	if (argc < 4) { fprintf(stderr, "usage: nm-pkt tx|rx|ping|pong PORT SECONDS\n"); return 2; }
	const char *mode = argv[1];
	double secs = atof(argv[3]);
	struct port p;
	port_open(&p, argv[2], REG_ALL_NIC, 0, 0);
	struct netmap_ring *tx = NETMAP_TXRING(p.nifp, 0), *rx = NETMAP_RXRING(p.nifp, 0);
	setvbuf(stdout, NULL, _IOLBF, 0);
	double start = now(), end = start + secs;
	if (!strcmp(mode, "tx")) {
		uint64_t sent = 0;
		prefill(tx);
		while (now() < end) {
			struct pollfd q = { p.fd, POLLOUT, 0 };
			if (poll(&q, 1, 1000) <= 0) continue;
			uint32_t n = nm_space(tx), h = tx->head;
			if (n > 512) n = 512;
			for (uint32_t i = 0; i < n; i++) {
				struct netmap_slot *s = &tx->slot[h];
				if (s->flags & NS_BUF_CHANGED) { memcpy(NETMAP_BUF(tx, s->buf_idx), frame, sizeof frame); s->flags = 0; }
				s->len = sizeof frame;
				h = nm_next(tx, h);
			}
			tx->head = tx->cur = h;
			sent += n;
		}
		ioctl(p.fd, NIOCTXSYNC, NULL);
		printf("tx %llu packets in %.2f s\n", (unsigned long long)sent, now() - start);
	} else if (!strcmp(mode, "rx")) {
		uint64_t got = 0, mark = 0;
		double first = 0, last_rx = 0, tick = 0;
		for (;;) {
			double t = now();
			if (first > 0 && (t > first + secs || t > last_rx + 2)) break;
			if (first == 0 && t > start + secs + 10) break;
			struct pollfd q = { p.fd, POLLIN, 0 };
			if (poll(&q, 1, 500) <= 0) continue;
			uint32_t n = nm_space(rx);
			if (n) {
				t = now();
				if (first == 0) { first = tick = t; mark = got; }
				last_rx = t;
				got += n;
				rx->head = rx->cur = rx->tail;
			}
			if (first > 0 && t >= tick + 1) {
				printf("rate %.3f Mpps\n", (got - mark) / (t - tick) / 1e6);
				tick = t; mark = got;
			}
		}
		printf("rx %llu packets\n", (unsigned long long)got);
	} else if (!strcmp(mode, "ping")) {
		prefill(tx);
		uint64_t count = 0;
		double sum = 0, tick = now();
		while (now() < end) {
			double t0 = now();
			tx->slot[tx->head].len = sizeof frame;
			tx->head = tx->cur = nm_next(tx, tx->head);
			for (;;) {
				struct pollfd q = { p.fd, POLLIN, 0 };
				if (poll(&q, 1, 1000) < 0) return 1;
				if (!nm_space(rx) && now() < end) continue;
				break;
			}
			if (!nm_space(rx)) break;
			rx->head = rx->cur = nm_next(rx, rx->head);
			double t1 = now();
			sum += t1 - t0;
			count++;
			if (t1 >= tick + 1) {
				printf("rtt avg %.0f ns count %llu\n", sum / count * 1e9, (unsigned long long)count);
				tick = t1; sum = 0; count = 0;
			}
		}
	} else if (!strcmp(mode, "pong")) {
		prefill(tx);
		while (now() < end) {
			struct pollfd q = { p.fd, POLLIN, 0 };
			if (poll(&q, 1, 1000) <= 0) continue;
			while (nm_space(rx) && nm_space(tx)) {
				struct netmap_slot *s = &rx->slot[rx->head];
				struct netmap_slot *d = &tx->slot[tx->head];
				d->len = s->len;
				rx->head = rx->cur = nm_next(rx, rx->head);
				tx->head = tx->cur = nm_next(tx, tx->head);
			}
			/* the next poll() flushes the TX ring (txpoll) */
		}
	} else {
		fprintf(stderr, "nm-pkt: unknown mode %s\n", mode);
		return 2;
	}
	port_close(&p);
	return 0;
}
