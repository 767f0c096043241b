/* jl_clocksrc - test JACK client: an external MIDI clock.  Sends a Clock
 * (0xF8) every FRAMES frames from its first cycle on, and a Start (0xFA)
 * with the first clock DELAY seconds in (printed as "start JACKFRAME", the
 * downbeat).  SIGUSR1 sends a Stop (0xFC) in the next cycle and ends the
 * clocks.  Prints "ready" once connected. */
#define _GNU_SOURCE
#include <jack/jack.h>
#include <jack/midiport.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static jack_client_t *client;
static jack_port_t *out;
static uint32_t P, t0, start_tick;
static int have_t0;
static volatile sig_atomic_t quit, stop_req;
static volatile int started, stopped;
static volatile uint32_t start_frame;

static int process(jack_nframes_t n, void *arg)
{
	void *buf = jack_port_get_buffer(out, n);
	uint32_t now = jack_last_frame_time(client), j;
	static const unsigned char clk = 0xF8, st = 0xFA, sp = 0xFC;
	(void)arg;
	jack_midi_clear_buffer(buf);
	if (stopped)
		return 0;
	if (stop_req) {
		jack_midi_event_write(buf, 0, &sp, 1);
		stopped = 1;
		return 0;
	}
	if (!have_t0) {
		t0 = now;
		have_t0 = 1;
	}
	/* the ticks t0 + j * P in [now, now + n) */
	for (j = (now - t0 + P - 1) / P;; j++) {
		uint32_t t = t0 + j * P;
		if (t - now >= n)
			break;
		if (j == start_tick && !started) {
			jack_midi_event_write(buf, t - now, &st, 1);
			start_frame = t;
			started = 1;
		}
		jack_midi_event_write(buf, t - now, &clk, 1);
	}
	return 0;
}

static void on_sig(int s) { (void)s; quit = 1; }
static void on_usr1(int s) { (void)s; stop_req = 1; }

int main(int argc, char **argv)
{
	const char *name = "jl_clocksrc";
	double delay = 1.0;
	jack_status_t st;
	int opt, said = 0;
	while ((opt = getopt(argc, argv, "n:p:d:")) != -1) {
		if (opt == 'n')
			name = optarg;
		else if (opt == 'p')
			P = (uint32_t)atoi(optarg);
		else if (opt == 'd')
			delay = atof(optarg);
		else
			goto usage;
	}
	if (!P || argc - optind != 1)
		goto usage;
	client = jack_client_open(name, JackNoStartServer, &st);
	if (!client) {
		fprintf(stderr, "jl_clocksrc: no JACK server\n");
		return 1;
	}
	start_tick = (uint32_t)(delay * jack_get_sample_rate(client) / P + 0.999);
	out = jack_port_register(client, "clock", JACK_DEFAULT_MIDI_TYPE, JackPortIsOutput, 0);
	if (!out) {
		fprintf(stderr, "jl_clocksrc: cannot register a port\n");
		return 1;
	}
	jack_set_process_callback(client, process, NULL);
	signal(SIGINT, on_sig);
	signal(SIGTERM, on_sig);
	signal(SIGUSR1, on_usr1);
	if (jack_activate(client))
		return 1;
	if (jack_connect(client, jack_port_name(out), argv[optind])) {
		fprintf(stderr, "jl_clocksrc: cannot connect to %s\n", argv[optind]);
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	while (!quit) {
		if (started && !said) {
			printf("start %u\n", start_frame);
			fflush(stdout);
			said = 1;
		}
		usleep(10000);
	}
	jack_deactivate(client);
	jack_client_close(client);
	return 0;
usage:
	fprintf(stderr, "usage: jl_clocksrc -p FRAMES [-d DELAY_S] [-n NAME] PORT\n");
	return 2;
}
