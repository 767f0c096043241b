/* analysis.h - online onset detection and tempo tracking (loopctl, FFTW3).
 *
 * An incremental STFT of a mono stream, positioned in absolute integer
 * frames (sample index, uint64), giving:
 *   - two onset-strength envelopes, both log-magnitude spectral flux on a
 *     logarithmic filterbank with a frequency max-filter (SuperFlux idea):
 *     a fast one (21 ms window) for percussive attacks and a "tonal" one
 *     (85 ms window, novelty against the maximum of the last 150 ms) for
 *     soft, legato note changes under vibrato;
 *   - adaptive peak picking with one hop of look-ahead -> onsets with
 *     the estimated physical onset frame and the frame at which each was
 *     decided (latency bookkeeping);
 *   - a tempogram (exponentially weighted autocorrelation of the envelope)
 *     -> live BPM, confidence and beat phase.
 *
 * Everything is allocated and every FFT plan is made in jl_analysis_create();
 * jl_analysis_feed() never allocates, never plans and never re-analyses the
 * past: each call costs O(n) sample copies plus one FFT per hop completed.
 *
 * Thread: non-RT only (loopctl's poll loop).  An object is not thread-safe;
 * use one object per thread.  FFTW planning (create/destroy) must not run
 * concurrently with other FFTW planning in the process.
 */
#ifndef JL_ANALYSIS_H
#define JL_ANALYSIS_H
#include <stddef.h>
#include <stdint.h>

struct jl_analysis; /* opaque */

/* Tunables.  jl_analysis_config_default() fills sensible values for music
 * in general; callers normally set only rate and max_onset_history_s. */
struct jl_analysis_config {
	uint32_t rate;              /* sample rate, Hz (8000 .. 384000) */
	double max_onset_history_s; /* onsets older than this (relative to the
	                             * newest input) are forgotten; sizes the store */
	/* STFT: 0 = derive from rate (hop ~5.3 ms, windows 4 and 16 hops). */
	uint32_t hop;               /* frames per analysis hop */
	uint32_t win;               /* FFT size of the fast (percussive) detector, >= 2 hops */
	uint32_t win_tonal;         /* FFT size of the tonal detector, >= win; 0 = derive */
	/* onset detection: fast detector (flux vs the max of the last 2 hops) */
	double lambda;              /* log compression: log10(1 + lambda |X|), |X| of a full-scale sine = 1 */
	/* level normalization: lambda is raised (never lowered) so that the
	 * recent peak of the fast window's mean square sits at level_target_db,
	 * by at most level_max_gain_db; the peak decays with level_tau_s */
	double level_target_db, level_max_gain_db, level_tau_s;
	double delta;               /* fixed threshold, per band */
	double alpha;               /* multiple of the local mean added to the threshold */
	double median_k;            /* ... or of the local median, whichever is larger */
	double peak_share;          /* threshold >= this share of the recent (1 s) peak level */
	double ripple_ratio;        /* fast: over sparse flux, not an onset when 2 peaks of the last
	                             * pre_avg_s carried a mass within this ratio of its own (ripple:
	                             * tremolo, beating voices, a low bass's cycles); 0 = off */
	/* tonal detector (novelty vs the recent maximum, longer window) */
	double tonal_lag_s;         /* "recent": the running maximum spans this much */
	double tonal_delta, tonal_alpha, tonal_peak_share; /* (tonal: mean only) */
	double tonal_fall_db;       /* tonal: not an onset while the level falls by more (a release); 0 = off */
	double pre_avg_s;           /* local-mean window before the candidate */
	double pre_max_s;           /* candidate must be the maximum over this past span */
	double min_ioi_s;           /* minimum inter-onset interval (debounce) */
	double merge_s;             /* fast and tonal onsets closer than this are one onset */
	double gate_db;             /* hops quieter than this (dBFS RMS) cannot hold an onset */
	/* tempo */
	double tempo_tau_s;         /* memory of the tempogram (exp. time constant) */
	double min_bpm, max_bpm;    /* search range of the beat period */
	double tempo_update_s;      /* how often the estimate is refreshed */
};

/* Fill *c with defaults for sample rate `rate`.  Never fails. */
void jl_analysis_config_default(struct jl_analysis_config *c, uint32_t rate);

/* Create an analysis object.  Plans the FFTs (FFTW_ESTIMATE, so it is fast
 * and deterministic) and allocates every buffer for the worst case.
 * Thread: non-RT only.  Returns NULL on failure (bad config: EINVAL, no
 * memory: ENOMEM, reported in errno). */
struct jl_analysis *jl_analysis_create(const struct jl_analysis_config *c);

/* Free everything.  Accepts NULL and partially built objects. */
void jl_analysis_destroy(struct jl_analysis *a);

/* Feed n mono samples whose first sample is at absolute frame `frame`.
 * Any chunk size works and gives results identical to any other chunking
 * (the STFT grid is anchored to absolute frames, not to calls).
 *   - contiguous feed: normal case;
 *   - a forward gap of up to one (tonal) window is fed as silence; a
 *     larger gap restarts the stream at `frame`: STFT, pickers and tempo
 *     start afresh (tempo unknown for ~2 s), stored onsets are kept;
 *   - a feed that overlaps already consumed input skips the overlap; a
 *     feed entirely in the past resets the object (jl_analysis_reset) and
 *     starts over at `frame`.
 * Returns the number of NEW onsets emitted by this call (>= 0), or
 * -EINVAL (a == NULL, x == NULL with n > 0).  Never allocates.
 * Thread: non-RT only.  Cost: O(n) copies plus, per completed hop, one
 * 1024- and one 4096-point r2c FFT (48 kHz) and O(bands + tempo lags)
 * arithmetic: ~40 us of CPU per 5.3 ms hop (< 1 % of one core). */
int jl_analysis_feed(struct jl_analysis *a, const float *x, size_t n, uint64_t frame);

struct jl_onset {
	uint64_t frame;      /* absolute frame: best estimate of the physical onset */
	uint64_t decided_at; /* absolute frame of input consumed when it was emitted */
	float strength;      /* onset-function excess over the threshold, > 0 */
	int swell;           /* 1: a slow swell (see jl_analysis_attack_delay()) */
};

/* Copy the stored onsets with frame >= since, oldest first, into out
 * (at most max of them).  Returns the count copied.  Onset frames are
 * strictly increasing.  See jl_analysis_new_onsets() for polling.
 * Thread: same thread as feed. */
size_t jl_analysis_onsets(const struct jl_analysis *a, uint64_t since,
			  struct jl_onset *out, size_t max);

/* Copy the stored onsets that were emitted after input position
 * `decided_after` (decided_at > decided_after), in frame order.  This is how
 * a poller picks up exactly the onsets a feed produced: the tonal detector
 * decides later than the fast one, so a new onset can land before onsets
 * already returned (by at most jl_analysis_max_delay() frames) and a
 * frame-based `since` cursor could skip it.  Returns the count copied. */
size_t jl_analysis_new_onsets(const struct jl_analysis *a, uint64_t decided_after,
			      struct jl_onset *out, size_t max);

/* Upper bound of decided_at - frame for any onset, in frames (a swell's
 * decision comes up to ~0.7 s after its onset). */
uint64_t jl_analysis_max_delay(const struct jl_analysis *a);

/* The same bound for attacks (swell == 0), the onsets that
 * jl_analysis_nearest_onset() snaps to: ~0.2 s. */
uint64_t jl_analysis_attack_delay(const struct jl_analysis *a);

/* Total onsets emitted since create/reset (including forgotten ones). */
uint64_t jl_analysis_onset_count(const struct jl_analysis *a);

/* Nearest strong onset to `frame` within +-window frames.  "Strong" means
 * an attack (not a swell) of at least a quarter of the median strength of
 * the stored attacks, so that a loop boundary snaps to a real attack
 * rather than a ghost note when both are in reach.  Returns 0 and sets
 * *out, or -ENOENT (none in the window), -EINVAL (NULL arguments). */
int jl_analysis_nearest_onset(const struct jl_analysis *a, uint64_t frame,
			      uint64_t window, uint64_t *out);

struct jl_tempo {
	int known;            /* 0: unknown (silence, too little input, no pulse) */
	double bpm;           /* beats per minute (0 when unknown) */
	double confidence;    /* 0..1: salience of the chosen period */
	uint64_t beat_frame;  /* absolute frame of a recent beat (phase) */
	double period_frames; /* beat period in frames (rate * 60 / bpm) */
	/* the bar phase, for bars of per_bar beats (jl_analysis_set_meter()) */
	uint32_t per_bar;     /* beats per bar the phase was sought for */
	int bar_known;        /* 0: no phase (unknown tempo, fewer than 2 bars heard, per_bar 1) */
	uint64_t downbeat_frame; /* a recent downbeat: beat_frame - k period_frames, 0 <= k < per_bar */
	double bar_confidence;   /* 0..1: the best phase's lead over the next best */
	/* the metrical level (jl_analysis_set_level()) */
	int level_set;        /* 1: bpm is at the level the performer set */
	double heard_bpm;     /* the analysis's own level (bpm itself unless level_set) */
};

/* Current tempo estimate (as known from the input fed so far).
 * Thread: same thread as feed. */
void jl_analysis_tempo(const struct jl_analysis *a, struct jl_tempo *out);

#define JL_ANALYSIS_MAX_PER_BAR 16 /* the longest bar the phase is sought for */

/* Beats per bar for the bar phase (jl_tempo's downbeat_frame), 1 ..
 * JL_ANALYSIS_MAX_PER_BAR; default 4.  A change re-reads the phase at once from the history.
 * Returns 0, or -EINVAL.  Thread: same thread as feed. */
int jl_analysis_set_meter(struct jl_analysis *a, uint32_t per_bar);

/* The performer names a downbeat: the beat of the current grid nearest
 * absolute frame `frame` is the one.  It counts like a start heard there
 * (carried along the beats until the tempo changes or is lost, or the
 * meter changes); only a start heard after it outranks it.  Returns 0,
 * -ENOENT (no tempo yet, or bars of one beat), -EINVAL (NULL).
 * Thread: same thread as feed. */
int jl_analysis_set_downbeat(struct jl_analysis *a, uint64_t frame);

/* The performer sets the metrical level: the tempo reported from now on
 * is `factor` times the current one (0.5: half, 2: double, 2/3: the
 * dotted quarter of 6/8 read as quarters, 1/3: read as eighths), and it
 * keeps following the music at that level (as the music speeds up or
 * slows down, and where the analysis's own choice flips between levels)
 * until the tempo is lost (silence, a gap) or the stream restarts.  The
 * beat grid keeps the latest downbeat (where the bar phase is known, named
 * as by jl_analysis_set_downbeat()), else the latest beat.  Returns 0,
 * -ENOENT (no tempo yet), -ERANGE (the new tempo is outside
 * min_bpm..max_bpm), -EINVAL (NULL, factor not > 0, or a new level that
 * is no metrical relative 2^k x 3^j, j in -1..1, of the tempo heard: 2/3
 * of 2/3 is 4/9).
 * Thread: same thread as feed. */
int jl_analysis_set_level(struct jl_analysis *a, double factor);

/* The words the performer names a level with (`tempo WORD`, `analyze
 * --level`): the ratio num/den each scales the tempo by.  Returns 0, or
 * -EINVAL for another word. */
int jl_level_word(const char *word, unsigned *num, unsigned *den);
#define JL_LEVEL_WORDS "half, double, 2/3, 3/2, third, triple"

/* The level set by hand, moved with the analysis's own reading (all
 * periods, in any one unit): the reading went from prev to P.  Where that
 * was a change of the music (flip 0: the tempo drifted, or changed while
 * the rhythm changed its shape), the level moves by the same ratio; where
 * the reading flipped to another metrical level of the same music (flip
 * 1: by a ratio 2^k x 3^j, the rhythm unchanged), the level stays: the
 * relative P x 2^k x 3^j (j in -1..1) nearest it.  The result may lie
 * outside the search range: the analysis keeps it so, and reports
 * jl_level_in_range() of it.  level not > 0: P.  Pure; used by the
 * analysis, exposed for tests. */
double jl_level_map(double level, double prev, double P, int flip);

/* The octave level x 2^k that lies within lo..hi (nearest level), or
 * level itself if none does.  Pure. */
double jl_level_in_range(double level, double lo, double hi);

/* What the analysis does with a level set (*level > 0) at each new
 * reading: *level = jl_level_map(...), kept as moved, in range or not;
 * returns the period reported, jl_level_in_range() of it.  *level not > 0:
 * P, nothing changes.  Pure but for *level. */
double jl_level_follow(double *level, double prev, double P, int flip, double lo, double hi);

/* Beats per cycle a musician would count for a loop of `cycle_frames`,
 * consistent with the current tempo evidence: chooses an integer count
 * (typically 2..32, preferring counts whose beat period lies in a normal
 * tempo range and that match the envelope's periodicity).  Returns 0 and
 * sets *beats, or -ENOENT when there is no usable evidence (silence).
 *
 * How: when the live tempo is known and the cycle is within 3 % of a whole
 * number k of its beat periods, k.  Otherwise, among the counts 1..64 whose
 * beat (cycle / count) lies in [min_bpm, max_bpm], the one whose period has
 * the highest metrical salience in the tempogram (as for the live tempo)
 * weighted by the tempo preference curve (around 120 BPM).  A cycle
 * shorter than one beat at max_bpm gives 1, one longer than 64 beats at
 * min_bpm gives 64.  -ENOENT also before 2 s of input or with fewer than 2
 * onsets in the last 2 tempo_tau_s (the same rule as tempo `known`);
 * -EINVAL for NULL arguments or cycle_frames == 0.  Const, allocates
 * nothing, O(64 x 10) ACF reads.  Thread: same thread as feed. */
int jl_analysis_beats_per_cycle(const struct jl_analysis *a, uint64_t cycle_frames, uint32_t *beats);

/* Analysis hop in frames (the STFT advances by this much; onsets are
 * decided on hop boundaries of the stream's grid).  Feeding in multiples of
 * it is the cheapest, but any chunking gives identical results. */
uint32_t jl_analysis_hop(const struct jl_analysis *a);

/* Absolute frame one past the last sample consumed (0 before any feed). */
uint64_t jl_analysis_position(const struct jl_analysis *a);

/* Forget everything (stream position, onsets, tempo); keeps the plans and
 * buffers.  The next feed starts a new stream at its `frame`. */
void jl_analysis_reset(struct jl_analysis *a);

#endif
