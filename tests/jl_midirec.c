/* jl_midirec - test JACK client: records the MIDI events arriving from one
 * port, one line per event: "JACKFRAME HEXBYTES" (JACK's frame time of the
 * event's sample, then its bytes).  The callback only copies into a
 * jack_ringbuffer; the main thread writes the file.  SIGTERM flushes and
 * exits. */
#define _GNU_SOURCE
#include <jack/jack.h>
#include <jack/midiport.h>
#include <jack/ringbuffer.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct rec {
	uint32_t frame;
	uint32_t size;
	uint8_t b[8];
};

static jack_client_t *client;
static jack_port_t *in;
static jack_ringbuffer_t *rb;
static volatile sig_atomic_t quit;
static volatile int overflow;

static int process(jack_nframes_t n, void *arg)
{
	void *buf = jack_port_get_buffer(in, n);
	uint32_t base = jack_last_frame_time(client), i, cnt = jack_midi_get_event_count(buf);
	(void)arg;
	for (i = 0; i < cnt; i++) {
		jack_midi_event_t ev;
		struct rec r;
		if (jack_midi_event_get(&ev, buf, i))
			continue;
		memset(&r, 0, sizeof(r));
		r.frame = base + ev.time;
		r.size = ev.size < sizeof(r.b) ? (uint32_t)ev.size : (uint32_t)sizeof(r.b);
		memcpy(r.b, ev.buffer, r.size);
		if (jack_ringbuffer_write_space(rb) < sizeof(r)) {
			overflow = 1;
			return 0;
		}
		jack_ringbuffer_write(rb, (const char *)&r, sizeof(r));
	}
	return 0;
}

static void on_sig(int s) { (void)s; quit = 1; }

static void drain(FILE *f)
{
	struct rec r;
	uint32_t k;
	while (jack_ringbuffer_read_space(rb) >= sizeof(r)) {
		jack_ringbuffer_read(rb, (char *)&r, sizeof(r));
		fprintf(f, "%u ", r.frame);
		for (k = 0; k < r.size; k++)
			fprintf(f, "%02X", r.b[k]);
		fputc('\n', f);
	}
	fflush(f);
}

int main(int argc, char **argv)
{
	const char *name = "jl_midirec", *path = NULL;
	jack_status_t st;
	FILE *f;
	int opt;
	while ((opt = getopt(argc, argv, "n:o:")) != -1) {
		if (opt == 'n')
			name = optarg;
		else if (opt == 'o')
			path = optarg;
		else
			goto usage;
	}
	if (!path || argc - optind != 1)
		goto usage;
	f = fopen(path, "w");
	if (!f) {
		perror(path);
		return 1;
	}
	client = jack_client_open(name, JackNoStartServer, &st);
	if (!client) {
		fprintf(stderr, "jl_midirec: no JACK server\n");
		return 1;
	}
	rb = jack_ringbuffer_create(1u << 20);
	in = jack_port_register(client, "midi_in", JACK_DEFAULT_MIDI_TYPE, JackPortIsInput, 0);
	if (!rb || !in) {
		fprintf(stderr, "jl_midirec: cannot set up\n");
		return 1;
	}
	jack_set_process_callback(client, process, NULL);
	signal(SIGINT, on_sig);
	signal(SIGTERM, on_sig);
	if (jack_activate(client))
		return 1;
	if (jack_connect(client, argv[optind], jack_port_name(in))) {
		fprintf(stderr, "jl_midirec: cannot connect %s\n", argv[optind]);
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
		fprintf(stderr, "jl_midirec: ring overflow, recording incomplete\n");
		return 1;
	}
	return 0;
usage:
	fprintf(stderr, "usage: jl_midirec -o FILE [-n NAME] PORT\n");
	return 2;
}
