// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Not part of `pnpm bench`: what one dependent memory load costs on this
 * machine, by the size of what is read (4 KB pages, as the kernel's
 * vmalloc'd maps get), to say what a flow-table miss can cost at best.
 *
 *   gcc -O2 -o /tmp/memory-latency bench/packet-cost/memory-latency.c
 *   /tmp/memory-latency 128      # MB; one load per 64-byte line, random cycle
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define LINE_WORDS 8 /* 64-byte lines */
#define STEPS 20000000UL

int main(int argc, char **argv)
{
	size_t mb = argc > 1 ? strtoul(argv[1], NULL, 10) : 128;
	size_t lines = mb * 1024 * 1024 / 64;
	uint64_t *buf = aligned_alloc(4096, lines * 64);
	size_t *order = malloc(lines * sizeof(*order));
	struct timespec start, end;
	uint64_t at = 0;

	if (!buf || !order || lines < 2)
		return 1;
	for (size_t i = 0; i < lines; i++)
		order[i] = i;
	srand(7);
	for (size_t i = lines - 1; i > 0; i--) {
		size_t j = (((size_t)rand() << 16) ^ (size_t)rand()) % (i + 1), t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	/* Each line holds the index of the next one in one random cycle: every load waits for the last. */
	for (size_t i = 0; i < lines; i++)
		buf[order[i] * LINE_WORDS] = order[(i + 1) % lines] * LINE_WORDS;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (size_t i = 0; i < STEPS; i++)
		at = buf[at];
	clock_gettime(CLOCK_MONOTONIC, &end);
	printf("%zu MB: %.1f ns per dependent load (ended at %llu)\n", mb,
	       ((end.tv_sec - start.tv_sec) * 1e9 + (end.tv_nsec - start.tv_nsec)) / STEPS,
	       (unsigned long long)at);
	return 0;
}
