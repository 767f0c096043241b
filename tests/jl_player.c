/* jl_player - test JACK client: plays a frame-coded signal, or an audio
 * file, into the ports given (DESIGN 8).
 * Without -w, the frame-coded signal:
 *   out_1 = code(f & 0x7FFF), out_2 = code((f >> 15) & 0x7FFF)
 * where f is JACK's frame time, code(k) = (k - 16384 + 0.5) / 32768, so any
 * sample (|x| <= 0.5, exact in float) says which frame it was played at.
 * With -w FILE, any file libsndfile reads (WAV, FLAC, ...) at JACK's sample
 * rate, loaded whole at start-up and looped: channel 1 -> out_1, channel 2
 * (channel 1 again for a mono file) -> out_2.  The file starts at the
 * first cycle, at JACK frame f0, printed on the ready line
 *   ready: file frame 0 at JACK frame f0
 * and its frame at JACK frame f is (f - f0) mod its length, so a script can
 * cut loops on the file's bar lines.  The callback only reads memory loaded
 * and touched before activation. */
#define _GNU_SOURCE
#include <jack/jack.h>
#include <signal.h>
#include <stdatomic.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static jack_client_t *client;
static jack_port_t *out[2];
static volatile sig_atomic_t quit;
static float *wav[2];          /* the file's two channels, wav_len frames each */
static jack_nframes_t wav_len;
static atomic_uint wav_f0;     /* JACK frame of the file's frame 0 */
static atomic_int wav_started;

static float code(uint32_t k) { return ((float)(k & 0x7FFF) - 16384.0f + 0.5f) / 32768.0f; }

static int process(jack_nframes_t n, void *arg)
{
	float *a = jack_port_get_buffer(out[0], n), *b = jack_port_get_buffer(out[1], n);
	jack_nframes_t f = jack_last_frame_time(client), k, p;
	(void)arg;
	if (wav_len) {
		if (!atomic_load_explicit(&wav_started, memory_order_relaxed)) {
			atomic_store_explicit(&wav_f0, f, memory_order_relaxed);
			atomic_store_explicit(&wav_started, 1, memory_order_release);
		}
		p = (jack_nframes_t)(f - atomic_load_explicit(&wav_f0, memory_order_relaxed)) % wav_len;
		for (k = 0; k < n; k++) {
			a[k] = wav[0][p];
			b[k] = wav[1][p];
			if (++p == wav_len)
				p = 0;
		}
		return 0;
	}
	for (k = 0; k < n; k++) {
		a[k] = code(f + k);
		b[k] = code((f + k) >> 15);
	}
	return 0;
}

static void on_sig(int s) { (void)s; quit = 1; }

/* Load PATH whole into wav[0], wav[1]; refuse a rate other than RATE. */
static int load(const char *path, jack_nframes_t rate)
{
	SF_INFO info;
	SNDFILE *sf;
	float *buf;
	sf_count_t got, i;
	int ch;
	memset(&info, 0, sizeof(info));
	sf = sf_open(path, SFM_READ, &info);
	if (!sf) {
		fprintf(stderr, "jl_player: %s: %s\n", path, sf_strerror(NULL));
		return -1;
	}
	if ((jack_nframes_t)info.samplerate != rate) {
		fprintf(stderr, "jl_player: %s is %d Hz but the JACK server runs at %u Hz;"
		        " resample it first (e.g. sox in.wav -r %u out.wav)\n",
		        path, info.samplerate, (unsigned)rate, (unsigned)rate);
		sf_close(sf);
		return -1;
	}
	if (info.frames < 1 || info.frames > (sf_count_t)1 << 28 || info.channels < 1) {
		fprintf(stderr, "jl_player: %s: no audio, or too long to load\n", path);
		sf_close(sf);
		return -1;
	}
	buf = malloc((size_t)info.frames * (size_t)info.channels * sizeof(float));
	wav[0] = malloc((size_t)info.frames * sizeof(float));
	wav[1] = malloc((size_t)info.frames * sizeof(float));
	if (!buf || !wav[0] || !wav[1]) {
		fprintf(stderr, "jl_player: %s: out of memory\n", path);
		sf_close(sf);
		return -1;
	}
	got = sf_readf_float(sf, buf, info.frames);
	sf_close(sf);
	if (got < 1) {
		fprintf(stderr, "jl_player: %s: cannot read the audio\n", path);
		return -1;
	}
	ch = info.channels;
	for (i = 0; i < got; i++) {
		wav[0][i] = buf[i * ch];
		wav[1][i] = buf[i * ch + (ch > 1 ? 1 : 0)];
	}
	free(buf);
	/* Resident before the callback reads it (best effort: may need a limit). */
	mlock(wav[0], (size_t)got * sizeof(float));
	mlock(wav[1], (size_t)got * sizeof(float));
	wav_len = (jack_nframes_t)got;
	return 0;
}

int main(int argc, char **argv)
{
	const char *name = "jl_player", *path = NULL;
	jack_status_t st;
	int i, opt;
	while ((opt = getopt(argc, argv, "n:w:")) != -1) {
		if (opt == 'n')
			name = optarg;
		else if (opt == 'w')
			path = optarg;
		else {
			fprintf(stderr, "usage: jl_player [-n NAME] [-w FILE] [DEST_PORT_1 [DEST_PORT_2]]\n");
			return 2;
		}
	}
	client = jack_client_open(name, JackNoStartServer, &st);
	if (!client) {
		fprintf(stderr, "jl_player: no JACK server\n");
		return 1;
	}
	if (path && load(path, jack_get_sample_rate(client))) {
		jack_client_close(client);
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
	if (wav_len) {
		for (i = 0; i < 250 && !atomic_load_explicit(&wav_started, memory_order_acquire); i++)
			usleep(20000);
		if (!atomic_load_explicit(&wav_started, memory_order_acquire)) {
			fprintf(stderr, "jl_player: the JACK server runs no cycles\n");
			return 1;
		}
		printf("ready: file frame 0 at JACK frame %u\n", (unsigned)atomic_load(&wav_f0));
	} else
		printf("ready\n");
	fflush(stdout);
	while (!quit)
		usleep(20000);
	jack_client_close(client);
	free(wav[0]);
	free(wav[1]);
	return 0;
}
