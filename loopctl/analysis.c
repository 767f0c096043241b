/* analysis.c - online onset detection and tempo tracking; see analysis.h.
 *
 * Signal path, once per hop H (~5.3 ms) on the ring of the latest input:
 *
 *   two STFTs (Hann), both advanced every hop:
 *     fast:  N = 4 H (~21 ms), for percussive and plucked attacks;
 *     tonal: N = 16 H (~85 ms), fine frequency resolution for pitch changes.
 *   |X| -> log-spaced triangular filterbank (24 bands/octave, 30 Hz-17 kHz)
 *       -> L_n[b] = log10(1 + lambda E_n[b])
 *     (lambda raised for quiet input: see level_track)
 *
 *   fast flux   f_n = sum_b max(0, L_n[b] - max(M_{n-1}[b], M_{n-2}[b]))
 *   tonal flux  t_n = sum_b max(0, L'_n[b] - max_{k=1..K} M'_{n-k}[b])
 *     where M is L max-filtered over +-1 band (SuperFlux, Boeck & Widmer
 *     2013): vibrato and glides move energy between neighbouring bands and
 *     must not read as new energy.  The tonal flux compares with the
 *     maximum over the last K hops (150 ms, one vibrato period):
 *     tremolo, chorus and bowing re-reach levels seen moments ago, a new
 *     pitch does not.  That suppresses the steady "flux noise" of sustained
 *     strings and pads and keeps their soft, legato note changes.
 *
 *   high flux  f^hi_n = the fast flux over the bands from 6 kHz up only
 *
 *   each function has its own adaptive peak picker, decided one hop after
 *   the peak (look-ahead 1):
 *     o_c > o_{c+1}, o_c >= max(o_{c-pre_max..c-1}),
 *     o_c > max(delta * bands + max(alpha * mean(o_{c-pre_avg..c-1}),
 *                                   median_k * median(o_{c-pre_avg..c-1})),
 *               peak_share * (decaying 1 s maximum of o)),
 *     the hop is above the level gate, c - last >= min_ioi;
 *     fast: not ripple (see is_ripple), tonal: not a release (is_release);
 *     neither where its flux still reaches back before a stream that
 *     starts inside a sound (see pick).
 *   (the median term on the fast function only: where its flux is dense --
 *   sustained pads, noise -- the median is as high as the mean and sets
 *   the higher threshold; after a loud, short spike the mean is raised
 *   and the median is not, so a soft hit right after a loud one is kept
 *   while the spike's decay is still held off by the mean term.)
 *   The high picker (median_k doubled) finds soft hits of shakers, hats
 *   and brushes under a sustained sound: a pad's or a choir's beating
 *   fills the full-band flux, and its local median sets the fast
 *   threshold above a hit 30 dB below it, while above 6 kHz the pad has
 *   next to nothing and the hit stands out.  The doubled median keeps
 *   steady broadband noise, whose few high bands fluctuate more in sum
 *   than the full band's many, from firing it.  It decides one hop later
 *   than the others, so that where the fast picker sees the attack too,
 *   the fast picker's onset (its placement, its strength) is the one kept.
 *   The onset frame is back-tracked from the peak to the start of its rise
 *   and placed where the attack enters the window (a quarter window plus a
 *   quarter hop before that hop's end), then refined on the input itself
 *   to the 1 ms block where the level departs from what came before (see
 *   refine_onset).  Onsets of the pickers whose unrefined frames are
 *   closer than merge_s are one onset (the one decided first is kept).
 *   A fourth detector finds swells, slow attacks that no picker sees
 *   (see swell_hop), where no other onset lies within 100 ms.
 *
 *   tempo: h_n = sum over both functions of max(0, o_n - local mean) /
 *   recent peak (an onset-only envelope in which pads count as much as
 *   drums), centred by a 2 s mean, feeds an exponentially weighted
 *   autocorrelation
 *   R[l] <- d R[l] + y_n y_{n-l} (O(lags) per hop, never recomputed).  Every
 *   tempo_update_s the beat period is chosen among the ACF peaks by a
 *   metrical salience, a tempo preference curve (centred lower for
 *   ringing notes without drums: see pref_centre), the fit to the pattern
 *   period (bar or phrase), a limit of six tatums per beat, between 3:2
 *   relatives the accents, and a kick/snare backbeat (see choose_period
 *   and backbeat), with hysteresis
 *   against flips of metrical level; the phase comes from a comb over the
 *   last periods of h.  The bar phase (which beats are downbeats, for
 *   the looper's beats per bar) weighs the start of the music, the
 *   harmonic change between bars, the kick band and the accents at each
 *   beat (see bar_update).
 *
 * All positions are integer frames; floating point only shapes values.
 */
#include "analysis.h"
#include "jl_alloc.h"

#include <errno.h>
#include <fftw3.h>
#include <math.h>
#include <string.h>

#define NBANDS_PER_OCT 24
#define FMIN_HZ 30.0
#define FMAX_HZ 17000.0
#define ENV_SECONDS 8.0      /* onset-function history (tempo phase comb) */
#define MAX_BACKTRACK_S 0.060
#define REFINE_BLOCK_S 0.001 /* sub-hop refinement: energy blocks of 1 ms, */
#define REFINE_BACK_BLOCKS 20 /* searched from 20 ms before the estimate */
#define REFINE_FWD_BLOCKS 5   /* to 5 ms after it, */
#define REFINE_BG_BLOCKS 10   /* each against the loudest of the 10 before */
#define REFINE_RISE_DB 6.0    /* it: the first to exceed that by this, */
#define REFINE_STEP_DB 0.5    /* then back along the rise (steps of this) */
#define REFINE_BLOCKS (REFINE_BG_BLOCKS + REFINE_BACK_BLOCKS + REFINE_FWD_BLOCKS + 1)
#define MERGE_RECENT 16       /* onsets the merge compares with */
#define HIGH_LO_HZ 6000.0     /* the high picker reads the fast bands from here up */
#define HIGH_MIN_BANDS 8      /* ... if there are this many (else it is off) */
#define RING_MIN_S 0.25       /* the input ring holds at least this much */
#define TEMPO_MIN_S 2.0      /* no tempo before this much continuous input */
#define TEMPO_MIN_ONSETS 2   /* ... nor with fewer onsets within 2 tempo_tau_s */
#define TEMPO_MIN_CONF 0.05  /* normalised ACF at the period */
#define HYST_CHANGE_S 0.5    /* a new tempo must win this long ... */
#define HYST_METRICAL_S 2.0  /* ... and a new metrical level this long, */
#define RECENT_TAU_S 1.0     /* unless the recent ACF (this memory) shows */
#define RECENT_GONE 0.1      /* the old period recurring no more than this */
#define RECENT_HERE 0.3      /* and the new one at least this */
#define CHANGE_SIM 0.85      /* a change: the recent ACF's shape matches the
                              * long one's less than this (cosine), */
#define CHANGE_ONSETS 3      /* with this many onsets in RECENT_TAU_S; */
#define CHANGE_TAU_S 0.5     /* then the long ACF also forgets with this, */
#define CHANGE_HOLD_S 3.0    /* and for this long a new metrical level is
                              * held like a new tempo */
#define YOUNG_S 2.0          /* a reading this young changes level as fast as tempo */
#define PATTERN_MIN_S 2.0    /* the pattern period is sought from here on, */
#define PATTERN_MIN_ACF 0.2  /* needs this normalised ACF to count, */
#define PATTERN_STANDOUT 0.3 /* must exceed it a tatum either side by this share, */
#define PATTERN_TOL 0.04     /* a beat fits it within this share of it, */
#define PATTERN_MISFIT 0.5   /* else the beat's score is scaled by this */
#define TATUM_QUANTILE 0.25  /* the tatum: this quantile of the recent IOIs */
#define TATUM_MIN_IOIS 8     /* ... of at least this many */
#define TATUM_MAX 6.5        /* a beat of more tatums than this is scaled */
#define TATUM_MISFIT 0.5     /* ... by this (6 = 2 x 3, plus half a tatum) */
#define MULTIPLE_HEADROOM 0.25 /* a multiple counts up to the lag's own ACF plus this */
#define HEARD_S 0.5          /* a young stream: a multiple counts once heard this long */
#define HEARD_GAIN_MAX 2.0   /* ... its ACF raised for its missing weight at most this much */
#define ACCENT_CLOSE 0.8     /* a 3:2 relative with this share of the best
                              * one's salience is weighed by its accents */
#define ACCENT_MARGIN 1.15   /* ... the slower grid's accent divided by this
                              * (over the whole envelope history; more over
                              * a shorter one: see accent_margin()) */
#define ACCENT_LOW_W 0.0125  /* ... the kick band's rise in its accent, per dB
                              * (over the whole history only) */
#define BB_SPAN_S 12.0      /* the backbeat reads the onsets of this span */
#define BB_LOW_HZ 150.0     /* kick band: up to this ... */
#define BB_MID_HZ 1000.0    /* ... snare band: from there up to this */
#define BB_POST_HOPS 6      /* an attack's band level: max over this many hops */
#define BB_KICK_DB 6.0      /* a kick's kick band exceeds its snare band by this, */
#define BB_SNARE_DB 3.0     /* a snare's snare band its kick band by this, */
#define BB_RANGE_DB 12.0    /* ... and is within this of the span's loudest */
#define BB_KICK_MID_DB 6.0  /* a kick's snare band is this far below the loudest */
#define BB_SNARE_NEAR_DB 4.0 /* a noise-like attack this close to the loudest
                              * snare band is a snare, whatever its body */
#define BB_DENSE_KICK_DB 2.0     /* the dense-mix pass: a kick's kick band exceeds its
                                  * snare band by this, */
#define BB_DENSE_KICK_RANGE_DB 8.0 /* ... is within this of the span's loudest, */
#define BB_DENSE_KICK_MID_DB 4.0 /* ... and its snare band this far below the loudest; */
#define BB_DENSE_SNARE_RANGE_DB 4.0 /* a snare's snare band within this of the loudest */
#define BB_DENSE_PRE_HOPS 1      /* its attack levels from this many hops before the onset */
#define BB_FLAT_RANGE_DB 4.0     /* the flatness pass: a snare's snare band, a kick's kick
                                  * band within this of the span's loudest */
#define BB_MIN_KICKS 4
#define BB_MIN_SNARES 5
#define BB_TOL 0.04         /* a snare recurs within this share of the period */
#define BB_RECUR 0.6        /* ... for this share of the snares */
#define BB_KICK_TOL 0.06    /* a kick half a period away: within this share */
#define BB_ALT 0.5          /* ... of the period, for this share of the snares */
#define BEAT_SNARE_TOL 0.125 /* the beats within this share of a period of the snares */
#define BEAT_SNAP_S 0.05    /* a beat moves onto an onset this close (and P/8) */
#define BEAT_LOW_W 0.025    /* the beat comb: weight of the kick band's rise, per dB */
#define BEAT_KEEP 0.2       /* the phase moves only to a comb this much stronger */
#define BEAT_KEEP_TOL 0.1   /* ... than the best within this share of a period of the last */
#define DB_SPAN_S 16.0      /* bar phase: the beats of this span are read, */
#define DB_MIN_BARS 2       /* ... at least this many bars of them; */
#define DB_CHROMA_LO_HZ 100.0 /* the chroma of the tonal window from here */
#define DB_CHROMA_HI_HZ 2500.0 /* ... to here; */
#define DB_HARM_W 1.0       /* weights of the harmonic change, */
#define DB_LOW_W 1.0        /* ... of the kick band's rise */
#define DB_LOW_CAP_DB 20.0f /* (the rise counted up to this: after silence it is any size) */
#define DB_ENV_W 0.5        /* ... and of the envelope at each beat; */
#define DB_START_W 1.0      /* ... and of a start: the first onset after a bar of silence */
#define DB_START_GAP_S 2.0  /* (a bar, or this long if longer), */
#define DB_START_RISE_DB 10.0 /* or the stream's first, this much louder than before it */
#define DB_KEEP 0.2         /* the phase moves only to a score this much higher */
#define ART_RING_DBS 25.0   /* notes that fall slower than this ring ... */
#define ART_DAMPED_DBS 40.0 /* ... faster than this are damped (dB/s) */
#define ART_CENTRE_BPM 84.85 /* ringing: the curve's centre, half an octave below 120 */
#define ART_DRUM_FLAT 0.45  /* an attack this flat is noise-like ... */
#define ART_RISE_DB 10.0    /* ... where it is this much louder than before it, */
#define ART_FLAT_RISE 0.15  /* else where it is also this much flatter than that */
#define ART_FLAT_LO_HZ 200.0
#define ART_FLAT_HI_HZ 10000.0
#define ART_DRUM_NOISE 0.55 /* or has this share of its energy outside spectral peaks */
#define ART_DRUM_SHARE 0.5  /* drums: at least this share of the attacks noise-like */
#define ART_PEAK_RATIO 10.0 /* a peak: a local maximum this far (10 dB) above */
#define ART_NEAR_BINS 10    /* ... the mean power of the tonal bins within this */
#define ART_LOBE_BINS 2     /* ... and beyond this (a Hann main lobe) of it */
#define ART_PEAK_S 0.060    /* an attack's level: the loudest hop this long after it */
#define ART_MIN_IOI_S 0.1   /* intervals shorter than this are not read */
#define SPARSE_SPAN_S 12.0  /* sparse material: the onsets of this span, */
#define SPARSE_RATE 1.0     /* if there are fewer than this many per second */
#define SPARSE_MIN 6        /* and at least this many, */
#define SPARSE_TOL_S 0.03   /* give an ACF of onset times, each pair spread this wide */
#define SWELL_LAG_S 0.150   /* swells: each band's level now against its */
#define SWELL_SPAN_S 0.150  /* maximum over this span, ending this long ago; */
#define SWELL_MARGIN 0.3    /* the rise beyond this (log10 units) counts, */
#define SWELL_THR 2.0       /* and a sum over the bands of at least this, */
#define SWELL_REL 0.3       /* or this share of the largest recent swell, */
#define SWELL_THR_MIN 1.0   /* if larger than this (see swell_hop), */
#define SWELL_TAU_S 16.0    /* the largest swell fading with this time constant, */
#define SWELL_PEAK_S 0.100  /* that is the maximum of +-this span is a swell */
#define SWELL_BANDS 8       /* timing: the bands that rose most ... */
#define SWELL_FRAC 0.15     /* ... first rose this share of their rise */
#define SWELL_BACK_S 0.5    /* (searched this far back), */
#define SWELL_PLACE 0.4     /* placed this share of the tonal window before that hop's end */
#define SWELL_MERGE_S 0.100 /* no swell within this of another onset */
#define LEVEL_FIND_S 0.25   /* the start's level placeholder decays this fast (level_track) */
#define PI_D 3.14159265358979323846

enum { DET_FAST, DET_TONAL, NDET };
#define NPICK (NDET + 1) /* and the high picker, on the fast STFT's high bands */
enum onset_kind { ONSET_NOTE, ONSET_SWELL, ONSET_HIGH };

struct band {
	uint32_t lo, len; /* first bin, bin count */
	uint32_t woff;    /* offset of its weights in bw */
};

/* One STFT + filterbank + band-level history. */
struct stft {
	uint32_t win, nbins, nbands;
	float *hann, *fin, *mag;
	fftwf_complex *fout;
	fftwf_plan plan;
	struct band *bands;
	float *bw;
	uint32_t hist;  /* rows kept of mlev */
	float *lev;     /* nbands: L_n */
	float *mlev;    /* hist * nbands: M_n (band max-filtered L) */
	float *rmax;    /* nbands scratch: running max */
};

/* One adaptive peak picker over an onset function. */
struct picker {
	float *odf;          /* envn ring */
	double delta, alpha;
	double median_k;     /* 0 = mean only */
	uint32_t win;        /* FFT size of its STFT (onset placement) */
	uint32_t back;       /* hops before its hop that its flux compares with (novelty's K) */
	uint64_t last; int have_last;
	double gamma;        /* threshold share of the recent peak level */
	double ripple;       /* ripple_ratio (fast picker), else 0 */
	double fall_db;      /* tonal_fall_db (tonal picker), else 0 */
	double peak;         /* decaying maximum of the onset function */
	uint32_t lag;        /* hops its decision waits beyond the look-ahead */
	enum onset_kind kind; /* what its onsets are stored as (ONSET_NOTE or ONSET_HIGH) */
};

struct jl_analysis {
	struct jl_analysis_config cfg;
	uint32_t hop;
	struct stft st[NDET];
	struct picker pk[NDET];
	struct picker hi;   /* the fast flux over the bands from hi_from up */
	uint32_t hi_from;   /* first band of the fast STFT at or above HIGH_LO_HZ */
	uint32_t tonal_k;   /* running-max span of the tonal flux, hops */
	double peak_decay;  /* per hop, of the pickers' peak level */
	/* input ring: the last `rlen` samples */
	float *ring;
	uint32_t rlen, ring_w, fill;
	uint32_t rblk; /* refinement block (frames) */
	uint64_t origin;    /* absolute frame of the stream start (STFT grid anchor) */
	uint64_t pos;       /* absolute frame one past the last consumed sample */
	int started;
	int start_heard;    /* the stream's first block is above the gate (see pick) */
	uint64_t nframes;   /* hops processed since origin */
	/* per-hop history rings (envn entries) */
	uint32_t envn;
	float *rms_db;
	float *rise;        /* the fast flux's largest band rise (see is_ripple()) */
	float *tenv;        /* tempo envelope h_n */
	float *ybuf;        /* centred tempo envelope */
	uint32_t pre_avg, pre_max, min_ioi, max_back, merge;
	float *medbuf;      /* pre_avg scratch values for the local median */
	/* onsets, sorted by frame */
	struct jl_onset *ons;
	float *ioi;         /* scratch: inter-onset intervals of the tempo span, frames */
	double pref_bpm;    /* centre of the preference curve for this choice */
	double art_drums;   /* share of drum-like attacks (articulation()) */
	size_t ioi_cap;
	size_t ons_cap, ons_head, ons_cnt;
	/* the unrefined frames of the last MERGE_RECENT stored onsets, for
	 * the merge of the pickers' detections (ring) */
	uint64_t merge_recent[MERGE_RECENT];
	uint32_t merge_w, merge_cnt;
	uint64_t ons_total;
	double str_logmean; int str_init;
	/* tempo */
	uint32_t lmin, lmax, nlag;  /* beat lag range; ACF lags 0..nlag-1 */
	uint32_t pat_lo;            /* shortest lag of a pattern period */
	double *acf;
	double *eacf;       /* sparse material: ACF of onset times, lags 0..nlag-1 */
	double *racf;       /* recent ACF (memory RECENT_TAU_S), lags 0..lmax+2 */
	double rdecay;
	double tdecay, ymean, ymean_a;
	double cdecay;      /* extra forgetting of the long ACF in a change */
	int changing;       /* a change is under way: the long ACF forgets fast */
	int changed;        /* a change was seen, at update hop change_n */
	uint64_t change_n;
	uint64_t change_from; /* frame: the latest change began about here */
	uint32_t change_hold; /* CHANGE_HOLD_S in hops */
	uint32_t young;       /* YOUNG_S in hops */
	uint64_t known_n;     /* the hop at which the tempo became known */
	int sparse;         /* the last period came from sparse_period() */
	uint32_t tupdate;
	double period;      /* hops, at the level reported; 0 = none */
	double own;         /* hops: the analysis's own choice (hysteresis); 0 = none */
	double level;       /* hops: the level the performer set (jl_analysis_set_level()); 0 = none */
	double conf;
	uint64_t beat_frame;
	uint64_t beat_hop;  /* the comb's latest beat, hop (valid while tknown) */
	int tknown;
	size_t bb_named;    /* snares in bb_snare[] behind backbeat()'s last answer (0: none) */
	double bb_beat;     /* ... the beat it named, hops */
	double cand_period; uint32_t cand_count; /* octave-flip hysteresis */
	/* backbeat: kick- and snare-band levels per hop (bbn rows), and
	 * scratch lists of the kick and snare frames of the span */
	uint32_t bbn, bb_lo[2], bb_mid[2]; /* ring rows; bin ranges [a, b) */
	float *bb_low_db, *bb_mid_db;
	float *flat;        /* bbn rows: spectral flatness of the fast window */
	float *low_rise;    /* envn rows: the kick band's rise over its last 3 hops, dB (>= 0) */
	uint32_t fl_lo, fl_hi; /* its bins [lo, hi) */
	float *fl_db;       /* bbn rows: the fast window's level in those bins (dB) */
	float *noise;       /* bbn rows: the tonal window's energy share outside peaks */
	uint32_t tn_lo, tn_hi; /* its bins [lo, hi) */
	uint32_t tn_off;    /* hops from an attack's first fast window to its first tonal one */
	double *pcum;       /* tonal nbins + 1 scratch: prefix sums of the power */
	uint64_t *bb_kick, *bb_snare;
	size_t bb_cap;
	uint32_t hyst_change, hyst_metrical;     /* in tempo updates */
	/* swells (see swell_hop): the tonal band levels of the last swn
	 * hops, the swell function of those hops, and scratch */
	uint32_t swn, sw_lag, sw_span, sw_peak, sw_back, sw_merge;
	float *sw_lev, *sw_s, *sw_ref;
	float *sw_pre, *sw_suf; /* swn rows: running maxima within blocks of sw_span + 1 rows */
	double sw_big, sw_decay; /* the largest recent swell, fading by sw_decay a hop */
	/* level normalization (see level_track) */
	double lvl_peak;    /* peak-held mean square of the fast window */
	double lvl_target, lvl_max_gain, lvl_decay, lvl_find;
	int lvl_found; /* the input has reached the peak (else it is the start's placeholder) */
	double lam;         /* lambda for this hop */
	uint32_t sw_top[SWELL_BANDS];
	/* bar phase (see bar_update): per hop over DB_SPAN_S, the chroma of
	 * the tonal window, the kick band's rise and the envelope h */
	uint32_t dbn, db_lo, db_hi; /* ring rows; tonal bins [lo, hi) */
	uint8_t *db_pc;     /* the pitch class of each of those bins */
	float *db_chroma;   /* dbn rows of 12 */
	float *db_low, *db_env;
	double *db_feat;    /* scratch: db_cap beats x 3 features */
	float *db_win;      /* scratch: db_cap beat chromas of 12 */
	uint32_t db_cap;
	uint32_t per_bar;   /* beats per bar (jl_analysis_set_meter) */
	int bar_known, bar_held;
	int first_done;     /* the stream's first onset was seen: first_start says */
	int first_start;    /* ... whether it starts the music (see first_onset()) */
	int db_start;       /* a start was heard since the latest change ... */
	uint64_t db_start_hop; /* ... and puts a bar line at this hop */
	int db_told;        /* the start is one the performer named (set_downbeat) ... */
	uint64_t db_told_frame; /* ... at this frame: only a start heard after it outranks it */
	uint64_t bar_hop;   /* the latest downbeat's hop (valid while bar_held) */
	uint64_t bar_frame; /* ... on the grid of beat_frame */
	double bar_conf;
};

/* ------------------------------------------------------------------ config */

void jl_analysis_config_default(struct jl_analysis_config *c, uint32_t rate)
{
	memset(c, 0, sizeof(*c));
	c->rate = rate;
	c->max_onset_history_s = 600.0;
	c->lambda = 1000.0;
	c->level_target_db = -20.0;
	c->level_max_gain_db = 24.0;
	c->level_tau_s = 2.0;
	c->delta = 0.010;
	c->alpha = 1.0;
	c->median_k = 2.0;
	c->peak_share = 0.05;
	c->ripple_ratio = 0.5;
	c->tonal_lag_s = 0.150;
	c->tonal_delta = 0.001;
	c->tonal_alpha = 2.0;
	c->tonal_peak_share = 0.2;
	c->tonal_fall_db = 6.0;
	c->pre_avg_s = 0.100;
	c->pre_max_s = 0.030;
	c->min_ioi_s = 0.030;
	c->merge_s = 0.050;
	c->gate_db = -70.0;
	c->tempo_tau_s = 3.0;
	c->min_bpm = 40.0;
	c->max_bpm = 240.0;
	c->tempo_update_s = 0.1;
}

static uint32_t derive_hop(uint32_t rate)
{
	/* power of two nearest to 5.33 ms: 256 at 44.1/48 kHz, 512 at 96 kHz */
	double h = (double)rate / 187.5;
	uint32_t p = 16;
	while (p < 65536 && (double)p * 1.41421356 < h)
		p <<= 1;
	return p;
}

/* ------------------------------------------------------------------ lifecycle */

static void stft_free(struct stft *s)
{
	if (s->plan)
		fftwf_destroy_plan(s->plan);
	jl_free(s->hann);
	jl_free(s->fin);
	jl_free(s->mag);
	jl_free(s->fout);
	jl_free(s->bands);
	jl_free(s->bw);
	jl_free(s->lev);
	jl_free(s->mlev);
	jl_free(s->rmax);
}

void jl_analysis_destroy(struct jl_analysis *a)
{
	if (!a)
		return;
	for (int d = 0; d < NDET; d++) {
		stft_free(&a->st[d]);
		jl_free(a->pk[d].odf);
	}
	jl_free(a->hi.odf);
	jl_free(a->ring);
	jl_free(a->rms_db);
	jl_free(a->rise);
	jl_free(a->tenv);
	jl_free(a->low_rise);
	jl_free(a->ybuf);
	jl_free(a->ons);
	jl_free(a->ioi);
	jl_free(a->bb_low_db);
	jl_free(a->flat);
	jl_free(a->noise);
	jl_free(a->fl_db);
	jl_free(a->pcum);
	jl_free(a->bb_mid_db);
	jl_free(a->bb_kick);
	jl_free(a->bb_snare);
	jl_free(a->acf);
	jl_free(a->medbuf);
	jl_free(a->racf);
	jl_free(a->eacf);
	jl_free(a->sw_lev);
	jl_free(a->sw_s);
	jl_free(a->sw_ref);
	jl_free(a->sw_pre);
	jl_free(a->sw_suf);
	jl_free(a->db_pc);
	jl_free(a->db_chroma);
	jl_free(a->db_low);
	jl_free(a->db_env);
	jl_free(a->db_feat);
	jl_free(a->db_win);
	jl_free(a);
}

/* Log-spaced triangular filterbank.  Centre bins are unique (low bands
 * narrower than one bin merge), each filter spans the neighbouring centres
 * and sums to 1.  Returns 0 or -errno. */
static int build_bands(struct stft *s, uint32_t rate)
{
	double binhz = (double)rate / s->win;
	double fmax = FMAX_HZ < 0.45 * rate ? FMAX_HZ : 0.45 * rate;
	uint32_t cent[512];
	uint32_t nc = 0;
	for (int k = 0; nc < 512; k++) {
		double f = FMIN_HZ * pow(2.0, (double)k / NBANDS_PER_OCT);
		if (f > fmax)
			break;
		long b = lround(f / binhz);
		if (b < 1)
			b = 1;
		if (b >= (long)s->nbins - 1)
			break;
		if (nc && (uint32_t)b <= cent[nc - 1])
			continue;
		cent[nc++] = (uint32_t)b;
	}
	if (nc < 5)
		return -EINVAL;
	s->nbands = nc - 2;
	s->bands = jl_calloc(s->nbands, sizeof(*s->bands));
	if (!s->bands)
		return -ENOMEM;
	uint32_t total = 0;
	for (uint32_t i = 0; i < s->nbands; i++) {
		s->bands[i].lo = cent[i];
		s->bands[i].len = cent[i + 2] - cent[i] + 1;
		s->bands[i].woff = total;
		total += s->bands[i].len;
	}
	s->bw = jl_calloc(total, sizeof(float));
	if (!s->bw)
		return -ENOMEM;
	for (uint32_t i = 0; i < s->nbands; i++) {
		double lo = cent[i], c = cent[i + 1], hi = cent[i + 2], sum = 0;
		const struct band *bd = &s->bands[i];
		for (uint32_t j = 0; j < bd->len; j++) {
			double b = lo + j;
			double w = b <= c ? (b - lo) / (c - lo) : (hi - b) / (hi - c);
			s->bw[bd->woff + j] = (float)(w > 0 ? w : 0);
			sum += w > 0 ? w : 0;
		}
		for (uint32_t j = 0; j < bd->len; j++)
			s->bw[bd->woff + j] = (float)(s->bw[bd->woff + j] / sum);
	}
	return 0;
}

/* Returns 0 or -errno. */
static int stft_init(struct stft *s, uint32_t win, uint32_t rate, uint32_t hist)
{
	s->win = win;
	s->nbins = win / 2 + 1;
	s->hist = hist;
	s->hann = jl_calloc(win, sizeof(float));
	s->fin = jl_calloc(win, sizeof(float));
	s->mag = jl_calloc(s->nbins, sizeof(float));
	s->fout = jl_calloc(s->nbins, sizeof(fftwf_complex));
	if (!s->hann || !s->fin || !s->mag || !s->fout)
		return -ENOMEM;
	int r = build_bands(s, rate);
	if (r < 0)
		return r;
	s->lev = jl_calloc(s->nbands, sizeof(float));
	s->mlev = jl_calloc((size_t)hist * s->nbands, sizeof(float));
	s->rmax = jl_calloc(s->nbands, sizeof(float));
	if (!s->lev || !s->mlev || !s->rmax)
		return -ENOMEM;
	for (uint32_t i = 0; i < win; i++)
		s->hann[i] = (float)(0.5 - 0.5 * cos(2.0 * PI_D * (i + 0.5) / win));
	/* FFTW gives no reason for a failed plan; memory is the plausible one */
	s->plan = fftwf_plan_dft_r2c_1d((int)win, s->fin, s->fout, FFTW_ESTIMATE);
	return s->plan ? 0 : -ENOMEM;
}

static uint32_t secs_to_hops(const struct jl_analysis *a, double s)
{
	double h = s * a->cfg.rate / a->hop;
	return h < 1.0 ? 1u : (uint32_t)lround(h);
}

static int config_ok(const struct jl_analysis_config *c)
{
	return c && c->rate >= 8000 && c->rate <= 384000 &&
	       c->max_onset_history_s > 0 && c->max_onset_history_s <= 1e6 &&
	       c->min_ioi_s > 0 && c->min_ioi_s < 10 && c->merge_s >= 0 && c->merge_s < 10 &&
	       c->min_bpm >= 20 && c->max_bpm > 1.5 * c->min_bpm && c->max_bpm <= 1000 &&
	       c->tempo_tau_s > 0 && c->tempo_update_s > 0 && c->lambda > 0 &&
	       c->pre_avg_s > 0 && c->pre_avg_s < 10 && c->pre_max_s >= 0 && c->pre_max_s < 10 &&
	       c->tonal_lag_s > 0 && c->tonal_lag_s < 10 &&
	       c->alpha >= 0 && c->median_k >= 0 && c->tonal_alpha >= 0 && c->delta >= 0 && c->tonal_delta >= 0 &&
	       c->peak_share >= 0 && c->peak_share < 1 &&
	       c->tonal_peak_share >= 0 && c->tonal_peak_share < 1 &&
	       c->ripple_ratio >= 0 && c->ripple_ratio < 1 && c->tonal_fall_db >= 0 &&
	       c->level_target_db >= -100 && c->level_target_db <= 0 &&
	       c->level_max_gain_db >= 0 && c->level_max_gain_db <= 60 &&
	       c->level_tau_s > 0 && c->level_tau_s < 1000;
}

struct jl_analysis *jl_analysis_create(const struct jl_analysis_config *c)
{
	struct jl_analysis *a = NULL;
	int err = EINVAL, r;

	if (!config_ok(c))
		goto fail;
	err = ENOMEM;
	a = jl_calloc(1, sizeof(*a));
	if (!a)
		goto fail;
	a->cfg = *c;
	a->hop = c->hop ? c->hop : derive_hop(c->rate);
	uint32_t wf = c->win ? c->win : 4 * a->hop;
	uint32_t wt = c->win_tonal ? c->win_tonal : 16 * a->hop;
	err = EINVAL;
	if (a->hop < 16 || a->hop > 65536 || wf < 2 * a->hop || wt < wf || wt > (1u << 20))
		goto fail;
	a->tonal_k = secs_to_hops(a, c->tonal_lag_s);
	r = stft_init(&a->st[DET_FAST], wf, c->rate, 8);
	if (r == 0)
		r = stft_init(&a->st[DET_TONAL], wt, c->rate, a->tonal_k + 1);
	if (r < 0) {
		err = -r;
		goto fail;
	}
	a->pk[DET_FAST].delta = c->delta * a->st[DET_FAST].nbands;
	a->pk[DET_FAST].alpha = c->alpha;
	a->pk[DET_FAST].median_k = c->median_k;
	a->pk[DET_FAST].win = wf;
	a->pk[DET_FAST].back = 2;
	a->pk[DET_TONAL].delta = c->tonal_delta * a->st[DET_TONAL].nbands;
	a->pk[DET_TONAL].alpha = c->tonal_alpha;
	a->pk[DET_TONAL].win = wt;
	a->pk[DET_TONAL].back = a->tonal_k;
	a->pk[DET_FAST].gamma = c->peak_share;
	a->pk[DET_TONAL].gamma = c->tonal_peak_share;
	a->pk[DET_FAST].ripple = c->ripple_ratio;
	a->pk[DET_TONAL].fall_db = c->tonal_fall_db;
	{
		const struct stft *fs = &a->st[DET_FAST];
		const double binhz = (double)c->rate / wf;
		a->hi_from = 0;
		while (a->hi_from < fs->nbands && fs->bands[a->hi_from].lo * binhz < HIGH_LO_HZ)
			a->hi_from++;
		if (fs->nbands - a->hi_from < HIGH_MIN_BANDS)
			a->hi_from = fs->nbands; /* too few: the high picker is off */
		a->hi.delta = c->delta * (fs->nbands - a->hi_from);
		a->hi.alpha = c->alpha;
		a->hi.median_k = 2.0 * c->median_k;
		a->hi.win = wf;
		a->hi.back = a->pk[DET_FAST].back;
		a->hi.gamma = c->peak_share;
		a->hi.lag = 1;
		a->hi.kind = ONSET_HIGH;
	}
	a->peak_decay = exp(-(double)a->hop / (1.0 * c->rate));

	a->rlen = wt;
	if (a->rlen < (uint32_t)ceil(RING_MIN_S * c->rate))
		a->rlen = (uint32_t)ceil(RING_MIN_S * c->rate);
	a->rblk = (uint32_t)lround(REFINE_BLOCK_S * c->rate);
	if (a->rblk < 1)
		a->rblk = 1;
	a->pre_avg = secs_to_hops(a, c->pre_avg_s);
	a->pre_max = secs_to_hops(a, c->pre_max_s);
	a->min_ioi = secs_to_hops(a, c->min_ioi_s);
	a->max_back = secs_to_hops(a, MAX_BACKTRACK_S);
	a->merge = (uint32_t)lround(c->merge_s * c->rate);
	a->lmin = (uint32_t)floor(60.0 * c->rate / (c->max_bpm * a->hop));
	a->lmax = (uint32_t)ceil(60.0 * c->rate / (c->min_bpm * a->hop));
	if (a->lmin < 2)
		a->lmin = 2;
	a->nlag = 4 * a->lmax + 2; /* salience() reads the ACF up to 4 lmax */
	a->pat_lo = secs_to_hops(a, PATTERN_MIN_S);
	{
		uint32_t need = secs_to_hops(a, ENV_SECONDS);
		if (need < a->nlag + 4)
			need = a->nlag + 4;
		if (need < a->pre_avg + a->max_back + 4)
			need = a->pre_avg + a->max_back + 4;
		a->envn = need;
	}
	err = ENOMEM;
	a->ring = jl_calloc(a->rlen, sizeof(float));
	a->rms_db = jl_calloc(a->envn, sizeof(float));
	a->rise = jl_calloc(a->envn, sizeof(float));
	a->tenv = jl_calloc(a->envn, sizeof(float));
	a->low_rise = jl_calloc(a->envn, sizeof(float));
	a->ybuf = jl_calloc(a->envn, sizeof(float));
	a->acf = jl_calloc(a->nlag, sizeof(double));
	a->medbuf = jl_calloc(a->pre_avg, sizeof(float));
	a->racf = jl_calloc(a->lmax + 3, sizeof(double));
	a->eacf = jl_calloc(a->nlag, sizeof(double));
	if (!a->ring || !a->rms_db || !a->rise || !a->tenv || !a->low_rise || !a->ybuf || !a->acf || !a->racf ||
	    !a->medbuf || !a->eacf)
		goto fail;
	for (int d = 0; d < NDET; d++) {
		a->pk[d].odf = jl_calloc(a->envn, sizeof(float));
		if (!a->pk[d].odf)
			goto fail;
	}
	a->hi.odf = jl_calloc(a->envn, sizeof(float));
	if (!a->hi.odf)
		goto fail;
	/* swells: levels for the reference span or the timing search,
	 * whichever reaches further back, plus the peak's look-ahead */
	a->sw_lag = secs_to_hops(a, SWELL_LAG_S);
	a->sw_span = secs_to_hops(a, SWELL_SPAN_S);
	a->sw_peak = secs_to_hops(a, SWELL_PEAK_S);
	a->sw_back = secs_to_hops(a, SWELL_BACK_S);
	a->sw_merge = (uint32_t)lround(SWELL_MERGE_S * c->rate);
	a->sw_decay = exp(-(double)a->hop / (SWELL_TAU_S * c->rate));
	a->swn = (a->sw_lag + a->sw_span > a->sw_back ? a->sw_lag + a->sw_span : a->sw_back) + a->sw_peak + 2;
	a->sw_lev = jl_calloc((size_t)a->swn * a->st[DET_TONAL].nbands, sizeof(float));
	a->sw_s = jl_calloc(a->swn, sizeof(float));
	a->sw_ref = jl_calloc(a->st[DET_TONAL].nbands, sizeof(float));
	a->sw_pre = jl_calloc((size_t)a->swn * a->st[DET_TONAL].nbands, sizeof(float));
	a->sw_suf = jl_calloc((size_t)a->swn * a->st[DET_TONAL].nbands, sizeof(float));
	if (!a->sw_lev || !a->sw_s || !a->sw_ref || !a->sw_pre || !a->sw_suf)
		goto fail;
	/* worst case: one onset per min_ioi from each picker, one swell per
	 * SWELL_PEAK_S */
	a->ons_cap = (size_t)ceil(NPICK * c->max_onset_history_s / c->min_ioi_s +
				  c->max_onset_history_s / SWELL_PEAK_S) + 8;
	a->ons = jl_calloc(a->ons_cap, sizeof(*a->ons));
	/* the tatum reads the intervals of the last 2 tempo_tau_s */
	a->ioi_cap = (size_t)ceil(NPICK * 2.0 * c->tempo_tau_s / c->min_ioi_s +
				  2.0 * c->tempo_tau_s / SWELL_PEAK_S) + 8;
	a->ioi = jl_calloc(a->ioi_cap, sizeof(*a->ioi));
	if (!a->ons || !a->ioi)
		goto fail;
	/* backbeat: band levels for the span plus the hops an attack takes */
	a->bbn = secs_to_hops(a, BB_SPAN_S) + BB_POST_HOPS + 2;
	a->bb_cap = (size_t)ceil(NPICK * BB_SPAN_S / c->min_ioi_s + BB_SPAN_S / SWELL_PEAK_S) + 8;
	{
		double binhz = (double)c->rate / wf;
		uint32_t nb = a->st[DET_FAST].nbins;
		uint32_t e[3] = { (uint32_t)ceil(FMIN_HZ / binhz), (uint32_t)ceil(BB_LOW_HZ / binhz),
				  (uint32_t)ceil(BB_MID_HZ / binhz) };
		for (int i = 0; i < 3; i++)
			if (e[i] > nb)
				e[i] = nb;
		a->bb_lo[0] = e[0];
		a->bb_lo[1] = e[1];
		a->bb_mid[0] = e[1];
		a->bb_mid[1] = e[2];
		a->fl_lo = (uint32_t)ceil(ART_FLAT_LO_HZ / binhz);
		a->fl_hi = (uint32_t)ceil(ART_FLAT_HI_HZ / binhz);
		if (a->fl_hi > nb)
			a->fl_hi = nb;
		if (a->fl_lo + 1 > a->fl_hi)
			a->fl_lo = a->fl_hi > 1 ? a->fl_hi - 1 : 0;
		/* the tonal window's bins, with ART_NEAR_BINS to spare on each side */
		const uint32_t tb = a->st[DET_TONAL].nbins, m = ART_NEAR_BINS + 1;
		double tz = (double)c->rate / wt;
		a->tn_lo = (uint32_t)ceil(ART_FLAT_LO_HZ / tz);
		a->tn_hi = (uint32_t)ceil(ART_FLAT_HI_HZ / tz);
		if (a->tn_lo < m)
			a->tn_lo = m;
		if (a->tn_hi + m > tb)
			a->tn_hi = tb > m ? tb - m : 0;
		if (a->tn_lo > a->tn_hi)
			a->tn_lo = a->tn_hi;
		a->tn_off = wt > wf ? (wt - wf) / a->hop : 0;
		a->db_lo = (uint32_t)ceil(DB_CHROMA_LO_HZ / tz);
		a->db_hi = (uint32_t)ceil(DB_CHROMA_HI_HZ / tz);
		if (a->db_hi > tb)
			a->db_hi = tb;
		if (a->db_lo < 1)
			a->db_lo = 1;
		if (a->db_lo > a->db_hi)
			a->db_lo = a->db_hi;
	}
	a->flat = jl_calloc(a->bbn, sizeof(float));
	a->noise = jl_calloc(a->bbn, sizeof(float));
	a->fl_db = jl_calloc(a->bbn, sizeof(float));
	a->pcum = jl_calloc(a->st[DET_TONAL].nbins + 1, sizeof(double));
	a->bb_low_db = jl_calloc(a->bbn, sizeof(float));
	a->bb_mid_db = jl_calloc(a->bbn, sizeof(float));
	a->bb_kick = jl_calloc(a->bb_cap, sizeof(uint64_t));
	a->bb_snare = jl_calloc(a->bb_cap, sizeof(uint64_t));
	if (!a->bb_low_db || !a->bb_mid_db || !a->bb_kick || !a->bb_snare || !a->flat || !a->noise || !a->pcum || !a->fl_db)
		goto fail;
	/* bar phase: the span plus two beats at min_bpm (the windows before
	 * the oldest beat read) */
	a->dbn = secs_to_hops(a, DB_SPAN_S) + 2 * a->lmax + 4;
	a->db_cap = (uint32_t)ceil(DB_SPAN_S * c->max_bpm / 60.0) + 4;
	a->db_pc = jl_calloc(a->db_hi - a->db_lo + 1, 1);
	a->db_chroma = jl_calloc((size_t)a->dbn * 12, sizeof(float));
	a->db_low = jl_calloc(a->dbn, sizeof(float));
	a->db_env = jl_calloc(a->dbn, sizeof(float));
	a->db_feat = jl_calloc((size_t)a->db_cap * 3, sizeof(double));
	a->db_win = jl_calloc((size_t)a->db_cap * 12, sizeof(float));
	if (!a->db_pc || !a->db_chroma || !a->db_low || !a->db_env || !a->db_feat || !a->db_win)
		goto fail;
	for (uint32_t k = a->db_lo; k < a->db_hi; k++) {
		/* the nearest pitch class: 0 = C (A = 440 Hz is class 9) */
		double st = 12.0 * log2((double)k * c->rate / wt / 440.0) + 9.0;
		long pc = lround(st) % 12;
		a->db_pc[k - a->db_lo] = (uint8_t)(pc < 0 ? pc + 12 : pc);
	}
	a->per_bar = 4;
	a->lvl_target = pow(10.0, c->level_target_db / 10.0);
	a->lvl_max_gain = pow(10.0, c->level_max_gain_db / 20.0);
	a->lvl_decay = exp(-(double)a->hop / (c->level_tau_s * c->rate));
	a->lvl_find = exp(-(double)a->hop / (LEVEL_FIND_S * c->rate));
	a->tdecay = exp(-(double)a->hop / (c->tempo_tau_s * c->rate));
	a->rdecay = exp(-(double)a->hop / (RECENT_TAU_S * c->rate));
	a->cdecay = exp(-(double)a->hop / (CHANGE_TAU_S * c->rate));
	a->change_hold = secs_to_hops(a, CHANGE_HOLD_S);
	a->young = secs_to_hops(a, YOUNG_S);
	a->ymean_a = 1.0 - exp(-(double)a->hop / (2.0 * c->rate));
	a->tupdate = secs_to_hops(a, c->tempo_update_s);
	a->hyst_change = (uint32_t)ceil(HYST_CHANGE_S / c->tempo_update_s);
	a->hyst_metrical = (uint32_t)ceil(HYST_METRICAL_S / c->tempo_update_s);
	jl_analysis_reset(a);
	return a;
fail:
	jl_analysis_destroy(a);
	errno = err;
	return NULL;
}

/* Restart the stream state (STFT, pickers, tempo); onsets are kept. */
static void reset_stream(struct jl_analysis *a)
{
	memset(a->ring, 0, a->rlen * sizeof(float));
	for (int d = 0; d < NDET; d++) {
		struct stft *s = &a->st[d];
		memset(s->mlev, 0, (size_t)s->hist * s->nbands * sizeof(float));
		memset(a->pk[d].odf, 0, a->envn * sizeof(float));
		a->pk[d].have_last = 0;
		a->pk[d].peak = 0;
	}
	memset(a->hi.odf, 0, a->envn * sizeof(float));
	a->hi.have_last = 0;
	a->hi.peak = 0;
	for (uint32_t i = 0; i < a->envn; i++)
		a->rms_db[i] = -200.0f;
	memset(a->rise, 0, a->envn * sizeof(float));
	memset(a->tenv, 0, a->envn * sizeof(float));
	memset(a->low_rise, 0, a->envn * sizeof(float));
	memset(a->ybuf, 0, a->envn * sizeof(float));
	memset(a->acf, 0, a->nlag * sizeof(double));
	memset(a->racf, 0, (a->lmax + 3) * sizeof(double));
	memset(a->sw_lev, 0, (size_t)a->swn * a->st[DET_TONAL].nbands * sizeof(float));
	memset(a->sw_s, 0, a->swn * sizeof(float));
	memset(a->sw_pre, 0, (size_t)a->swn * a->st[DET_TONAL].nbands * sizeof(float));
	memset(a->sw_suf, 0, (size_t)a->swn * a->st[DET_TONAL].nbands * sizeof(float));
	a->sw_big = SWELL_THR / SWELL_REL; /* the full threshold until swells are heard */
	for (uint32_t i = 0; i < a->bbn; i++) {
		a->bb_low_db[i] = a->bb_mid_db[i] = -200.0f;
		a->flat[i] = 0.0f;
		a->noise[i] = 1.0f;
		a->fl_db[i] = -200.0f;
	}
	a->ring_w = 0;
	a->fill = 0;
	a->nframes = 0;
	a->lvl_peak = a->lvl_target; /* unit gain until the input is heard (level_track) */
	a->lvl_found = 0;
	a->ymean = 0;
	a->period = 0;
	a->own = 0;
	a->level = 0;
	a->conf = 0;
	a->tknown = 0;
	a->cand_period = 0;
	a->cand_count = 0;
	a->changing = 0;
	a->changed = 0;
	a->change_n = 0;
	a->change_from = 0;
	a->sparse = 0;
	memset(a->db_chroma, 0, (size_t)a->dbn * 12 * sizeof(float));
	memset(a->db_low, 0, a->dbn * sizeof(float));
	memset(a->db_env, 0, a->dbn * sizeof(float));
	a->bar_known = 0;
	a->bar_held = 0;
	a->db_start = 0;
	a->db_told = 0;
	a->first_done = 0;
	a->first_start = 0;
}

void jl_analysis_reset(struct jl_analysis *a)
{
	if (!a)
		return;
	reset_stream(a);
	a->started = 0;
	a->origin = 0;
	a->pos = 0;
	a->ons_head = 0;
	a->ons_cnt = 0;
	a->ons_total = 0;
	a->merge_w = 0;
	a->merge_cnt = 0;
	a->str_init = 0;
	a->str_logmean = 0;
	a->beat_frame = 0;
}

uint32_t jl_analysis_hop(const struct jl_analysis *a)
{
	return a ? a->hop : 0;
}

uint64_t jl_analysis_position(const struct jl_analysis *a)
{
	return a ? a->pos : 0;
}

uint64_t jl_analysis_onset_count(const struct jl_analysis *a)
{
	return a ? a->ons_total : 0;
}

uint64_t jl_analysis_attack_delay(const struct jl_analysis *a)
{
	if (!a)
		return 0;
	/* look-ahead + back-track + placement inside the longest window +
	 * the sub-hop refinement */
	return (uint64_t)(2 + a->max_back) * a->hop + a->st[DET_TONAL].win + (uint64_t)REFINE_BACK_BLOCKS * a->rblk;
}

uint64_t jl_analysis_max_delay(const struct jl_analysis *a)
{
	if (!a)
		return 0;
	/* a swell: its peak's look-ahead + the timing search + placement */
	uint64_t sw = (uint64_t)(a->sw_peak + a->sw_back + 1) * a->hop +
		      (uint64_t)lround(SWELL_PLACE * a->st[DET_TONAL].win);
	uint64_t at = jl_analysis_attack_delay(a);
	return sw > at ? sw : at;
}

/* ------------------------------------------------------------------ onset store */

static struct jl_onset *onset_at(const struct jl_analysis *a, size_t i)
{
	return &a->ons[(a->ons_head + i) % a->ons_cap];
}

/* index of the first stored onset with frame >= f */
static size_t lower_bound(const struct jl_analysis *a, uint64_t f)
{
	size_t lo = 0, hi = a->ons_cnt;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (onset_at(a, mid)->frame < f)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Was an onset stored whose unrefined frame is within merge frames of
 * the unrefined frame f?  The pickers' detections of one attack are
 * compared before refinement, which moves each by its own amount.  Any
 * such onset is among the last MERGE_RECENT stored: the pickers decide
 * within max_delay, and each at most once per min_ioi. */
static int near_stored(const struct jl_analysis *a, uint64_t f)
{
	for (uint32_t i = 0; i < a->merge_cnt; i++) {
		uint64_t g = a->merge_recent[i];
		if ((g > f ? g - f : f - g) <= a->merge)
			return 1;
	}
	return 0;
}

/* Insert in frame order (new onsets land at most max_delay behind the end,
 * so the shift is short).  `coarse` is the frame before refine_onset(),
 * for the merge.  Only the full-band pickers' strengths (ONSET_NOTE) set
 * what counts as strong: a swell's and the high picker's are in other
 * units.  Returns 1 if stored. */
static int store_onset(struct jl_analysis *a, uint64_t frame, uint64_t coarse, uint64_t decided, float strength,
		       enum onset_kind kind)
{
	if (near_stored(a, coarse))
		return 0;
	a->merge_recent[a->merge_w] = coarse;
	a->merge_w = (a->merge_w + 1) % MERGE_RECENT;
	if (a->merge_cnt < MERGE_RECENT)
		a->merge_cnt++;
	if (a->ons_cnt == a->ons_cap) {
		a->ons_head = (a->ons_head + 1) % a->ons_cap;
		a->ons_cnt--;
	}
	size_t i = a->ons_cnt;
	while (i > 0 && onset_at(a, i - 1)->frame > frame) {
		*onset_at(a, i) = *onset_at(a, i - 1);
		i--;
	}
	struct jl_onset *o = onset_at(a, i);
	o->frame = frame;
	o->decided_at = decided;
	o->strength = strength;
	o->swell = kind == ONSET_SWELL;
	a->ons_cnt++;
	a->ons_total++;
	if (kind != ONSET_NOTE)
		return 1;
	double ls = log((double)strength + 1e-9);
	if (!a->str_init) {
		a->str_logmean = ls;
		a->str_init = 1;
	} else {
		a->str_logmean += 0.05 * (ls - a->str_logmean);
	}
	return 1;
}

static void prune_onsets(struct jl_analysis *a)
{
	uint64_t keep = (uint64_t)(a->cfg.max_onset_history_s * a->cfg.rate);
	while (a->ons_cnt && a->pos > keep && a->ons[a->ons_head].frame < a->pos - keep) {
		a->ons_head = (a->ons_head + 1) % a->ons_cap;
		a->ons_cnt--;
	}
}

/* ------------------------------------------------------------------ per hop */

/* absolute frame one past the end of hop n's window */
static uint64_t frame_end(const struct jl_analysis *a, uint64_t n)
{
	return a->origin + (n + 1) * (uint64_t)a->hop;
}

static float at(const struct jl_analysis *a, const float *ring, uint64_t n)
{
	return ring[n % a->envn];
}

/* Level normalization.  log10(1 + lambda |X|) is logarithmic only where
 * lambda |X| >> 1; a quiet input falls into its linear part, where every
 * onset function shrinks with the level (24 dB down, the dev set's onset
 * F fell from 0.97 to 0.84, its pads' from 0.86 to 0.17).  So lambda is
 * raised by the gain that brings the recent peak of the fast window's
 * mean square (held, decaying with level_tau_s) up to level_target_db,
 * at most level_max_gain_db; it is never lowered, so music as loud as
 * the benchmark's (peaks above the target) is analysed as it was.  The
 * level gate reads the true level.
 *
 * The peak decays only over the hops that pass the level gate: silence
 * holds the gain.  A pause raised it to full gain within 11 s, and the
 * first note after it, analysed at that gain while its attack filled the
 * window, was placed a hop early (a unit test).
 *
 * A stream starts at unit gain: the peak starts at the target, a
 * placeholder until the input first reaches it.  Until then the
 * placeholder decays with LEVEL_FIND_S instead of level_tau_s, so a
 * quiet source is analysed at its gain after at most 1.4 s of sound
 * (24 dB down), not after the 11 s the held peak needs.  (Starting at
 * full gain instead placed a stream's first attack a hop early too, and
 * made a noise bed that starts with the stream an onset.)  The peak also
 * includes the hop being analysed (level_track() runs before its bands
 * are taken to the log), so an attack louder than the hops before it is
 * analysed at its own gain, not at theirs. */
static void level_track(struct jl_analysis *a, double ms)
{
	if (10.0 * log10(ms + 1e-20) >= a->cfg.gate_db) /* silence holds the level */
		a->lvl_peak *= a->lvl_found ? a->lvl_decay : a->lvl_find;
	if (ms > a->lvl_peak) {
		a->lvl_peak = ms;
		a->lvl_found = 1;
	}
	double g = a->lvl_peak > 0 ? sqrt(a->lvl_target / a->lvl_peak) : a->lvl_max_gain;
	if (g < 1.0)
		g = 1.0;
	if (g > a->lvl_max_gain)
		g = a->lvl_max_gain;
	a->lam = a->cfg.lambda * g;
}

/* Window the newest s->win samples, FFT, filterbank, log -> s->lev.
 * Returns the mean square of the windowed span (fast STFT: level gate). */
static double stft_levels(struct jl_analysis *a, struct stft *s)
{
	const uint32_t W = s->win;
	uint32_t start = (a->ring_w + a->rlen - W) % a->rlen;
	double e = 0;
	for (uint32_t i = 0; i < W; i++) {
		float v = a->ring[(start + i) % a->rlen];
		e += (double)v * v;
		s->fin[i] = v * s->hann[i];
	}
	fftwf_execute_dft_r2c(s->plan, s->fin, s->fout);
	const float sc = 4.0f / (float)W; /* full-scale sine -> 1 */
	for (uint32_t k = 0; k < s->nbins; k++) {
		float re = s->fout[k][0], im = s->fout[k][1];
		s->mag[k] = sc * sqrtf(re * re + im * im);
	}
	if (s == &a->st[DET_FAST])
		level_track(a, e / W); /* sets the gain of this hop */
	const float lam = (float)a->lam;
	for (uint32_t b = 0; b < s->nbands; b++) {
		const struct band *bd = &s->bands[b];
		const float *w = s->bw + bd->woff, *m = s->mag + bd->lo;
		float acc = 0;
		for (uint32_t j = 0; j < bd->len; j++)
			acc += w[j] * m[j];
		s->lev[b] = log10f(1.0f + lam * acc);
	}
	return e / W;
}

/* Store M_n = L_n max-filtered over +-1 band into history row n. */
static void push_maxfiltered(struct stft *s, uint64_t n)
{
	float *M = s->mlev + (size_t)(n % s->hist) * s->nbands;
	const float *L = s->lev;
	const uint32_t B = s->nbands;
	for (uint32_t b = 0; b < B; b++) {
		float m = L[b];
		if (b > 0 && L[b - 1] > m)
			m = L[b - 1];
		if (b + 1 < B && L[b + 1] > m)
			m = L[b + 1];
		M[b] = m;
	}
}

/* sum_b max(0, L_n[b] - max_{k=1..K} M_{n-k}[b]); call before pushing row n.
 * *rise (if not NULL): the largest of those terms. */
static float novelty(struct stft *s, uint64_t n, uint32_t K, float *rise)
{
	const uint32_t B = s->nbands;
	if (rise)
		*rise = 0;
	if (n < 1)
		return 0;
	if (K > n)
		K = (uint32_t)n;
	float *R = s->rmax;
	memcpy(R, s->mlev + (size_t)((n - 1) % s->hist) * B, B * sizeof(float));
	for (uint32_t k = 2; k <= K; k++) {
		const float *M = s->mlev + (size_t)((n - k) % s->hist) * B;
		for (uint32_t b = 0; b < B; b++)
			if (M[b] > R[b])
				R[b] = M[b];
	}
	float f = 0, top = 0;
	for (uint32_t b = 0; b < B; b++) {
		float d = s->lev[b] - R[b];
		if (d > 0)
			f += d;
		if (d > top)
			top = d;
	}
	if (rise)
		*rise = top;
	return f;
}

/* The fast flux over bands from..nbands-1 only, from the last novelty()
 * call's levels and running maxima (the high picker's function). */
static float high_novelty(const struct stft *s, uint32_t from)
{
	float f = 0;
	for (uint32_t b = from; b < s->nbands; b++) {
		float d = s->lev[b] - s->rmax[b];
		if (d > 0)
			f += d;
	}
	return f;
}

/* The k-th smallest of v[0..m) (k < m), in place (Hoare's selection;
 * qsort may allocate, and the feed path never does). */
static float kth_smallest(float *v, size_t m, size_t k)
{
	size_t lo = 0, hi = m - 1;
	while (lo < hi) {
		float pivot = v[lo + (hi - lo) / 2];
		size_t i = lo, j = hi;
		while (i <= j) {
			while (v[i] < pivot)
				i++;
			while (v[j] > pivot)
				j--;
			if (i <= j) {
				float t = v[i];
				v[i] = v[j];
				v[j] = t;
				i++;
				if (j == 0)
					break;
				j--;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			break;
	}
	return v[k];
}

/* Sub-hop refinement of an onset estimate f (frame) on the input itself.
 * The STFT places an attack only to within a hop and a window, and an
 * instrument's flux peaks once it is already loud, so estimates land a few
 * ms after the first sample of the sound (bass and guitar ~12 ms), while a
 * loop boundary snapped to an onset should cut before the attack, not
 * inside it.  In 1 ms blocks from 20 ms before f to 5 ms after it, the
 * first block louder by REFINE_RISE_DB than the loudest of the 10 blocks
 * before it is where the sound departs from what preceded it; from there
 * the estimate walks back while the level still falls by REFINE_STEP_DB
 * per block and stays above the quietest of those 10 blocks (the foot of
 * the rise).  Unchanged if no block departs (an onset inside a dense
 * texture) or the ring no longer holds the span. */
static uint64_t refine_onset(const struct jl_analysis *a, uint64_t f)
{
	const uint64_t blk = a->rblk;
	const uint64_t pre = (uint64_t)(REFINE_BG_BLOCKS + REFINE_BACK_BLOCKS) * blk;
	float e[REFINE_BLOCKS];
	if (f < a->origin + pre || a->pos - (f - pre) > a->rlen || f + (REFINE_FWD_BLOCKS + 1) * blk > a->pos)
		return f;
	const uint64_t lo = f - pre;
	uint32_t idx = (uint32_t)((a->ring_w + a->rlen - (a->pos - lo) % a->rlen) % a->rlen);
	for (int j = 0; j < REFINE_BLOCKS; j++) {
		double sum = 0;
		for (uint64_t i = 0; i < blk; i++) {
			float v = a->ring[idx];
			sum += (double)v * v;
			if (++idx == a->rlen)
				idx = 0;
		}
		e[j] = (float)(10.0 * log10(sum / (double)blk + 1e-12));
	}
	for (int j = REFINE_BG_BLOCKS; j < REFINE_BLOCKS; j++) {
		float hi = e[j - REFINE_BG_BLOCKS], lo_db = hi;
		for (int k = j - REFINE_BG_BLOCKS + 1; k < j; k++) {
			if (e[k] > hi)
				hi = e[k];
			if (e[k] < lo_db)
				lo_db = e[k];
		}
		if (!(e[j] > hi + REFINE_RISE_DB))
			continue;
		int k = j;
		while (k > j - REFINE_BG_BLOCKS + 1 && e[k - 1] < e[k] - REFINE_STEP_DB && e[k - 1] > lo_db + REFINE_STEP_DB)
			k--;
		return lo + (uint64_t)k * blk;
	}
	return f;
}

/* Ripple: a fast tremolo, a rotary speaker, two voices beating (an FM
 * bass, a synth unison) or the window sliding along the cycles of a low
 * bass note raise a train of flux peaks 10-50 ms apart while the note
 * holds, with next to nothing between them.  The mean and the median of the
 * last 100 ms sit far below such sparse peaks, so each of them passed as
 * an onset (TimGM6mb's finger bass: 11 false onsets in 61 notes; an FM
 * rendering of the dev set's pick bass: 26 in 80).  Where the flux is
 * that sparse (its median over the last pre_avg hops below
 * RIPPLE_SPARSE of the candidate), a candidate is taken for ripple when at
 * least RIPPLE_PEAKS local peaks of those hops carry a similar mass: within
 * the ratio r of the candidate's (r .. 1/r).  The mass of a peak is its
 * value plus its larger neighbour's (the candidate's: plus the hop after
 * it, the one that decides it), because a train's peaks fall at varying
 * phases of the hop grid and split between two hops.  A true onset
 * stands out from the peaks before it; a loud hit before a soft one is no
 * "similar" peak, so a soft 16th after a snare is kept; and in dense flux
 * (noise, a full mix) the median term already holds the ripples back.
 *
 * A train that has just begun has one such peak before the candidate,
 * not two: the cycles of a low note whose period is close to 3 hops
 * (65 Hz: a bass's C2) drift against the hop grid, so the train's peaks
 * swell and fade over a few hundred ms, and a swell 80 ms into the note
 * rose above the threshold with only one similar peak behind it (a
 * sawtooth bass line from C2 to A2 gave 4 false onsets for 10 notes, and
 * 12 of the 26 false onsets of an FM rendering of the dev set's basses,
 * 250 notes, were such).  What tells such a peak from a note is how it
 * moves the spectrum: the window sliding along a cycle moves every band
 * a little, a note raises the bands of its partials.
 * So where no band rises by RIPPLE_RISE (log10 magnitude: 3 dB for a
 * band above the compression knee; the level normalization keeps music
 * there) over hops c and c + 1, one similar peak suffices.  The
 * sawtooth's swells raise no band by more than 2.7 dB; a legato low note
 * can raise its bands by less than 4 dB (0.2 lost one of the unit test's
 * low bass notes), and drum hits in a fill, 60-90 ms apart and alike, by
 * much more: with one similar peak for every candidate, the metal, bossa
 * and drum'n'bass clips lost 7-39 of their 16ths each. */
#define RIPPLE_PEAKS 2
#define RIPPLE_SPARSE 0.1
#define RIPPLE_RISE 0.15
static float peak_mass(const struct jl_analysis *a, const struct picker *p, uint64_t j)
{
	float l = at(a, p->odf, j - 1), r = at(a, p->odf, j + 1);
	return at(a, p->odf, j) + (l > r ? l : r);
}

static int is_ripple(const struct jl_analysis *a, const struct picker *p, uint64_t c, float oc, double med)
{
	if (!(med < RIPPLE_SPARSE * oc))
		return 0;
	const double r = p->ripple;
	const float mc = oc + at(a, p->odf, c + 1); /* c + 1 = n: it may still rise */
	const int need = at(a, a->rise, c) < RIPPLE_RISE && at(a, a->rise, c + 1) < RIPPLE_RISE ? 1 : RIPPLE_PEAKS;
	int similar = 0;
	for (uint32_t k = 1; k <= a->pre_avg && k + 1 <= c; k++) {
		uint64_t j = c - k;
		float v = at(a, p->odf, j);
		if (!(v > at(a, p->odf, j - 1) && v >= at(a, p->odf, j + 1)))
			continue;
		float m = peak_mass(a, p, j);
		if (m >= r * mc && m <= mc / r && ++similar >= need)
			return 1;
	}
	return 0;
}

/* Release: some sounds change their spectrum when the note ends (an FM
 * patch whose modulator outlasts its carrier brings partials that were
 * not there), and the tonal novelty, which compares with the last 150 ms,
 * reads that as a new pitch.  An onset brings sound; a candidate of the
 * tonal picker while the fast window's level, one hop after it, lies more
 * than fall_db below its maximum over hops c-6 .. c-2 is a release, not an
 * onset.  (A short drum hit has decayed by then too, but the fast picker
 * has it.) */
#define FALL_FROM 2
#define FALL_TO 6
static int is_release(const struct jl_analysis *a, uint64_t c, uint64_t n, double fall_db)
{
	if (c < FALL_TO)
		return 0;
	float before = at(a, a->rms_db, c - FALL_FROM);
	for (uint64_t q = FALL_FROM + 1; q <= FALL_TO; q++)
		if (at(a, a->rms_db, c - q) > before)
			before = at(a, a->rms_db, c - q);
	return at(a, a->rms_db, n) < before - fall_db;
}

/* Peak picking: is hop c = n - 1 - p->lag an onset for picker p?  Returns
 * 1 if an onset was stored.  *mean_out (if not NULL) gets the local mean
 * of the onset function before c, for the tempo envelope. */
static int pick(struct jl_analysis *a, struct picker *p, uint64_t now, double *mean_out)
{
	if (mean_out)
		*mean_out = 0;
	if (now < 2 + p->lag)
		return 0;
	const uint64_t n = now - p->lag, c = n - 1;
	float oc = at(a, p->odf, c);
	double sum = 0;
	uint32_t cnt = 0;
	for (uint32_t k = 1; k <= a->pre_avg && k <= c; k++, cnt++)
		sum += at(a, p->odf, c - k);
	double mean = cnt ? sum / cnt : 0;
	if (mean_out)
		*mean_out = mean;
	if (!(oc > at(a, p->odf, n)))
		return 0;
	for (uint32_t k = 1; k <= a->pre_max && k <= c; k++)
		if (at(a, p->odf, c - k) > oc)
			return 0;
	double local = p->alpha * mean, med = 0;
	if ((p->median_k > 0 || p->ripple > 0) && cnt) {
		for (uint32_t k = 0; k < cnt; k++)
			a->medbuf[k] = at(a, p->odf, c - 1 - k);
		med = kth_smallest(a->medbuf, cnt, cnt / 2);
		if (p->median_k * med > local)
			local = p->median_k * med;
	}
	double thr = p->delta + local;
	if (thr < p->gamma * p->peak)
		thr = p->gamma * p->peak;
	if (!(oc > thr))
		return 0;
	if (at(a, a->rms_db, c) < a->cfg.gate_db && at(a, a->rms_db, n) < a->cfg.gate_db)
		return 0;
	if (p->have_last && c - p->last < a->min_ioi)
		return 0;
	if (p->ripple > 0 && is_ripple(a, p, c, oc, med))
		return 0;
	if (p->fall_db > 0 && is_release(a, c, n, p->fall_db))
		return 0;
	/* A stream that starts inside a sound: where the window of hop c, or
	 * one it is compared with, reaches back before the stream, the flux
	 * measures the input arriving, not a change in it.  If the first
	 * block of the stream is already above the gate (a noise bed, the
	 * band already playing when the daemon starts), that candidate is
	 * the stream's start, not an onset: it is used up but not stored.  A
	 * stream that starts in silence keeps everything. */
	if (a->start_heard && frame_end(a, c) < a->origin + p->win + (uint64_t)p->back * a->hop) {
		p->last = c;
		p->have_last = 1;
		return 0;
	}
	/* back-track to the start of the rise */
	uint64_t k = c;
	double base = mean + 0.25 * (oc - mean);
	while (k > 0 && c - k < a->max_back && (!p->have_last || k - 1 > p->last)) {
		float pv = at(a, p->odf, k - 1);
		if (!(pv < at(a, p->odf, k)) || pv < base)
			break;
		k--;
	}
	p->last = c;
	p->have_last = 1;
	/* Placement: an instant attack first raises the (log) flux once it is
	 * ~N/10 inside the window (Hann weight ~0.1), anywhere within the hop
	 * before that; real instruments need a few ms more to get loud.  A
	 * quarter window plus a quarter hop keeps clicks within one hop (they
	 * land 12-222 frames early at 48 kHz) and instruments close to their
	 * first sample. */
	uint64_t fe = frame_end(a, k);
	uint64_t back = p->win / 4 + a->hop / 4;
	uint64_t of = fe > a->origin + back ? fe - back : a->origin;
	return store_onset(a, refine_onset(a, of), of, frame_end(a, now), (float)(oc - thr), p->kind);
}

static void tempo_hop(struct jl_analysis *a, uint64_t n, double fast_mean, double tonal_mean);

/* Is a stored onset within w frames of f? */
static int onset_within(const struct jl_analysis *a, uint64_t f, uint64_t w)
{
	size_t i = lower_bound(a, f > w ? f - w : 0);
	return i < a->ons_cnt && onset_at(a, i)->frame <= f + w;
}

/* Tonal band levels of hop k (still in the swell ring). */
static const float *sw_row(const struct jl_analysis *a, uint64_t k)
{
	return a->sw_lev + (size_t)(k % a->swn) * a->st[DET_TONAL].nbands;
}

/* The sum of hop k's levels in the bands a->sw_top[0..nt). */
static double sw_sum(const struct jl_analysis *a, uint64_t k, uint32_t nt)
{
	const float *L = sw_row(a, k);
	double v = 0;
	for (uint32_t i = 0; i < nt; i++)
		v += L[a->sw_top[i]];
	return v;
}

/* Store hop n's tonal band levels and keep, in blocks of w = sw_span + 1
 * hops, each band's maximum from the block's start to each hop (sw_pre)
 * and, once a block is complete, from each hop to the block's end
 * (sw_suf).  The maximum over any w consecutive hops is then that of one
 * suffix and one prefix (van Herk / Gil & Werman): O(bands) per hop
 * instead of O(w bands). */
static void swell_push(struct jl_analysis *a, uint64_t n, const float *lev)
{
	const uint32_t B = a->st[DET_TONAL].nbands, w = a->sw_span + 1;
	const size_t row = (size_t)(n % a->swn) * B;
	memcpy(a->sw_lev + row, lev, B * sizeof(float));
	float *pre = a->sw_pre + row;
	if (n % w == 0) {
		memcpy(pre, lev, B * sizeof(float));
	} else {
		const float *pp = a->sw_pre + (size_t)((n - 1) % a->swn) * B;
		for (uint32_t b = 0; b < B; b++)
			pre[b] = lev[b] > pp[b] ? lev[b] : pp[b];
	}
	if (n % w != w - 1)
		return;
	memcpy(a->sw_suf + row, lev, B * sizeof(float));
	for (uint32_t d = 1; d < w; d++) {
		const uint64_t k = n - d;
		float *sf = a->sw_suf + (size_t)(k % a->swn) * B;
		const float *sn = a->sw_suf + (size_t)((k + 1) % a->swn) * B;
		const float *L = sw_row(a, k);
		for (uint32_t b = 0; b < B; b++)
			sf[b] = L[b] > sn[b] ? L[b] : sn[b];
	}
}

/* The reference of hop c: each band's maximum over the SWELL_SPAN_S that
 * ends SWELL_LAG_S before it (hops c - lag - span .. c - lag), into
 * a->sw_ref.  c >= sw_lag + sw_span. */
static void swell_ref(struct jl_analysis *a, uint64_t c)
{
	const uint32_t B = a->st[DET_TONAL].nbands;
	const uint64_t i = c - a->sw_lag - a->sw_span, j = c - a->sw_lag;
	const float *sf = a->sw_suf + (size_t)(i % a->swn) * B;
	const float *pr = a->sw_pre + (size_t)(j % a->swn) * B;
	for (uint32_t b = 0; b < B; b++)
		a->sw_ref[b] = sf[b] > pr[b] ? sf[b] : pr[b];
}

/* Swells: a slow attack (bowed strings, a pad, a choir) spreads its rise
 * over 100-500 ms, so the attack pickers, which compare a hop with the
 * last few (fast) or with the maximum of the last 150 ms (tonal), see
 * many small steps that the flux noise of the sustained sound around it
 * hides.  Here each tonal band's level is compared with its maximum over
 * a span that ends SWELL_LAG_S before: the whole rise of a new note
 * within that time counts at once, while tremolo, vibrato and bowing
 * return to levels of that span.  The swell function is the sum over the
 * bands of the rise beyond SWELL_MARGIN; a swell is a maximum of +-
 * SWELL_PEAK_S that reaches the threshold (decided SWELL_PEAK_S later).
 *
 * The threshold is SWELL_THR, or SWELL_REL of the largest recent swell
 * (sw_big, fading with SWELL_TAU_S while there is sound) where that is
 * lower, but never below SWELL_THR_MIN.  Steady noise under the music
 * compresses every band's rise to the band's own signal-to-noise ratio,
 * while the bumps of held chords are hardly lower: the chord changes of
 * a solo cello under pink noise 10 dB below it sum to 0.8-3.2 (3.2-35
 * clean) and nothing else there reaches 0.3.  A clean pad's swells keep
 * the threshold at SWELL_THR, where its bumps of 1-2 stay below it (a
 * fixed threshold of 1 let them through; with SWELL_TAU_S 4-8 s the
 * threshold fell within clean pads whose largest swells came early).
 * The largest swell starts at the value that gives SWELL_THR, as the
 * level's peak does (level_track()).  Its
 * onset is where the bands that rose most first rose SWELL_FRAC of their
 * rise, placed like an attack within the tonal window.  Only onsets the
 * pickers did not find are added (none within SWELL_MERGE_S of another);
 * they are marked as swells, which the onset quantization does not snap
 * to.  Call after the tonal levels of hop n are computed.  Returns 1 if
 * an onset was stored. */
static int swell_hop(struct jl_analysis *a, uint64_t n)
{
	const struct stft *st = &a->st[DET_TONAL];
	const uint32_t B = st->nbands;
	swell_push(a, n, st->lev);
	float S = 0;
	if (n >= a->sw_lag + a->sw_span) {
		swell_ref(a, n);
		for (uint32_t b = 0; b < B; b++) {
			float d = st->lev[b] - a->sw_ref[b] - SWELL_MARGIN;
			if (d > 0)
				S += d;
		}
	}
	a->sw_s[n % a->swn] = S;
	if (at(a, a->rms_db, n) >= a->cfg.gate_db) /* silence holds it */
		a->sw_big *= a->sw_decay;
	if (S > a->sw_big)
		a->sw_big = S;
	const uint32_t P = a->sw_peak;
	if (n < a->sw_lag + a->sw_span + 2 * P)
		return 0;
	const uint64_t c = n - P;
	const float sc = a->sw_s[c % a->swn];
	double thr = SWELL_REL * a->sw_big;
	thr = thr > SWELL_THR ? SWELL_THR : thr < SWELL_THR_MIN ? SWELL_THR_MIN : thr;
	if (!(sc >= thr))
		return 0;
	for (uint64_t k = c - P; k <= n; k++)
		if (k != c && (k < c ? a->sw_s[k % a->swn] > sc : a->sw_s[k % a->swn] >= sc))
			return 0;
	if (at(a, a->rms_db, c) < a->cfg.gate_db)
		return 0;
	/* the bands that rose most at c, and where their sum first rose
	 * SWELL_FRAC of the way up from its trough */
	swell_ref(a, c);
	const float *Lc = sw_row(a, c);
	uint32_t nt = 0;
	float topv[SWELL_BANDS];
	for (uint32_t b = 0; b < B; b++) {
		float r = Lc[b] - a->sw_ref[b];
		if (nt == SWELL_BANDS && !(r > topv[nt - 1]))
			continue;
		uint32_t j = nt < SWELL_BANDS ? nt++ : SWELL_BANDS - 1;
		while (j > 0 && r > topv[j - 1]) {
			topv[j] = topv[j - 1];
			a->sw_top[j] = a->sw_top[j - 1];
			j--;
		}
		topv[j] = r;
		a->sw_top[j] = b;
	}
	double base = 0, top = 0;
	for (uint32_t i = 0; i < nt; i++) {
		base += a->sw_ref[a->sw_top[i]];
		top += Lc[a->sw_top[i]];
	}
	/* the rise starts from their reference level, or from the trough
	 * between the old sound's release and the new rise, if lower */
	uint64_t k0 = c > a->sw_back ? c - a->sw_back : 0;
	for (uint64_t k = k0; k < c; k++) {
		double v = sw_sum(a, k, nt);
		if (v < base)
			base = v;
	}
	const double level = base + SWELL_FRAC * (top - base);
	uint64_t k = c;
	while (k > k0 && sw_sum(a, k - 1, nt) > level)
		k--;
	uint64_t fe = frame_end(a, k);
	uint64_t back = (uint64_t)lround(SWELL_PLACE * st->win);
	uint64_t of = fe > a->origin + back ? fe - back : a->origin;
	if (onset_within(a, of, a->sw_merge))
		return 0;
	return store_onset(a, of, of, frame_end(a, n), sc - (float)thr, ONSET_SWELL);
}

static float band_db(const struct stft *s, const uint32_t r[2])
{
	double e = 0;
	for (uint32_t k = r[0]; k < r[1]; k++)
		e += (double)s->mag[k] * s->mag[k];
	return (float)(10.0 * log10(e + 1e-20));
}

/* Kick-band and snare-band levels of hop n (fast STFT), for the backbeat. */
static void drum_bands(struct jl_analysis *a, uint64_t n)
{
	a->bb_low_db[n % a->bbn] = band_db(&a->st[DET_FAST], a->bb_lo);
	/* the kick band's rise at hop k: its level over hops k and k + 1 (an
	 * attack reaches its level within two hops) against the three hops
	 * before k; final for k = n - 1, for k = n over hop n alone */
	for (uint64_t k = n >= 4 ? n - 1 : n; k <= n && n >= 3; k++) {
		const float *L = a->bb_low_db;
		float top = L[k % a->bbn], before = -200.0f;
		if (k < n && L[n % a->bbn] > top)
			top = L[n % a->bbn];
		for (uint64_t j = 1; j <= 3; j++)
			if (L[(k - j) % a->bbn] > before)
				before = L[(k - j) % a->bbn];
		a->low_rise[k % a->envn] = top > before ? top - before : 0.0f;
	}
	a->bb_mid_db[n % a->bbn] = band_db(&a->st[DET_FAST], a->bb_mid);
	const struct stft *s = &a->st[DET_FAST];
	float lg = 0, ar = 0;
	double e = 0;
	for (uint32_t k = a->fl_lo; k < a->fl_hi; k++) {
		float m = s->mag[k] + 1e-9f;
		lg += logf(m);
		ar += m;
		e += (double)s->mag[k] * s->mag[k];
	}
	uint32_t nb = a->fl_hi - a->fl_lo;
	a->flat[n % a->bbn] = nb ? (float)(exp(lg / nb) / (ar / nb)) : 0.0f;
	a->fl_db[n % a->bbn] = (float)(10.0 * log10(e + 1e-20));
}

/* The noise share of the tonal window of hop n: the share of its power
 * (ART_FLAT_LO_HZ - ART_FLAT_HI_HZ) that lies outside spectral peaks.  A
 * peak is a local maximum at least ART_PEAK_RATIO above the mean power of
 * the bins ART_LOBE_BINS + 1 to ART_NEAR_BINS away on both sides; it
 * counts with its two neighbours (the main lobe).  A pitched note puts
 * its energy into peaks (its partials, resolved by the 85 ms window);
 * a drum's attack is noise-like and has none.  Unlike the spectral
 * flatness, this holds under steady noise: noise adds energy outside the
 * peaks in proportion to its level but hides no partial that stands
 * above it, while it makes every spectrum flat.  On the benchmark sets'
 * slow pitched pieces the attacks' median noise share is 0.07-0.38, and
 * 0.10-0.70 under white or pink noise at 10 to 0 dB SNR (their flatness:
 * 0.01-0.34, and 0.41-0.77 under that noise); on their bands 0.69-0.98
 * (flatness 0.51-0.65). */
static void tonal_noise(struct jl_analysis *a, uint64_t n)
{
	const struct stft *s = &a->st[DET_TONAL];
	double *cum = a->pcum, acc = 0, tot = 0, pk = 0;
	cum[0] = 0;
	for (uint32_t k = 0; k < a->tn_hi + ART_NEAR_BINS; k++) { /* tn_hi + ART_NEAR_BINS < nbins */
		acc += (double)s->mag[k] * s->mag[k];
		cum[k + 1] = acc;
	}
#define POW(k) ((double)s->mag[k] * s->mag[k])
	const double nnear = 2.0 * (ART_NEAR_BINS - ART_LOBE_BINS);
	for (uint32_t k = a->tn_lo; k < a->tn_hi; k++) {
		double p = POW(k);
		tot += p;
		if (!(p >= POW(k - 1) && p > POW(k + 1)))
			continue;
		double near = (cum[k + ART_NEAR_BINS + 1] - cum[k - ART_NEAR_BINS]) -
			      (cum[k + ART_LOBE_BINS + 1] - cum[k - ART_LOBE_BINS]);
		if (p >= ART_PEAK_RATIO * near / nnear)
			pk += POW(k - 1) + p + POW(k + 1);
	}
#undef POW
	a->noise[n % a->bbn] = tot > 0 ? (float)(1.0 - (pk < tot ? pk / tot : 1.0)) : 1.0f;
}

/* The bar phase's features of hop n: the chroma of the tonal window
 * (power per pitch class, DB_CHROMA_LO_HZ - DB_CHROMA_HI_HZ) and the kick
 * band's rise (drum_bands() made it final for hop n - 1).  The envelope h
 * is copied in tempo_hop(). */
static void bar_features(struct jl_analysis *a, uint64_t n)
{
	const struct stft *s = &a->st[DET_TONAL];
	float *c = a->db_chroma + (size_t)(n % a->dbn) * 12;
	memset(c, 0, 12 * sizeof(float));
	for (uint32_t k = a->db_lo; k < a->db_hi; k++)
		c[a->db_pc[k - a->db_lo]] += s->mag[k] * s->mag[k];
	for (uint64_t k = n >= 1 ? n - 1 : n; k <= n; k++) {
		float v = at(a, a->low_rise, k);
		a->db_low[k % a->dbn] = v < DB_LOW_CAP_DB ? v : DB_LOW_CAP_DB;
	}
}

/* Does the stream's first onset start the music?  Once it is stored (at
 * hop n): yes where the stream began in silence, or where the onset's
 * attack (its loudest hop within ART_PEAK_S) is DB_START_RISE_DB louder
 * than every hop of the stream before it: music that begins over a noise
 * floor.  No where the stream began inside the music (the daemon started
 * while a band played), whose first onset is only the first one heard. */
static void first_onset(struct jl_analysis *a, uint64_t n)
{
	if (a->first_done)
		return;
	const uint64_t o0 = a->origin;
	size_t i = lower_bound(a, o0);
	if (i >= a->ons_cnt)
		return;
	a->first_done = 1;
	uint64_t k = (onset_at(a, i)->frame - o0) / a->hop, post = secs_to_hops(a, ART_PEAK_S);
	if (!a->start_heard || k < 2) {
		/* silent before it; or it is where the stream began */
		a->first_start = !a->start_heard;
		return;
	}
	float before = -200.0f, at_on = -200.0f;
	for (uint64_t h = n + 1 > a->envn ? n + 1 - a->envn : 0; h + 1 < k; h++)
		if (at(a, a->rms_db, h) > before)
			before = at(a, a->rms_db, h);
	for (uint64_t h = k; h <= k + post && h <= n; h++)
		if (at(a, a->rms_db, h) > at_on)
			at_on = at(a, a->rms_db, h);
	a->first_start = at_on - before >= DB_START_RISE_DB;
}

/* One hop completed: the ring holds the newest input, grid position n. */
static int process_hop(struct jl_analysis *a)
{
	uint64_t n = a->nframes;
	int emitted = 0;
	if (n == 0) { /* the stream's first hop: is its first block already sound? */
		double e0 = 0;
		const uint32_t i0 = (a->ring_w + a->rlen - a->hop) % a->rlen;
		const uint32_t nb = a->rblk < a->hop ? a->rblk : a->hop;
		for (uint32_t i = 0; i < nb; i++) {
			float v = a->ring[(i0 + i) % a->rlen];
			e0 += (double)v * v;
		}
		a->start_heard = 10.0 * log10(e0 / nb + 1e-20) >= a->cfg.gate_db;
	}
	double ms = stft_levels(a, &a->st[DET_FAST]);
	a->rms_db[n % a->envn] = (float)(10.0 * log10(ms + 1e-20));
	drum_bands(a, n);
	float f = novelty(&a->st[DET_FAST], n, a->pk[DET_FAST].back, &a->rise[n % a->envn]);
	a->hi.odf[n % a->envn] = high_novelty(&a->st[DET_FAST], a->hi_from);
	push_maxfiltered(&a->st[DET_FAST], n);
	stft_levels(a, &a->st[DET_TONAL]);
	tonal_noise(a, n);
	bar_features(a, n);
	float t = novelty(&a->st[DET_TONAL], n, a->pk[DET_TONAL].back, NULL);
	push_maxfiltered(&a->st[DET_TONAL], n);
	emitted += swell_hop(a, n);
	a->pk[DET_FAST].odf[n % a->envn] = f;
	a->pk[DET_TONAL].odf[n % a->envn] = t;
	for (int d = 0; d < NPICK; d++) {
		struct picker *p = d < NDET ? &a->pk[d] : &a->hi;
		float v = p->odf[(n + a->envn - 1) % a->envn];
		p->peak *= a->peak_decay;
		if (n >= 1 && v > p->peak)
			p->peak = v;
	}
	double fmean, tmean;
	emitted += pick(a, &a->pk[DET_TONAL], n, &tmean);
	emitted += pick(a, &a->pk[DET_FAST], n, &fmean);
	if (a->hi_from < a->st[DET_FAST].nbands)
		emitted += pick(a, &a->hi, n, NULL);
	first_onset(a, n);
	tempo_hop(a, n, fmean, tmean);
	a->nframes++;
	return emitted;
}

/* ------------------------------------------------------------------ tempo */

static double acf_norm(const struct jl_analysis *a, double l)
{
	/* linear interpolation between integer lags, normalised by R[0] */
	if (l < 0 || l > a->nlag - 2)
		return 0;
	uint32_t i = (uint32_t)l;
	double fr = l - i;
	return ((1 - fr) * a->acf[i] + fr * a->acf[i + 1]) / (a->acf[0] + 1e-12);
}

/* The normalised ACF at lag l, negative values clipped to 0: an
 * anti-correlation is no evidence for a period and must not cancel the
 * evidence of another multiple. */
static double acf_pos(const struct jl_analysis *a, double l)
{
	double r = acf_norm(a, l);
	return r > 0 ? r : 0;
}

/* The ACF at lag L as heard so far in a young stream (see salience()):
 * raised by the weight the products at lag 0 have had over those at L,
 * at most HEARD_GAIN_MAX times. */
static double acf_heard(const struct jl_analysis *a, double L)
{
	const double N = (double)a->nframes, w0 = 1.0 - pow(a->tdecay, N), wl = 1.0 - pow(a->tdecay, N - L);
	double g = wl > 0 ? w0 / wl : HEARD_GAIN_MAX;
	return acf_pos(a, L) * (g < HEARD_GAIN_MAX ? g : HEARD_GAIN_MAX);
}

/* The mean of the normalised ACF at l, 2l, 3l and 4l, each multiple's
 * term capped at the ACF at l plus headroom (INFINITY: no cap).  With
 * `as_heard`, a young stream is read as heard so far (see salience()). */
static double recurrence(const struct jl_analysis *a, double l, double headroom, int as_heard)
{
	const double N = (double)a->nframes, heard = HEARD_S * a->cfg.rate / a->hop;
	const int young = as_heard && N < 4 * l + heard + 2.0 * a->cfg.tempo_tau_s * a->cfg.rate / a->hop;
	double r1 = young ? acf_heard(a, l) : acf_pos(a, l), m = r1 + headroom, s = r1;
	int k = 2;
	for (; k <= 4 && (!young || k <= 3 || k * l <= N - heard); k++)
		s += fmin(young ? acf_heard(a, k * l) : acf_pos(a, k * l), m);
	return s / (k - 1);
}

/* Metrical salience of lag l: the mean of the normalised ACF at l and its
 * multiples 2l, 3l and 4l.  A beat recurs at whole numbers of beats, and
 * bars of 2, 3 or 4 beats make those multiples recur too; a spurious lag
 * such as a dotted value (1.5 beats) only recurs at every second multiple.
 *
 * A multiple counts for no more than the lag's own ACF plus
 * MULTIPLE_HEADROOM: a pulse is a lag that recurs itself.  Without the
 * cap, one strong multiple carried a lag that hardly recurs: in a 5/4 vamp
 * at 168 BPM the bar (ACF 0.8) is 3 x 5/3 beats, and 5/3 of a beat
 * (ACF 0.1-0.2, nothing sounds that far apart) outscored the beat itself
 * (ACF 0.3 at each of 1-4 beats, whose multiples never reach the bar of
 * five) and read 101 BPM.  The bars of 2, 3 and 4 beats fall on the
 * beat's multiples, so the beat of those meters keeps its bar term as
 * long as it recurs itself.
 *
 * The ACF covers lags up to 4 lmax, so all four terms exist for every
 * candidate in the search range.  (When the multiples that fell outside a
 * shorter ACF were dropped, a slow candidate was scored on fewer, longer
 * lags -- the strong bar-length recurrences of repetitive material -- and
 * won against the true beat; the mean over a constant set of levels treats
 * every tempo alike.)
 *
 * For a pulse that is equally periodic at l and 2l the four terms are
 * equal for both, so the salience does not take sides between metrical
 * levels; that is left to the tempo preference curve (prior()) and, for
 * the live track, to the hysteresis against level jumps.  Terms for
 * subdivisions (ACF at l/2, l/3) were tried and dropped: the subdivision
 * of a period 2l is the beat l itself, so such terms always favour the
 * slower level (a 168 BPM click track read as 84).
 *
 * A young stream is read as heard so far.  The ACF sums exponentially
 * weighted products, and after N hops a lag L has had the weight
 * 1 - d^(N-L) against 1 - d^N at lag 0: in the first seconds the long
 * lags read low, and a slow level's multiples lower than a fast one's.
 * At 2-4 s the reading was most often the faster relative, and a first
 * loop closed then was counted in twice its beats (201 of the 220 such
 * counts of the first-loop benchmark).  So until the fourth multiple has
 * been heard for 2 tempo_tau_s and HEARD_S more, each term is raised by
 * that ratio (at most HEARD_GAIN_MAX: a lag heard for less than half the
 * weight of lag 0 is not trusted to more), and the fourth multiple is
 * left out while its lag has not been heard for HEARD_S (nothing has
 * been summed there yet).  The first three always count, so that a
 * dotted lag (1.5 beats, which recurs at its second multiple only) does
 * not score like the beat on two terms; with two the benchmarks read
 * about the same (2103 exact first-loop counts against 2105, measured
 * before the high picker).  (The
 * ratio alone, from the start to the end of the stream, was measured
 * before and not kept: it still moves a 4 s lag by 10 % after 10 s, and
 * it moved the final readings.) */
static double salience(const struct jl_analysis *a, double l)
{
	return recurrence(a, l, MULTIPLE_HEADROOM, 1);
}

/* Perceptual preference for moderate tempi, applied to the salience: a
 * log-normal resonance curve around 120 BPM (500 ms), one octave wide.
 * Tapping along gravitates to this region: van Noorden & Moelants
 * ("Resonance in the perception of musical pulse", J. New Music Research
 * 28(1), 1999) fit a resonance period of 500-550 ms, and Parncutt ("A
 * perceptual model of pulse salience and metrical accent in musical
 * rhythms", Music Perception 11(4), 1994) finds pulse salience highest
 * near 100 events per minute.  The curve arbitrates between levels that
 * the ACF supports about equally; it is not fitted to any test material. */
static double prior(const struct jl_analysis *a, double l)
{
	double bpm = 60.0 * a->cfg.rate / (l * a->hop);
	double z = log2(bpm / (a->pref_bpm > 0 ? a->pref_bpm : 120.0));
	return exp(-0.5 * z * z);
}

/* Is lag l a local maximum of the ACF? */
static int acf_peak(const struct jl_analysis *a, uint32_t l)
{
	double r = acf_norm(a, l);
	return r > 0 && r > acf_norm(a, l - 1) && r >= acf_norm(a, l + 1);
}

/* Parabolic refinement of an integer peak lag. */
static double refine_peak(const struct jl_analysis *a, uint32_t i)
{
	double y0 = a->acf[i - 1], y1 = a->acf[i], y2 = a->acf[i + 1];
	double den = y0 - 2 * y1 + y2;
	double off = den < 0 ? 0.5 * (y0 - y2) / den : 0;
	if (off > 0.5 || off < -0.5)
		off = 0;
	return i + off;
}

/* The pattern period (hops): the lag of the strongest ACF peak between
 * PATTERN_MIN_S and the longest lag kept (4 beats at min_bpm), or 0 if
 * there is none or it recurs weakly (normalised ACF < PATTERN_MIN_ACF,
 * e.g. sustained pads, whose long-lag peaks are noise).  Music that loops
 * repeats a bar or a phrase; its recurrence at the bar or phrase is the
 * strongest one of that range.
 *
 * Also 0 if that peak does not stand out of the tatum grid: where an
 * onset sounds on every tatum (eighths strummed or picked throughout),
 * every multiple of the tatum recurs nearly as strongly, and which of
 * them is the largest is chance.  A real pattern period recurs more
 * than the lags a tatum (0 = none known) before and after it, by
 * PATTERN_STANDOUT of its own value.  Without this, eighths accented
 * 3+3+2 at 157 BPM found a "pattern" of 11 eighths, which the beat does
 * not divide, and read 2/5 of the beat for seconds. */
static double pattern_period(const struct jl_analysis *a, double tatum)
{
	double best = 0;
	uint32_t bl = 0;
	for (uint32_t l = a->pat_lo > 1 ? a->pat_lo : 1; l + 2 < a->nlag; l++) {
		if (acf_peak(a, l) && acf_norm(a, l) > best) {
			best = acf_norm(a, l);
			bl = l;
		}
	}
	if (!bl || best < PATTERN_MIN_ACF)
		return 0;
	double B = refine_peak(a, bl);
	if (tatum > 0) {
		double peak = acf_norm(a, B), side = fmax(acf_norm(a, B - tatum), acf_norm(a, B + tatum));
		if (peak - side < PATTERN_STANDOUT * peak)
			return 0;
	}
	return B;
}

/* Does a beat of lag l fit a whole number of times into the pattern
 * period B? */
static int fits_pattern(double l, double B)
{
	double r = B / l, m = floor(r + 0.5);
	return m >= 1 && fabs(r - m) <= PATTERN_TOL * r;
}

/* Score of peak lag l: recurrence() with the given headroom and
 * as_heard (the salience: MULTIPLE_HEADROOM, read as heard; the 3:2 test
 * in choose_period(): INFINITY, as summed) times preference, scaled by
 * PATTERN_MISFIT if l does not fit the pattern period B (0 = none) and by
 * TATUM_MISFIT if it spans more than TATUM_MAX tatums (0 = none). */
static double period_score(const struct jl_analysis *a, uint32_t l, double B, double tatum, double headroom,
			   int as_heard)
{
	double sal = recurrence(a, l, headroom, as_heard) * prior(a, l);
	if (B > 0 && acf_norm(a, B) >= acf_norm(a, l) && !fits_pattern(refine_peak(a, l), B))
		sal *= PATTERN_MISFIT;
	if (tatum > 0 && refine_peak(a, l) > TATUM_MAX * tatum)
		sal *= TATUM_MISFIT;
	return sal;
}

/* The whole envelope history kept, in hops, as grid_accent() reads it. */
/* A span of history (hops) read at hop n, cut to the stream so far and
 * to the hops since the latest change (tempo_changing()). */
static uint64_t since_change(const struct jl_analysis *a, uint64_t n, uint64_t span)
{
	if (span > n)
		span = n;
	if (a->change_from > a->origin) {
		uint64_t k = (a->change_from - a->origin) / a->hop;
		if (k < n && n - k < span)
			span = n - k;
	}
	return span;
}

static uint64_t accent_full(const struct jl_analysis *a)
{
	return a->envn - 2;
}

/* The hops of envelope history that grid_accent() reads at hop n: the
 * whole history kept (accent_full()), or since the latest change
 * (tempo_changing()): the accents before a change are other music, as
 * in backbeat(). */
static uint64_t accent_span(const struct jl_analysis *a, uint64_t n)
{
	return since_change(a, n, accent_full(a));
}

/* The accent grid_accent() reads at hop i: the envelope h, plus low_w
 * per dB that the kick band rises there (low_rise). */
static float accent_at(const struct jl_analysis *a, uint64_t i, float low_w)
{
	return at(a, a->tenv, i) + low_w * at(a, a->low_rise, i);
}

/* How strongly the envelope is accented on a grid of period l (hops):
 * the mean accent at the best-placed comb over accent_span() (each tooth
 * takes the largest of three hops, for timing jitter), divided by the
 * mean accent over that history.  1 = no accent on the grid.  0 if the
 * history holds fewer than two periods.
 *
 * The accent is the envelope h and, where the comb reads the whole
 * history kept, also ACCENT_LOW_W per dB that the kick band rises (the
 * rise the beat comb weighs, comb_at()): bass notes and kicks mark the
 * beats, and in 6/8 the bass plays on the dotted quarters.  Csound's
 * rendering of the validation set's fingerpicked 6/8 (a bass note on 1
 * and a low string on 4, accented by velocity only) read two eighths
 * (104 for 70); it reads the dotted quarter now.  Half the beat comb's
 * weight: a rise in dB is about as large for a soft attack as for a loud
 * one after silence, so the kick band's term is much the same at every
 * attack and dilutes the envelope's accents.  At the beat comb's weight, clicks on
 * every eighth, louder on 1 and 4 (a unit test), read two eighths; on
 * the benchmarks that weight also read the fingerpicking right at 56
 * and 78 BPM, but the 12/8 blues at 82 at 124 (3:2).  At 0.018 per dB
 * the clicks still read two eighths.  Not over a shorter history (the
 * first seconds of a stream, or the seconds since a change): the kick
 * band adds to the spread of the comb's phases, and accent_margin() was
 * measured without it, so over a few teeth the slower grid wins by
 * chance more often.  Weighed there too (at the beat comb's weight), the
 * power chords accented 3 + 3 + 2 at 140 read 93 (2/3) from 4 to 10 s in
 * four soundfonts, and 747 of 944 readings at 4 s were at a metrical
 * relative instead of 751. */
static double grid_accent(const struct jl_analysis *a, uint64_t n, double l)
{
	const uint64_t span = accent_span(a, n);
	if ((double)span < 2 * l + 2)
		return 0;
	const uint64_t first = n - span + 1; /* oldest hop used */
	const float low_w = span >= accent_full(a) ? (float)ACCENT_LOW_W : 0.0f;
	double mean = 0;
	for (uint64_t i = first; i <= n; i++)
		mean += accent_at(a, i, low_w);
	mean /= (double)span;
	if (!(mean > 0))
		return 0;
	double best = 0;
	for (uint32_t phi = 0; phi <= (uint32_t)l; phi++) {
		double sum = 0;
		uint32_t cnt = 0;
		for (uint32_t k = 0;; k++) {
			uint64_t back = phi + (uint64_t)llround(k * l);
			if (back + 1 > n - first)
				break;
			uint64_t i = n - back;
			float v = accent_at(a, i, low_w), w = accent_at(a, i - 1, low_w);
			if (w > v)
				v = w;
			if (i < n && accent_at(a, i + 1, low_w) > v)
				v = accent_at(a, i + 1, low_w);
			sum += v;
			cnt++;
		}
		if (cnt && sum / cnt > best)
			best = sum / cnt;
	}
	return best / mean;
}

/* The tatum (hops), the shortest regular pulse: the lower quartile of
 * the intervals between consecutive onsets of the last 2 tempo_tau_s
 * (the same span as tempo_evidence()).  The quartile rather than the
 * minimum, so that a flam or a stray detection does not set it; not the
 * median, which lands on the longer of swung pairs.  0 if there are
 * fewer than TATUM_MIN_IOIS intervals. */
static double tatum_period(struct jl_analysis *a, uint64_t n)
{
	uint64_t now = frame_end(a, n);
	uint64_t span = (uint64_t)(2.0 * a->cfg.tempo_tau_s * a->cfg.rate);
	size_t m = 0;
	for (size_t i = lower_bound(a, now > span ? now - span : 0) + 1; i < a->ons_cnt && m < a->ioi_cap; i++)
		a->ioi[m++] = (float)(onset_at(a, i)->frame - onset_at(a, i - 1)->frame);
	if (m < TATUM_MIN_IOIS)
		return 0;
	return (double)kth_smallest(a->ioi, m, (size_t)(TATUM_QUANTILE * (double)(m - 1))) / a->hop;
}

/* The kick- and snare-band levels of the attack of an onset at frame f:
 * the maxima over the BB_POST_HOPS fast windows from the first that
 * starts at or after f, or `pre` hops before it.  Returns 0 if those hops
 * are not all analysed and still kept. */
static int attack_levels(const struct jl_analysis *a, uint64_t n, uint64_t f, uint32_t pre, float *lo, float *mid)
{
	const uint64_t W = a->st[DET_FAST].win;
	if (f < a->origin)
		return 0;
	uint64_t k0 = (f - a->origin + W + a->hop - 1) / a->hop - 1;
	k0 = k0 >= pre ? k0 - pre : 0;
	if (k0 + BB_POST_HOPS - 1 > n || n - k0 >= a->bbn)
		return 0;
	float l = -200.0f, m = -200.0f;
	for (uint64_t k = k0; k < k0 + BB_POST_HOPS; k++) {
		if (a->bb_low_db[k % a->bbn] > l)
			l = a->bb_low_db[k % a->bbn];
		if (a->bb_mid_db[k % a->bbn] > m)
			m = a->bb_mid_db[k % a->bbn];
	}
	*lo = l;
	*mid = m;
	return 1;
}

/* The spectral flatness of the first fast window that starts at or after
 * frame f (an onset's attack), or -1 if that hop is not analysed yet or
 * no longer kept. */
static float attack_flatness(const struct jl_analysis *a, uint64_t n, uint64_t f)
{
	const uint64_t W = a->st[DET_FAST].win;
	if (f < a->origin)
		return -1.0f;
	uint64_t k0 = (f - a->origin + W + a->hop - 1) / a->hop - 1;
	if (k0 > n || n - k0 >= a->bbn)
		return -1.0f;
	return a->flat[k0 % a->bbn];
}

/* Is the attack of an onset at frame f noise-like, as a drum's is?  1 or
 * 0, or -1 if the hops it needs are not analysed yet or no longer kept.
 * Where the attack's first fast window (200 Hz - 10 kHz) is ART_RISE_DB
 * louder than the loudest of the three windows before it, the window is
 * the attack's own and its spectral flatness says (at least
 * ART_DRUM_FLAT).  Where it is not -- an attack over steady noise, a
 * dense mix, notes that still ring -- the flatness measures what sounded
 * before as much as the attack, and steady noise makes every spectrum
 * flat.  Then the attack is noise-like if the first tonal window that
 * starts at it has ART_DRUM_NOISE of its energy outside spectral peaks
 * (tonal_noise: a drum over noise or over a mix), or if its fast window
 * is flat and ART_FLAT_RISE flatter than that loudest window before it
 * (a click or a hat over ringing notes: too short to move the energy,
 * it fills the valleys between their partials). */
static int attack_drumlike(const struct jl_analysis *a, uint64_t n, uint64_t f)
{
	const uint64_t W = a->st[DET_FAST].win;
	if (f < a->origin)
		return -1;
	uint64_t k0 = (f - a->origin + W + a->hop - 1) / a->hop - 1, kt = k0 + a->tn_off;
	const uint64_t back = W / a->hop + 2; /* the windows before end where k0's starts */
	if (kt > n || k0 < back || n - (k0 - back) >= a->bbn)
		return -1;
	float bg = -200.0f, bgflat = 0.0f;
	for (uint64_t k = k0 - back; k + W / a->hop <= k0; k++)
		if (a->fl_db[k % a->bbn] > bg) {
			bg = a->fl_db[k % a->bbn];
			bgflat = a->flat[k % a->bbn];
		}
	const float fl = a->flat[k0 % a->bbn];
	if (a->fl_db[k0 % a->bbn] >= bg + ART_RISE_DB)
		return fl >= ART_DRUM_FLAT;
	return a->noise[kt % a->bbn] >= ART_DRUM_NOISE || (fl >= ART_DRUM_FLAT && fl >= bgflat + ART_FLAT_RISE);
}

/* Is there an entry of the sorted list v[0..m) within tol of x? */
static int near_in(const uint64_t *v, size_t m, double x, double tol)
{
	size_t lo = 0, hi = m;
	while (lo < hi) { /* first entry >= x - tol */
		size_t mid = lo + (hi - lo) / 2;
		if ((double)v[mid] < x - tol)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < m && (double)v[lo] <= x + tol;
}

/* Share of the snares s[0..ns) followed by another one S frames later
 * (among those whose follower falls before `last`); -1 if fewer than 3
 * can be checked. */
static double snare_recurrence(const uint64_t *s, size_t ns, double S, uint64_t last)
{
	size_t hit = 0, cnt = 0;
	for (size_t i = 0; i < ns; i++) {
		if ((double)s[i] + S * (1 + BB_TOL) > (double)last)
			break;
		cnt++;
		hit += (size_t)near_in(s, ns, (double)s[i] + S, BB_TOL * S);
	}
	return cnt >= 3 ? (double)hit / (double)cnt : -1;
}

/* The beat period (hops) that a backbeat puts among P/2, P and 2P, or 0.
 *
 * In most popular music the snare (or clap, or rim) sounds on every
 * second beat and the kick between: the drummer's pattern names the beat
 * (Goto, "An audio-based real-time beat tracking system for music with or
 * without drum-sounds", J. New Music Research 30(2), 2001, infers the
 * beat level from exactly this alternation).  The onsets of the last
 * BB_SPAN_S (since the latest change of the music, tempo_changing(): a
 * span holding two tempi found the snares of 150 and of 100 BPM both
 * recurring at 2.4 s and named 50 for 7 s after a step) are sorted by
 * their attacks' kick band (30-150 Hz) against
 * their snare band (150-1000 Hz): a kick is BB_KICK_DB louder in the
 * kick band, a snare BB_SNARE_DB louder in the snare band (less, because
 * a backbeat snare often sounds over a kick: a double kick, four on the
 * floor), and either is within BB_RANGE_DB of the span's loudest in its
 * band.  A kick's snare band is also BB_KICK_MID_DB below the loudest
 * one, and a noise-like attack (flatness at least ART_DRUM_FLAT) within
 * BB_SNARE_NEAR_DB of the loudest snare band is a snare whatever its
 * kick band holds: some kits' snares have a body that is louder in the
 * kick band than their rattle in the snare band (TimGM6mb's by 5-8 dB,
 * MuseScore General's by up to 3.5 dB), which the balance alone counts
 * as kicks.  A snare period S is one at which most snares recur (BB_RECUR)
 * and half of which they do not; the pattern is a backbeat if most snares
 * have a kick S/2 before or after them (BB_ALT).  The beat is then S/2.  Where the snares do not recur at one period
 * (a waltz's 2 and 3, a 5/4 bar's 2 and 5) or the kick does not
 * alternate with them (a reggae one-drop, where they sound together),
 * this says nothing.
 *
 * A dense band mix hides the kit's balance: with a chord on every beat
 * the kick's snare band is within a few dB of its kick band, and the
 * off-beat chords, with little in the kick band, count as snares (a punk
 * band at 200 BPM found 1 kick and 54 "snares" in 12 s, and read 100).
 * Where the kit's balance names nothing, a second pass sorts by the
 * loudest instead: a snare is within BB_DENSE_SNARE_RANGE_DB of the
 * span's loudest snare band (the backbeat is the loudest thing there), a
 * kick within BB_DENSE_KICK_RANGE_DB of the loudest kick band with its
 * snare band BB_DENSE_KICK_MID_DB below the loudest and BB_DENSE_KICK_DB
 * under its kick band.  That pass may only halve P (snares recurring at
 * P, kicks between): its classes are few, and allowed to name 2P or 4P
 * they read a rock and a shuffle at half the tempo where a kit's snares
 * have their body in the kick band (see docs/analysis.md).  It reads
 * each attack from BB_DENSE_PRE_HOPS before its onset: under noise an
 * onset is often placed late (a punk snare by 18-28 ms under white noise
 * at 10 dB), and the windows from it on miss the snare's crack, so the
 * snare beats' snare band falls toward the kick beats' (the validation
 * set's punk read 100 in five of its six noisy copies, and reads 200 now;
 * no other final reading of the benchmarks moves).  Not the first pass:
 * there a kick's beater click, a hop before its onset, would count in
 * its snare band (a house groove at 155 read 77.5).
 *
 * Where neither names anything, a third pass sorts by flatness: the
 * snares are the noise-like attacks (at least ART_DRUM_FLAT) within
 * BB_FLAT_RANGE_DB of the loudest snare band, the kicks the attacks that
 * are not noise-like within BB_FLAT_RANGE_DB of the loudest kick band,
 * whatever their balance.  Overdriven chords on every eighth put as
 * much in the snare band as the snare and, on the kick beats, more than
 * the kick puts in the kick band: OPL3's rendering of the dev set's rock
 * m02 found no kick in either pass and read 70, its metal d07 90 and
 * the validation punk 100.  A chord's spectrum is peaky (the rock's
 * chords mostly at flatness 0.2-0.4), a snare's is not (0.65-0.75).
 * Like the dense pass, it may only halve P and reads attacks from
 * BB_DENSE_PRE_HOPS before their onsets (without that, the rock gained
 * less and the metal nothing).
 * Those three read right now; no other final reading of the benchmarks
 * moves, and with both ranges at 6 dB none moves either. */
struct bb_classes {
	double kick_db, kick_range_db, kick_mid_db; /* a kick: see backbeat_pass() */
	double snare_db, snare_range_db;            /* a snare by its balance */
	int max_m;                                  /* snare periods P .. max_m * P */
	uint32_t pre_hops;                          /* attack levels from this many hops before the onset */
	int by_flatness;                            /* snares are the noise-like attacks, kicks the others */
};

static double backbeat_pass(struct jl_analysis *a, uint64_t n, double P, const struct bb_classes *c)
{
	a->bb_named = 0;
	uint64_t now = frame_end(a, n), span = (uint64_t)(BB_SPAN_S * a->cfg.rate);
	uint64_t from = now > span ? now - span : 0;
	if (a->change_from > from)
		from = a->change_from; /* the snares before a change are other music */
	size_t first = lower_bound(a, from);
	float maxlo = -200.0f, maxmid = -200.0f, lo, mid;
	uint64_t last = 0;
	for (size_t i = first; i < a->ons_cnt; i++) {
		if (!attack_levels(a, n, onset_at(a, i)->frame, c->pre_hops, &lo, &mid))
			continue;
		if (lo > maxlo)
			maxlo = lo;
		if (mid > maxmid)
			maxmid = mid;
		last = onset_at(a, i)->frame;
	}
	size_t nk = 0, ns = 0;
	for (size_t i = first; i < a->ons_cnt && nk < a->bb_cap && ns < a->bb_cap; i++) {
		uint64_t f = onset_at(a, i)->frame;
		if (!attack_levels(a, n, f, c->pre_hops, &lo, &mid))
			continue;
		if (c->by_flatness) {
			const float fl = attack_flatness(a, n, f);
			if (fl >= ART_DRUM_FLAT && mid >= maxmid - c->snare_range_db)
				a->bb_snare[ns++] = f;
			else if (fl >= 0 && fl < ART_DRUM_FLAT && lo >= maxlo - c->kick_range_db)
				a->bb_kick[nk++] = f;
			continue;
		}
		if (lo - mid >= c->kick_db && lo >= maxlo - c->kick_range_db && mid < maxmid - c->kick_mid_db)
			a->bb_kick[nk++] = f;
		else if ((mid - lo >= c->snare_db && mid >= maxmid - c->snare_range_db) ||
			 (attack_flatness(a, n, f) >= ART_DRUM_FLAT && mid >= maxmid - BB_SNARE_NEAR_DB))
			a->bb_snare[ns++] = f;
	}
	if (nk < BB_MIN_KICKS || ns < BB_MIN_SNARES)
		return 0;
	for (int m = 1; m <= c->max_m; m *= 2) {
		double S = m * P * a->hop; /* snare period, frames */
		if (snare_recurrence(a->bb_snare, ns, S, last) < BB_RECUR ||
		    snare_recurrence(a->bb_snare, ns, S / 2, last) >= BB_RECUR)
			continue;
		size_t alt = 0;
		for (size_t i = 0; i < ns; i++) {
			double x = (double)a->bb_snare[i];
			alt += (size_t)(near_in(a->bb_kick, nk, x - S / 2, BB_KICK_TOL * S) ||
					near_in(a->bb_kick, nk, x + S / 2, BB_KICK_TOL * S));
		}
		if ((double)alt >= BB_ALT * (double)ns) {
			a->bb_named = ns;
			a->bb_beat = S / 2 / a->hop;
			return a->bb_beat;
		}
	}
	return 0;
}

static double backbeat(struct jl_analysis *a, uint64_t n, double P)
{
	static const struct bb_classes plain = { .kick_db = BB_KICK_DB, .kick_range_db = BB_RANGE_DB,
						 .kick_mid_db = BB_KICK_MID_DB, .snare_db = BB_SNARE_DB,
						 .snare_range_db = BB_RANGE_DB, .max_m = 4 };
	static const struct bb_classes dense = { .kick_db = BB_DENSE_KICK_DB, .kick_range_db = BB_DENSE_KICK_RANGE_DB,
						 .kick_mid_db = BB_DENSE_KICK_MID_DB, .snare_db = BB_SNARE_DB,
						 .snare_range_db = BB_DENSE_SNARE_RANGE_DB, .max_m = 1,
						 .pre_hops = BB_DENSE_PRE_HOPS };
	/* by flatness: the balance fields are not read */
	static const struct bb_classes flat = { .kick_range_db = BB_FLAT_RANGE_DB, .snare_range_db = BB_FLAT_RANGE_DB,
						.max_m = 1, .pre_hops = BB_DENSE_PRE_HOPS, .by_flatness = 1 };
	double b = backbeat_pass(a, n, P, &plain);
	if (!(b > 0))
		b = backbeat_pass(a, n, P, &dense);
	return b > 0 ? b : backbeat_pass(a, n, P, &flat);
}

/* The sparse path's ACF at lag l (hops), linearly interpolated. */
static double eacf_at(const struct jl_analysis *a, double l)
{
	if (l < 0 || l > a->nlag - 2)
		return 0;
	uint32_t i = (uint32_t)l;
	double fr = l - i;
	return (1 - fr) * a->eacf[i] + fr * a->eacf[i + 1];
}

static double sparse_score(const struct jl_analysis *a, double l)
{
	return (eacf_at(a, l) + eacf_at(a, 2 * l) + eacf_at(a, 3 * l) + eacf_at(a, 4 * l)) / 4.0 * prior(a, l);
}

/* The beat period (hops) of sparse material, or 0 if the material is not
 * sparse.
 *
 * Pads and slow chords sound a chord every 2 or 4 beats with nothing
 * between: fewer than SPARSE_RATE onsets per second.  The envelope ACF
 * then has no peak at the beat at all (nothing sounds one beat apart),
 * and its small ripples decide.  Here the onsets of the last
 * SPARSE_SPAN_S (at least SPARSE_MIN of them) give an ACF of their own:
 * every pair adds a triangle SPARSE_TOL_S wide at its distance (slow
 * attacks put the onsets tens of ms off).  Every lag of the beat range is
 * scored like a peak of the envelope ACF, by the mean at 1, 2, 3 and 4
 * times it and the preference curve, without requiring recurrence at the
 * lag itself: a beat that only subdivides the chords' distance is
 * allowed, as a listener counts beats between slow chords.  *conf is the
 * best score per onset pair. */
static double sparse_period(struct jl_analysis *a, uint64_t n, double *conf)
{
	uint64_t now = frame_end(a, n), span = (uint64_t)(SPARSE_SPAN_S * a->cfg.rate);
	if (span > now - a->origin)
		span = now - a->origin; /* a young stream: the rate over what there is */
	size_t first = lower_bound(a, now - span), m = a->ons_cnt - first;
	if (m < SPARSE_MIN || (double)m >= SPARSE_RATE * (double)span / a->cfg.rate)
		return 0;
	memset(a->eacf, 0, a->nlag * sizeof(double));
	const double w = SPARSE_TOL_S * a->cfg.rate / a->hop; /* half width, hops */
	for (size_t i = first; i < a->ons_cnt; i++)
		for (size_t j = i + 1; j < a->ons_cnt; j++) {
			double d = (double)(onset_at(a, j)->frame - onset_at(a, i)->frame) / a->hop;
			if (d + w + 1 >= a->nlag)
				break;
			for (uint32_t k = (uint32_t)ceil(d - w > 0 ? d - w : 0); k <= (uint32_t)floor(d + w); k++)
				a->eacf[k] += 1.0 - fabs((double)k - d) / (w + 1);
		}
	double best = 0;
	uint32_t bl = 0, hi;
	for (uint32_t l = a->lmin; l <= a->lmax; l++) {
		double sc = sparse_score(a, l);
		if (sc > best) {
			best = sc;
			bl = l;
		}
	}
	if (!bl)
		return 0;
	for (hi = bl; hi < a->lmax && sparse_score(a, hi + 1) >= 0.999 * best; hi++)
		; /* the middle of a plateau of equal scores */
	double P = 0.5 * (bl + hi);
	*conf = best / prior(a, P) / (double)(m - 1);
	if (*conf > 1)
		*conf = 1;
	return P;
}

/* Articulation: the median rate (dB/s) at which the level falls from an
 * onset's attack (the loudest hop within ART_PEAK_S) to just before the
 * next onset, over the onsets of the tatum's span (intervals shorter than
 * ART_MIN_IOI_S are skipped).  Ringing notes (a piano with the pedal down,
 * let-ring guitar, harp, choir) fall by less than ART_RING_DBS (their
 * T60 is above 2.4 s); damped, staccato and percussive notes by more than
 * ART_DAMPED_DBS (T60 below 1.5 s).  Also sets a->art_drums, the share of
 * the span's attacks that are noise-like (attack_drumlike): most of them
 * are where drums play.  Returns 0 if there are fewer than TATUM_MIN_IOIS
 * intervals, else 1 with the rate in *rate (negative for notes that
 * swell). */
static int articulation(struct jl_analysis *a, uint64_t n, double *rate)
{
	uint64_t now = frame_end(a, n);
	uint64_t span = (uint64_t)(2.0 * a->cfg.tempo_tau_s * a->cfg.rate);
	const uint32_t post = secs_to_hops(a, ART_PEAK_S);
	size_t m = 0;
	for (size_t i = lower_bound(a, now > span ? now - span : 0) + 1; i < a->ons_cnt && m < a->ioi_cap; i++) {
		uint64_t f0 = onset_at(a, i - 1)->frame, f1 = onset_at(a, i)->frame;
		if (f0 < a->origin || f1 - f0 < (uint64_t)(ART_MIN_IOI_S * a->cfg.rate))
			continue;
		uint64_t k0 = (f0 - a->origin) / a->hop, k1 = (f1 - a->origin) / a->hop;
		if (k1 < 4 || k1 > n || n - k0 + post >= a->envn || k0 + post > n)
			continue;
		float pk = -200.0f;
		for (uint64_t k = k0; k <= k0 + post; k++)
			if (at(a, a->rms_db, k) > pk)
				pk = at(a, a->rms_db, k);
		double end = (at(a, a->rms_db, k1 - 2) + at(a, a->rms_db, k1 - 3) + at(a, a->rms_db, k1 - 4)) / 3.0;
		a->ioi[m++] = (float)((pk - end) * a->cfg.rate / (double)(f1 - f0));
	}
	if (m < TATUM_MIN_IOIS)
		return 0;
	*rate = kth_smallest(a->ioi, m, (m - 1) / 2);
	/* the share of noise-like attacks: drums */
	size_t q = 0, d = 0;
	for (size_t i = lower_bound(a, now > span ? now - span : 0); i < a->ons_cnt; i++) {
		int v = attack_drumlike(a, n, onset_at(a, i)->frame);
		if (v >= 0) {
			q++;
			d += (size_t)v;
		}
	}
	a->art_drums = q ? (double)d / (double)q : 0;
	return 1;
}

/* The preference curve's centre for this choice: ART_CENTRE_BPM for
 * ringing notes without drums, 120 BPM for damped or percussive ones,
 * log-linear between (see articulation()).  Listeners' preferred level
 * depends on the music: McKinney & Moelants ("Ambiguity in tempo
 * perception: what draws listeners to different metrical levels?", Music
 * Perception 24(2), 2006) find excerpts whose most salient level lies
 * well below 120 BPM, and Geringer, Madsen, MacLeod & Droe ("The effect of
 * articulation style on perception of modulated tempo", J. Research in
 * Music Education 54(4), 2006) find legato music heard as slower than
 * staccato.  Half an octave down moves the tie between two octave-related
 * levels from 85/170 to 60/120 BPM: an even stream of ringing notes at
 * 150 per minute is counted in 75, a damped one in 150. */
static double pref_centre(struct jl_analysis *a, uint64_t n)
{
	double r;
	if (!articulation(a, n, &r) || r >= ART_DAMPED_DBS || a->art_drums >= ART_DRUM_SHARE)
		return 120.0;
	if (r <= ART_RING_DBS)
		return ART_CENTRE_BPM;
	return ART_CENTRE_BPM * pow(120.0 / ART_CENTRE_BPM, (r - ART_RING_DBS) / (ART_DAMPED_DBS - ART_RING_DBS));
}

/* What the slower of two 3:2 grids' accent is divided by
 * (choose_period()) when grid_accent() reads accent_span() hops at hop n:
 * ACCENT_MARGIN over the whole history kept, more over a shorter one.
 * The slower grid's advantage is the best of its more phases, each the
 * mean of fewer teeth: a mean of T teeth varies as 1 / sqrt(T), and T is
 * the span over the period, so the advantage grows as 1 / sqrt(span).
 * ACCENT_MARGIN was measured over the whole history; in the first seconds
 * of a stream or after a change (accent_span()) the comb has a few teeth,
 * and with the fixed margin the slower grid won: the validation set's rock kit
 * with a 16th-based kick, stepping from 100 to 150 BPM, read the new
 * tempo's dotted quarter (100) for 4.1 s after the step, where the old
 * tempo's memory keeps that lag strong.  With the margin scaled it
 * settles in 2.5 s.  Readings over the whole history do not change:
 * on 944 constant-tempo clips, no final reading (the median of a track's
 * second half) moves.  At 4 s, 574 read right instead of 568 (751 at a
 * metrical relative, against 742); scaled as 1 / span instead, 580
 * (762), but a 6/8 fingerpicking then read its eighths more often in its
 * first seconds (first loops: 2096 counted exactly of 2484, against 2103;
 * 2102 with the square root). */
static double accent_margin(const struct jl_analysis *a, uint64_t n)
{
	const double span = (double)accent_span(a, n), full = (double)accent_full(a);
	return span > 0 && span < full ? 1.0 + (ACCENT_MARGIN - 1.0) * sqrt(full / span) : ACCENT_MARGIN;
}

/* Pick the beat period (hops).  Sparse material (pads, slow chords) is
 * read by sparse_period().  Otherwise the period is the ACF peak lag with
 * the best salience (salience(): the ACF at the lag and its multiples,
 * each multiple capped) times the preference curve (prior(), centred by
 * pref_centre()), refined by parabolic interpolation, with four
 * corrections:
 *
 * - A lag that does not fit a whole number of times into the pattern
 *   period (a dotted value, three eighths of a 7/8 bar, a 4:5
 *   cross-rhythm of a clave) is not a beat of that pattern, however
 *   strongly it recurs on its own: its score is scaled by PATTERN_MISFIT.
 *   The pattern only overrules a lag that recurs no more strongly than
 *   the pattern does.  After a tempo change the old pattern's recurrence
 *   fades while the new beat's grows, so the old bar does not hold back
 *   the new tempo (it cost 0.5 s of settle time on a 128 -> 100 BPM step
 *   when it did).
 * - A lag of more than TATUM_MAX tatums is a half bar or a bar, not a
 *   beat (binary and ternary subdivision give 2, 3, 4 or 6 tatums per
 *   beat): its score is scaled by TATUM_MISFIT.
 * - Between 3:2 relatives of nearly equal periodicity, the grid the
 *   accents fall on wins (below).
 * - A backbeat (snare on every second beat, kick between) sets the
 *   octave: see backbeat().
 *
 * *conf is the normalised ACF at the period.  Returns 0 if there is no
 * peak. */
static double choose_period(struct jl_analysis *a, uint64_t n, double *conf)
{
	a->pref_bpm = pref_centre(a, n);
	double sp = sparse_period(a, n, conf);
	a->sparse = sp > 0;
	if (sp > 0)
		return sp;
	double best = 0, tatum = tatum_period(a, n), B = pattern_period(a, tatum);
	uint32_t bl = 0;
	for (uint32_t l = a->lmin; l <= a->lmax; l++) {
		if (!acf_peak(a, l))
			continue;
		double sal = period_score(a, l, B, tatum, MULTIPLE_HEADROOM, 1);
		if (sal > best) {
			best = sal;
			bl = l;
		}
	}
	*conf = 0;
	if (bl == 0)
		return 0;
	double P = refine_peak(a, bl);
	/* A 3:2 relative (the quarter against the dotted quarter of 6/8, the
	 * beat against a hemiola) whose periodicity is nearly as strong (its
	 * score without the preference curve, which always favours one of
	 * the two) is a different grouping of the same pulses: the grid on
	 * which the accents fall wins.  Only for a clear periodicity: the
	 * sparse envelope of a pad gives accents by chance.  The slower
	 * grid's accent is divided by accent_margin() first: its comb has
	 * fewer teeth and more phases to choose the best from, so on equally
	 * accented grids it reads higher.  Without that, near-ties (accents
	 * 5.28 against 5.16) chose the slower grid: the development set's
	 * power chords played at 157 BPM, its nylon guitar at 81 and its EDM
	 * groove at 143 read at 2/3 of the beat.
	 *
	 * "Nearly as strong" compares the plain means of the ACF at the
	 * multiples, without salience()'s cap: both lags are groupings of
	 * pulses that sound, and the cap would settle the tie before the
	 * accents are heard.  A 12/8 shuffle's dotted quarter recurs less
	 * (ACF 0.15) than two of its eighths (0.3), because of the long-short
	 * swing, though its half bar recurs at 0.7; with the cap in this test
	 * the validation set's 12/8 blues (66) under white noise read 99, and
	 * played at 82 read 124.  And as summed, not as heard (salience()): in
	 * a young stream the slower of two 3:2 relatives has its long
	 * multiples raised, ties with the beat, and the accents of the first
	 * seconds chose it (the dev set's EDM groove read 85, not 128, at
	 * 2.6-4 s). */
	const double P0 = P;
	const double near_tie = ACCENT_CLOSE * period_score(a, bl, B, tatum, INFINITY, 0) / prior(a, bl);
	double acc = -1, win = 1;
	const double margin = accent_margin(a, n);
	for (uint32_t l = a->lmin; l <= a->lmax && acf_norm(a, P0) >= PATTERN_MIN_ACF; l++) {
		if (l == bl || !acf_peak(a, l))
			continue;
		double Q = refine_peak(a, l), r = Q / P0;
		if (!(fabs(r - 1.5) <= 0.04 * 1.5 || fabs(r - 2.0 / 3) <= 0.04 * 2.0 / 3))
			continue;
		if (period_score(a, l, B, tatum, INFINITY, 0) / prior(a, l) < near_tie)
			continue;
		if (acc < 0)
			acc = grid_accent(a, n, P0);
		if (!(acc > 0))
			break; /* too little history since a change */
		double q = grid_accent(a, n, Q);
		double adv = Q > P0 ? q / (margin * acc) : q * margin / acc;
		if (adv > win) {
			win = adv;
			P = Q;
		}
	}
	/* A backbeat names the level outright. */
	double bb = backbeat(a, n, P);
	if (bb > 0 && fabs(bb - P) > 0.04 * P && bb >= a->lmin && bb <= a->lmax) {
		P = bb;
		for (uint32_t l = (uint32_t)(0.96 * bb); l <= (uint32_t)(1.04 * bb) + 1 && l + 2 < a->nlag; l++)
			if (l > 1 && acf_peak(a, l) && fabs(refine_peak(a, l) - bb) <= 0.04 * bb)
				P = refine_peak(a, l);
	}
	*conf = acf_norm(a, P);
	return P;
}

/* The recent ACF (memory RECENT_TAU_S) at lag l <= lmax + 1, normalised,
 * negative values clipped to 0. */
static double recent_acf(const struct jl_analysis *a, double l)
{
	if (l < 0 || l > a->lmax + 1)
		return 0;
	uint32_t i = (uint32_t)l;
	double fr = l - i;
	double r = ((1 - fr) * a->racf[i] + fr * a->racf[i + 1]) / (a->racf[0] + 1e-12);
	return r > 0 ? r : 0;
}

/* Has the music changed under the reading?  The long ACF (memory
 * tempo_tau_s) and the recent one (RECENT_TAU_S) have the same shape while
 * the rhythm stays, whatever it is: their cosine similarity over the lags
 * from half the shortest beat to the longest stays at 0.96-1.00 in
 * steady music, and falls to 0.7-0.85 within a second of a tempo step.
 * After a step the long ACF's memory holds the old tempo for seconds: the
 * new period overtook the old one in it 2.8 s after a 3:2 step up of a
 * rock kit, 3.8 s after a 4:3 step down.  So while the two disagree
 * (below CHANGE_SIM), the long ACF forgets faster (CHANGE_TAU_S on top of
 * tempo_tau_s), and for CHANGE_HOLD_S after that a new metrical level
 * (3:2, x2) is held only as long as a new tempo: after a 3:2 step the old
 * period still recurs as three eighths of the new beat, so the RECENT_GONE
 * test does not free it; and backbeat() reads only the onsets from about
 * when the change began (change_from).  Not where the onsets have stopped
 * (CHANGE_ONSETS: over a held chord the recent ACF only fades, and an
 * organ part alternating a bar of stabs with a held chord was read at
 * half its tempo for seconds), nor for the sparse path's readings (pads:
 * their recent ACF holds a chord or two and rarely matches any shape).
 * At 0.85 no constant-tempo clip of the benchmarks reads differently at
 * any point of its track; at 0.9, swung drums and a legato violin changed
 * level for a moment. */
static int tempo_changing(const struct jl_analysis *a, uint64_t n)
{
	if (!a->tknown || a->sparse)
		return 0;
	uint64_t now = frame_end(a, n), span = (uint64_t)(RECENT_TAU_S * a->cfg.rate);
	if (a->ons_cnt - lower_bound(a, now > span ? now - span : 0) < CHANGE_ONSETS)
		return 0;
	double sab = 0, saa = 0, sbb = 0;
	for (uint32_t l = a->lmin / 2; l <= a->lmax; l++) {
		double x = recent_acf(a, l), y = acf_pos(a, l);
		sab += x * y;
		saa += x * x;
		sbb += y * y;
	}
	return sab < CHANGE_SIM * sqrt(saa * sbb);
}

/* Is p/q close to a ratio of metrical levels, 2, 3 or 3:2 (either way)? */
static int metrical_jump(double p, double q)
{
	double r = p > q ? p / q : q / p;
	return fabs(r - 2) < 0.12 || fabs(r - 3) < 0.18 || fabs(r - 1.5) < 0.06;
}

/* The comb's strength at phase phi (hops back from n): nb teeth P apart,
 * each the onset envelope plus BEAT_LOW_W per dB that the kick band rises
 * there (drum_bands()).  Kicks and bass notes fall on the beats more
 * often than the parts above them do: Goto (J. New Music Research 30(2),
 * 2001) places beats from the bass drum's onsets.  Measured on ten sets
 * (dev, validation, four soundfonts, both sets at other tempi, noise,
 * steps): 0.025 per dB raised the beat F on every set, by up to 0.02, and
 * moved most of the validation set's samba (F 0.04 -> 0.61) and of an
 * EDM groove rendered with OPL3 (0.03 -> 0.77) onto the beats.  Against
 * that, 0.05 per dB lowered F on four of seven sets and 0.1 on six, and
 * both put more of the dev set's EDM groove, whose synth bass plays the
 * off-beats, on its off-beats. */
static double comb_at(const struct jl_analysis *a, uint64_t n, double P, uint32_t nb, uint32_t phi)
{
	double s = 0;
	for (uint32_t k = 0; k < nb; k++) {
		uint64_t idx = n - phi - (uint64_t)lround(k * P);
		s += at(a, a->tenv, idx) + BEAT_LOW_W * at(a, a->low_rise, idx);
	}
	return s;
}

/* How far a beat at hop bh is placed before the hop's end, in frames: as
 * onsets are, a quarter of the fast window plus a quarter hop. */
static uint64_t beat_back(const struct jl_analysis *a)
{
	return a->st[DET_FAST].win / 4 + a->hop / 4;
}

/* The distance of phases x and y (hops) on a circle of P hops. */
static double phase_dist(double x, double y, double P)
{
	double d = fmod(fabs(x - y), P);
	return d < P - d ? d : P - d;
}

/* The snares' mean phase (hops back from n, in [0, P)) when backbeat()
 * named the period P, else -1.  A circular mean: the phases wrap at P. */
static double snare_phase(const struct jl_analysis *a, uint64_t n, double P)
{
	if (!a->bb_named || fabs(a->bb_beat - P) > 0.04 * P)
		return -1;
	const double back = (double)beat_back(a), w = 2 * PI_D / P;
	double c = 0, s = 0;
	for (size_t i = 0; i < a->bb_named; i++) {
		/* the hop that beat_place() puts on this snare */
		double k = ((double)a->bb_snare[i] + back - (double)a->origin) / a->hop - 1;
		double d = fmod((double)n - k, P);
		c += cos(w * d);
		s += sin(w * d);
	}
	double ph = atan2(s, c) / w;
	return ph < 0 ? ph + P : ph;
}

/* Beat phase: the hop of the latest beat, from a comb over the envelope:
 * the phase whose teeth, one period apart, hold the most onset strength.
 * Where a backbeat named the period, the beats are where its snares are,
 * and the comb only chooses among the phases within BEAT_SNARE_TOL of a
 * period of the snares' mean phase.  A syncopated part (a funk groove's
 * ghost notes and off-beat hats, a clap pattern) can hold more strength
 * between the beats than on them: the comb alone put the development
 * set's funk groove, played with MuseScore General's kit, on its
 * off-beats for 41 % of its beats.
 *
 * The phase is also held: the comb's best phase within BEAT_KEEP_TOL of
 * a period of where the last beat predicts one stays unless another is
 * BEAT_KEEP stronger, as a drummer keeps time through a fill.  Without
 * it a swung ride's skip notes, a third of a beat early, took the grid
 * for bars at a time.  Measured on eleven sets (dev, validation, four
 * soundfonts, both at other tempi, both under noise, steps): 0.2 raised
 * the beat F on eight, by up to 0.017, and lowered it by 0.001-0.002 on
 * three; 0.1 gained less, 0.3 and 0.5 lost on TimGM6mb's rendering and
 * under noise.  Its cost is in odd meters: a held phase cannot follow
 * the unequal beats of a 7/8 grouped 2+2+3. */
static uint64_t beat_phase(const struct jl_analysis *a, uint64_t n, double P)
{
	uint32_t np = (uint32_t)P;
	uint32_t nb = (uint32_t)((a->envn - 2) / P);
	if (nb > 8)
		nb = 8;
	/* fewer teeth while the stream is younger than nb + 1 periods */
	uint32_t fit = (uint32_t)((double)n / P);
	if (fit < nb + 1)
		nb = fit > 0 ? fit - 1 : 0;
	if (nb < 1)
		return n;
	const double sp = snare_phase(a, n, P);
	/* where the last beat says the latest one is: hops back from n */
	const double pp = a->tknown && a->beat_hop <= n ? fmod((double)(n - a->beat_hop), P) : -1;
	double best = -1, held = -1;
	uint32_t bphi = 0, hphi = 0;
	for (uint32_t phi = 0; phi <= np; phi++) {
		if (sp >= 0 && phase_dist(phi, sp, P) > BEAT_SNARE_TOL * P)
			continue;
		double s = comb_at(a, n, P, nb, phi);
		if (s > best) {
			best = s;
			bphi = phi;
		}
		if (pp >= 0 && phase_dist(phi, pp, P) <= BEAT_KEEP_TOL * P && s > held) {
			held = s;
			hphi = phi;
		}
	}
	if (held > 0 && best <= (1 + BEAT_KEEP) * held)
		bphi = hphi;
	return n - bphi;
}

/* The frame of the beat at hop bh (see beat_back()). */
static uint64_t beat_place(const struct jl_analysis *a, uint64_t bh)
{
	uint64_t fe = frame_end(a, bh), back = beat_back(a);
	return fe > a->origin + back ? fe - back : a->origin;
}

/* The beat's frame: the comb's latest beat (hop bh), moved onto the
 * nearest onset within BEAT_SNAP_S and an eighth of the period
 * (jl_analysis_nearest_onset(): not a swell, not a ghost).  The comb
 * finds the hop where the envelope peaks, a hop or two into the attack:
 * its beats fell a median 6-19 ms after the written ones on the
 * benchmark sets, the snapped ones 3 ms before to 4 ms after.  A loop
 * cut at a beat starts on the attack, not inside it.  A beat too recent
 * for its onset to be reported yet (jl_analysis_attack_delay()) gives
 * way to the one a period before it, which says the same about the
 * grid. */
static uint64_t beat_frame_of(const struct jl_analysis *a, uint64_t n, uint64_t bh, double P)
{
	uint64_t w = (uint64_t)(BEAT_SNAP_S * a->cfg.rate), cap = (uint64_t)(P * a->hop / 8);
	if (w > cap)
		w = cap;
	uint64_t f = beat_place(a, bh), g;
	if (jl_analysis_nearest_onset(a, f, w, &g) == 0)
		return g;
	uint64_t p = (uint64_t)lround(P);
	if (frame_end(a, n) - f < jl_analysis_attack_delay(a) + w && bh >= p &&
	    jl_analysis_nearest_onset(a, beat_place(a, bh - p), w, &g) == 0)
		return g;
	return f;
}

/* Sums the bar phase's chroma over hops [from, to) into c[12]. */
static void chroma_sum(const struct jl_analysis *a, uint64_t from, uint64_t to, float *c)
{
	memset(c, 0, 12 * sizeof(float));
	for (uint64_t h = from; h < to; h++) {
		const float *r = a->db_chroma + (size_t)(h % a->dbn) * 12;
		for (int i = 0; i < 12; i++)
			c[i] += r[i];
	}
}

/* 1 - the cosine of two chromas (0: the same harmony; 0 if either is
 * silent). */
static double chroma_change(const float *x, const float *y)
{
	double xy = 0, xx = 0, yy = 0;
	for (int i = 0; i < 12; i++) {
		xy += (double)x[i] * y[i];
		xx += (double)x[i] * x[i];
		yy += (double)y[i] * y[i];
	}
	return xx > 0 && yy > 0 ? 1.0 - xy / sqrt(xx * yy) : 0.0;
}

/* The largest of ring r (dbn rows) over hops h - 1 .. h + 1. */
static double db_max3(const struct jl_analysis *a, const float *r, uint64_t h)
{
	double m = r[h % a->dbn];
	if (r[(h - 1) % a->dbn] > m)
		m = r[(h - 1) % a->dbn];
	if (r[(h + 1) % a->dbn] > m)
		m = r[(h + 1) % a->dbn];
	return m;
}

/* The start cue of the bar phase: the beat (j periods before hop bh, j
 * >= 0) on which the music started, or -1.  A start is the latest onset
 * of the span read (from hop lo) that follows a bar (at least
 * DB_START_GAP_S) without onsets, or the stream's first where
 * first_onset() says it starts the music: a musician starts on the one.  It counts
 * where a beat lies within a quarter period of it. */
static long start_beat(const struct jl_analysis *a, uint64_t n, uint64_t bh, double P, uint32_t B, double lo,
		       uint64_t *frame)
{
	double gap_h = B * P, min_h = DB_START_GAP_S * a->cfg.rate / a->hop;
	if (gap_h < min_h)
		gap_h = min_h;
	const uint64_t gap = (uint64_t)llround(gap_h * a->hop), from = frame_end(a, (uint64_t)lo);
	size_t i = a->ons_cnt;
	while (i > 0) {
		const struct jl_onset *o = onset_at(a, i - 1);
		if (o->frame < from)
			break;
		/* the stream's first onset, soon after it began: see first_onset() */
		const struct jl_onset *p = i >= 2 ? onset_at(a, i - 2) : NULL;
		int start = o->frame < a->origin + gap && (!p || p->frame < a->origin) ? a->first_start
											 : !p || o->frame - p->frame >= gap;
		if (start) {
			/* its hop, as beat_place() puts a beat at hop k: k's end less beat_back */
			double k = ((double)o->frame + (double)beat_back(a) - (double)a->origin) / a->hop - 1;
			double j = ((double)bh - k) / P;
			long jr = lround(j);
			*frame = o->frame;
			if (jr >= 0 && fabs(j - (double)jr) <= 0.25 && k <= (double)n)
				return jr;
			return -1;
		}
		i--;
	}
	return -1;
}

/* The bar phase found: the beat `best` periods before the latest
 * (beat_hop) is a downbeat. */
static void bar_set(struct jl_analysis *a, uint32_t best, double conf)
{
	const uint32_t B = a->per_bar;
	const double P = a->period;
	const uint64_t bh = a->beat_hop;
	a->bar_conf = conf;
	a->bar_hop = (uint64_t)llround((double)bh - best * P);
	a->bar_held = 1;
	a->bar_known = 1;
	/* on the grid of beat_frame, at or before it: beat_frame is the beat
	 * m0 periods before the comb's latest (beat_frame_of()) */
	const double pf = P * a->hop;
	long m0 = lround(((double)beat_place(a, bh) - (double)a->beat_frame) / pf);
	if (m0 < 0)
		m0 = 0;
	long q = ((long)best - m0) % (long)B;
	if (q < 0)
		q += (long)B;
	a->bar_frame = a->beat_frame - (uint64_t)llround((double)q * pf);
}

/* The bar phase: which of the beats of the current grid are downbeats,
 * for a bar of per_bar beats B.  Over the beats of the last DB_SPAN_S
 * (or since the latest change: the bars before it are other music), each
 * complete beat j (hop b_j = beat_hop - j P, j >= 1) gets three features:
 *   - the harmonic change: 1 - the cosine of the chroma over the B beats
 *     from b_j on and over the B beats before b_j.  Chords and bass notes
 *     change on the bar line (Goto 2001, Davies & Plumbley 2006), and a
 *     bar's worth on each side makes a pattern within the bar (a waltz's
 *     bass note and chords) the same on both sides;
 *   - the kick band's rise at b_j (a bass note or a kick on the one),
 *     counted up to DB_LOW_CAP_DB: after silence it is any size;
 *   - the envelope h at b_j (the accent).
 * Each feature is divided by its mean over the beats, and the phase r
 * (beat j is a downbeat when j = r mod B) scores the weighted sum of the
 * features' means over its beats.  A feature that is zero at every beat
 * weighs nothing.
 *
 * The start (start_beat()) adds DB_START_W x B to its phase, which
 * outweighs the features: a musician starts on the one, and the features
 * alone name the bar of a benchmark clip that starts elsewhere only 37-53 %
 * of the time (docs/analysis.md, Downbeats).  The start is carried on the
 * beats after it leaves the span, until the tempo changes or is lost.
 *
 * A downbeat the performer named (jl_analysis_set_downbeat()) decides
 * alone, carried the same way, until a start is heard after it.
 *
 * The phase is held as the beat's is: the phase where the last downbeat
 * says the bar starts stays unless another scores DB_KEEP more.  Unknown
 * with fewer than DB_MIN_BARS bars of beats (unless named). */
static void bar_update(struct jl_analysis *a, uint64_t n)
{
	const uint32_t B = a->per_bar;
	const double P = a->period;
	a->bar_known = 0;
	if (B < 2 || !(P > 0) || !a->tknown)
		return;
	const uint64_t bh = a->beat_hop;
	const uint64_t span = since_change(a, n, a->dbn - 2 * a->lmax - 4);
	const double lo = (double)(n - span) + 2;
	/* the start: heard in the span, or carried from there while the
	 * tempo has not changed (db_start_hop: a bar line it implies).  A
	 * downbeat the performer named (jl_analysis_set_downbeat()) decides
	 * alone until a start is heard after it. */
	uint64_t sf = 0;
	long js = start_beat(a, n, bh, P, B, lo, &sf);
	if (a->db_told && !(js >= 0 && sf >= a->db_told_frame)) {
		long q = lround(((double)bh - (double)a->db_start_hop) / P) % (long)B;
		q = q < 0 ? q + (long)B : q;
		a->db_start_hop = (uint64_t)llround((double)bh - (double)q * P);
		bar_set(a, (uint32_t)q, 1.0);
		return;
	}
	a->db_told = 0;
	const uint64_t off = a->tn_off / 2; /* the tonal window's centre lags the fast one's */
	/* the chroma of the complete beats j = 1 .. K (window j - 1 in db_win) */
	uint32_t K = 0;
	while (K < a->db_cap && (double)bh - (K + 1) * P >= lo)
		K++;
	if (K < DB_MIN_BARS * B)
		return;
	for (uint32_t j = 1; j <= K; j++) {
		uint64_t b0 = (uint64_t)llround((double)bh - j * P), b1 = (uint64_t)llround((double)bh - (j - 1) * P);
		uint64_t e = b1 + off <= n ? b1 + off : n + 1;
		chroma_sum(a, b0 + off, e > b0 + off ? e : b0 + off, a->db_win + (size_t)(j - 1) * 12);
	}
	/* per beat: the harmonic change (where a bar fits on both sides,
	 * else -1), the kick band's rise and the envelope */
	double mu[3] = { 0, 0, 0 };
	uint32_t nmu[3] = { 0, 0, 0 };
	float bar_a[12], bar_b[12];
	for (uint32_t j = 1; j <= K; j++) {
		uint64_t b = (uint64_t)llround((double)bh - j * P);
		double *f = a->db_feat + (size_t)(j - 1) * 3;
		f[0] = -1;
		if (j >= B && j + B <= K) {
			memset(bar_a, 0, sizeof(bar_a));
			memset(bar_b, 0, sizeof(bar_b));
			for (uint32_t i = 0; i < B; i++)
				for (int c = 0; c < 12; c++) {
					bar_a[c] += a->db_win[(size_t)(j - 1 - i) * 12 + c];
					bar_b[c] += a->db_win[(size_t)(j + i) * 12 + c];
				}
			f[0] = chroma_change(bar_a, bar_b);
		}
		f[1] = db_max3(a, a->db_low, b);
		f[2] = db_max3(a, a->db_env, b);
		for (int i = 0; i < 3; i++)
			if (f[i] >= 0) {
				mu[i] += f[i];
				nmu[i]++;
			}
	}
	static const double w[3] = { DB_HARM_W, DB_LOW_W, DB_ENV_W };
	double sc[JL_ANALYSIS_MAX_PER_BAR], m[JL_ANALYSIS_MAX_PER_BAR][3];
	uint32_t cnt[JL_ANALYSIS_MAX_PER_BAR][3];
	memset(m, 0, sizeof(m));
	memset(cnt, 0, sizeof(cnt));
	for (uint32_t j = 1; j <= K; j++)
		for (int i = 0; i < 3; i++)
			if (a->db_feat[(size_t)(j - 1) * 3 + i] >= 0) {
				m[j % B][i] += a->db_feat[(size_t)(j - 1) * 3 + i];
				cnt[j % B][i]++;
			}
	int use[3];
	for (int i = 0; i < 3; i++) {
		use[i] = nmu[i] > 0 && mu[i] / nmu[i] > 1e-9;
		for (uint32_t r = 0; r < B; r++)
			use[i] = use[i] && cnt[r][i] > 0;
	}
	for (uint32_t r = 0; r < B; r++) {
		sc[r] = 0;
		for (int i = 0; i < 3; i++)
			if (use[i])
				sc[r] += w[i] * (m[r][i] / cnt[r][i]) / (mu[i] / nmu[i]);
	}
	if (js < 0 && a->db_start) {
		long q = lround(((double)bh - (double)a->db_start_hop) / P) % (long)B;
		js = q < 0 ? q + (long)B : q;
	}
	if (js >= 0) {
		sc[js % B] += DB_START_W * B;
		a->db_start = 1;
		a->db_start_hop = (uint64_t)llround((double)bh - (double)(js % B) * P);
	}
	uint32_t best = 0, second = B > 1 ? 1 : 0;
	for (uint32_t r = 0; r < B; r++)
		if (sc[r] > sc[best])
			best = r;
	for (uint32_t r = 0; r < B; r++)
		if (r != best && (second == best || sc[r] > sc[second]))
			second = r;
	if (a->bar_held) {
		/* the held phase: beats from the latest one back to the held downbeat */
		double d = ((double)bh - (double)a->bar_hop) / P;
		long q = lround(d) % (long)B;
		uint32_t held = (uint32_t)(q < 0 ? q + (long)B : q);
		if (sc[best] <= (1 + DB_KEEP) * sc[held])
			best = held;
	}
	if (!(sc[best] > 0))
		return;
	double conf = (sc[best] - (second != best ? sc[second] : 0)) / sc[best];
	bar_set(a, best, conf > 0 ? conf : 0);
}

/* Is q (> 0) a metrical relative of 1, 2^k x 3^j with j in -1..1 (the
 * octaves, the 3:2 and 2:3 of compound meters and hemiolas, the third and
 * the triple of a dotted beat against its eighths, 4:3)?  Within a
 * relative tolerance tol. */
static int level_relative(double q, double tol)
{
	for (int j = -1; j <= 1; j++) {
		double e = log2(q) - j * log2(3.0);
		if (fabs(e - floor(e + 0.5)) < log2(1 + tol))
			return 1;
	}
	return 0;
}

double jl_level_map(double level, double prev, double P, int flip)
{
	if (!(level > 0) || !(P > 0))
		return P;
	/* the music moved: the level moves with it */
	if (!flip && prev > 0)
		return level * P / prev;
	/* the reading flipped between levels of the same music: the
	 * relative of the new reading nearest the level set */
	double best = 0;
	for (int j = -1; j <= 1; j++)
		for (int k = -8; k <= 8; k++) {
			double R = ldexp(P * pow(3.0, j), k);
			if (best == 0 || fabs(log(R / level)) < fabs(log(best / level)))
				best = R;
		}
	return best;
}

double jl_level_in_range(double level, double lo, double hi)
{
	double best = 0;
	for (int k = -8; k <= 8; k++) {
		double R = ldexp(level, k);
		if (R >= lo && R <= hi && (best == 0 || fabs(log(R / level)) < fabs(log(best / level))))
			best = R;
	}
	return best > 0 ? best : level;
}

/* The period reported for the analysis's own choice P (hops): P itself,
 * or, where the performer set the metrical level (jl_analysis_set_level()),
 * the level, moved as the music moves (jl_level_map()) and brought into
 * the search range by octaves (jl_level_in_range()).  The level itself is
 * kept as moved, in range or not: a change of the music often passes
 * other levels of the new tempo (a kit stepping from 90 to 120 BPM was
 * read 240 and 80 on the way), and only the product of all the moves,
 * the new reading over the old, is the change; brought into the range
 * at each move, the level ended at 120 instead of 60.  The analysis
 * keeps choosing, and holding, its own level (the hysteresis reads
 * a->own); prev is its choice before P, and flip says that P is a level
 * it flipped to in the same music, which is mapped back to the
 * performer's level. */
double jl_level_follow(double *level, double prev, double P, int flip, double lo, double hi)
{
	if (!(*level > 0))
		return P;
	*level = jl_level_map(*level, prev, P, flip);
	return jl_level_in_range(*level, lo, hi);
}

int jl_level_word(const char *word, unsigned *num, unsigned *den)
{
	static const struct {
		const char *word;
		unsigned num, den;
	} lv[] = { { "half", 1, 2 }, { "double", 2, 1 }, { "2/3", 2, 3 },
		   { "3/2", 3, 2 },  { "third", 1, 3 },  { "triple", 3, 1 } };
	for (size_t i = 0; word && i < sizeof(lv) / sizeof(lv[0]); i++)
		if (!strcmp(word, lv[i].word)) {
			*num = lv[i].num;
			*den = lv[i].den;
			return 0;
		}
	return -EINVAL;
}

/* Is there usable tempo evidence at absolute frame `now` (the end of the
 * latest hop)?  Enough continuous input, onsets recently (silence ->
 * none) and a non-zero envelope energy. */
static int tempo_evidence(const struct jl_analysis *a, uint64_t now)
{
	uint64_t span = (uint64_t)(2.0 * a->cfg.tempo_tau_s * a->cfg.rate);
	size_t recent = a->ons_cnt - lower_bound(a, now > span ? now - span : 0);
	return (double)(now - a->origin) >= TEMPO_MIN_S * a->cfg.rate &&
	       recent >= TEMPO_MIN_ONSETS && a->acf[0] > 0;
}

static void tempo_unknown(struct jl_analysis *a)
{
	a->tknown = 0;
	a->bar_known = 0;
	a->bar_held = 0;
	a->db_start = 0;
	a->db_told = 0;
	a->period = 0;
	a->own = 0;
	a->cand_period = 0;
	a->cand_count = 0;
	a->changing = 0;
}

static void tempo_hop(struct jl_analysis *a, uint64_t n, double fast_mean, double tonal_mean)
{
	/* onset-only envelope: both onset functions above their local means,
	 * each scaled by its recent peak so that neither dominates by units */
	const struct picker *pf = &a->pk[DET_FAST], *pt = &a->pk[DET_TONAL];
	double vf = at(a, pf->odf, n), vt = at(a, pt->odf, n);
	double sf = pf->peak > vf ? pf->peak : vf, stn = pt->peak > vt ? pt->peak : vt;
	if (sf < pf->delta)
		sf = pf->delta;
	if (stn < pt->delta)
		stn = pt->delta;
	double hf = vf - fast_mean, ht = vt - tonal_mean;
	double h = (hf > 0 ? hf / sf : 0) + (ht > 0 ? ht / stn : 0);
	a->tenv[n % a->envn] = (float)h;
	a->db_env[n % a->dbn] = (float)h;
	a->ymean += a->ymean_a * (h - a->ymean);
	float y = (float)(h - a->ymean);
	a->ybuf[n % a->envn] = y;
	uint32_t L = a->nlag;
	if (L > n + 1)
		L = (uint32_t)n + 1;
	const double d = a->changing ? a->tdecay * a->cdecay : a->tdecay;
	for (uint32_t l = 0; l < L; l++)
		a->acf[l] = d * a->acf[l] + (double)y * at(a, a->ybuf, n - l);
	for (uint32_t l = L; l < a->nlag; l++)
		a->acf[l] *= d;
	for (uint32_t l = 0; l < a->lmax + 3; l++)
		a->racf[l] = a->rdecay * a->racf[l] + (l < L ? (double)y * at(a, a->ybuf, n - l) : 0);

	if ((n + 1) % a->tupdate)
		return;
	if (!tempo_evidence(a, frame_end(a, n))) {
		tempo_unknown(a);
		a->level = 0; /* silence: other music may follow, at its own level */
		return;
	}
	const int was_changing = a->changing;
	a->changing = tempo_changing(a, n);
	if (a->changing) {
		a->changed = 1;
		a->change_n = n;
		a->db_start = 0; /* the bars before a change are other music */
		a->db_told = 0;
		/* the recent ACF shows a change about its memory late */
		if (!was_changing) {
			uint64_t now = frame_end(a, n), back = (uint64_t)(RECENT_TAU_S * a->cfg.rate);
			a->change_from = now > a->origin + back ? now - back : a->origin;
		}
	}
	double conf;
	double P = choose_period(a, n, &conf);
	if (!(P > 0) || conf < TEMPO_MIN_CONF) {
		tempo_unknown(a);
		return;
	}
	/* hysteresis: a new period must win several updates in a row, many
	 * more for a jump of metrical level (x2, x3, 3:2) than for a tempo
	 * change */
	if (a->own > 0 && fabs(P - a->own) > 0.04 * a->own) {
		int metr = metrical_jump(P, a->own);
		if (a->cand_period > 0 && fabs(P - a->cand_period) < 0.04 * a->cand_period)
			a->cand_count++;
		else
			a->cand_count = 1;
		a->cand_period = P;
		/* A change of metrical level is held back because both levels
		 * are pulses of the same music.  If the old period has stopped
		 * recurring in the last second or so while the new one recurs,
		 * the tempo has changed by a metrical ratio (a 3:2 step): the
		 * old reading is no level of the music any more. */
		if (metr && recent_acf(a, a->own) < RECENT_GONE && recent_acf(a, P) >= RECENT_HERE)
			metr = 0;
		/* ... or the music has just changed (tempo_changing()) */
		if (metr && a->changed && n - a->change_n < a->change_hold)
			metr = 0;
		/* ... or the reading is young: the first reading comes after
		 * TEMPO_MIN_S of input, before the longer lags that the slower
		 * level needs (its multiples) have been heard, and is most
		 * often the faster relative.  Held for 2 s, it was still the
		 * reading at 4 s, when a first loop of two bars closes and
		 * takes its count of beats from it. */
		if (metr && n - a->known_n < a->young)
			metr = 0;
		uint32_t need = metr ? a->hyst_metrical : a->hyst_change;
		if (a->cand_count < need) {
			/* keep the old period, refined if it is still a peak */
			a->conf = conf > 1 ? 1 : conf;
			return;
		}
	}
	a->cand_count = 0;
	a->cand_period = 0;
	/* The own choice jumped to a relative of itself (x2, x3, 3:2, but
	 * also 4:3, between two other levels of the same music) while the
	 * rhythm kept its shape (tempo_changing() saw no change): a flip
	 * between levels, not a change of the music.  The test of the
	 * hysteresis, the old period no longer recurring, is not enough
	 * here: a brass part whose own choice moved from 2/3 to 1/2 of its
	 * beat passed it. */
	const double prev = a->own;
	const int flip = prev > 0 && fabs(P - prev) > 0.04 * prev && level_relative(P / prev, 0.03) &&
			 !(a->changed && n - a->change_n < a->change_hold);
	a->own = P;
	P = jl_level_follow(&a->level, prev, P, flip, a->lmin, a->lmax);
	a->period = P;
	a->conf = conf > 1 ? 1 : conf;
	if (!a->tknown)
		a->known_n = n;
	a->beat_hop = beat_phase(a, n, P); /* holds the last beat's phase if tknown */
	a->tknown = 1;
	a->beat_frame = beat_frame_of(a, n, a->beat_hop, P);
	bar_update(a, n);
}

/* ------------------------------------------------------------------ feed */

static int consume(struct jl_analysis *a, const float *x, size_t n)
{
	int emitted = 0;
	while (n) {
		uint32_t room = a->hop - a->fill;
		uint32_t toend = a->rlen - a->ring_w;
		size_t m = n < room ? n : room;
		if (m > toend)
			m = toend;
		if (x)
			memcpy(a->ring + a->ring_w, x, m * sizeof(float));
		else
			memset(a->ring + a->ring_w, 0, m * sizeof(float));
		a->ring_w = (uint32_t)((a->ring_w + m) % a->rlen);
		a->fill += (uint32_t)m;
		a->pos += m;
		if (x)
			x += m;
		n -= m;
		if (a->fill == a->hop) {
			a->fill = 0;
			emitted += process_hop(a);
			prune_onsets(a);
		}
	}
	return emitted;
}

int jl_analysis_feed(struct jl_analysis *a, const float *x, size_t n, uint64_t frame)
{
	if (!a || (!x && n))
		return -EINVAL;
	if (!n)
		return 0;
	if (!a->started) {
		a->started = 1;
		a->origin = frame;
		a->pos = frame;
	}
	if (frame > a->pos) {
		uint64_t gap = frame - a->pos;
		int r = 0;
		if (gap <= a->rlen) {
			r = consume(a, NULL, (size_t)gap);
		} else {
			reset_stream(a);
			a->origin = frame;
			a->pos = frame;
		}
		return r + consume(a, x, n);
	}
	if (frame < a->pos) {
		uint64_t over = a->pos - frame;
		if (over >= n) {
			/* entirely in the past: the stream restarted */
			jl_analysis_reset(a);
			return jl_analysis_feed(a, x, n, frame);
		}
		return consume(a, x + over, n - (size_t)over);
	}
	return consume(a, x, n);
}

/* ------------------------------------------------------------------ queries */

size_t jl_analysis_onsets(const struct jl_analysis *a, uint64_t since,
			  struct jl_onset *out, size_t max)
{
	if (!a || !out)
		return 0;
	size_t i = lower_bound(a, since), k = 0;
	for (; i < a->ons_cnt && k < max; i++, k++)
		out[k] = *onset_at(a, i);
	return k;
}

size_t jl_analysis_new_onsets(const struct jl_analysis *a, uint64_t decided_after,
			      struct jl_onset *out, size_t max)
{
	if (!a || !out)
		return 0;
	/* candidates have frame >= decided_after - max_delay */
	uint64_t md = jl_analysis_max_delay(a);
	size_t i = lower_bound(a, decided_after > md ? decided_after - md : 0), k = 0;
	for (; i < a->ons_cnt && k < max; i++) {
		const struct jl_onset *o = onset_at(a, i);
		if (o->decided_at > decided_after)
			out[k++] = *o;
	}
	return k;
}

int jl_analysis_nearest_onset(const struct jl_analysis *a, uint64_t frame,
			      uint64_t window, uint64_t *out)
{
	if (!a || !out)
		return -EINVAL;
	uint64_t lo = frame > window ? frame - window : 0;
	uint64_t hi = UINT64_MAX - frame < window ? UINT64_MAX : frame + window;
	float strong = a->str_init ? 0.25f * (float)exp(a->str_logmean) : 0.0f;
	uint64_t best = 0, bestd = UINT64_MAX;
	for (size_t i = lower_bound(a, lo); i < a->ons_cnt; i++) {
		const struct jl_onset *o = onset_at(a, i);
		if (o->frame > hi)
			break;
		if (o->swell || o->strength < strong)
			continue;
		uint64_t d = o->frame > frame ? o->frame - frame : frame - o->frame;
		if (d < bestd) {
			bestd = d;
			best = o->frame;
		}
	}
	if (bestd == UINT64_MAX)
		return -ENOENT;
	*out = best;
	return 0;
}

void jl_analysis_tempo(const struct jl_analysis *a, struct jl_tempo *out)
{
	if (!out)
		return;
	memset(out, 0, sizeof(*out));
	if (!a || !a->tknown || !(a->period > 0))
		return;
	out->known = 1;
	out->period_frames = a->period * a->hop;
	out->bpm = 60.0 * a->cfg.rate / out->period_frames;
	out->level_set = a->level > 0;
	out->heard_bpm = a->own > 0 ? 60.0 * a->cfg.rate / (a->own * a->hop) : out->bpm;
	out->confidence = a->conf;
	out->beat_frame = a->beat_frame;
	out->per_bar = a->per_bar;
	if (a->bar_known && a->bar_frame <= a->beat_frame) {
		out->bar_known = 1;
		out->downbeat_frame = a->bar_frame;
		out->bar_confidence = a->bar_conf;
	}
}

int jl_analysis_set_downbeat(struct jl_analysis *a, uint64_t frame)
{
	if (!a)
		return -EINVAL;
	if (!a->tknown || !(a->period > 0) || a->per_bar < 2 || a->nframes == 0)
		return -ENOENT;
	const double P = a->period;
	/* frame's hop, as beat_place() puts a beat (see start_beat()), and
	 * the beat of the grid nearest it, counted back from the latest */
	double k = ((double)frame + (double)beat_back(a) - (double)a->origin) / a->hop - 1;
	long j = lround(((double)a->beat_hop - k) / P), r = j % (long)a->per_bar;
	if (r < 0)
		r += (long)a->per_bar;
	a->db_start = 1;
	a->db_start_hop = (uint64_t)llround((double)a->beat_hop - (double)r * P);
	a->db_told = 1;
	a->db_told_frame = frame;
	a->bar_held = 0;
	bar_update(a, a->nframes - 1);
	return 0;
}

int jl_analysis_set_meter(struct jl_analysis *a, uint32_t per_bar)
{
	if (!a || per_bar < 1 || per_bar > JL_ANALYSIS_MAX_PER_BAR)
		return -EINVAL;
	if (per_bar == a->per_bar)
		return 0;
	a->per_bar = per_bar;
	a->bar_held = 0;
	a->db_start = 0;
	a->db_told = 0;
	a->bar_known = 0;
	if (a->tknown && a->nframes > 0)
		bar_update(a, a->nframes - 1);
	return 0;
}

int jl_analysis_set_level(struct jl_analysis *a, double factor)
{
	if (!a || !(factor > 0) || !isfinite(factor))
		return -EINVAL;
	if (!a->tknown || !(a->period > 0) || a->nframes == 0)
		return -ENOENT;
	const double R = a->period / factor;
	if (!level_relative(R / a->own, 0.01))
		return -EINVAL;
	if (R < a->lmin || R > a->lmax)
		return -ERANGE;
	const uint64_t n = a->nframes - 1;
	if (a->bar_known) {
		/* the one stays where it is heard (the click's accent, the
		 * count-in): the new grid runs through the latest downbeat,
		 * which is named as the performer's until a start is heard */
		double k = floor(((double)a->beat_hop - (double)a->bar_hop) / R + 1e-9);
		a->beat_hop = (uint64_t)llround((double)a->bar_hop + (k > 0 ? k : 0) * R);
		a->db_start = 1;
		a->db_start_hop = a->bar_hop;
		a->db_told = 1;
		a->db_told_frame = a->bar_frame;
	}
	a->level = R;
	a->period = R;
	a->bar_held = 0;
	a->beat_frame = beat_frame_of(a, n, a->beat_hop, R);
	bar_update(a, n);
	return 0;
}

/* Beats per cycle.  The candidates are the counts b = 1 .. BPC_MAX whose
 * beat period cycle / b lies in the tempo search range [min_bpm, max_bpm]
 * and that a musician records a loop in (musical_count()).
 *   1. If the live tempo is known and the cycle is within BPC_TOL of a
 *      whole number k of its periods, and k is such a count, the answer is
 *      k: the count agrees with the BPM the looper already shows.
 *   2. Otherwise each candidate is scored like a tempo candidate: the
 *      metrical salience of its period (ACF at 1, 2, 3 and 4 periods;
 *      see salience()) times the tempo preference curve (prior()).  A musician's loop is rarely exactly
 *      b beats long, so the salience is the best one within +-BPC_TOL of
 *      the nominal period.  Equal scores keep the smaller count.
 * If no count puts the beat in the range (a cycle shorter than one beat
 * at max_bpm, or longer than BPC_MAX beats at min_bpm), the count nearest
 * the range is returned: 1 or BPC_MAX.  Before the tempo may be known
 * (TEMPO_MIN_S of input), a loop that holds BPC_MIN_ONSETS onsets is
 * counted by 2. from what the ACF holds; with fewer, -ENOENT (the looper
 * then assumes 4). */
#define BPC_MAX 64
#define BPC_TOL 0.03
#define BPC_MIN_ONSETS 3

/* A count of beats a musician records a first loop in: a power of two
 * times 1, 3, 5, 7 or 9 (whole bars of 2, 3, 4, 5, 6, 7 or 9 beats, in
 * 1, 2, 4 or 8 bars, or 3 bars of 3 or 4).  11, 13 or 15 beats are no
 * such loop: where the analysis finds them, its tempo is wrong. */
static int musical_count(uint32_t b)
{
	while (b % 2 == 0)
		b /= 2;
	return b == 1 || b == 3 || b == 5 || b == 7 || b == 9;
}

int jl_analysis_beats_per_cycle(const struct jl_analysis *a, uint64_t cycle_frames, uint32_t *beats)
{
	if (!a || !beats || cycle_frames == 0)
		return -EINVAL;
	if (!a->started || a->nframes == 0)
		return -ENOENT;
	const uint64_t now = frame_end(a, a->nframes - 1);
	if (!tempo_evidence(a, now)) {
		/* a loop that closes before the tempo may be known (a bar of a
		 * fast waltz, 1.1 s in): counted from what there is, if the loop
		 * holds BPC_MIN_ONSETS onsets */
		size_t in_loop = a->ons_cnt - lower_bound(a, now > cycle_frames ? now - cycle_frames : 0);
		if (in_loop < BPC_MIN_ONSETS || !(a->acf[0] > 0))
			return -ENOENT;
	}
	const double cyc = (double)cycle_frames; /* frames */
	if (a->tknown && a->period > 0) {
		double P = a->period * a->hop, k = floor(cyc / P + 0.5);
		if (k >= 1 && k <= BPC_MAX && fabs(k * P - cyc) <= BPC_TOL * cyc && musical_count((uint32_t)k)) {
			*beats = (uint32_t)k;
			return 0;
		}
	}
	const double fmin = 60.0 * a->cfg.rate / a->cfg.max_bpm; /* shortest beat, frames */
	const double fmax = 60.0 * a->cfg.rate / a->cfg.min_bpm; /* longest beat, frames */
	double best = 0;
	uint32_t bb = 0;
	for (uint32_t b = 1; b <= BPC_MAX; b++) {
		double pf = cyc / b;
		if (pf < fmin || pf > fmax || !musical_count(b))
			continue;
		double l = pf / a->hop, s = 0;
		/* best salience within +-BPC_TOL, in steps of a quarter hop */
		double lo = l * (1 - BPC_TOL), hi = l * (1 + BPC_TOL);
		for (double x = lo; x <= hi; x += 0.25) {
			double v = salience(a, x);
			if (v > s)
				s = v;
		}
		double v = s * prior(a, l);
		if (v > best) {
			best = v;
			bb = b;
		}
	}
	if (bb == 0) {
		if (!(best > 0) && cyc >= fmin && cyc / BPC_MAX <= fmax)
			return -ENOENT; /* candidates exist, none has any periodicity */
		*beats = cyc < fmin ? 1u : BPC_MAX;
		return 0;
	}
	*beats = bb;
	return 0;
}
