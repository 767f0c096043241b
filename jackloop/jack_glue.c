/* jack_glue.c - JACK callbacks.  The process callback is thin: it fetches
 * port buffers and the cycle times, then runs the engine inside the RT
 * guard bracket (STYLE 32).  Everything else here runs on JACK's non-RT
 * notification thread. */
#include <stdio.h>
#include <string.h>

#include <jack/midiport.h>

#include "../shared/jl_rt.h"
#include "jack_glue.h"

const char *const jl_out_port_names[JL_N_OUTPUTS] = { "out_L", "out_R", "phones_L", "phones_R" };

static int process(jack_nframes_t nframes, void *arg)
{
	struct jl_glue *g = arg;
	struct jl_engine_io io;
	jack_nframes_t cf = 0;
	jack_time_t cu = 0, nu = 0;
	float pu = 0.0f;
	uint32_t i;

	for (i = 0; i < g->n_inputs; i++)
		io.in[i] = jack_port_get_buffer(g->in[i], nframes);
	for (i = g->n_inputs; i < JL_MAX_INPUTS; i++)
		io.in[i] = NULL;
	for (i = 0; i < JL_N_OUTPUTS; i++)
		io.out[i] = jack_port_get_buffer(g->out[i], nframes);
	for (i = 0; i < JL_MAX_TRACKS; i++) {
		io.track_out[i][0] = i < g->n_track_outs ? jack_port_get_buffer(g->track_out[i][0], nframes) : NULL;
		io.track_out[i][1] = i < g->n_track_outs ? jack_port_get_buffer(g->track_out[i][1], nframes) : NULL;
		io.send_out[i][0] = i < g->n_sends ? jack_port_get_buffer(g->send_out[i][0], nframes) : NULL;
		io.send_out[i][1] = i < g->n_sends ? jack_port_get_buffer(g->send_out[i][1], nframes) : NULL;
		io.ret_in[i][0] = i < g->n_sends ? jack_port_get_buffer(g->ret_in[i][0], nframes) : NULL;
		io.ret_in[i][1] = i < g->n_sends ? jack_port_get_buffer(g->ret_in[i][1], nframes) : NULL;
	}
	if (jack_get_cycle_times(g->client, &cf, &cu, &nu, &pu) != 0)
		cf = jack_last_frame_time(g->client);
	io.nframes = nframes;
	io.jack_frames = cf;
	io.usecs = cu;
	io.next_usecs = nu;
	io.period_usecs = pu;
	io.midi = &g->midi;
	io.midi_in = NULL;
	if (g->clock_in) {
		/* the clock's real-time messages only (one byte each) */
		void *mb = jack_port_get_buffer(g->clock_in, nframes);
		uint32_t cnt = jack_midi_get_event_count(mb);
		g->midi_in.n = 0;
		for (i = 0; i < cnt && g->midi_in.n < JL_MIDI_IN_MAX; i++) {
			jack_midi_event_t ev;
			if (jack_midi_event_get(&ev, mb, i) == 0 && ev.size == 1 && ev.buffer[0] >= 0xF8 &&
			    ev.buffer[0] <= 0xFC) {
				g->midi_in.off[g->midi_in.n] = ev.time;
				g->midi_in.byte[g->midi_in.n++] = ev.buffer[0];
			}
		}
		io.midi_in = &g->midi_in;
	}
	JL_RT_ENTER();
	jl_engine_process_rt(g->engine, &io);
	JL_RT_EXIT();
	if (g->clock_out) {
		void *mb = jack_port_get_buffer(g->clock_out, nframes);
		jack_midi_clear_buffer(mb);
		for (i = 0; i < g->midi.n; i++)
			if (g->midi.off[i] < nframes)
				jack_midi_event_write(mb, g->midi.off[i], &g->midi.byte[i], 1);
	}
	return 0;
}

static int xrun(void *arg)
{
	struct jl_glue *g = arg;
	jl_engine_xrun_rt(g->engine);
	return 0;
}

static int srate(jack_nframes_t rate, void *arg)
{
	struct jl_glue *g = arg;
	atomic_store(&g->shm->rt->jack_rate, rate);
	if (rate != g->shm->hdr->geom.sample_rate) {
		atomic_store(&g->shm->rt->rate_mismatch, 1);
		g->rate_changed = 1;
	} else {
		atomic_store(&g->shm->rt->rate_mismatch, 0);
	}
	return 0;
}

static int bufsize(jack_nframes_t n, void *arg)
{
	struct jl_glue *g = arg;
	/* Nothing to reallocate: the engine works in fixed sub-blocks. */
	atomic_store(&g->shm->rt->buffer_size, n);
	return 0;
}

static void shutdown_cb(jack_status_t code, const char *reason, void *arg)
{
	struct jl_glue *g = arg;
	(void)code;
	snprintf(g->gone_reason, sizeof(g->gone_reason), "%s", reason ? reason : "no reason given");
	g->server_gone = 1;
}

void jl_glue_publish_latency(struct jl_glue *g)
{
	jack_latency_range_t r, cap = { 0, 0 }, pb = { 0, 0 };
	struct jl_rt_state *rt = g->shm->rt;
	uint32_t i;
	for (i = 0; i < g->n_inputs; i++) {
		jack_port_get_latency_range(g->in[i], JackCaptureLatency, &r);
		atomic_store(&rt->lat_capture_min[i], r.min);
		atomic_store(&rt->lat_capture_max[i], r.max);
		if (r.max > cap.max)
			cap = r;
	}
	for (i = 0; i < JL_N_OUTPUTS; i++) {
		jack_port_get_latency_range(g->out[i], JackPlaybackLatency, &r);
		atomic_store(&rt->lat_playback_min[i], r.min);
		atomic_store(&rt->lat_playback_max[i], r.max);
		if (r.max > pb.max)
			pb = r;
	}
	for (i = 0; i < g->n_sends; i++) {
		jack_port_get_latency_range(g->ret_in[i][0], JackCaptureLatency, &r);
		atomic_store(&rt->lat_return[i], r.max);
	}
	atomic_fetch_add(&rt->lat_seq, 1);
	(void)cap;
	(void)pb;
}

/* JACK's latency protocol (DESIGN 2.5): our outputs' capture latency is
 * the inputs' plus what we add; our inputs' playback latency is the
 * outputs' downstream latency plus what we add. */
static void latency_cb(jack_latency_callback_mode_t mode, void *arg)
{
	struct jl_glue *g = arg;
	jack_latency_range_t r, acc = { 0, 0 };
	uint32_t i;
	if (mode == JackCaptureLatency) {
		for (i = 0; i < g->n_inputs; i++) {
			jack_port_get_latency_range(g->in[i], JackCaptureLatency, &r);
			if (r.min > acc.min)
				acc.min = r.min;
			if (r.max > acc.max)
				acc.max = r.max;
		}
		acc.min += g->extra_out_latency;
		acc.max += g->extra_out_latency;
		for (i = 0; i < JL_N_OUTPUTS; i++) {
			/* the phones add their alignment delay (DESIGN 2.5) */
			jack_latency_range_t a = acc;
			if (i >= 2) {
				a.min += g->phones_delay;
				a.max += g->phones_delay;
			}
			jack_port_set_latency_range(g->out[i], JackCaptureLatency, &a);
		}
		/* the clock's ticks leave with the PA's samples of the same frame */
		if (g->clock_out)
			jack_port_set_latency_range(g->clock_out, JackCaptureLatency, &acc);
		for (i = 0; i < g->n_track_outs; i++) {
			jack_port_set_latency_range(g->track_out[i][0], JackCaptureLatency, &acc);
			jack_port_set_latency_range(g->track_out[i][1], JackCaptureLatency, &acc);
		}
	} else {
		for (i = 0; i < JL_N_OUTPUTS; i++) {
			jack_port_get_latency_range(g->out[i], JackPlaybackLatency, &r);
			if (r.min > acc.min)
				acc.min = r.min;
			if (r.max > acc.max)
				acc.max = r.max;
		}
		acc.min += g->extra_out_latency;
		acc.max += g->extra_out_latency;
		for (i = 0; i < g->n_inputs; i++)
			jack_port_set_latency_range(g->in[i], JackPlaybackLatency, &acc);
	}
	jl_glue_publish_latency(g);
}

int jl_glue_setup(struct jl_glue *g, char *err, size_t n)
{
	char pname[32];
	uint32_t i;
	for (i = 0; i < g->n_inputs; i++) {
		snprintf(pname, sizeof(pname), "in_%u", i + 1);
		g->in[i] = jack_port_register(g->client, pname, JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
		if (!g->in[i]) {
			snprintf(err, n, "cannot register port %s", pname);
			return -1;
		}
	}
	for (i = 0; i < JL_N_OUTPUTS; i++) {
		g->out[i] = jack_port_register(g->client, jl_out_port_names[i], JACK_DEFAULT_AUDIO_TYPE,
					       JackPortIsOutput, 0);
		if (!g->out[i]) {
			snprintf(err, n, "cannot register port %s", jl_out_port_names[i]);
			return -1;
		}
	}
	/* --track-outs: registered here, at start-up, never in the callback */
	for (i = 0; i < g->n_track_outs; i++) {
		uint32_t c;
		for (c = 0; c < 2; c++) {
			snprintf(pname, sizeof(pname), "track_%u_%c", i + 1, c ? 'R' : 'L');
			g->track_out[i][c] = jack_port_register(g->client, pname, JACK_DEFAULT_AUDIO_TYPE,
								JackPortIsOutput, 0);
			if (!g->track_out[i][c]) {
				snprintf(err, n, "cannot register port %s", pname);
				return -1;
			}
		}
	}
	/* --sends: a send and a return pair per track, at start-up */
	for (i = 0; i < g->n_sends; i++) {
		uint32_t c;
		for (c = 0; c < 2; c++) {
			snprintf(pname, sizeof(pname), "send_%u_%c", i + 1, c ? 'R' : 'L');
			g->send_out[i][c] = jack_port_register(g->client, pname, JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
			snprintf(pname, sizeof(pname), "return_%u_%c", i + 1, c ? 'R' : 'L');
			g->ret_in[i][c] = jack_port_register(g->client, pname, JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
			if (!g->send_out[i][c] || !g->ret_in[i][c]) {
				snprintf(err, n, "cannot register the send/return ports of track %u", i + 1);
				return -1;
			}
		}
	}
	atomic_store(&g->shm->rt->n_sends, g->n_sends);
	g->clock_out = jack_port_register(g->client, "clock_out", JACK_DEFAULT_MIDI_TYPE, JackPortIsOutput, 0);
	g->clock_in = jack_port_register(g->client, "clock_in", JACK_DEFAULT_MIDI_TYPE, JackPortIsInput, 0);
	if (!g->clock_out || !g->clock_in) {
		snprintf(err, n, "cannot register the MIDI ports clock_out and clock_in");
		return -1;
	}
	if (jack_set_process_callback(g->client, process, g) || jack_set_xrun_callback(g->client, xrun, g) ||
	    jack_set_sample_rate_callback(g->client, srate, g) ||
	    jack_set_buffer_size_callback(g->client, bufsize, g) ||
	    jack_set_latency_callback(g->client, latency_cb, g)) {
		snprintf(err, n, "cannot set JACK callbacks");
		return -1;
	}
	jack_on_info_shutdown(g->client, shutdown_cb, g);
	return 0;
}
