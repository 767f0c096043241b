/* session.c - `loopctl save DIR`, `loopctl load DIR` and `loopctl import
 * FILE` (see session.h).
 *
 * save: the daemon's loop copies every active layer's stored frames out of
 * the pool (or the history, while a new take is still being copied), about
 * 1 MB per tick; then a worker thread writes DIR/trackNN-layerMM[-saveG].wav
 * (32-bit float, names no file has) and DIR/session.json, each to a
 * temporary name flushed and renamed when complete, session.json last: its
 * rename is the commit, so a failed save leaves the previous session whole
 * and no file of its own behind (save_thread).
 * load: a worker reads and checks session.json and every WAV file
 * (channels, sample rate, length against the layer's geometry); only a
 * session that passed every check reaches the looper, which checks that
 * it is empty and reserves the pool; a worker copies the frames there, and
 * the looper starts the layers.
 * import: a worker reads one audio file, converts and fits it; then as
 * load, with one layer that joins the loops (or becomes the first).
 * Each answers when it is done; the workers run at nice +10. */
#define _GNU_SOURCE
#include "session.h"

#include <errno.h>
#include <stdarg.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <rubberband/rubberband-c.h>
#include <samplerate.h>
#include <sndfile.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include "../shared/jl_fx.h"
#include "analysis.h"
#include "commands.h"
#include "daemon.h"
#include "jl_alloc.h"
#include "looper.h"
#include "model.h"
#include "osc.h"
#include "util.h"

enum { JOB_SAVE = 1, JOB_LOAD, JOB_IMPORT };
static const char *const job_name[] = { "", "save", "load", "import" };
#define COLLECT_FLOATS_PER_TICK (1u << 18)	/* ~1 MB of samples per tick, as the history copy */

struct jl_sess_job {
	int kind;
	char dir[1024];		/* save, load: the directory; import: the file */
	int force;
	uint64_t max_floats;	/* load, import: no layer may be larger than the pool */
	uint32_t engine_rate;	/* load, import: JACK's sample rate */
	double need_floats;	/* load: the layers so far, at JACK's rate (before they are read) */
	struct jl_session s;
	json_t *doc;		/* save: session.json */
	json_t *skipped;	/* save: layers not saved (still recording, or lost) */
	pthread_t th;
	atomic_int done;
	int rc;			/* 0 ok, 1 failed */
	char msg[2048];
	uint64_t bytes;
	double t0, loop_ms;	/* when asked; the daemon loop's own time on it */
	double tick_max_ms;	/* its longest single tick */
	int collecting;		/* save: copying the frames, tick by tick */
	int ck;			/* save: the layer being collected */
	uint64_t cpos;		/* save: its next frame */
	int running;		/* the worker thread was started */
	int copying;		/* load: the frames are going into the pool */
	int fx_stage;		/* load: 1 remove the old effects, 2 add the session's */
	json_t *reply;		/* load: the answer, kept while the effects go in */
	float *pool;		/* load, import: the daemon's view of the pool */
	struct jl_import im;	/* import: what to fit the file to, and what was done */
	struct sockaddr_storage src;	/* who asked (OSC), answered when done */
	int has_src;
};

static struct jl_sess_job *job;	/* one at a time */

/* One save, load or import that comes while another runs waits for its
 * turn, and is answered when it has run: a script or an OSC layout that
 * sends an import and then a save does not lose the save.  A further one
 * is refused (busy()). */
#define WAIT_WORDS 24
static struct {
	int used, argc, from_osc;
	char *argv[WAIT_WORDS + 1];
	char buf[4096];
	struct sockaddr_storage src;
	unsigned src_len;
} waiting;

int jl_session_busy(void) { return job != NULL; }

void jl_session_status(json_t *obj, char *text, size_t n)
{
	if (!job) {
		json_object_set_new(obj, "session", json_pack("{s:n,s:n}", "busy", "waiting"));
		return;
	}
	json_object_set_new(obj, "session", json_pack("{s:s,s:s,s:s?}", "busy", job_name[job->kind],
						   job->kind == JOB_IMPORT ? "file" : "dir", job->dir, "waiting",
						   waiting.used ? waiting.argv[0] : NULL));
	snprintf(text, n, "\n  session: %s %s%s%s",
		 job->kind == JOB_SAVE ? "saving to" : job->kind == JOB_LOAD ? "loading" : "importing", job->dir,
		 waiting.used ? "; then: " : "", waiting.used ? waiting.argv[0] : "");
}

/* Returns 0 when no save, load or import runs (go ahead); else keeps the
 * command (its words and who asked) to run when the job has answered and
 * returns JL_RC_DEFERRED, or answers that it is busy if one already waits. */
static int busy(struct jl_req *rq);
int jl_session_wait_turn(struct jl_daemon *d, struct jl_req *rq, int argc, char **argv)
{
	size_t used = 0;
	int i;
	if (!job)
		return 0;
	if (waiting.used || argc > WAIT_WORDS)
		return busy(rq);
	for (i = 0; i < argc; i++) {
		size_t len = strlen(argv[i]) + 1;
		if (used + len > sizeof(waiting.buf))
			return busy(rq);
		memcpy(waiting.buf + used, argv[i], len);
		waiting.argv[i] = waiting.buf + used;
		used += len;
	}
	waiting.argv[argc] = NULL;
	waiting.argc = argc;
	waiting.from_osc = rq->from_osc;
	waiting.src = d->src;
	waiting.src_len = d->src_len;
	waiting.used = 1;
	return JL_RC_DEFERRED;
}

/* Runs the command that waited, once the job before it has answered. */
static void run_waiting(struct jl_daemon *d)
{
	struct sockaddr_storage keep = d->src;
	unsigned keep_len = d->src_len;
	struct jl_req rq;
	int rc;
	if (!waiting.used || job)
		return;
	waiting.used = 0;
	memset(&rq, 0, sizeof(rq));
	rq.from_osc = waiting.from_osc;
	rq.json = json_object();
	d->src = waiting.src; /* a job started now answers who asked */
	d->src_len = waiting.src_len;
	rc = jl_daemon_run(d, &rq, waiting.argc, waiting.argv);
	if (rc != JL_RC_DEFERRED) {
		if (rq.from_osc) {
			d->osc_errors += rc != 0;
			jl_osc_reply_to(d, &waiting.src, rc == 0 ? "ok" : rc == 2 ? "usage" : "error", waiting.argv[0],
					rq.msg, rc == 0 ? rq.json : NULL);
		}
		fprintf(stderr, "loopctl: %s: %s\n", waiting.argv[0], rq.msg);
	}
	d->src = keep;
	d->src_len = keep_len;
	json_decref(rq.json);
}

/* The daemon loop's time on a job since t0: in all, and its longest tick. */
static void account(struct jl_sess_job *j, double t0)
{
	double dt = jl_mono_ms() - t0;
	j->loop_ms += dt;
	if (dt > j->tick_max_ms)
		j->tick_max_ms = dt;
}

void jl_session_free(struct jl_session *s)
{
	int k;
	for (k = 0; k < s->n_layers && s->layers; k++)
		jl_free(s->layers[k].audio);
	jl_free(s->layers);
	s->layers = NULL;
	s->n_layers = 0;
	json_decref(s->effects);
	s->effects = NULL;
}

static void free_job(struct jl_sess_job *j)
{
	json_decref(j->doc);
	json_decref(j->skipped);
	json_decref(j->reply);
	if (j->im.ana)
		jl_analysis_destroy(j->im.ana); /* FFTW plans: on the daemon's thread, as they were made */
	jl_session_free(&j->s);
	jl_free(j);
}

static int fail(struct jl_sess_job *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct jl_sess_job *j, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(j->msg, sizeof(j->msg), fmt, ap);
	va_end(ap);
	j->rc = 1;
	return -1;
}

static void path_of(char *out, size_t n, const char *dir, const char *name, const char *suffix)
{
	snprintf(out, n, "%s/%s%s", dir, name, suffix);
}

/* session.json (or NULL, with why in err; err->line < 0 when the file
 * could not be opened, as json_load_file says). */
static json_t *load_json(const char *p, json_error_t *err)
{
	json_t *doc;
	int fd = jl_open_regular(p, err->text, sizeof(err->text));
	if (fd < 0) {
		err->line = -1;
		return NULL;
	}
	doc = json_loadfd(fd, 0, err);
	close(fd);
	return doc;
}

/* --- save ------------------------------------------------------------------ */

/* Writes a layer's frames to DIR/FILE.part (created: pick_generation
 * chose a name no file has) and flushes it to the disk.  On failure the
 * .part file is removed. */
static int write_wav(struct jl_sess_job *j, const struct jl_sess_layer *l)
{
	char tmp[1100];
	SF_INFO info;
	SNDFILE *f;
	sf_count_t w;
	int fd;
	path_of(tmp, sizeof(tmp), j->dir, l->file, ".part");
	memset(&info, 0, sizeof(info));
	info.samplerate = (int)j->s.sample_rate;
	info.channels = l->channels;
	info.format = SF_FORMAT_WAV | SF_FORMAT_FLOAT;
	if (l->data_len * l->channels * sizeof(float) >= (1ull << 32) - 64)
		info.format = SF_FORMAT_RF64 | SF_FORMAT_FLOAT; /* past the 4 GB of RIFF */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
	if (fd < 0)
		return fail(j, "cannot write %s: %s", tmp, strerror(errno));
	f = sf_open_fd(fd, SFM_WRITE, &info, SF_FALSE);
	if (!f) {
		fail(j, "cannot write %s: %s", tmp, sf_strerror(NULL));
		goto fail;
	}
	/* no PEAK chunk: it carries a time stamp, and the same loops should
	 * give the same files */
	sf_command(f, SFC_SET_ADD_PEAK_CHUNK, NULL, SF_FALSE);
	w = sf_writef_float(f, l->audio, (sf_count_t)l->data_len);
	if (w != (sf_count_t)l->data_len) {
		fail(j, "cannot write %s: %s", tmp, sf_strerror(f));
		sf_close(f);
		goto fail;
	}
	if (sf_close(f)) {
		fail(j, "cannot write %s (disk full?)", tmp);
		goto fail;
	}
	if (fsync(fd) < 0) {
		fail(j, "cannot write %s: %s", tmp, strerror(errno));
		goto fail;
	}
	if (close(fd) < 0) {
		fd = -1;
		fail(j, "cannot write %s: %s", tmp, strerror(errno));
		goto fail;
	}
	j->bytes += l->data_len * l->channels * sizeof(float);
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return -1;
}

/* A layer's file name: "trackNN-layerMM.wav" in the first session saved
 * into a directory (generation 0), "trackNN-layerMM-saveG.wav" in the
 * G-th save that replaced one. */
static void layer_file(char *out, size_t n, const struct jl_sess_layer *l, uint32_t gen)
{
	if (gen)
		snprintf(out, n, "track%02d-layer%02u-save%u.wav", l->track + 1, l->number, gen);
	else
		snprintf(out, n, "track%02d-layer%02u.wav", l->track + 1, l->number);
}

/* The number of decimal digits s starts with. */
static size_t digits(const char *s)
{
	size_t n = 0;
	while (s[n] >= '0' && s[n] <= '9')
		n++;
	return n;
}

/* 1 if f is a name save gives a layer's file: "trackNN-layerMM.wav" or
 * "trackNN-layerMM-saveG.wav". */
static int is_layer_file(const char *f)
{
	size_t n;
	if (strncmp(f, "track", 5) || (n = digits(f + 5)) < 2)
		return 0;
	f += 5 + n;
	if (strncmp(f, "-layer", 6) || (n = digits(f + 6)) < 2)
		return 0;
	f += 6 + n;
	if (!strncmp(f, "-save", 5) && (n = digits(f + 5)) > 0)
		f += 5 + n;
	return !strcmp(f, ".wav");
}

/* 0 if neither DIR/name nor DIR/name.part exists (lstat: a dangling
 * link counts as existing). */
static int name_free(const char *dir, const char *name)
{
	char p[1100];
	struct stat st;
	path_of(p, sizeof(p), dir, name, "");
	if (lstat(p, &st) == 0 || errno != ENOENT)
		return -1;
	path_of(p, sizeof(p), dir, name, ".part");
	return lstat(p, &st) == 0 || errno != ENOENT ? -1 : 0;
}

/* The generation of this save: the replaced session's plus one (0 for
 * the first session in the directory), moved on until no layer file
 * name of it exists: the new files never replace a file, so the old
 * session stays whole until session.json is renamed. */
static int pick_generation(struct jl_sess_job *j, json_t *old, uint32_t *gen)
{
	json_t *g = json_object_get(old, "generation");
	uint32_t tries;
	int k, clash;
	*gen = 0;
	if (old)
		*gen = json_is_integer(g) && json_integer_value(g) >= 0 && json_integer_value(g) < 1000000000
			       ? (uint32_t)json_integer_value(g) + 1
			       : 1;
	for (tries = 0; tries < 1000; tries++, ++*gen) {
		for (k = 0, clash = 0; k < j->s.n_layers && !clash; k++) {
			layer_file(j->s.layers[k].file, sizeof(j->s.layers[k].file), &j->s.layers[k], *gen);
			clash = name_free(j->dir, j->s.layers[k].file) < 0;
		}
		if (!clash)
			return 0;
	}
	return fail(j, "%s: no free name for the layer files (remove old track*-layer*-save*.wav files)", j->dir);
}

/* After a forced save: the layer files the replaced session listed and
 * the new one does not are removed.  Only names save itself gives a
 * layer's file: the replaced session.json is read, not trusted, and a
 * name it lists that save would not write (session.json itself, the
 * user's own notes) is left alone, as is everything else in the
 * directory. */
static void drop_stale(struct jl_sess_job *j, json_t *old)
{
	json_t *t, *l;
	size_t ti, li;
	char p[1100];
	int k, keep;
	json_array_foreach(json_object_get(old, "tracks"), ti, t) {
		json_array_foreach(json_object_get(t, "layers"), li, l) {
			const char *f = json_string_value(json_object_get(l, "file"));
			if (!f || !is_layer_file(f))
				continue;
			for (k = 0, keep = 0; k < j->s.n_layers && !keep; k++)
				keep = !strcmp(j->s.layers[k].file, f);
			path_of(p, sizeof(p), j->dir, f, "");
			if (!keep)
				unlink(p);
		}
	}
}

/* fsync of a directory: its new and renamed entries reach the disk.
 * Returns 0 or an errno. */
static int sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), e = 0;
	if (fd < 0 || fsync(fd) < 0)
		e = errno;
	if (fd >= 0)
		close(fd);
	return e;
}

/* session.json.part: written, flushed, closed. */
static int write_json(struct jl_sess_job *j, const char *p)
{
	int fd;
	unlink(p); /* a leftover of a save cut short */
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
	if (fd < 0)
		return fail(j, "cannot write %s: %s", p, strerror(errno));
	errno = 0;
	if (json_dumpfd(j->doc, fd, JSON_INDENT(2) | JSON_SORT_KEYS) < 0 || fsync(fd) < 0) {
		fail(j, "cannot write %s: %s", p, errno ? strerror(errno) : "out of memory");
		close(fd);
		unlink(p);
		return -1;
	}
	if (close(fd) < 0) {
		fail(j, "cannot write %s: %s", p, strerror(errno));
		unlink(p);
		return -1;
	}
	return 0;
}

static json_t *session_json(const struct jl_session *s, uint32_t gen);

/* The order makes session.json's rename the one commit point: the layer
 * files are written under names of this save only (never over a file of
 * the session they replace), each flushed to the disk, renamed from .part
 * and the directory flushed; then session.json.part is written, flushed
 * and renamed over session.json; only then are the replaced session's
 * files removed.  Cut short anywhere before (a full disk, a crash), the
 * old session.json still describes the old files, which are untouched. */
static void *save_thread(void *arg)
{
	struct jl_sess_job *j = arg;
	char a[1100], b[1100], parent[1100], *slash;
	struct stat st;
	json_t *old = NULL;
	uint32_t gen;
	int k, e, written = 0, renamed = 0, made_dir = 0, json_part = 0;
	if (mkdir(j->dir, 0777) == 0)
		made_dir = 1;
	else if (errno != EEXIST) {
		fail(j, "cannot create %s: %s", j->dir, strerror(errno));
		goto out;
	}
	if (stat(j->dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		fail(j, "%s is not a directory", j->dir);
		goto out;
	}
	path_of(a, sizeof(a), j->dir, "session.json", "");
	if (!j->force && access(a, F_OK) == 0) {
		fail(j, "%s already holds a session: not overwritten (save --force replaces it)", j->dir);
		goto out;
	}
	if (j->force) {
		json_error_t err;
		old = load_json(a, &err); /* NULL: nothing of it is removed */
	}
	if (pick_generation(j, old, &gen) < 0)
		goto out;
	j->doc = session_json(&j->s, gen);
	if (!j->doc) {
		fail(j, "out of memory");
		goto out;
	}
	for (k = 0; k < j->s.n_layers; k++, written++)
		if (write_wav(j, &j->s.layers[k]) < 0)
			goto out;
	for (k = 0; k < j->s.n_layers; k++, renamed++) {
		path_of(a, sizeof(a), j->dir, j->s.layers[k].file, ".part");
		path_of(b, sizeof(b), j->dir, j->s.layers[k].file, "");
		if (rename(a, b) < 0) {
			fail(j, "cannot rename %s: %s", a, strerror(errno));
			goto out;
		}
	}
	path_of(a, sizeof(a), j->dir, "session.json", ".part");
	if (write_json(j, a) < 0)
		goto out;
	json_part = 1;
	if ((e = sync_dir(j->dir))) {
		fail(j, "cannot sync %s: %s", j->dir, strerror(e));
		goto out;
	}
	/* the commit */
	path_of(b, sizeof(b), j->dir, "session.json", "");
	if (rename(a, b) < 0) {
		fail(j, "cannot rename %s: %s", a, strerror(errno));
		goto out;
	}
	written = renamed = json_part = 0; /* the session's now: kept whatever follows */
	snprintf(parent, sizeof(parent), "%s", j->dir);
	slash = strrchr(parent, '/');
	if (slash == parent)
		slash[1] = 0;
	else if (slash)
		*slash = 0;
	/* and on the disk (with a new directory's own entry) before the
	 * replaced session's files go */
	if ((e = sync_dir(j->dir)) || (made_dir && (e = sync_dir(parent)))) {
		fail(j, "the session is written to %s, but syncing the directory failed: %s (the disk may not hold "
			"it yet; the replaced session's files are kept)", j->dir, strerror(e));
		goto out;
	}
	drop_stale(j, old);
out:
	/* a failed save leaves nothing behind: no temporary file, and none
	 * of its layer files (no session lists them) */
	if (json_part) {
		path_of(a, sizeof(a), j->dir, "session.json", ".part");
		unlink(a);
	}
	for (k = 0; k < written; k++) {
		path_of(a, sizeof(a), j->dir, j->s.layers[k].file, k < renamed ? "" : ".part");
		unlink(a);
	}
	json_decref(old);
	atomic_store(&j->done, 1);
	return NULL;
}

static json_t *layer_json(const struct jl_sess_layer *l)
{
	return json_pack("{s:i,s:s,s:i,s:I,s:I,s:I,s:I,s:s,s:I,s:f,s:b,s:f,s:b}", "layer", l->number, "file", l->file,
			 "channels", l->channels, "head", (json_int_t)l->head, "length", (json_int_t)l->body,
			 "period", (json_int_t)l->period, "seam", (json_int_t)l->seam, "seam_mode",
			 l->seam_mode == JL_SEAM_XFADE ? "crossfade" : "edges", "phase", (json_int_t)l->phase,
			 "gain_db", jl_gain_db(l->gain), "muted", l->muted, "speed",
			 l->rate == 1 ? 2.0 : l->rate == 2 ? 0.5 : 1.0, "reverse", l->reverse);
}

struct start {
	void *(*fn)(void *);
	struct jl_sess_job *j;
};

/* The worker yields to the daemon's loop: it runs at a lower priority
 * (nice +10, this thread only), so commands are answered first. */
static void *niced(void *arg)
{
	struct start st = *(struct start *)arg;
	jl_free(arg);
	setpriority(PRIO_PROCESS, (id_t)gettid(), 10);
	return st.fn(st.j);
}

static int start_thread(struct jl_sess_job *j, void *(*fn)(void *))
{
	struct start *st = jl_alloc(sizeof(*st));
	int e;
	if (!st)
		return fail(j, "out of memory");
	st->fn = fn;
	st->j = j;
	e = pthread_create(&j->th, NULL, niced, st);
	if (e)
		jl_free(st);
	if (e)
		fail(j, "cannot start the file thread: %s", strerror(e));
	else
		j->running = 1;
	return e ? -1 : 0;
}

static int busy(struct jl_req *rq)
{
	const char *run = job_name[job->kind], *w = waiting.used ? waiting.argv[0] : NULL;
	if (!w)
		return jl_say(rq, 1, "%s %s is still running: try again when it has answered",
			      job->kind == JOB_IMPORT ? "an" : "a", run);
	return jl_say(rq, 1, "%s %s is still running and %s %s waits for it: try again when they have answered",
		      job->kind == JOB_IMPORT ? "an" : "a", run, !strcmp(w, "import") ? "an" : "a", w);
}

static int dir_arg(struct jl_daemon *d, struct jl_req *rq, int argc, char **argv, const char *cmd, char *dir,
		   size_t n, int *force)
{
	int i, have = 0;
	*force = 0;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--force") && !strcmp(cmd, "save"))
			*force = 1;
		else if (argv[i][0] != '-' && !have++)
			snprintf(dir, n, "%s", argv[i]);
		else
			return jl_say(rq, 2, "usage: %s DIR%s", cmd, !strcmp(cmd, "save") ? " [--force]" : "");
	}
	if (!have || !dir[0])
		return jl_say(rq, 2, "usage: %s DIR%s", cmd, !strcmp(cmd, "save") ? " [--force]" : "");
	if (dir[0] != '/')
		return jl_say(rq, 2, "'%s': the daemon needs an absolute path (the loopctl CLI makes one)", dir);
	if (strlen(dir) > 900)
		return jl_say(rq, 2, "the path is too long");
	while (strlen(dir) > 1 && dir[strlen(dir) - 1] == '/')
		dir[strlen(dir) - 1] = 0;
	if (!strcmp(cmd, "load") && strlen(dir) > 13 && !strcmp(dir + strlen(dir) - 13, "/session.json"))
		dir[strlen(dir) - 13] = 0; /* the session file itself names its directory */
	return jl_session_wait_turn(d, rq, argc, argv);
}

static struct jl_sess_job *new_job(struct jl_daemon *d, struct jl_req *rq, int kind, const char *dir)
{
	struct jl_sess_job *j = jl_calloc(1, sizeof(*j));
	if (!j || !(j->s.layers = jl_calloc(JL_MAX_LAYERS, sizeof(*j->s.layers)))) {
		jl_free(j);
		return NULL;
	}
	j->kind = kind;
	j->t0 = jl_mono_ms();
	snprintf(j->dir, sizeof(j->dir), "%s", dir);
	j->src = d->src;
	j->has_src = rq->from_osc;
	j->skipped = json_array();
	return j;
}

static int is_input_chain(const char *ch)
{
	return !ch || !strncmp(ch, "in", 2);
}

/* Runs a command of the table from the session's own tick. */
static int run_argv(struct jl_daemon *d, int argc, char **w, char *msg, size_t n)
{
	struct jl_req rq;
	int rc;
	memset(&rq, 0, sizeof(rq));
	rq.json = json_object();
	rc = jl_daemon_run(d, &rq, argc, w);
	if (msg)
		snprintf(msg, n, "%.*s", (int)(n - 1), rq.msg);
	json_decref(rq.json);
	return rc;
}

/* The same, from a line split on spaces. */
static int run_words(struct jl_daemon *d, char *line, char *msg, size_t n)
{
	char *w[48], *save = NULL, *t;
	int argc = 0;
	for (t = strtok_r(line, " ", &save); t && argc < 47; t = strtok_r(NULL, " ", &save))
		w[argc++] = t;
	w[argc] = NULL;
	return run_argv(d, argc, w, msg, n);
}

#define EFFECT_ARGS_MAX 40	/* the words of an effect after `fx add CHAIN` */
#define EFFECT_CHARS_MAX 1000	/* and their characters, with a NUL each */

/* `fx add CHAIN ARGS...` of a session's effect, into w (and buf, which
 * holds the words).  "args" (saved since effects could have a parameter
 * with a space: conv's ir= path) are the words as they are; an older
 * session has only "effect", the line split on spaces, except that a conv
 * line's ir= runs to its last " mix=" (its path may hold spaces).
 * parse_effects checked the sizes.  Returns argc. */
static int effect_argv(json_t *e, char **w, char *buf, size_t n)
{
	json_t *args = json_object_get(e, "args"), *a;
	const char *fx = json_string_value(json_object_get(e, "effect")), *mix;
	char *p = buf, *save = NULL, *t;
	size_t k;
	int argc = 0;
	w[argc++] = (char *)"fx";
	w[argc++] = (char *)"add";
	w[argc++] = (char *)json_string_value(json_object_get(e, "chain"));
	if (args) {
		json_array_foreach(args, k, a) {
			size_t len = strlen(json_string_value(a)) + 1;
			memcpy(p, json_string_value(a), len);
			w[argc++] = p;
			p += len;
		}
	} else if (!strncmp(fx, "conv ir=", 8)) {
		snprintf(buf, n, "%s", fx);
		buf[4] = 0;
		w[argc++] = buf;
		w[argc++] = buf + 5;
		for (mix = strstr(buf + 5, " mix="); mix && strstr(mix + 1, " mix="); mix = strstr(mix + 1, " mix="))
			;
		if (mix) {
			buf[mix - buf] = 0;
			w[argc++] = buf + (mix - buf) + 1;
		}
	} else {
		snprintf(buf, n, "%s", fx);
		for (t = strtok_r(buf, " ", &save); t && argc < EFFECT_ARGS_MAX + 3; t = strtok_r(NULL, " ", &save))
			w[argc++] = t;
	}
	w[argc] = NULL;
	return argc;
}

/* Load, after the layers started: the track and master effects are
 * replaced by the session's.  Stage 1 removes the old ones; their slots
 * free up a period later (jl_fx_tick), then stage 2 adds the new ones in order.
 * Returns 1 while waiting. */
static int effects_step(struct jl_daemon *d, struct jl_sess_job *j)
{
	uint32_t ch, sl;
	json_t *e;
	size_t k;
	char line[600], err[512];
	int added = 0, failed = 0;
	if (j->fx_stage == 1) {
		for (ch = 0; ch < JL_FX_CHAIN_INPUT0; ch++)
			for (sl = 0; sl < JL_FX_SLOTS; sl++)
				if (d->m->fx[ch][sl].type) {
					if (ch == JL_FX_CHAIN_MASTER)
						snprintf(line, sizeof(line), "fx remove master %u", sl + 1);
					else
						snprintf(line, sizeof(line), "fx remove %u %u", ch + 1, sl + 1);
					run_words(d, line, NULL, 0);
				}
		j->fx_stage = 2;
		return 1;
	}
	for (ch = 0; ch < JL_FX_CHAIN_INPUT0; ch++)
		for (sl = 0; sl < JL_FX_SLOTS; sl++)
			if (!d->m->fx[ch][sl].type && d->m->fx[ch][sl].free_after)
				return 1; /* a removed effect's region is not free yet */
	err[0] = 0;
	json_array_foreach(j->s.effects, k, e) {
		char msg[512], buf[EFFECT_CHARS_MAX + 24], *w[EFFECT_ARGS_MAX + 4];
		if (run_argv(d, effect_argv(e, w, buf, sizeof(buf)), w, msg, sizeof(msg)) == 0) {
			added++;
		} else {
			if (!failed++)
				snprintf(err, sizeof(err), "%s", msg);
		}
	}
	json_object_set_new(j->reply, "effects", json_integer(added));
	if (added || failed) {
		size_t n = strlen(j->msg);
		snprintf(j->msg + n, sizeof(j->msg) - n, "; %d effect%s restored%s%s", added, added == 1 ? "" : "s",
			 failed ? ", not restored: " : "", failed ? err : "");
	}
	j->fx_stage = 0;
	return 0;
}

/* The session's text, from what was collected. */
static json_t *session_json(const struct jl_session *s, uint32_t gen)
{
	json_t *tracks = json_array();
	int t, k;
	for (t = 0; t < s->n_tracks; t++) {
		const struct jl_sess_track *st = &s->tracks[t];
		json_t *layers = json_array();
		for (k = 0; k < s->n_layers; k++)
			if (s->layers[k].track == st->track && s->layers[k].audio)
				json_array_append_new(layers, layer_json(&s->layers[k]));
		json_array_append_new(tracks, json_pack("{s:i,s:i,s:[i,i],s:f,s:f,s:b,s:b,s:b,s:o}", "track", st->track + 1,
							"channels", st->channels, "inputs", st->in[0] + 1, st->in[1] + 1,
							"gain_db", (double)st->gain_db, "pan", (double)st->pan, "muted",
							st->muted, "soloed", st->soloed, "stopped", st->stopped, "layers",
							layers));
	}
	return json_pack("{s:s,s:i,s:i,s:I,s:i,s:i,s:f,s:s,s:o,s:O,s:I}", "format", JL_SESSION_FORMAT, "version",
			 JL_SESSION_VERSION, "sample_rate", (int)s->sample_rate, "cycle_frames", (json_int_t)s->cycle,
			 "beats_per_cycle", s->beats_per_cycle, "beats_per_bar", s->beats_per_bar, "bpm",
			 60.0 * s->sample_rate * s->beats_per_cycle / (double)s->cycle, "quantize",
			 jl_looper_quant_name(s->quantize), "tracks", tracks, "effects", s->effects, "generation",
			 (json_int_t)gen);
}

/* The words `fx add CHAIN` takes for an effect of `fx list` ({chain,
 * slot, effect}): its line split on spaces, but conv's from the model, so
 * an ir= path with spaces stays one word. */
static json_t *effect_args(struct jl_daemon *d, json_t *e)
{
	const char *ch = json_string_value(json_object_get(e, "chain"));
	const char *fx = json_string_value(json_object_get(e, "effect"));
	json_int_t slot = json_integer_value(json_object_get(e, "slot"));
	uint32_t c = !strcmp(ch, "master") ? JL_FX_CHAIN_MASTER : (uint32_t)atoi(ch) - 1;
	json_t *args = json_array();
	char buf[512], *save = NULL, *t;
	if (c < JL_FX_CHAINS && slot >= 1 && slot <= JL_FX_SLOTS && d->m->fx[c][slot - 1].type == JL_FX_CONV) {
		const struct jl_fx_m *x = &d->m->fx[c][slot - 1];
		snprintf(buf, sizeof(buf), "ir=%s", x->ir);
		json_array_append_new(args, json_string("conv"));
		json_array_append_new(args, json_string(buf));
		snprintf(buf, sizeof(buf), "mix=%.2f", (double)x->mix);
		json_array_append_new(args, json_string(buf));
		return args;
	}
	snprintf(buf, sizeof(buf), "%s", fx ? fx : "");
	for (t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save))
		json_array_append_new(args, json_string(t));
	return args;
}

/* Save, in the daemon's loop: a bounded slice of the layers' frames per
 * tick (like the history copy), so commands never wait long.  Layers are
 * found by id every time: one undone and evicted meanwhile is skipped. */
static void collect(struct jl_daemon *d, struct jl_sess_job *j)
{
	uint64_t budget = COLLECT_FLOATS_PER_TICK;
	while (j->ck < j->s.n_layers && budget) {
		struct jl_sess_layer *sl = &j->s.layers[j->ck];
		uint64_t n = sl->data_len - j->cpos;
		if (n > budget / sl->channels)
			n = budget / sl->channels;
		if (!n)
			break;
		if (jl_looper_layer_audio(d, sl->id, sl->audio, j->cpos, n) < 0) {
			json_array_append_new(j->skipped, json_pack("{s:i,s:i}", "track", sl->track + 1, "layer", sl->number));
			jl_free(sl->audio);
			sl->audio = NULL;
			n = sl->data_len - j->cpos;
		}
		j->cpos += n;
		budget -= n * sl->channels < budget ? n * sl->channels : budget;
		if (j->cpos == sl->data_len) {
			j->ck++;
			j->cpos = 0;
		}
	}
	if (j->ck < j->s.n_layers)
		return;
	/* all collected: the skipped ones leave the list, the worker writes */
	{
		int k, o = 0;
		for (k = 0; k < j->s.n_layers; k++)
			if (j->s.layers[k].audio)
				j->s.layers[o++] = j->s.layers[k];
		j->s.n_layers = o;
	}
	j->collecting = 0;
	start_thread(j, save_thread); /* it names the files and writes session.json */
	if (!j->running)
		atomic_store(&j->done, 1);
}

int jl_cmd_save(struct jl_daemon *d, struct jl_req *rq, int argc, char **argv)
{
	struct jl_sess_job *j;
	struct jl_model *m = d->m;
	struct jl_session *s;
	int t, rc, force;
	uint32_t i;
	char dir[1024];
	if ((rc = dir_arg(d, rq, argc, argv, "save", dir, sizeof(dir), &force)))
		return rc;
	if (!m->has_anchor)
		return jl_say(rq, 1, "no loops yet: nothing to save");
	j = new_job(d, rq, JOB_SAVE, dir);
	if (!j)
		return jl_say(rq, 1, "out of memory");
	j->force = force;
	s = &j->s;
	s->sample_rate = d->shm.hdr->geom.sample_rate;
	s->cycle = m->cycle;
	s->beats_per_cycle = m->beats_per_cycle;
	s->beats_per_bar = m->beats_per_bar;
	s->quantize = m->quantize;
	/* the song's effects (tracks, master), as `fx list` gives them: each
	 * line is what `fx add` takes; the input chains belong to the rig */
	{
		struct jl_req fr;
		char *w[] = { (char *)"fx", (char *)"list", NULL };
		json_t *all, *e;
		size_t k;
		memset(&fr, 0, sizeof(fr));
		fr.json = json_object();
		jl_daemon_run(d, &fr, 2, w);
		all = json_object_get(fr.json, "effects");
		s->effects = json_array();
		json_array_foreach(all, k, e)
			if (!is_input_chain(json_string_value(json_object_get(e, "chain")))) {
				json_t *c = json_copy(e);
				json_object_set_new(c, "args", effect_args(d, e));
				json_array_append_new(s->effects, c);
			}
		json_decref(fr.json);
	}
	/* what is saved is decided now; the frames follow tick by tick */
	for (t = 0; t < JL_MAX_TRACKS; t++) {
		const struct jl_track_m *tr = &m->tracks[t];
		struct jl_sess_track *st;
		if (!tr->used)
			continue;
		st = &s->tracks[s->n_tracks++];
		st->track = t;
		st->channels = tr->channels;
		st->in[0] = tr->in[0];
		st->in[1] = tr->in[1];
		st->gain_db = tr->gain_db;
		st->pan = tr->pan;
		st->muted = tr->muted;
		st->soloed = tr->soloed;
		st->stopped = tr->stopped;
		for (i = 0; i < JL_MAX_LAYERS; i++) {
			const struct jl_layer_m *l = &m->layers[i];
			struct jl_sess_layer *sl = &s->layers[s->n_layers];
			if (!l->id || l->track != t || (l->state != JL_L_ACTIVE && l->state != JL_L_PENDING))
				continue;
			if (l->state == JL_L_PENDING) { /* its end is not recorded yet */
				json_array_append_new(j->skipped, json_pack("{s:i,s:i}", "track", t + 1, "layer", l->number));
				continue;
			}
			sl->audio = jl_alloc(l->data_len * l->channels * sizeof(float));
			if (!sl->audio) {
				fail(j, "out of memory for track %d layer %u", t + 1, l->number);
				break;
			}
			sl->id = l->id;
			sl->track = t;
			sl->number = l->number;
			sl->channels = l->channels;
			sl->seam_mode = l->seam_mode;
			sl->muted = l->muted;
			sl->rate = l->rate;
			sl->reverse = l->reverse;
			sl->gain = l->gain;
			sl->head = l->head;
			sl->body = l->body;
			sl->period = l->period;
			sl->seam = l->seam;
			sl->data_len = l->data_len;
			{
				uint64_t vp = jl_sess_phase_period(l->period, l->rate);
				sl->phase = l->origin >= m->origin ? (l->origin - m->origin) % vp
								   : (vp - (m->origin - l->origin) % vp) % vp;
			}
			s->n_layers++;
		}
	}
	if (j->rc) {
		jl_say(rq, 1, "%s", j->msg);
		free_job(j);
		return 1;
	}
	j->collecting = 1;
	job = j;
	return JL_RC_DEFERRED;
}

/* --- load ------------------------------------------------------------------ */

/* An integer member in lo..hi, or fail naming it. */
static int get_u64(struct jl_sess_job *j, json_t *o, const char *key, uint64_t lo, uint64_t hi, uint64_t *v,
		   const char *where)
{
	json_t *x = json_object_get(o, key);
	if (!json_is_integer(x) || json_integer_value(x) < 0 || (uint64_t)json_integer_value(x) < lo ||
	    (uint64_t)json_integer_value(x) > hi)
		return fail(j, "session.json: %s: '%s' must be an integer %llu..%llu", where, key,
			    (unsigned long long)lo, (unsigned long long)hi);
	*v = (uint64_t)json_integer_value(x);
	return 0;
}

static int get_real(struct jl_sess_job *j, json_t *o, const char *key, double lo, double hi, double def, double *v,
		    const char *where)
{
	json_t *x = json_object_get(o, key);
	if (!x) {
		*v = def;
		return 0;
	}
	if (!json_is_number(x) || !isfinite(json_number_value(x)) || json_number_value(x) < lo ||
	    json_number_value(x) > hi)
		return fail(j, "session.json: %s: '%s' must be a number %g..%g", where, key, lo, hi);
	*v = json_number_value(x);
	return 0;
}

static int get_bool(json_t *o, const char *key)
{
	return json_is_true(json_object_get(o, key));
}

static int read_wav(struct jl_sess_job *j, struct jl_sess_layer *l, const char *where)
{
	char p[1100], err[128];
	SF_INFO info;
	SNDFILE *f;
	uint64_t i;
	int fd;
	path_of(p, sizeof(p), j->dir, l->file, "");
	memset(&info, 0, sizeof(info));
	fd = jl_open_regular(p, err, sizeof(err));
	if (fd < 0)
		return fail(j, "%s: %s: %s", where, p, err);
	f = sf_open_fd(fd, SFM_READ, &info, SF_FALSE);
	if (!f) {
		close(fd);
		return fail(j, "%s: %s: %s", where, p, sf_strerror(NULL));
	}
	if (info.channels != l->channels || (uint32_t)info.samplerate != j->s.sample_rate ||
	    (uint64_t)info.frames != l->data_len) {
		fail(j, "%s: %s has %d channel%s at %d Hz, %lld frames; the session says %u at %u Hz, %llu frames",
		     where, p, info.channels, info.channels == 1 ? "" : "s", info.samplerate, (long long)info.frames,
		     l->channels, j->s.sample_rate, (unsigned long long)l->data_len);
		goto fail;
	}
	l->audio = jl_alloc(l->data_len * l->channels * sizeof(float));
	if (!l->audio) {
		fail(j, "%s: out of memory for %s", where, p);
		goto fail;
	}
	if (sf_readf_float(f, l->audio, (sf_count_t)l->data_len) != (sf_count_t)l->data_len) {
		fail(j, "%s: %s is truncated: %s", where, p, sf_strerror(f));
		goto fail;
	}
	sf_close(f);
	close(fd);
	/* as import: a NaN or an infinity would reach the PA (and stay in a
	 * reverb's or a delay's state until it is removed) */
	for (i = 0; i < l->data_len * l->channels; i++)
		if (!isfinite(l->audio[i]))
			return fail(j, "%s: %s holds a sample that is not a number (frame %llu): not loaded", where, p,
				    (unsigned long long)(i / l->channels));
	j->bytes += l->data_len * l->channels * sizeof(float);
	return 0;
fail:
	sf_close(f);
	close(fd);
	return -1;
}

static int parse_layer(struct jl_sess_job *j, json_t *jl, int t, struct jl_sess_layer *l)
{
	char where[64];
	const char *file, *sm;
	uint64_t v;
	double db, speed;
	snprintf(where, sizeof(where), "track %d layer %d", t + 1, (int)json_integer_value(json_object_get(jl, "layer")));
	if (!json_is_object(jl))
		return fail(j, "session.json: track %d: a layer is not an object", t + 1);
	if (get_u64(j, jl, "layer", 1, 1u << 20, &v, where))
		return -1;
	l->number = (uint32_t)v;
	l->track = t;
	file = json_string_value(json_object_get(jl, "file"));
	if (!file || !*file || strchr(file, '/') || file[0] == '.' || strlen(file) >= sizeof(l->file))
		return fail(j, "session.json: %s: 'file' must be a file name in the session's directory", where);
	snprintf(l->file, sizeof(l->file), "%s", file);
	if (get_u64(j, jl, "channels", 1, 2, &v, where))
		return -1;
	l->channels = (uint8_t)v;
	if (get_u64(j, jl, "period", 1, 1ull << 40, &l->period, where) ||
	    get_u64(j, jl, "length", 1, l->period, &l->body, where) ||
	    get_u64(j, jl, "seam", 0, l->period, &l->seam, where) ||
	    get_u64(j, jl, "head", l->seam, 1ull << 40, &l->head, where))
		return -1;
	/* sessions saved before gain_db was rounded hold 24.0000001872 for
	 * +24 dB: a hair over the top is +24 */
	if (get_real(j, jl, "gain_db", -200, 24.00001, 0, &db, where) ||
	    get_real(j, jl, "speed", 0.5, 2, 1, &speed, where))
		return -1;
	if (db > 24)
		db = 24;
	if (speed != 0.5 && speed != 1 && speed != 2)
		return fail(j, "session.json: %s: 'speed' must be 0.5, 1 or 2", where);
	if (speed == 2 && l->period % 2)
		return fail(j, "session.json: %s: a layer with an odd period cannot play at speed 2", where);
	l->rate = speed == 2 ? 1 : speed == 0.5 ? 2 : 0;
	/* at half speed the phase is modulo 2 * period (older sessions,
	 * saved modulo the period, are read as they were written) */
	if (get_u64(j, jl, "phase", 0, jl_sess_phase_period(l->period, l->rate) - 1, &l->phase, where))
		return -1;
	sm = json_string_value(json_object_get(jl, "seam_mode"));
	if (sm && !strcmp(sm, "crossfade"))
		l->seam_mode = JL_SEAM_XFADE;
	else if (sm && !strcmp(sm, "edges"))
		l->seam_mode = JL_SEAM_EDGE;
	else
		return fail(j, "session.json: %s: 'seam_mode' must be \"crossfade\" or \"edges\"", where);
	/* the engine's own rules for a voice (it would reject anything else) */
	if (l->seam_mode == JL_SEAM_XFADE && l->body != l->period)
		return fail(j, "session.json: %s: a crossfaded layer's length must be its period", where);
	if (l->seam_mode == JL_SEAM_EDGE && l->body + 2 * l->seam > l->period)
		return fail(j, "session.json: %s: length + 2 seams must fit in the period", where);
	l->data_len = l->head + l->body + (l->seam_mode == JL_SEAM_EDGE ? l->seam : 0);
	if (l->data_len * l->channels > j->max_floats)
		return fail(j, "session.json: %s: %.1f MB is larger than the whole pool (jackloop --pool-mb)", where,
			    (double)(l->data_len * l->channels * sizeof(float)) / 1048576.0);
	l->gain = db <= -200 ? 0.0f : (float)pow(10.0, db / 20.0);
	l->muted = (uint8_t)get_bool(jl, "muted");
	l->reverse = (uint8_t)get_bool(jl, "reverse");
	/* The whole session against the whole pool, before this layer's file
	 * is read: a session that cannot fit is refused having read at most
	 * a pool's worth, not every file (the same large file named by every
	 * track took the daemon to 700 MB before the total was checked).  At
	 * another rate the converted lengths are known only after the
	 * conversion: estimated here with 2 % to spare for their rounding,
	 * checked exactly in convert_rate and load_prepare. */
	if (j->s.sample_rate == j->engine_rate) {
		j->need_floats += (double)((l->data_len * l->channels + 15) & ~(uint64_t)15);
		if (j->need_floats > (double)j->max_floats)
			return fail(j, "session.json: the layers up to %s need %.1f MB, more than the whole pool "
				    "(%.1f MB; jackloop --pool-mb): not loaded", where,
				    j->need_floats * sizeof(float) / 1048576.0,
				    (double)j->max_floats * sizeof(float) / 1048576.0);
	} else {
		j->need_floats += (double)(l->data_len * l->channels) * j->engine_rate / j->s.sample_rate;
		if (j->need_floats > 1.02 * (double)j->max_floats)
			return fail(j, "at %u Hz the session is larger than the whole pool (jackloop --pool-mb): the "
				    "layers up to %s need about %.1f MB of its %.1f MB; not loaded", j->engine_rate, where,
				    j->need_floats * sizeof(float) / 1048576.0,
				    (double)j->max_floats * sizeof(float) / 1048576.0);
	}
	return read_wav(j, l, where);
}

/* "effects": optional; each {chain: "1".."64"|"master", args: ["TYPE",
 * "k=v", ...]} (or, in older sessions, only effect: "TYPE k=v ..."),
 * added in order with `fx add` once the layers play. */
static int parse_effects(struct jl_sess_job *j, json_t *arr)
{
	json_t *e, *a;
	size_t k, i;
	if (!arr)
		return 0;
	if (!json_is_array(arr))
		return fail(j, "session.json: 'effects' must be an array");
	json_array_foreach(arr, k, e) {
		const char *ch = json_string_value(json_object_get(e, "chain"));
		const char *fx = json_string_value(json_object_get(e, "effect"));
		json_t *args = json_object_get(e, "args");
		char *end;
		long t = ch ? strtol(ch, &end, 10) : 0;
		size_t words = 1, chars = 0;
		if (!ch || (strcmp(ch, "master") && (*end || !*ch || t < 1 || t > JL_MAX_TRACKS)))
			return fail(j, "session.json: effect %zu: 'chain' must be a track 1..%d or \"master\"", k + 1,
				    JL_MAX_TRACKS);
		if (args) {
			if (!json_is_array(args) || !json_array_size(args))
				return fail(j, "session.json: effect %zu: 'args' must be [\"TYPE\", \"name=value\"...]", k + 1);
			json_array_foreach(args, i, a) {
				if (!json_is_string(a) || !*json_string_value(a))
					return fail(j, "session.json: effect %zu: 'args' must be [\"TYPE\", \"name=value\"...]",
						    k + 1);
				chars += strlen(json_string_value(a)) + 1;
			}
			if (json_array_size(args) > EFFECT_ARGS_MAX || chars > EFFECT_CHARS_MAX)
				return fail(j, "session.json: effect %zu: too many parameters", k + 1);
			continue;
		}
		if (!fx || !*fx || strlen(fx) > 400)
			return fail(j, "session.json: effect %zu: 'effect' must be TYPE name=value...", k + 1);
		for (end = (char *)fx; *end; end++)
			words += *end == ' ';
		if (words > EFFECT_ARGS_MAX)
			return fail(j, "session.json: effect %zu: too many parameters", k + 1);
	}
	j->s.effects = json_incref(arr);
	return 0;
}

/* A length of the session's rate in JACK's: whole cycles stay whole
 * cycles of the converted cycle C2, so the loops stay in step; anything
 * else is rounded to the nearest frame. */
static uint64_t conv_len(uint64_t x, uint64_t C, uint64_t C2, double r)
{
	if (C && x && x % C == 0)
		return x / C * C2;
	return (uint64_t)llround((double)x * r);
}

/* A session recorded at another sample rate than JACK's: every layer's
 * frames are resampled (libsamplerate's medium sinc converter: 121 dB
 * SNR, 90 % of the band; 0.64 s for a minute of stereo, the best one
 * 2.3 s) to the converted geometry, so the loops last as long and sound
 * at the same pitch.  The cycle becomes llround(C * r) frames (even if a layer plays
 * at double speed, which needs an even period); a phase of q cycles and
 * rem frames becomes q * C2 + llround(rem * r), so it stays on the same
 * place of the new cycles.  (head is the seam's pre-roll, never whole
 * cycles: it is rounded as the seam is.)  Runs in the load worker. */
static int convert_rate(struct jl_sess_job *j)
{
	struct jl_session *s = &j->s;
	double r = (double)j->engine_rate / s->sample_rate;
	uint64_t C = s->cycle, C2 = (uint64_t)llround((double)C * r), total = 0;
	int k;
	for (k = 0; k < s->n_layers; k++)
		if (s->layers[k].rate == 1 && (s->layers[k].period / C) % 2 && C2 % 2)
			C2 += (double)C * r > (double)C2 ? 1 : -1;
	if (C2 < 16)
		return fail(j, "the cycle of %llu frames at %u Hz is too short at %u Hz", (unsigned long long)C,
			    s->sample_rate, j->engine_rate);
	for (k = 0; k < s->n_layers; k++) {
		struct jl_sess_layer *l = &s->layers[k];
		uint64_t period = conv_len(l->period, C, C2, r), seam = (uint64_t)llround((double)l->seam * r);
		uint64_t body, head = (uint64_t)llround((double)l->head * r), len, got;
		SRC_DATA sd;
		float *out;
		int err;
		if (l->rate == 1 && period % 2)
			period++;
		if (seam > period)
			seam = period;
		body = l->seam_mode == JL_SEAM_XFADE ? period : conv_len(l->body, C, C2, r);
		if (l->seam_mode == JL_SEAM_EDGE && body + 2 * seam > period)
			body = period > 2 * seam ? period - 2 * seam : 1;
		if (head < seam)
			head = seam;
		len = head + body + (l->seam_mode == JL_SEAM_EDGE ? seam : 0);
		total += len * l->channels;
		if (len * l->channels > j->max_floats || total > j->max_floats)
			return fail(j, "at %u Hz the session is larger than the whole pool (jackloop --pool-mb)",
				    j->engine_rate);
		out = jl_alloc(len * l->channels * sizeof(float));
		if (!out)
			return fail(j, "track %d layer %u: out of memory converting it to %u Hz", l->track + 1, l->number,
				    j->engine_rate);
		memset(&sd, 0, sizeof(sd));
		sd.data_in = l->audio;
		sd.input_frames = (long)l->data_len;
		sd.data_out = out;
		sd.output_frames = (long)len;
		sd.src_ratio = (double)len / (double)l->data_len;
		err = src_simple(&sd, SRC_SINC_MEDIUM_QUALITY, l->channels);
		if (err) {
			jl_free(out);
			return fail(j, "track %d layer %u: converting it to %u Hz: %s", l->track + 1, l->number,
				    j->engine_rate, src_strerror(err));
		}
		/* the converter may end a frame or two short: silence, as after the take */
		got = (uint64_t)sd.output_frames_gen;
		if (got < len)
			memset(out + got * l->channels, 0, (len - got) * l->channels * sizeof(float));
		jl_free(l->audio);
		l->audio = out;
		/* whole cycles of the phase stay whole cycles of C2, as lengths
		 * do (conv_len); only the rest is rounded: llround(phase * r)
		 * moved a phase of k cycles by up to k/2 frames off the grid */
		l->phase = (l->phase / C * C2 + (uint64_t)llround((double)(l->phase % C) * r)) %
			   jl_sess_phase_period(period, l->rate);
		l->period = period;
		l->body = body;
		l->seam = seam;
		l->head = head;
		l->data_len = len;
	}
	s->cycle = C2;
	s->converted_from = s->sample_rate;
	s->sample_rate = j->engine_rate;
	return 0;
}

static void *load_thread(void *arg)
{
	struct jl_sess_job *j = arg;
	struct jl_session *s = &j->s;
	char p[1100];
	json_error_t err;
	json_t *doc, *tracks, *jt;
	size_t ti, li;
	uint64_t v;
	int seen[JL_MAX_TRACKS] = { 0 }, k;
	const char *fmt, *q;
	path_of(p, sizeof(p), j->dir, "session.json", "");
	doc = load_json(p, &err);
	if (!doc) {
		if (err.line < 0)
			fail(j, "%s: %s", p, err.text);
		else
			fail(j, "%s is not valid JSON: %s (line %d, column %d)", p, err.text, err.line, err.column);
		goto out;
	}
	fmt = json_string_value(json_object_get(doc, "format"));
	if (!json_is_object(doc) || !fmt || strcmp(fmt, JL_SESSION_FORMAT)) {
		fail(j, "%s is not a jackloop session (no \"format\": \"%s\")", p, JL_SESSION_FORMAT);
		goto out;
	}
	if (get_u64(j, doc, "version", 1, JL_SESSION_VERSION, &v, "top level") ||
	    get_u64(j, doc, "sample_rate", 1000, 1000000, &v, "top level"))
		goto out;
	s->sample_rate = (uint32_t)v; /* another rate than JACK's is converted below */
	if (get_u64(j, doc, "cycle_frames", 16, 1ull << 40, &s->cycle, "top level") ||
	    get_u64(j, doc, "beats_per_cycle", 1, 4096, &v, "top level"))
		goto out;
	s->beats_per_cycle = (uint32_t)v;
	if (get_u64(j, doc, "beats_per_bar", 1, 64, &v, "top level"))
		goto out;
	s->beats_per_bar = (uint32_t)v;
	q = json_string_value(json_object_get(doc, "quantize"));
	s->quantize = q ? jl_looper_parse_quant(q) : 0;
	if (s->quantize < 0) {
		fail(j, "session.json: 'quantize' must be off, cycle, bar, beat or onset");
		goto out;
	}
	tracks = json_object_get(doc, "tracks");
	if (!json_is_array(tracks)) {
		fail(j, "session.json: 'tracks' must be an array");
		goto out;
	}
	json_array_foreach(tracks, ti, jt) {
		struct jl_sess_track *st = &s->tracks[s->n_tracks];
		json_t *in = json_object_get(jt, "inputs"), *layers = json_object_get(jt, "layers"), *jl;
		double g, pan;
		char where[32];
		if (!json_is_object(jt) || get_u64(j, jt, "track", 1, JL_MAX_TRACKS, &v, "a track"))
			goto out;
		snprintf(where, sizeof(where), "track %d", (int)v);
		st->track = (int)v - 1;
		if (seen[st->track]++) {
			fail(j, "session.json: track %d is listed twice", st->track + 1);
			goto out;
		}
		if (get_u64(j, jt, "channels", 1, 2, &v, where))
			goto out;
		st->channels = (uint8_t)v;
		if (!json_is_array(in) || json_array_size(in) != 2 || !json_is_integer(json_array_get(in, 0)) ||
		    !json_is_integer(json_array_get(in, 1)) || json_integer_value(json_array_get(in, 0)) < 1 ||
		    json_integer_value(json_array_get(in, 0)) > JL_MAX_INPUTS ||
		    json_integer_value(json_array_get(in, 1)) < 1 || json_integer_value(json_array_get(in, 1)) > JL_MAX_INPUTS) {
			fail(j, "session.json: %s: 'inputs' must be two inputs 1..%d", where, JL_MAX_INPUTS);
			goto out;
		}
		st->in[0] = (uint16_t)(json_integer_value(json_array_get(in, 0)) - 1);
		st->in[1] = (uint16_t)(json_integer_value(json_array_get(in, 1)) - 1);
		if (get_real(j, jt, "gain_db", -120, 24, 0, &g, where) || get_real(j, jt, "pan", -1, 1, 0, &pan, where))
			goto out;
		st->gain_db = (float)g;
		st->pan = (float)pan;
		st->muted = (uint8_t)get_bool(jt, "muted");
		st->soloed = (uint8_t)get_bool(jt, "soloed");
		st->stopped = (uint8_t)get_bool(jt, "stopped");
		s->n_tracks++;
		if (!json_is_array(layers)) {
			fail(j, "session.json: %s: 'layers' must be an array", where);
			goto out;
		}
		json_array_foreach(layers, li, jl) {
			if (s->n_layers == JL_MAX_LAYERS) {
				fail(j, "session.json: more than %d layers", JL_MAX_LAYERS);
				goto out;
			}
			if (parse_layer(j, jl, st->track, &s->layers[s->n_layers++]) < 0)
				goto out;
			for (k = 0; k < s->n_layers - 1; k++)
				if (s->layers[k].track == st->track && s->layers[k].number == s->layers[s->n_layers - 1].number) {
					fail(j, "session.json: track %d: layer %u is listed twice", st->track + 1,
					     s->layers[k].number);
					goto out;
				}
		}
	}
	if (parse_effects(j, json_object_get(doc, "effects")) < 0)
		goto out;
	if (s->sample_rate != j->engine_rate && convert_rate(j) < 0)
		goto out;
out:
	json_decref(doc);
	atomic_store(&j->done, 1);
	return NULL;
}

/* The frames into the regions load_prepare reserved (nothing reads them
 * until the layers exist), off the daemon's loop. */
static void *copy_thread(void *arg)
{
	struct jl_sess_job *j = arg;
	int k;
	uint32_t c;
	uint64_t f;
	for (k = 0; k < j->s.n_layers; k++) {
		const struct jl_sess_layer *sl = &j->s.layers[k];
		float *dst = j->pool + sl->pool_off;
		for (c = 0; c < sl->channels; c++)
			for (f = 0; f < sl->data_len; f++)
				dst[(uint64_t)c * sl->data_len + f] = sl->audio[f * sl->channels + c];
	}
	atomic_store(&j->done, 1);
	return NULL;
}

static int start_reader(struct jl_daemon *d, struct jl_req *rq, struct jl_sess_job *j, void *(*fn)(void *));

int jl_cmd_load(struct jl_daemon *d, struct jl_req *rq, int argc, char **argv)
{
	struct jl_sess_job *j;
	int rc, force;
	char dir[1024];
	if ((rc = dir_arg(d, rq, argc, argv, "load", dir, sizeof(dir), &force)))
		return rc;
	j = new_job(d, rq, JOB_LOAD, dir);
	if (!j)
		return jl_say(rq, 1, "out of memory");
	return start_reader(d, rq, j, load_thread);
}

/* A load's or import's worker, reading into the daemon's pool. */
static int start_reader(struct jl_daemon *d, struct jl_req *rq, struct jl_sess_job *j, void *(*fn)(void *))
{
	j->max_floats = d->pool_floats;
	j->pool = d->pool;
	j->engine_rate = d->shm.hdr->geom.sample_rate;
	if (j->kind == JOB_IMPORT && !j->im.anchored && !j->im.beats && j->im.preset_bpm <= 0) {
		/* FFTW plans are made (and destroyed) on this thread only */
		struct jl_analysis_config c;
		jl_analysis_config_default(&c, j->engine_rate);
		j->im.ana = jl_analysis_create(&c);
	}
	if (start_thread(j, fn) < 0) {
		jl_say(rq, 1, "%s", j->msg);
		free_job(j);
		return 1;
	}
	job = j;
	return JL_RC_DEFERRED;
}

/* --- import ------------------------------------------------------------------- */

#define IMPORT_WRAP 4096	/* frames of the loop's other end the converter sees at each end */
#define IMPORT_ANALYSIS_S 12.0	/* a first loop is analysed played round for at least this long */

/* A loop's frames at another rate: converted as a loop (each end sees the
 * other across the seam), so it still loops without a click. */
static float *import_convert(struct jl_sess_job *j, float *x, uint64_t n, int ch, uint64_t *n2)
{
	double r = (double)j->engine_rate / j->s.converted_from;
	uint64_t w = n < IMPORT_WRAP ? n : IMPORT_WRAP, len = (uint64_t)llround((double)n * r);
	uint64_t skip = (uint64_t)llround((double)w * r), total = (uint64_t)llround((double)(n + 2 * w) * r), got;
	float *in = jl_alloc((n + 2 * w) * ch * sizeof(float)), *out = jl_alloc((total + 1) * ch * sizeof(float));
	SRC_DATA sd;
	int err;
	if (!in || !out || len < 16) {
		jl_free(in);
		jl_free(out);
		fail(j, len < 16 ? "%s is too short to loop at %u Hz" : "%s: out of memory converting it to %u Hz", j->dir,
		     j->engine_rate);
		return NULL;
	}
	memcpy(in, x + (n - w) * ch, w * ch * sizeof(float));
	memcpy(in + w * ch, x, n * ch * sizeof(float));
	memcpy(in + (n + w) * ch, x, w * ch * sizeof(float));
	memset(&sd, 0, sizeof(sd));
	sd.data_in = in;
	sd.input_frames = (long)(n + 2 * w);
	sd.data_out = out;
	sd.output_frames = (long)total;
	sd.src_ratio = r;
	err = src_simple(&sd, SRC_SINC_MEDIUM_QUALITY, ch);
	jl_free(in);
	if (err) {
		jl_free(out);
		fail(j, "%s: converting it to %u Hz: %s", j->dir, j->engine_rate, src_strerror(err));
		return NULL;
	}
	got = (uint64_t)sd.output_frames_gen;
	if (got < skip + len)
		memset(out + got * ch, 0, (skip + len - got) * ch * sizeof(float));
	memmove(out, out + skip * ch, len * ch * sizeof(float));
	*n2 = len;
	return out;
}

/* A loop's n frames stretched to exactly T, its pitch kept: Rubber Band's
 * offline stretcher (the finer engine, on this worker thread), fed the
 * loop with STRETCH_WRAP frames of its other end before and after, so its
 * seam stays a seam; the middle T frames are kept. */
#define STRETCH_WRAP 8192
#define STRETCH_BLOCK 16384
static float *import_stretch(struct jl_sess_job *j, const float *x, uint64_t n, int ch, uint64_t T)
{
	double r = (double)T / (double)n;
	uint64_t w = n < STRETCH_WRAP ? n : STRETCH_WRAP, m = n + 2 * w, skip = (uint64_t)llround((double)w * r);
	uint64_t cap = (uint64_t)ceil((double)m * r) + 2 * STRETCH_BLOCK, got = 0, k, p;
	float *in[2] = { NULL, NULL }, *out[2] = { NULL, NULL }, *y = NULL, *ip[2], *op[2];
	RubberBandState rb = NULL;
	int c, a;
	if (m > UINT32_MAX / 2 || cap > UINT32_MAX) {
		fail(j, "%s is too long to stretch", j->dir);
		return NULL;
	}
	for (c = 0; c < ch; c++) {
		in[c] = jl_alloc(m * sizeof(float));
		out[c] = jl_alloc(cap * sizeof(float));
		if (!in[c] || !out[c])
			goto oom;
		for (k = 0; k < m; k++)
			in[c][k] = x[((k + n - w) % n) * ch + c];
	}
	rb = rubberband_new(j->engine_rate, (unsigned)ch,
			    RubberBandOptionProcessOffline | RubberBandOptionEngineFiner | RubberBandOptionThreadingNever |
				    (ch == 2 ? RubberBandOptionChannelsTogether : 0),
			    r, 1.0);
	if (!rb)
		goto oom;
	rubberband_set_expected_input_duration(rb, (unsigned)m);
	for (p = 0; p < m; p += STRETCH_BLOCK) {
		unsigned b = (unsigned)(m - p < STRETCH_BLOCK ? m - p : STRETCH_BLOCK);
		for (c = 0; c < ch; c++)
			ip[c] = in[c] + p;
		rubberband_study(rb, (const float *const *)ip, b, p + b == m);
	}
	for (p = 0; p < m; p += STRETCH_BLOCK) {
		unsigned b = (unsigned)(m - p < STRETCH_BLOCK ? m - p : STRETCH_BLOCK);
		for (c = 0; c < ch; c++)
			ip[c] = in[c] + p;
		rubberband_process(rb, (const float *const *)ip, b, p + b == m);
		/* what it has ready; after the last block, all of it (-1: done) */
		while ((a = rubberband_available(rb)) > 0) {
			unsigned take = (unsigned)((uint64_t)a < cap - got ? (uint64_t)a : cap - got);
			if (!take)
				break;
			for (c = 0; c < ch; c++)
				op[c] = out[c] + got;
			got += rubberband_retrieve(rb, op, take);
		}
	}
	rubberband_delete(rb);
	y = jl_alloc(T * ch * sizeof(float));
	if (!y)
		goto oom;
	for (k = 0; k < T; k++)
		for (c = 0; c < ch; c++)
			y[k * ch + c] = skip + k < got ? out[c][skip + k] : 0.0f;
	for (c = 0; c < ch; c++) {
		jl_free(in[c]);
		jl_free(out[c]);
	}
	return y;
oom:
	if (rb)
		rubberband_delete(rb);
	for (c = 0; c < 2; c++) {
		jl_free(in[c]);
		jl_free(out[c]);
	}
	fail(j, "%s: out of memory stretching it", j->dir);
	return NULL;
}

/* A first loop's beats: the count a musician would use at the tempo the
 * analysis hears in it, played round (the live analysis's own choice,
 * jl_analysis_beats_per_cycle). */
static void import_beats(struct jl_sess_job *j, const float *x, uint64_t n, int ch)
{
	struct jl_import *im = &j->im;
	uint64_t pos = 0, i;
	float buf[1024];
	uint32_t beats = 0;
	if (im->beats) {
		j->s.beats_per_cycle = im->beats;
		snprintf(im->beats_from, sizeof(im->beats_from), "given");
		return;
	}
	if (im->preset_bpm > 0) {
		j->s.beats_per_cycle = jl_looper_beats_at(n, j->engine_rate, im->preset_bpm);
		snprintf(im->beats_from, sizeof(im->beats_from), "at the preset tempo, %.1f BPM", im->preset_bpm);
		return;
	}
	j->s.beats_per_cycle = 4;
	snprintf(im->beats_from, sizeof(im->beats_from), "no tempo found in it: 4 assumed");
	if (!im->ana)
		return;
	while (pos < 2 * n || pos < (uint64_t)(IMPORT_ANALYSIS_S * j->engine_rate)) {
		size_t k = 0;
		for (; k < sizeof(buf) / sizeof(buf[0]); k++) {
			i = (pos + k) % n;
			buf[k] = ch == 2 ? 0.5f * (x[2 * i] + x[2 * i + 1]) : x[i];
		}
		jl_analysis_feed(im->ana, buf, k, pos);
		pos += k;
	}
	if (jl_analysis_beats_per_cycle(im->ana, n, &beats) == 0 && beats) {
		j->s.beats_per_cycle = beats;
		snprintf(im->beats_from, sizeof(im->beats_from), "%.1f BPM heard in it",
			 (double)beats * 60.0 * j->engine_rate / (double)n);
	}
}

/* A file that ends before its header says: libsndfile reads what is
 * there, and its log says "data : N (should be M)" (WAV, W64, RF64). */
static int import_truncated(struct jl_sess_job *j, SNDFILE *f)
{
	char log[4096], *p;
	unsigned long long said, is;
	memset(log, 0, sizeof(log));
	sf_command(f, SFC_GET_LOG_INFO, log, sizeof(log) - 1);
	for (p = log; (p = strstr(p, "data : ")); p++)
		if (sscanf(p, "data : %llu (should be %llu)", &said, &is) == 2 && is < said)
			return fail(j, "%s is truncated: its header says %llu bytes of audio, the file holds %llu", j->dir,
				    said, is);
	return 0;
}

static void *import_thread(void *arg)
{
	struct jl_sess_job *j = arg;
	struct jl_import *im = &j->im;
	struct jl_sess_layer *l = &j->s.layers[0];
	SF_INFO info;
	SNDFILE *f;
	float *x = NULL, *y;
	uint64_t n, i, T;
	int ch, tch, c, fd;
	char err[128];
	memset(&info, 0, sizeof(info));
	fd = jl_open_regular(j->dir, err, sizeof(err));
	if (fd < 0) {
		fail(j, "%s: %s", j->dir, err);
		goto out;
	}
	f = sf_open_fd(fd, SFM_READ, &info, SF_FALSE);
	if (!f) {
		close(fd);
		fail(j, "%s is not an audio file this build can read (%s)", j->dir, sf_strerror(NULL));
		goto out;
	}
	ch = info.channels;
	n = info.frames > 0 ? (uint64_t)info.frames : 0;
	if (import_truncated(j, f))
		goto close;
	if (ch < 1 || ch > 2) {
		fail(j, "%s has %d channels: import takes mono or stereo files", j->dir, ch);
		goto close;
	}
	if (n < 16) {
		fail(j, "%s has %s: nothing to loop", j->dir, n ? "fewer than 16 frames" : "no frames");
		goto close;
	}
	im->frames = (uint64_t)llround((double)n * j->engine_rate / info.samplerate);
	if (im->anchored && im->cycles && !im->stretch) {
		/* only what the cycles hold (and the converter's margin) is read:
		 * a long file cut to a few cycles need not fit the pool */
		double need = ((double)im->cycles * im->cycle + IMPORT_WRAP) * info.samplerate / j->engine_rate + 16;
		if ((double)n > need)
			n = (uint64_t)need;
	}
	if ((double)n * ch * j->engine_rate / info.samplerate > (double)j->max_floats) {
		fail(j, "%s is larger than the whole pool (jackloop --pool-mb)", j->dir);
		goto close;
	}
	x = jl_alloc(n * ch * sizeof(float));
	if (!x) {
		fail(j, "%s: out of memory", j->dir);
		goto close;
	}
	if (sf_readf_float(f, x, (sf_count_t)n) != (sf_count_t)n) {
		fail(j, "%s is truncated or unreadable: %s", j->dir, sf_strerror(f));
		goto close;
	}
	for (i = 0; i < n * ch; i++)
		if (!isfinite(x[i])) {
			fail(j, "%s holds a sample that is not a number (frame %llu): not imported", j->dir,
			     (unsigned long long)(i / ch));
			goto close;
		}
	j->bytes = n * ch * sizeof(float);
	if ((uint32_t)info.samplerate != j->engine_rate) {
		j->s.converted_from = (uint32_t)info.samplerate;
		y = import_convert(j, x, n, ch, &n);
		if (!y)
			goto close;
		jl_free(x);
		x = y;
	}
	/* the track's channels: a mono file on both sides, a stereo one mixed */
	tch = im->channels ? im->channels : ch;
	/* its length: whole cycles of the loop, or the first loop's cycle */
	if (im->anchored) {
		im->fitted = im->cycles ? im->cycles : (uint32_t)((n + im->cycle / 2) / im->cycle);
		if (!im->fitted)
			im->fitted = 1;
		T = im->fitted * im->cycle;
		if (im->stretch && n != T) {
			if (T * ch > j->max_floats) {
				fail(j, "%s: %u cycles are more than the whole pool (jackloop --pool-mb)", j->dir, im->fitted);
				goto close;
			}
			y = import_stretch(j, x, n, ch, T);
			if (!y)
				goto close;
			jl_free(x);
			x = y;
			n = T;
		}
	} else {
		T = n;
		import_beats(j, x, n, ch);
	}
	if (T * tch > j->max_floats) {
		fail(j, "%s: %llu frames of %d channel%s are more than the whole pool (jackloop --pool-mb)", j->dir,
		     (unsigned long long)T, tch, tch == 1 ? "" : "s");
		goto close;
	}
	y = jl_alloc(T * tch * sizeof(float));
	if (!y) {
		fail(j, "%s: out of memory", j->dir);
		goto close;
	}
	for (i = 0; i < T; i++)
		for (c = 0; c < tch; c++) {
			float v = 0.0f;
			if (i < n)
				v = ch == tch ? x[i * ch + c] : ch == 1 ? x[i] : 0.5f * (x[2 * i] + x[2 * i + 1]);
			y[i * tch + c] = v;
		}
	if (n > T) { /* cut: fade out over the seam, so the loop does not click */
		uint64_t fl = im->fade < T ? im->fade : T;
		for (i = 0; i < fl; i++)
			for (c = 0; c < tch; c++)
				y[(T - fl + i) * tch + c] *= (float)(fl - i - 1) / (float)fl;
	}
	j->s.sample_rate = j->engine_rate;
	j->s.cycle = im->anchored ? im->cycle : T;
	j->s.n_layers = 1;
	l->track = im->track;
	l->channels = (uint8_t)tch;
	l->seam_mode = JL_SEAM_XFADE;
	l->gain = 1.0f;
	l->body = l->period = l->data_len = T;
	l->audio = y;
	l->region = -1;
close:
	sf_close(f);
	close(fd);
out:
	jl_free(x);
	atomic_store(&j->done, 1);
	return NULL;
}

int jl_session_import(struct jl_daemon *d, struct jl_req *rq, const char *file, const struct jl_import *opt)
{
	struct jl_sess_job *j;
	struct jl_import im = *opt;
	int rc;
	if (file[0] != '/')
		return jl_say(rq, 2, "'%s': the daemon needs an absolute path (the loopctl CLI makes one)", file);
	if (strlen(file) > 900)
		return jl_say(rq, 2, "the path is too long");
	if (job)
		return busy(rq);
	if ((rc = jl_looper_import_plan(d, rq, &im)))
		return rc;
	j = new_job(d, rq, JOB_IMPORT, file);
	if (!j)
		return jl_say(rq, 1, "out of memory");
	j->im = im;
	return start_reader(d, rq, j, import_thread);
}

/* --- answering ---------------------------------------------------------------- */

static void reply_job(struct jl_daemon *d, struct jl_sess_job *j, json_t *json);

void jl_session_tick(struct jl_daemon *d)
{
	struct jl_sess_job *j = job;
	struct jl_req rq;
	double t = jl_mono_ms();
	int r;
	if (!j)
		return;
	if (j->collecting) {
		collect(d, j);
		account(j, t);
	}
	if (j->fx_stage) {
		int wait = j->s.next_start < j->s.n_layers ? jl_looper_load_start_more(d, &j->s) > 0 : 0;
		if (!wait)
			wait = effects_step(d, j);
		account(j, t);
		if (wait)
			return;
		reply_job(d, j, j->reply);
		return;
	}
	if (!atomic_load(&j->done))
		return;
	memset(&rq, 0, sizeof(rq));
	rq.json = json_object();
	if (j->kind != JOB_SAVE && !j->rc && !j->copying) {
		/* read and checked: reserve the pool, then copy in the background */
		t = jl_mono_ms();
		r = j->kind == JOB_LOAD ? jl_looper_load_prepare(d, &rq, &j->s)
					: jl_looper_import_prepare(d, &rq, &j->s, &j->im);
		account(j, t);
		if (r == JL_SESSION_WAIT) {
			json_decref(rq.json);
			return; /* the old session's voices are still fading out */
		}
		if (r == 0) {
			pthread_join(j->th, NULL);
			j->running = 0;
			j->copying = 1;
			atomic_store(&j->done, 0);
			if (start_thread(j, copy_thread) == 0) {
				json_decref(rq.json);
				return;
			}
			jl_looper_load_abort(d, &j->s);
		} else {
			j->rc = r;
			snprintf(j->msg, sizeof(j->msg), "%s", rq.msg);
		}
	} else if (j->kind == JOB_IMPORT && !j->rc) {
		t = jl_mono_ms();
		j->rc = jl_looper_import_finish(d, &rq, &j->s, &j->im);
		account(j, t);
		snprintf(j->msg, sizeof(j->msg), "%s", rq.msg);
		json_object_set_new(rq.json, "file", json_string(j->dir));
		json_object_set_new(rq.json, "bytes", json_integer((json_int_t)j->bytes));
	} else if (j->kind == JOB_LOAD && !j->rc) {
		t = jl_mono_ms();
		r = jl_looper_load_finish(d, &rq, &j->s);
		account(j, t);
		j->rc = r;
		snprintf(j->msg, sizeof(j->msg), "%s", rq.msg);
		json_object_set_new(rq.json, "bytes", json_integer((json_int_t)j->bytes));
		if (!r) {
			/* the layers play; the effects follow over the next ticks */
			pthread_join(j->th, NULL);
			j->running = 0;
			j->reply = rq.json;
			j->fx_stage = 1;
			return;
		}
	} else if (!j->rc) {
		json_object_set_new(rq.json, "dir", json_string(j->dir));
		json_object_set_new(rq.json, "layers", json_integer(j->s.n_layers));
		json_object_set_new(rq.json, "bytes", json_integer((json_int_t)j->bytes));
		json_object_set(rq.json, "skipped", j->skipped);
		snprintf(j->msg, sizeof(j->msg), "saved %d layer%s (%.1f MB) to %s%s", j->s.n_layers,
			 j->s.n_layers == 1 ? "" : "s", (double)j->bytes / 1048576.0, j->dir,
			 json_array_size(j->skipped) ? "; not saved: layers still recording, or undone and evicted "
						       "while it saved"
						     : "");
	}
	reply_job(d, j, rq.json);
	json_decref(rq.json);
}

/* Answers a job and ends it. */
static void reply_job(struct jl_daemon *d, struct jl_sess_job *j, json_t *json)
{
	const char *cmd = job_name[j->kind];
	if (j->running)
		pthread_join(j->th, NULL);
	/* how long it took, and how long of that the daemon's loop was busy
	 * with it (the rest was the worker and the disk) */
	json_object_set_new(json, "seconds", json_real((jl_mono_ms() - j->t0) / 1e3));
	json_object_set_new(json, "loop_ms", json_real(j->loop_ms));
	json_object_set_new(json, "loop_tick_max_ms", json_real(j->tick_max_ms));
	if (j->has_src) {
		d->osc_errors += j->rc != 0;
		jl_osc_reply_to(d, &j->src, j->rc ? "error" : "ok", cmd, j->msg, j->rc ? NULL : json);
	}
	fprintf(stderr, "loopctl: %s: %s\n", cmd, j->msg);
	free_job(j);
	job = NULL;
	run_waiting(d);
}
