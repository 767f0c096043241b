/* jl_histcheck - attaches read-only to a running instance and checks that
 * the history holds exactly the frame-coded signal jl_player played: the
 * sample written at engine frame f decodes to JACK frame f - offset, on
 * in_1 (low 15 bits) and in_2 (high bits).  Frames inside recorded gaps
 * must be silence.
 *   jl_histcheck --name N [--server S] [--since FRAME] [--until FRAME] [--last FRAMES]
 * Prints "checked N frames, B bad, G gaps" and exits 0 only if B == 0. */
#define _GNU_SOURCE
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../shared/jl_shm.h"

static float code(uint32_t k) { return ((float)(k & 0x7FFF) - 16384.0f + 0.5f) / 32768.0f; }

int main(int argc, char **argv)
{
	static const struct option o[] = { { "name", 1, 0, 'n' }, { "server", 1, 0, 's' },
					   { "since", 1, 0, 'f' }, { "last", 1, 0, 'l' }, { "until", 1, 0, 'u' },
					   { 0, 0, 0, 0 } };
	const char *name = "jackloop", *server = jl_shm_default_server();
	uint64_t since = 0, last = 0, until = UINT64_MAX, head, head2, from, f, H, bad = 0, checked = 0, first_bad = 0;
	struct jl_shm s;
	char shm_name[256], err[256];
	int c;
	while ((c = getopt_long(argc, argv, "", o, NULL)) != -1) {
		if (c == 'n') name = optarg;
		else if (c == 's') server = optarg;
		else if (c == 'f') since = strtoull(optarg, NULL, 10);
		else if (c == 'l') last = strtoull(optarg, NULL, 10);
		else if (c == 'u') until = strtoull(optarg, NULL, 10);
		else return 2;
	}
	jl_shm_name(shm_name, sizeof(shm_name), (unsigned)getuid(), server, name);
	if (jl_shm_open_reader(&s, shm_name, 1, err, sizeof(err)) < 0) {
		fprintf(stderr, "jl_histcheck: %s\n", err);
		return 1;
	}
	H = s.hdr->geom.hist_frames;
	head = atomic_load(&s.rt->history_head);
	from = head > H ? head - H + 4096 : 0; /* margin: the writer moves on */
	if (since > from)
		from = since;
	if (last && head > last && head - last > from)
		from = head - last;
	if (until < head)
		head = until;
	for (f = from; f < head; f++) {
		float a = s.hist[f % H], b = s.hist[H + f % H];
		uint32_t jf;
		int ok;
		if (jl_shm_jack_frame(s.rt, f, &jf) < 0)
			continue; /* older than the offset marks remember */
		ok = jl_shm_in_gap(s.rt, f) ? (a == 0.0f && b == 0.0f) : (a == code(jf) && b == code(jf >> 15));
		if (!ok) {
			if (!bad)
				first_bad = f;
			bad++;
		}
		checked++;
	}
	head2 = atomic_load(&s.rt->history_head);
	if (head2 > H && head2 - H > from) {
		fprintf(stderr, "jl_histcheck: the ring moved past the checked range; retry with --last\n");
		return 3;
	}
	printf("checked %llu frames [%llu, %llu), %llu bad, %u gaps, %u offset marks\n",
	       (unsigned long long)checked, (unsigned long long)from, (unsigned long long)head,
	       (unsigned long long)bad, atomic_load(&s.rt->gaps), atomic_load(&s.rt->offset_marks));
	if (bad) {
		uint32_t jf = 0;
		jl_shm_jack_frame(s.rt, first_bad, &jf);
		printf("first bad frame %llu: in_1 %.9g want %.9g (JACK frame %u)\n", (unsigned long long)first_bad,
		       (double)s.hist[first_bad % H], (double)code(jf), jf);
	}
	jl_shm_close(&s);
	return bad || !checked ? 1 : 0;
}
