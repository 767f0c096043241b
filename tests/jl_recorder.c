/* jl_recorder - test JACK client: records the ports given, with JACK's
 * frame time, into a file of records
 *   uint32 frame, uint32 nframes, uint32 channels, float[nframes*channels]
 * (interleaved).  With -w the file is a WAV instead (24-bit PCM, clipped,
 * the header kept up to date as it grows), JACK's sample rate, one channel
 * per port; frames JACK skipped (an xrun) are written as silence, so the
 * WAV keeps the server's timeline.  The callback only copies into a
 * jack_ringbuffer; the main thread writes the file.  SIGTERM flushes and
 * exits. */
#define _GNU_SOURCE
#include <jack/jack.h>
#include <jack/ringbuffer.h>
#include <signal.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAXCH 4
static jack_client_t *client;
static jack_port_t *in[MAXCH];
static int nch;
static jack_ringbuffer_t *rb;
static volatile sig_atomic_t quit;
static volatile int overflow;

static int process(jack_nframes_t n, void *arg)
{
	uint32_t hdr[3];
	float *b[MAXCH];
	jack_nframes_t k;
	int c;
	(void)arg;
	hdr[0] = jack_last_frame_time(client);
	hdr[1] = n;
	hdr[2] = (uint32_t)nch;
	if (jack_ringbuffer_write_space(rb) < sizeof(hdr) + (size_t)n * nch * sizeof(float)) {
		overflow = 1;
		return 0;
	}
	for (c = 0; c < nch; c++)
		b[c] = jack_port_get_buffer(in[c], n);
	jack_ringbuffer_write(rb, (const char *)hdr, sizeof(hdr));
	for (k = 0; k < n; k++)
		for (c = 0; c < nch; c++)
			jack_ringbuffer_write(rb, (const char *)&b[c][k], sizeof(float));
	return 0;
}

static void on_sig(int s) { (void)s; quit = 1; }

static void drain(FILE *f)
{
	char buf[65536];
	size_t n;
	while ((n = jack_ringbuffer_read(rb, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, n, f);
}

/* -w: the records become WAV frames.  Only whole records are taken (the
 * callback writes a record in several pieces). */
static int have_next;          /* next_frame is known */
static uint32_t next_frame;    /* JACK frame the next record should start at */
static uint64_t gap_frames;
static unsigned gaps;
static uint64_t written;       /* frames in the WAV */

static void silence(SNDFILE *sf, uint64_t frames)
{
	static float zero[1024 * MAXCH];
	while (frames) {
		sf_count_t k = frames > 1024 ? 1024 : (sf_count_t)frames;
		written += (uint64_t)sf_writef_float(sf, zero, k);
		frames -= (uint64_t)k;
	}
}

static void drain_wav(SNDFILE *sf, uint32_t rate)
{
	static float buf[4096 * MAXCH];
	uint32_t hdr[3], left, k, jump;
	size_t rec;
	for (;;) {
		if (jack_ringbuffer_read_space(rb) < sizeof(hdr))
			return;
		jack_ringbuffer_peek(rb, (char *)hdr, sizeof(hdr));
		rec = sizeof(hdr) + (size_t)hdr[1] * hdr[2] * sizeof(float);
		if (jack_ringbuffer_read_space(rb) < rec)
			return;
		jack_ringbuffer_read_advance(rb, sizeof(hdr));
		/* A forward jump of JACK's frame time is lost audio: keep the
		 * timeline with silence (up to a minute; beyond, just go on). */
		jump = hdr[0] - next_frame;
		if (have_next && jump != 0 && jump <= 60 * rate) {
			silence(sf, jump);
			gap_frames += jump;
			gaps++;
		}
		next_frame = hdr[0] + hdr[1];
		have_next = 1;
		for (left = hdr[1]; left; left -= k) {
			k = left > 4096 ? 4096 : left;
			jack_ringbuffer_read(rb, (char *)buf, (size_t)k * hdr[2] * sizeof(float));
			written += (uint64_t)sf_writef_float(sf, buf, k);
		}
	}
}

int main(int argc, char **argv)
{
	const char *name = "jl_recorder", *path = NULL, *wpath = NULL;
	jack_status_t st;
	FILE *f = NULL;
	SNDFILE *sf = NULL;
	SF_INFO info;
	uint32_t rate;
	int i, opt;
	char pn[16];
	while ((opt = getopt(argc, argv, "n:o:w:")) != -1) {
		if (opt == 'n')
			name = optarg;
		else if (opt == 'o')
			path = optarg;
		else if (opt == 'w')
			wpath = optarg;
		else
			goto usage;
	}
	nch = argc - optind;
	if (!path == !wpath || nch < 1 || nch > MAXCH)
		goto usage;
	if (path) {
		f = fopen(path, "wb");
		if (!f) {
			perror(path);
			return 1;
		}
	}
	client = jack_client_open(name, JackNoStartServer, &st);
	if (!client) {
		fprintf(stderr, "jl_recorder: no JACK server\n");
		return 1;
	}
	rate = jack_get_sample_rate(client);
	if (wpath) {
		memset(&info, 0, sizeof(info));
		info.samplerate = (int)rate;
		info.channels = nch;
		info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_24;
		sf = sf_open(wpath, SFM_WRITE, &info);
		if (!sf) {
			fprintf(stderr, "jl_recorder: %s: %s\n", wpath, sf_strerror(NULL));
			jack_client_close(client);
			return 1;
		}
		sf_command(sf, SFC_SET_CLIPPING, NULL, SF_TRUE);
		sf_command(sf, SFC_SET_UPDATE_HEADER_AUTO, NULL, SF_TRUE);
	}
	rb = jack_ringbuffer_create(64u << 20);
	jack_ringbuffer_mlock(rb);
	for (i = 0; i < nch; i++) {
		snprintf(pn, sizeof(pn), "in_%d", i + 1);
		in[i] = jack_port_register(client, pn, JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
	}
	jack_set_process_callback(client, process, NULL);
	signal(SIGINT, on_sig);
	signal(SIGTERM, on_sig);
	if (jack_activate(client))
		return 1;
	for (i = 0; i < nch; i++)
		if (jack_connect(client, argv[optind + i], jack_port_name(in[i]))) {
			fprintf(stderr, "jl_recorder: cannot connect %s\n", argv[optind + i]);
			return 1;
		}
	printf("ready\n");
	fflush(stdout);
	while (!quit) {
		if (sf)
			drain_wav(sf, rate);
		else
			drain(f);
		usleep(10000);
	}
	jack_deactivate(client);
	if (sf) {
		drain_wav(sf, rate);
		printf("wrote %s: %llu frames (%.2f s), %d channel(s), %u Hz\n", wpath,
		       (unsigned long long)written, (double)written / rate, nch, (unsigned)rate);
		sf_close(sf);
		if (gaps)
			fprintf(stderr, "jl_recorder: %u gap(s) of skipped frames (%llu frames) written as silence\n",
			        gaps, (unsigned long long)gap_frames);
	} else {
		drain(f);
		fclose(f);
	}
	jack_client_close(client);
	if (overflow) {
		fprintf(stderr, "jl_recorder: ring overflow, recording incomplete\n");
		return 1;
	}
	return 0;
usage:
	fprintf(stderr, "usage: jl_recorder -o FILE | -w FILE.wav [-n NAME] PORT...\n");
	return 2;
}
