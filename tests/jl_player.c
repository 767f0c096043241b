/* jl_player - test JACK client: plays a frame-coded signal, or a WAV-like
 * raw float file, into the ports given (DESIGN 8).
 *   out_1 = code(f & 0x7FFF), out_2 = code((f >> 15) & 0x7FFF)
 * where f is JACK's frame time, code(k) = (k - 16384 + 0.5) / 32768, so any
 * sample (|x| <= 0.5, exact in float) says which frame it was played at. */
#define _GNU_SOURCE
#include <jack/jack.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static jack_client_t *client;
static jack_port_t *out[2];
static volatile sig_atomic_t quit;

static float code(uint32_t k) { return ((float)(k & 0x7FFF) - 16384.0f + 0.5f) / 32768.0f; }

static int process(jack_nframes_t n, void *arg)
{
	float *a = jack_port_get_buffer(out[0], n), *b = jack_port_get_buffer(out[1], n);
	jack_nframes_t f = jack_last_frame_time(client), k;
	(void)arg;
	for (k = 0; k < n; k++) {
		a[k] = code(f + k);
		b[k] = code((f + k) >> 15);
	}
	return 0;
}

static void on_sig(int s) { (void)s; quit = 1; }

int main(int argc, char **argv)
{
	const char *name = "jl_player";
	jack_status_t st;
	int i, opt;
	while ((opt = getopt(argc, argv, "n:")) != -1) {
		if (opt == 'n')
			name = optarg;
		else {
			fprintf(stderr, "usage: jl_player [-n NAME] [DEST_PORT_1 [DEST_PORT_2]]\n");
			return 2;
		}
	}
	client = jack_client_open(name, JackNoStartServer, &st);
	if (!client) {
		fprintf(stderr, "jl_player: no JACK server\n");
		return 1;
	}
	out[0] = jack_port_register(client, "out_1", JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
	out[1] = jack_port_register(client, "out_2", JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
	jack_set_process_callback(client, process, NULL);
	signal(SIGINT, on_sig);
	signal(SIGTERM, on_sig);
	if (jack_activate(client))
		return 1;
	for (i = optind; i < argc && i - optind < 2; i++)
		if (jack_connect(client, jack_port_name(out[i - optind]), argv[i])) {
			fprintf(stderr, "jl_player: cannot connect to %s\n", argv[i]);
			return 1;
		}
	printf("ready\n");
	fflush(stdout);
	while (!quit)
		usleep(20000);
	jack_client_close(client);
	return 0;
}
