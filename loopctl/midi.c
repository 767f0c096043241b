/* midi.c - ALSA sequencer input and MIDI -> command translation. */
#include "midi.h"

#include <string.h>
#include <time.h>

#include "jl_alloc.h"

const struct jl_midi_binding jl_midi_default_map[] = {
	{ JL_MIDI_CC, 255, 80, "record" },	/* a four-switch pedal */
	{ JL_MIDI_CC, 255, 81, "undo" },
	{ JL_MIDI_CC, 255, 82, "select next" },
	{ JL_MIDI_CC, 255, 83, "toggle" },
	{ JL_MIDI_NOTE, 255, 36, "record" },	/* pads */
	{ JL_MIDI_NOTE, 255, 37, "undo" },
	{ JL_MIDI_NOTE, 255, 38, "redo" },
	{ JL_MIDI_NOTE, 255, 39, "capture" },
	{ JL_MIDI_NOTE, 255, 40, "select prev" },
	{ JL_MIDI_NOTE, 255, 41, "select next" },
	{ JL_MIDI_NOTE, 255, 42, "toggle" },
	{ JL_MIDI_NOTE, 255, 43, "panic" },
	{ 0, 0, 0, NULL },
};

static const char *lookup(const struct jl_midi_binding *map, uint8_t kind, uint8_t ch, uint8_t num)
{
	for (; map && map->kind; map++)
		if (map->kind == kind && (map->channel == 255 || map->channel == ch) && map->number == num)
			return map->command;
	return NULL;
}

const char *jl_midi_translate(const snd_seq_event_t *ev, const struct jl_midi_binding *map)
{
	switch (ev->type) {
	case SND_SEQ_EVENT_NOTEON:
		if (ev->data.note.velocity == 0)
			return NULL; /* a note-off in disguise */
		return lookup(map, JL_MIDI_NOTE, ev->data.note.channel & 15, ev->data.note.note & 127);
	case SND_SEQ_EVENT_CONTROLLER:
		if (ev->data.control.value < 64)
			return NULL;
		return lookup(map, JL_MIDI_CC, ev->data.control.channel & 15, (uint8_t)(ev->data.control.param & 127));
	case SND_SEQ_EVENT_PGMCHANGE:
		return lookup(map, JL_MIDI_PC, ev->data.control.channel & 15, (uint8_t)(ev->data.control.value & 127));
	default:
		return NULL;
	}
}

uint64_t jl_midi_event_time_us(const snd_seq_event_t *ev, uint64_t queue_start_rt_us, uint64_t now_rt_us)
{
	if ((ev->flags & SND_SEQ_TIME_STAMP_MASK) == SND_SEQ_TIME_STAMP_REAL && queue_start_rt_us)
		return queue_start_rt_us + (uint64_t)ev->time.time.tv_sec * 1000000u +
		       ev->time.time.tv_nsec / 1000u;
	return now_rt_us;
}

struct jl_midi {
	snd_seq_t *seq;
	int port;
	int queue;
	uint64_t queue_start_rt_us;
};

static void quiet(const char *file, int line, const char *func, int err, const char *fmt, ...)
{
	(void)file; (void)line; (void)func; (void)err; (void)fmt;
}

struct jl_midi *jl_midi_open(const char *client_name, char *err, size_t n)
{
	struct jl_midi *m = jl_calloc(1, sizeof(*m));
	snd_seq_port_info_t *pi = NULL;
	struct timespec ts;
	int r;
	if (!m) {
		snprintf(err, n, "out of memory");
		return NULL;
	}
	/* alsa-lib prints its own errors to stderr; we report ours. */
	snd_lib_error_set_handler(quiet);
	r = snd_seq_open(&m->seq, "default", SND_SEQ_OPEN_INPUT, SND_SEQ_NONBLOCK);
	if (r < 0) {
		snprintf(err, n, "no ALSA sequencer (%s): MIDI input disabled", snd_strerror(r));
		goto fail;
	}
	snd_seq_set_client_name(m->seq, client_name);
	m->queue = snd_seq_alloc_queue(m->seq);
	if (snd_seq_port_info_malloc(&pi) < 0) {
		snprintf(err, n, "out of memory");
		goto fail;
	}
	snd_seq_port_info_set_name(pi, "control in");
	snd_seq_port_info_set_capability(pi, SND_SEQ_PORT_CAP_WRITE | SND_SEQ_PORT_CAP_SUBS_WRITE);
	snd_seq_port_info_set_type(pi, SND_SEQ_PORT_TYPE_MIDI_GENERIC | SND_SEQ_PORT_TYPE_APPLICATION);
	if (m->queue >= 0) {
		/* Kernel stamps every event with the queue's real time on arrival. */
		snd_seq_port_info_set_timestamping(pi, 1);
		snd_seq_port_info_set_timestamp_real(pi, 1);
		snd_seq_port_info_set_timestamp_queue(pi, m->queue);
	}
	r = snd_seq_create_port(m->seq, pi);
	snd_seq_port_info_free(pi);
	if (r < 0) {
		snprintf(err, n, "cannot create ALSA sequencer port: %s", snd_strerror(r));
		goto fail;
	}
	m->port = r;
	if (m->queue >= 0) {
		snd_seq_start_queue(m->seq, m->queue, NULL);
		snd_seq_drain_output(m->seq);
		clock_gettime(CLOCK_REALTIME, &ts);
		m->queue_start_rt_us = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
	}
	return m;
fail:
	jl_midi_close(m);
	return NULL;
}

void jl_midi_close(struct jl_midi *m)
{
	if (!m)
		return;
	if (m->seq)
		snd_seq_close(m->seq);
	jl_free(m);
}

int jl_midi_fds(struct jl_midi *m, struct pollfd *pfd, int max)
{
	int n = snd_seq_poll_descriptors_count(m->seq, POLLIN);
	if (n > max)
		n = max;
	return snd_seq_poll_descriptors(m->seq, pfd, (unsigned)n, POLLIN);
}

int jl_midi_read(struct jl_midi *m, snd_seq_event_t *out, uint64_t *queue_start_rt_us)
{
	snd_seq_event_t *ev = NULL;
	int r = snd_seq_event_input(m->seq, &ev);
	if (r < 0 || !ev)
		return 0;
	*out = *ev;
	*queue_start_rt_us = m->queue_start_rt_us;
	return 1;
}
