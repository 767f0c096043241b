/* jl_delay - test JACK client: out = in delayed by exactly N frames, plus
 * low-level noise (a stand-in for a PA, a room and a microphone).
 *   jl_delay [-n NAME] [-N FRAMES] [-a NOISE_AMP] [SRC_PORT DEST_PORT]
 * The delay line lives in memory allocated before activation. */
#define _GNU_SOURCE
#include <jack/jack.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static jack_client_t *client;
static jack_port_t *pin, *pout;
static float *line;
static uint32_t len, pos, delay;
static float noise_amp = 0.003f;
static uint32_t seed = 12345;
static volatile sig_atomic_t quit;

static int process(jack_nframes_t n, void *arg)
{
	const float *in = jack_port_get_buffer(pin, n);
	float *out = jack_port_get_buffer(pout, n);
	jack_nframes_t k;
	(void)arg;
	for (k = 0; k < n; k++) {
		line[pos] = in[k];
		seed = seed * 1103515245u + 12345u;
		out[k] = line[(pos + len - delay) % len] + noise_amp * ((float)(seed >> 16 & 0x7FFF) / 16384.0f - 1.0f);
		pos = (pos + 1) % len;
	}
	return 0;
}

static void on_sig(int s) { (void)s; quit = 1; }

int main(int argc, char **argv)
{
	const char *name = "jl_delay";
	jack_status_t st;
	int opt;
	while ((opt = getopt(argc, argv, "n:N:a:")) != -1) {
		if (opt == 'n')
			name = optarg;
		else if (opt == 'N')
			delay = (uint32_t)strtoul(optarg, NULL, 10);
		else if (opt == 'a')
			noise_amp = strtof(optarg, NULL);
		else
			return 2;
	}
	len = delay + 8192;
	line = calloc(len, sizeof(float));
	client = jack_client_open(name, JackNoStartServer, &st);
	if (!client || !line)
		return 1;
	pin = jack_port_register(client, "in", JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
	pout = jack_port_register(client, "out", JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
	jack_set_process_callback(client, process, NULL);
	signal(SIGINT, on_sig);
	signal(SIGTERM, on_sig);
	if (jack_activate(client))
		return 1;
	if (optind + 1 < argc && (jack_connect(client, argv[optind], jack_port_name(pin)) ||
				  jack_connect(client, jack_port_name(pout), argv[optind + 1]))) {
		fprintf(stderr, "jl_delay: cannot connect\n");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	while (!quit)
		usleep(20000);
	jack_client_close(client);
	return 0;
}
