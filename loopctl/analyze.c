/* analyze.c - `loopctl analyze FILE ...`: offline run of the live analysis.
 *
 * Reads an audio file with libsndfile and feeds it, block by block, through
 * exactly the jl_analysis code path the daemon uses, so what it prints is
 * what the live looper would have known and when (decision times).
 * Thread: main thread of the loopctl process; prints to stdout/stderr.
 */
#include "analysis.h"
#include "analysis_cli.h"
#include "jl_alloc.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#define READ_FRAMES 4096u
#define MAX_CHUNK 1048576L
#define FEED_STEP 4096u   /* frames per jl_analysis_feed() call */
#define ONSET_BATCH 64u
#define MAX_CYCLES 64u

/* --cycle START:END: a first loop recorded from START to END (frames) */
struct cycle {
	double start_s, end_s;
	uint64_t start, end; /* frames */
	int known;           /* the count was taken */
	int rc;              /* jl_analysis_beats_per_cycle(): 0 or -ENOENT */
	uint32_t beats;
	double bpm;          /* beats over the cycle's length, if rc == 0 */
};

struct opts {
	const char *path;
	int onsets, tempo, json, decision, track, beats, downbeats;
	long meter;     /* beats per bar for --downbeats (default 4) */
	struct cycle cyc[MAX_CYCLES];
	size_t ncyc;
	long input;     /* 0 = mix of all channels, else 1-based channel */
	double level_s;      /* --level SECONDS:LEVEL: when (-1: none) ... */
	double level_f;      /* ... and the factor, as `tempo LEVEL` sets it */
	long chunk;     /* feed size in frames; 0 = one hop; -1 = random */
};

static void usage(FILE *f)
{
	fputs("usage: loopctl analyze FILE [options]\n"
	      "\n"
	      "Run the daemon's onset/tempo analysis offline over an audio file\n"
	      "(any format libsndfile reads), feeding it block by block exactly as\n"
	      "the live path does.  Without --onsets/--tempo/--beats, onsets and\n"
	      "tempo are printed.\n"
	      "\n"
	      "  --onsets       print onset times in seconds, one per line\n"
	      "  --decision     with --onsets, --beats or --downbeats: add a second column, the\n"
	      "                 decision time (input position in seconds when the onset\n"
	      "                 or beat was known)\n"
	      "  --tempo        print the tempo in BPM (median of the live estimate over\n"
	      "                 the second half of the file), or `unknown`\n"
	      "  --track        with --tempo: print `time_s bpm` lines every 0.1 s of\n"
	      "                 audio (the estimate's update rate) as the live estimate\n"
	      "                 evolves (`unknown` if none)\n"
	      "  --beats        print the beats of the live estimate, one time in seconds\n"
	      "                 per line: each beat as the looper's grid placed it when\n"
	      "                 it passed (at most one tempo update, 0.1 s, later);\n"
	      "                 with --onsets or --tempo only together with --json\n"
	      "  --downbeats    print the downbeats (bar lines) of the live estimate the\n"
	      "                 same way: each as the grid placed it when it passed\n"
	      "  --meter N      beats per bar for --downbeats, 2..16 (default 4)\n"
	      "  --cycle START:END\n"
	      "                 the beats a first loop recorded from START to END\n"
	      "                 (seconds) would be counted in, as the looper counts\n"
	      "                 them when it closes at END: prints `START END BEATS\n"
	      "                 BPM` (or `unknown` for BEATS and BPM); repeatable, up\n"
	      "                 to 64; with other lists only together with --json\n"
	      "  --level SECONDS:LEVEL\n"
	      "                 at SECONDS of input, set the metrical level as the\n"
	      "                 performer's `tempo LEVEL` does on the tempo heard\n"
	      "                 (" JL_LEVEL_WORDS "); what follows\n"
	      "                 reads at that level.  A refused level (no tempo yet,\n"
	      "                 out of range) is reported on stderr and the run goes on\n"
	      "  --json         machine-readable output (onsets with decision time,\n"
	      "                 strength and whether each is a slow swell; tempo, and\n"
	      "                 the tempo track; beats and downbeats with decision time;\n"
	      "                 cycles)\n"
	      "  --input N      analyse channel N (1-based); default: mix of all channels\n"
	      "  --chunk N      feed N frames per call, 1..1048576 (default: one\n"
	      "                 analysis hop)\n"
	      "  --chunk random feed random sizes 1..4096 (fixed seed); results are\n"
	      "                 identical for every chunking\n"
	      "  -h, --help     show this help\n"
	      "\n"
	      "Exit status: 0 ok (including tempo `unknown`), 1 unreadable, unsupported\n"
	      "or empty input, 2 usage error.\n", f);
}

static int parse_long(const char *s, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end)
		return -EINVAL;
	*out = v;
	return 0;
}

/* returns 0 ok, 1 help printed, 2 usage error */
static int parse(int argc, char **argv, struct opts *o)
{
	memset(o, 0, sizeof(*o));
	o->level_s = -1;
	for (int i = 1; i < argc; i++) {
		const char *s = argv[i];
		if (!strcmp(s, "-h") || !strcmp(s, "--help")) {
			usage(stdout);
			return 1;
		} else if (!strcmp(s, "--onsets")) {
			o->onsets = 1;
		} else if (!strcmp(s, "--tempo")) {
			o->tempo = 1;
		} else if (!strcmp(s, "--json")) {
			o->json = 1;
		} else if (!strcmp(s, "--decision")) {
			o->decision = 1;
		} else if (!strcmp(s, "--track")) {
			o->track = 1;
		} else if (!strcmp(s, "--beats")) {
			o->beats = 1;
		} else if (!strcmp(s, "--downbeats")) {
			o->downbeats = 1;
		} else if (!strcmp(s, "--cycle")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "loopctl analyze: %s needs a value\n", s);
				return 2;
			}
			const char *v = argv[++i];
			char *e1 = NULL, *e2 = NULL;
			errno = 0;
			double a = strtod(v, &e1), b = e1 && *e1 == ':' ? strtod(e1 + 1, &e2) : 0;
			if (errno || e1 == v || *e1 != ':' || e2 == e1 + 1 || !e2 || *e2 || !isfinite(a) || !isfinite(b) ||
			    a < 0 || b <= a || b > 1e6) {
				fprintf(stderr, "loopctl analyze: bad value for --cycle: '%s' (START:END in seconds, "
					"0 <= START < END)\n", v);
				return 2;
			}
			if (o->ncyc == MAX_CYCLES) {
				fprintf(stderr, "loopctl analyze: at most %u --cycle options\n", MAX_CYCLES);
				return 2;
			}
			struct cycle *c = &o->cyc[o->ncyc++];
			c->start_s = a;
			c->end_s = b;
		} else if (!strcmp(s, "--level")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "loopctl analyze: %s needs a value\n", s);
				return 2;
			}
			const char *v = argv[++i];
			char *e = NULL;
			errno = 0;
			double t = strtod(v, &e);
			unsigned ln, ld;
			if (errno || e == v || *e != ':' || !isfinite(t) || t < 0 || t > 1e6 ||
			    jl_level_word(e + 1, &ln, &ld) < 0) {
				fprintf(stderr, "loopctl analyze: bad value for --level: '%s' (SECONDS:LEVEL, LEVEL one of "
					JL_LEVEL_WORDS ")\n", v);
				return 2;
			}
			o->level_s = t;
			o->level_f = (double)ln / ld;
		} else if (!strcmp(s, "--meter")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "loopctl analyze: %s needs a value\n", s);
				return 2;
			}
			if (parse_long(argv[i + 1], &o->meter) < 0 || o->meter < 2 ||
			    o->meter > JL_ANALYSIS_MAX_PER_BAR) {
				fprintf(stderr, "loopctl analyze: bad value for --meter: '%s' (beats per bar, 2..%d)\n",
					argv[i + 1], JL_ANALYSIS_MAX_PER_BAR);
				return 2;
			}
			i++;
		} else if (!strcmp(s, "--input") || !strcmp(s, "--chunk")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "loopctl analyze: %s needs a value\n", s);
				return 2;
			}
			const char *v = argv[++i];
			long n;
			if (!strcmp(s, "--chunk") && !strcmp(v, "random")) {
				o->chunk = -1;
				continue;
			}
			if (parse_long(v, &n) < 0 || n < 1 || n > MAX_CHUNK) {
				fprintf(stderr, "loopctl analyze: bad value for %s: '%s'\n", s, v);
				return 2;
			}
			if (!strcmp(s, "--input"))
				o->input = n;
			else
				o->chunk = n;
		} else if (s[0] == '-' && s[1]) {
			fprintf(stderr, "loopctl analyze: unknown option '%s' (see --help)\n", s);
			return 2;
		} else if (!o->path) {
			o->path = s;
		} else {
			fprintf(stderr, "loopctl analyze: more than one FILE given ('%s')\n", s);
			return 2;
		}
	}
	if (!o->path) {
		fputs("loopctl analyze: no FILE given (see --help)\n", stderr);
		return 2;
	}
	if (o->beats && (o->onsets || o->tempo) && !o->json) {
		fputs("loopctl analyze: --beats prints a list of its own: combine it with "
		      "--onsets or --tempo only with --json\n", stderr);
		return 2;
	}
	if (o->downbeats && (o->onsets || o->tempo || o->beats) && !o->json) {
		fputs("loopctl analyze: --downbeats prints a list of its own: combine it with "
		      "--onsets, --tempo or --beats only with --json\n", stderr);
		return 2;
	}
	if (o->ncyc && (o->onsets || o->tempo || o->beats || o->downbeats) && !o->json) {
		fputs("loopctl analyze: --cycle prints a list of its own: combine it with "
		      "--onsets, --tempo, --beats or --downbeats only with --json\n", stderr);
		return 2;
	}
	if (o->meter && !o->downbeats) {
		fputs("loopctl analyze: --meter only goes with --downbeats\n", stderr);
		return 2;
	}
	if (!o->meter)
		o->meter = 4;
	if (!o->onsets && !o->tempo && !o->beats && !o->downbeats && !o->ncyc)
		o->onsets = o->tempo = 1;
	return 0;
}

/* Small deterministic PRNG for --chunk random (xorshift32). */
static uint32_t rnd_next(uint32_t *s)
{
	uint32_t x = *s;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *s = x;
}

static int cmp_double(const void *p, const void *q)
{
	double a = *(const double *)p, b = *(const double *)q;
	return (a > b) - (a < b);
}

/* --beats, --downbeats: the grid lines emitted so far */
struct grid_list {
	json_t *j;             /* with --json */
	int have;              /* a line has been emitted (last is valid) */
	double last;           /* frame of the last emitted line */
};

struct run {
	const struct opts *o;
	struct jl_analysis *an;
	uint32_t rate;
	json_t *jons, *jtrack;
	double *trk_t, *trk_b; /* tempo track (time, bpm or 0) */
	size_t trk_n, trk_cap;
	struct grid_list beats, downbeats;
	uint64_t next_track;  /* absolute frame of the next track point */
	uint64_t track_step;
	struct cycle *cyc;    /* --cycle: counted when the input reaches their end */
	size_t ncyc;
	uint64_t level_at;    /* --level: the frame it is set at (UINT64_MAX: none, or done) */
	double level_f;
	const char *path;
};

/* The end of the first --cycle not yet counted that ends after `frame`
 * (or UINT64_MAX). */
static uint64_t next_cycle_end(const struct run *r, uint64_t frame)
{
	uint64_t e = UINT64_MAX;
	for (size_t i = 0; i < r->ncyc; i++)
		if (!r->cyc[i].known && r->cyc[i].end > frame && r->cyc[i].end < e)
			e = r->cyc[i].end;
	return e;
}

/* Count the cycles that end at `frame`, as the looper counts a first loop
 * when it closes (jl_analysis_beats_per_cycle()). */
static int count_cycles(struct run *r, uint64_t frame)
{
	for (size_t i = 0; i < r->ncyc; i++) {
		struct cycle *c = &r->cyc[i];
		if (c->known || c->end != frame)
			continue;
		c->rc = jl_analysis_beats_per_cycle(r->an, c->end - c->start, &c->beats);
		if (c->rc < 0 && c->rc != -ENOENT)
			return c->rc;
		c->bpm = 60.0 * c->beats * r->rate / (double)(c->end - c->start);
		c->known = 1;
	}
	return 0;
}

/* Print the onsets the last feed emitted (`count` of them, decided after
 * input position `before`).  feed_block() feeds at most FEED_STEP frames
 * at a time, which emits far fewer than ONSET_BATCH onsets (one per 30 ms
 * at most, even at 8 kHz). */
static int drain_onsets(struct run *r, uint64_t before, int count)
{
	struct jl_onset buf[ONSET_BATCH];
	size_t k = jl_analysis_new_onsets(r->an, before, buf, ONSET_BATCH);
	if (k != (size_t)count)
		return -EOVERFLOW;
	for (size_t i = 0; i < k; i++) {
		double t = (double)buf[i].frame / r->rate;
		double d = (double)buf[i].decided_at / r->rate;
		if (r->jons) {
			json_t *e = json_pack("{s:f, s:f, s:f, s:b}", "time", t, "decision", d,
					      "strength", (double)buf[i].strength, "swell", buf[i].swell);
			if (!e || json_array_append_new(r->jons, e) < 0)
				return -ENOMEM;
		} else if (r->o->onsets) {
			if (r->o->decision)
				printf("%.6f %.6f\n", t, d);
			else
				printf("%.6f\n", t);
		}
	}
	return 0;
}

/* --beats, --downbeats: the latest line of the grid the looper would use
 * now (a beat: origin t->beat_frame, period t->period_frames; a bar line:
 * origin t->downbeat_frame, per_bar periods; see jl_looper_grid() in
 * looper.c), emitted once: a latest line within half a period of the one
 * emitted before is that line again, re-estimated. */
static int emit_line(struct run *r, struct grid_list *g, double origin, double P, uint64_t pos)
{
	double b = origin;
	if ((double)pos > b)
		b += floor(((double)pos - b) / P) * P;
	if (g->have && b <= g->last + 0.5 * P)
		return 0;
	g->have = 1;
	g->last = b;
	double bt = b / r->rate, d = (double)pos / r->rate;
	if (g->j) {
		json_t *e = json_pack("{s:f, s:f}", "time", bt, "decision", d);
		if (!e || json_array_append_new(g->j, e) < 0)
			return -ENOMEM;
	} else if (r->o->decision) {
		printf("%.6f %.6f\n", bt, d);
	} else {
		printf("%.6f\n", bt);
	}
	return 0;
}

static int track_point(struct run *r, uint64_t pos)
{
	struct jl_tempo t;
	jl_analysis_tempo(r->an, &t);
	if (r->o->beats && t.known && t.period_frames > 0 &&
	    emit_line(r, &r->beats, (double)t.beat_frame, t.period_frames, pos) < 0)
		return -ENOMEM;
	if (r->o->downbeats && t.known && t.bar_known && t.period_frames > 0 &&
	    emit_line(r, &r->downbeats, (double)t.downbeat_frame, t.per_bar * t.period_frames, pos) < 0)
		return -ENOMEM;
	if (r->trk_n == r->trk_cap) {
		size_t nc = r->trk_cap ? 2 * r->trk_cap : 256;
		double *nt = jl_realloc(r->trk_t, nc * sizeof(double));
		if (!nt)
			return -ENOMEM;
		r->trk_t = nt;
		double *nb = jl_realloc(r->trk_b, nc * sizeof(double));
		if (!nb)
			return -ENOMEM;
		r->trk_b = nb;
		r->trk_cap = nc;
	}
	r->trk_t[r->trk_n] = (double)pos / r->rate;
	r->trk_b[r->trk_n] = t.known ? t.bpm : 0.0;
	r->trk_n++;
	return 0;
}

/* --level: the performer's press, `tempo LEVEL` on the tempo heard, once
 * the input reaches its frame (before that frame's track point) */
static void press_level(struct run *r, uint64_t frame)
{
	if (frame != r->level_at)
		return;
	int rc = jl_analysis_set_level(r->an, r->level_f);
	if (rc < 0)
		fprintf(stderr, "loopctl analyze: %s: --level at %.3f s refused: %s\n", r->path, (double)frame / r->rate,
			rc == -ENOENT ? "no tempo yet" : rc == -ERANGE ? "outside the tempo range"
								: "no metrical level of the tempo heard");
	r->level_at = UINT64_MAX;
}

/* feed one block, splitting it at track points so that the track is
 * sampled at exact input positions whatever the chunking */
static int feed_block(struct run *r, const float *x, size_t n, uint64_t frame)
{
	while (n) {
		size_t m = n < FEED_STEP ? n : FEED_STEP;
		if (frame + m > r->next_track)
			m = (size_t)(r->next_track - frame);
		uint64_t ce = next_cycle_end(r, frame);
		if (frame + m > ce)
			m = (size_t)(ce - frame);
		if (frame < r->level_at && frame + m > r->level_at)
			m = (size_t)(r->level_at - frame);
		press_level(r, frame);
		if (m) {
			uint64_t before = jl_analysis_position(r->an);
			int k = jl_analysis_feed(r->an, x, m, frame);
			if (k < 0)
				return k;
			if (k > 0 && (k = drain_onsets(r, before, k)) < 0)
				return k;
		}
		x += m;
		n -= m;
		frame += m;
		press_level(r, frame);
		if (frame == r->next_track) {
			if (track_point(r, frame) < 0)
				return -ENOMEM;
			r->next_track += r->track_step;
		}
		int rc = count_cycles(r, frame);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int jl_analyze_main(int argc, char **argv)
{
	struct opts o;
	struct run r;
	SF_INFO info;
	SNDFILE *sf = NULL;
	float *ibuf = NULL, *mono = NULL;
	json_t *root = NULL;
	int ret = 1;

	memset(&r, 0, sizeof(r));
	int pr = parse(argc, argv, &o);
	if (pr == 1)
		return 0;
	if (pr)
		return 2;
	r.o = &o;

	memset(&info, 0, sizeof(info));
	sf = sf_open(o.path, SFM_READ, &info);
	if (!sf) {
		fprintf(stderr, "loopctl analyze: %s: cannot read as audio (%s)\n", o.path,
			sf_strerror(NULL));
		goto out;
	}
	if (info.channels < 1 || info.samplerate < 8000 || info.samplerate > 384000) {
		fprintf(stderr, "loopctl analyze: %s: unsupported format (%d channels, %d Hz)\n",
			o.path, info.channels, info.samplerate);
		goto out;
	}
	if (info.frames <= 0) {
		fprintf(stderr, "loopctl analyze: %s: zero-length audio file\n", o.path);
		goto out;
	}
	if (o.input > info.channels) {
		fprintf(stderr, "loopctl analyze: %s: no input %ld (file has %d channel%s)\n",
			o.path, o.input, info.channels, info.channels == 1 ? "" : "s");
		goto out;
	}
	r.rate = (uint32_t)info.samplerate;
	for (size_t i = 0; i < o.ncyc; i++) {
		struct cycle *c = &o.cyc[i];
		c->start = (uint64_t)llround(c->start_s * r.rate);
		c->end = (uint64_t)llround(c->end_s * r.rate);
		if (c->end <= c->start) {
			fprintf(stderr, "loopctl analyze: --cycle %g:%g is shorter than one frame at %u Hz\n",
				c->start_s, c->end_s, r.rate);
			ret = 2;
			goto out;
		}
		if (c->end > (uint64_t)info.frames) {
			fprintf(stderr, "loopctl analyze: %s: --cycle %g:%g ends after the input (%.3f s)\n",
				o.path, c->start_s, c->end_s, (double)info.frames / r.rate);
			ret = 2;
			goto out;
		}
	}
	r.cyc = o.cyc;
	r.ncyc = o.ncyc;
	r.path = o.path;
	r.level_f = o.level_f;
	r.level_at = o.level_s >= 0 ? (uint64_t)llround(o.level_s * r.rate) : UINT64_MAX;
	if (r.level_at != UINT64_MAX && r.level_at >= (uint64_t)info.frames) {
		fprintf(stderr, "loopctl analyze: %s: --level at %g s is not within the input (%.3f s)\n", o.path,
			o.level_s, (double)info.frames / r.rate);
		ret = 2;
		goto out;
	}

	struct jl_analysis_config cfg;
	jl_analysis_config_default(&cfg, r.rate);
	/* keep every onset of the file: nothing is forgotten offline */
	cfg.max_onset_history_s = (double)info.frames / r.rate + 10.0;
	r.an = jl_analysis_create(&cfg);
	ibuf = jl_calloc((size_t)READ_FRAMES * (size_t)info.channels, sizeof(float));
	/* room for one whole chunk plus one read */
	size_t cap = (o.chunk > 0 ? (size_t)o.chunk : 4096u) + READ_FRAMES;
	mono = jl_calloc(cap, sizeof(float));
	if (r.an)
		jl_analysis_set_meter(r.an, (uint32_t)o.meter);
	if (!r.an || !ibuf || !mono) {
		fprintf(stderr, "loopctl analyze: cannot set up the analysis: %s\n", strerror(errno ? errno : ENOMEM));
		goto out;
	}
	if (o.json) {
		root = json_object();
		r.jons = json_array();
		r.jtrack = json_array();
		r.beats.j = json_array();
		r.downbeats.j = json_array();
		if (!root || !r.jons || !r.jtrack || !r.beats.j || !r.downbeats.j) {
			fputs("loopctl analyze: out of memory\n", stderr);
			goto out;
		}
	}
	/* --track: one point per tempo update (cfg.tempo_update_s, 0.1 s), so
	 * that the track shows every change of the estimate and a settle time
	 * read from it is exact to one update (a 0.5 s grid added up to 0.5 s) */
	r.track_step = (uint64_t)lround(cfg.tempo_update_s * r.rate);
	r.next_track = r.track_step;

	/* chunk size: default one hop (what a hop-synchronous caller does) */
	long hop = (long)jl_analysis_hop(r.an);
	uint32_t seed = 0x2545F491u;
	uint64_t frame = 0;
	size_t pend = 0;   /* samples in mono[] not yet fed */
	int eof = 0;
	while (!eof || pend) {
		if (!eof && pend + READ_FRAMES <= cap) {
			sf_count_t want = (sf_count_t)READ_FRAMES;
			sf_count_t got = sf_readf_float(sf, ibuf, want);
			if (got < want)
				eof = 1;
			for (sf_count_t i = 0; i < got; i++) {
				float v = 0;
				if (o.input) {
					v = ibuf[i * info.channels + (o.input - 1)];
				} else {
					for (int c = 0; c < info.channels; c++)
						v += ibuf[i * info.channels + c];
					v /= (float)info.channels;
				}
				mono[pend + (size_t)i] = v;
			}
			pend += (size_t)got;
			if (got == 0 && sf_error(sf)) {
				fprintf(stderr, "loopctl analyze: %s: read error: %s\n", o.path, sf_strerror(sf));
				goto out;
			}
		}
		size_t off = 0;
		while (off < pend) {
			size_t want = o.chunk > 0 ? (size_t)o.chunk :
				      o.chunk < 0 ? 1 + rnd_next(&seed) % 4096u : (size_t)hop;
			if (want > pend - off) {
				if (!eof)
					break; /* read more first so chunking stays as asked */
				want = pend - off;
			}
			int rc = feed_block(&r, mono + off, want, frame);
			if (rc < 0) {
				fprintf(stderr, "loopctl analyze: %s\n", strerror(-rc));
				goto out;
			}
			off += want;
			frame += want;
		}
		memmove(mono, mono + off, (pend - off) * sizeof(float));
		pend -= off;
	}
	if (frame == 0) {
		fprintf(stderr, "loopctl analyze: %s: zero-length audio file\n", o.path);
		goto out;
	}
	for (size_t i = 0; i < o.ncyc; i++)
		if (!o.cyc[i].known) { /* the header promised more than the file holds */
			fprintf(stderr, "loopctl analyze: %s: --cycle %g:%g ends after the input (%.3f s)\n",
				o.path, o.cyc[i].start_s, o.cyc[i].end_s, (double)frame / r.rate);
			goto out;
		}
	/* final track point at the end of the input, unless a regular one
	 * fell on it (an input of whole steps: 8.000 s would be listed twice) */
	if (frame != r.next_track - r.track_step && track_point(&r, frame) < 0) {
		fputs("loopctl analyze: out of memory\n", stderr);
		goto out;
	}

	/* global tempo: median of the known estimates over the second half */
	double gbpm = 0;
	{
		double *v = jl_calloc(r.trk_n + 1, sizeof(double));
		size_t nv = 0;
		if (!v) {
			fputs("loopctl analyze: out of memory\n", stderr);
			goto out;
		}
		double half = (double)frame / r.rate / 2.0;
		for (size_t i = 0; i < r.trk_n; i++)
			if (r.trk_t[i] >= half && r.trk_b[i] > 0)
				v[nv++] = r.trk_b[i];
		if (!nv)
			for (size_t i = 0; i < r.trk_n; i++)
				if (r.trk_b[i] > 0)
					v[nv++] = r.trk_b[i];
		if (nv) {
			qsort(v, nv, sizeof(double), cmp_double);
			gbpm = nv % 2 ? v[nv / 2] : 0.5 * (v[nv / 2 - 1] + v[nv / 2]);
		}
		jl_free(v);
	}
	struct jl_tempo t;
	jl_analysis_tempo(r.an, &t);

	if (o.json) {
		for (size_t i = 0; i < r.trk_n; i++) {
			json_t *e = r.trk_b[i] > 0 ?
				json_pack("{s:f, s:f}", "time", r.trk_t[i], "bpm", r.trk_b[i]) :
				json_pack("{s:f, s:n}", "time", r.trk_t[i], "bpm");
			if (!e || json_array_append_new(r.jtrack, e) < 0) {
				fputs("loopctl analyze: out of memory\n", stderr);
				goto out;
			}
		}
		json_t *jt = gbpm > 0 ?
			json_pack("{s:f, s:b, s:f, s:f, s:f}", "bpm", gbpm, "known", t.known,
				  "current_bpm", t.known ? t.bpm : 0.0, "confidence", t.confidence,
				  "beat_time", (double)t.beat_frame / r.rate) :
			json_pack("{s:n, s:b}", "bpm", "known", 0);
		json_t *o2 = json_pack("{s:s, s:i, s:i, s:I, s:f}", "file", o.path,
				       "rate", (int)r.rate, "channels", info.channels,
				       "frames", (json_int_t)frame, "duration_s", (double)frame / r.rate);
		json_t *jc = json_array();
		for (size_t i = 0; jc && i < o.ncyc; i++) {
			const struct cycle *c = &o.cyc[i];
			json_t *e = c->rc == 0 ?
				json_pack("{s:f, s:f, s:i, s:f}", "start", c->start_s, "end", c->end_s,
					  "beats", (int)c->beats, "bpm", c->bpm) :
				json_pack("{s:f, s:f, s:n, s:n}", "start", c->start_s, "end", c->end_s, "beats", "bpm");
			if (!e || json_array_append_new(jc, e) < 0) {
				json_decref(jc);
				jc = NULL;
			}
		}
		if (!jc || (o.ncyc && json_object_set(root, "cycles", jc) < 0)) {
			json_decref(jc);
			json_decref(jt);
			json_decref(o2);
			fputs("loopctl analyze: out of memory\n", stderr);
			goto out;
		}
		json_decref(jc);
		if (!jt || !o2 || json_object_update(root, o2) < 0 ||
		    (o.onsets && json_object_set(root, "onsets", r.jons) < 0) ||
		    (o.tempo && json_object_set_new(root, "tempo", jt) < 0) ||
		    (o.tempo && json_object_set(root, "track", r.jtrack) < 0) ||
		    (o.beats && json_object_set(root, "beats", r.beats.j) < 0) ||
		    (o.downbeats && json_object_set(root, "downbeats", r.downbeats.j) < 0)) {
			json_decref(o2);
			if (!o.tempo)
				json_decref(jt);
			fputs("loopctl analyze: out of memory\n", stderr);
			goto out;
		}
		json_decref(o2);
		if (!o.tempo)
			json_decref(jt);
		if (json_dumpf(root, stdout, JSON_INDENT(1) | JSON_REAL_PRECISION(10)) < 0) {
			fputs("loopctl analyze: cannot write output\n", stderr);
			goto out;
		}
		putchar('\n');
	} else if (o.tempo) {
		if (o.track) {
			for (size_t i = 0; i < r.trk_n; i++) {
				if (r.trk_b[i] > 0)
					printf("%.3f %.2f\n", r.trk_t[i], r.trk_b[i]);
				else
					printf("%.3f unknown\n", r.trk_t[i]);
			}
		} else if (gbpm > 0) {
			printf("%.2f\n", gbpm);
		} else {
			puts("unknown");
		}
	} else if (o.ncyc) {
		for (size_t i = 0; i < o.ncyc; i++) {
			const struct cycle *c = &o.cyc[i];
			if (c->rc == 0)
				printf("%.3f %.3f %u %.2f\n", c->start_s, c->end_s, c->beats, c->bpm);
			else
				printf("%.3f %.3f unknown unknown\n", c->start_s, c->end_s);
		}
	}
	if (fflush(stdout) != 0) {
		fprintf(stderr, "loopctl analyze: cannot write output: %s\n", strerror(errno));
		goto out;
	}
	ret = 0;
out:
	if (sf)
		sf_close(sf);
	json_decref(r.jons);
	json_decref(r.jtrack);
	json_decref(r.beats.j);
	json_decref(r.downbeats.j);
	json_decref(root);
	jl_free(r.trk_t);
	jl_free(r.trk_b);
	jl_free(ibuf);
	jl_free(mono);
	jl_analysis_destroy(r.an);
	return ret;
}
