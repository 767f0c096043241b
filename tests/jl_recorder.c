/* jl_recorder - test JACK client: records the ports given, with JACK's
 * frame time, into a file of records
 *   uint32 frame, uint32 nframes, uint32 channels, float[nframes*channels]
 * (interleaved).  The callback only copies into a jack_ringbuffer; the main
 * thread writes the file.  SIGTERM flushes and exits. */
#define _GNU_SOURCE
#include <jack/jack.h>
#include <jack/ringbuffer.h>
#include <signal.h>
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

int main(int argc, char **argv)
{
	const char *name = "jl_recorder", *path = NULL;
	jack_status_t st;
	FILE *f;
	int i, opt;
	char pn[16];
	while ((opt = getopt(argc, argv, "n:o:")) != -1) {
		if (opt == 'n')
			name = optarg;
		else if (opt == 'o')
			path = optarg;
		else
			goto usage;
	}
	nch = argc - optind;
	if (!path || nch < 1 || nch > MAXCH)
		goto usage;
	f = fopen(path, "wb");
	if (!f) {
		perror(path);
		return 1;
	}
	client = jack_client_open(name, JackNoStartServer, &st);
	if (!client) {
		fprintf(stderr, "jl_recorder: no JACK server\n");
		return 1;
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
		drain(f);
		usleep(10000);
	}
	jack_deactivate(client);
	drain(f);
	fclose(f);
	jack_client_close(client);
	if (overflow) {
		fprintf(stderr, "jl_recorder: ring overflow, recording incomplete\n");
		return 1;
	}
	return 0;
usage:
	fprintf(stderr, "usage: jl_recorder -o FILE [-n NAME] PORT...\n");
	return 2;
}
