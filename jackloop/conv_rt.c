/* conv_rt.c - partitioned convolution, the RT half (docs/convolution.md).
 *
 * No latency: partition 0 of the IR is a direct-form FIR over the input as
 * it arrives; partitions 1..P-1 are uniformly partitioned overlap-save.
 * Input frames collect in the second half of tin[], whose first half holds
 * the previous block (so the FIR's window, B frames back, is always in
 * tin[]).  When a block of B frames is complete:
 *   X  = FFT(previous block | this block)       one r2c of size 2B
 *   FDL[head] = X                               newest spectrum
 *   Y  = sum_{q>=1} FDL[head - q + 1] * H_q     P - 1 complex MACs of B+1 bins
 *   tout = last B frames of IFFT(Y)             one c2r (scale is in H_q)
 * and tout is what partitions 1.. add to the *next* block, whose frames
 * the FIR completes one by one:  y[t] = FIR_0(x)[t] + tout[t mod B].
 *
 * Costs: the FIR is B multiply-adds per frame and channel, spread evenly;
 * the block work (two FFTs and the MAC, which streams 2 (P - 1) 2S floats)
 * lands in the call that completes a block.  Spectra are split (re[],
 * im[]) so the MAC is plain SSE with no shuffles, two partitions per pass
 * to halve the accumulator traffic.
 *
 * The state block is shared memory the daemon can write, so the offsets are
 * recomputed (jl_conv_layout) from the geometry validated when the block
 * was bound, never read; a header that no longer states that geometry is
 * passed over, and the cursors are range-checked before use. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <xmmintrin.h>

#include "conv.h"

static float *fptr(void *base, uint64_t off)
{
	return (float *)(void *)((unsigned char *)base + off);
}

/* sum h[m] * x[m], m < B (multiple of 16); h 16-byte aligned, x not. */
static float dot(const float *restrict h, const float *restrict x, uint32_t B)
{
	__m128 a0 = _mm_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
	float r[4];
	for (uint32_t m = 0; m < B; m += 16) {
		a0 = _mm_add_ps(a0, _mm_mul_ps(_mm_load_ps(h + m), _mm_loadu_ps(x + m)));
		a1 = _mm_add_ps(a1, _mm_mul_ps(_mm_load_ps(h + m + 4), _mm_loadu_ps(x + m + 4)));
		a2 = _mm_add_ps(a2, _mm_mul_ps(_mm_load_ps(h + m + 8), _mm_loadu_ps(x + m + 8)));
		a3 = _mm_add_ps(a3, _mm_mul_ps(_mm_load_ps(h + m + 12), _mm_loadu_ps(x + m + 12)));
	}
	_mm_storeu_ps(r, _mm_add_ps(_mm_add_ps(a0, a1), _mm_add_ps(a2, a3)));
	return (r[0] + r[1]) + (r[2] + r[3]);
}

/* acc += x * h (split complex), nb bins (multiple of 4, 16-byte aligned). */
static void cmac1(float *restrict ar, float *restrict ai, const float *restrict x,
		  const float *restrict h, uint32_t S, uint32_t nb)
{
	const float *xr = x, *xi = x + S, *hr = h, *hi = h + S;
	for (uint32_t i = 0; i < nb; i += 4) {
		__m128 a = _mm_load_ps(xr + i), b = _mm_load_ps(xi + i);
		__m128 c = _mm_load_ps(hr + i), d = _mm_load_ps(hi + i);
		__m128 re = _mm_sub_ps(_mm_mul_ps(a, c), _mm_mul_ps(b, d));
		__m128 im = _mm_add_ps(_mm_mul_ps(a, d), _mm_mul_ps(b, c));
		_mm_store_ps(ar + i, _mm_add_ps(_mm_load_ps(ar + i), re));
		_mm_store_ps(ai + i, _mm_add_ps(_mm_load_ps(ai + i), im));
	}
}

/* acc += x0 * h0 + x1 * h1: two partitions per pass over the accumulator. */
static void cmac2(float *restrict ar, float *restrict ai, const float *restrict x0,
		  const float *restrict h0, const float *restrict x1, const float *restrict h1,
		  uint32_t S, uint32_t nb)
{
	for (uint32_t i = 0; i < nb; i += 4) {
		__m128 a = _mm_load_ps(x0 + i), b = _mm_load_ps(x0 + S + i);
		__m128 c = _mm_load_ps(h0 + i), d = _mm_load_ps(h0 + S + i);
		__m128 e = _mm_load_ps(x1 + i), f = _mm_load_ps(x1 + S + i);
		__m128 g = _mm_load_ps(h1 + i), h = _mm_load_ps(h1 + S + i);
		__m128 re = _mm_sub_ps(_mm_add_ps(_mm_mul_ps(a, c), _mm_mul_ps(e, g)),
				       _mm_add_ps(_mm_mul_ps(b, d), _mm_mul_ps(f, h)));
		__m128 im = _mm_add_ps(_mm_add_ps(_mm_mul_ps(a, d), _mm_mul_ps(b, c)),
				       _mm_add_ps(_mm_mul_ps(e, h), _mm_mul_ps(f, g)));
		_mm_store_ps(ar + i, _mm_add_ps(_mm_load_ps(ar + i), re));
		_mm_store_ps(ai + i, _mm_add_ps(_mm_load_ps(ai + i), im));
	}
}

/* The geometry a header claims, recomputed; 0 if the header is not usable
 * with these plans.  Only for the bind-time check: the RT path uses the
 * geometry validated then (bound() below). */
static int geometry(const struct jl_conv_hdr *h, const struct jl_conv_plans *p,
		    struct jl_conv_hdr *g)
{
	if (!h || !p || !p->r2c || !p->c2r || h->magic != JL_CONV_MAGIC || h->B != p->B)
		return 0;
	if (!jl_conv_layout(g, p->B, h->ir_frames, (int)h->ir_channels))
		return 0;
	return h->pos < g->B && h->head < g->parts;
}

/* The layout of a block of the validated geometry *geom, recomputed from
 * *geom (never from the block); 0 if the block's header no longer states
 * that geometry (the daemon can write it: a changed ir_frames must not
 * move the arrays beyond the region checked at bind) or its cursors are
 * out of range. */
static int bound(const struct jl_conv_hdr *h, const struct jl_conv_geom *geom,
		 const struct jl_conv_plans *p, struct jl_conv_hdr *g)
{
	if (!h || !geom || !p || !p->r2c || !p->c2r || geom->B != p->B)
		return 0;
	if (h->magic != JL_CONV_MAGIC || h->B != geom->B || h->ir_frames != geom->ir_frames ||
	    h->ir_channels != geom->ir_channels)
		return 0;
	if (!jl_conv_layout(g, geom->B, geom->ir_frames, (int)geom->ir_channels))
		return 0;
	return h->pos < g->B && h->head < g->parts;
}

int jl_conv_bind_rt(const void *state, uint64_t bytes, const struct jl_conv_plans *p,
		    struct jl_conv_geom *geom)
{
	const struct jl_conv_hdr *h = state;
	struct jl_conv_hdr g;
	if (!h || ((uintptr_t)state & (JL_CONV_ALIGN - 1)) || bytes < sizeof *h || !p || p->align != 0)
		return -EINVAL;
	if (!geometry(h, p, &g) || g.bytes > bytes || h->bytes != g.bytes || h->parts != g.parts ||
	    h->stride != g.stride || h->nbins4 != g.nbins4 || h->off_h != g.off_h ||
	    h->off_x != g.off_x || h->off_tin != g.off_tin || h->off_tout != g.off_tout ||
	    h->off_acc != g.off_acc || h->off_cplx != g.off_cplx || h->off_real != g.off_real ||
	    h->off_h0 != g.off_h0)
		return -EINVAL;
	if (geom) {
		geom->B = g.B;
		geom->ir_frames = g.ir_frames;
		geom->ir_channels = g.ir_channels;
	}
	return 0;
}

int jl_conv_check_rt(const void *state, uint64_t bytes, const struct jl_conv_plans *p)
{
	return jl_conv_bind_rt(state, bytes, p, NULL);
}

/* One block of B frames is complete in tin[]: compute what partitions
 * 1..P-1 add to the next block (nch channels), and shift tin[]. */
static void block(void *base, const struct jl_conv_hdr *g, uint32_t head,
		  const struct jl_conv_plans *p, int nch)
{
	const uint32_t B = g->B, P = g->parts, S = g->stride, nb = g->nbins4;
	const uint64_t spec = 2 * (uint64_t)S;	/* floats per split spectrum */
	float *acc = fptr(base, g->off_acc), *cplx = fptr(base, g->off_cplx);
	float *real = fptr(base, g->off_real);

	for (int c = 0; c < nch; c++) {
		float *tin = fptr(base, g->off_tin) + (uint64_t)c * 2 * B;
		float *tout = fptr(base, g->off_tout) + (uint64_t)c * B;
		float *fdl = fptr(base, g->off_x) + (uint64_t)c * P * spec;
		const float *H = fptr(base, g->off_h) + (g->ir_channels == 2 ? (uint64_t)c : 0) * P * spec;
		float *x = fdl + head * spec;
		uint32_t q = 1, s = head;

		if (P > 1) {	/* an IR of one partition is all FIR */
			fftwf_execute_dft_r2c(p->r2c, tin, (fftwf_complex *)(void *)cplx);
			for (size_t k = 0; k <= B; k++) {
				x[k] = cplx[2 * k];
				x[S + k] = cplx[2 * k + 1];
			}
			memset(acc, 0, spec * sizeof *acc);
			/* Partition q (>= 1) pairs with slot head - (q - 1) mod P:
			 * slots run downwards from head, then wrap to P - 1. */
			while (q < P) {
				uint32_t s1 = s == 0 ? P - 1 : s - 1;
				if (q + 1 < P) {
					cmac2(acc, acc + S, fdl + s * spec, H + q * spec, fdl + s1 * spec,
					      H + (q + 1) * spec, S, nb);
					q += 2;
					s = s1 == 0 ? P - 1 : s1 - 1;
				} else {
					cmac1(acc, acc + S, fdl + s * spec, H + q * spec, S, nb);
					q++;
				}
			}
			for (size_t k = 0; k <= B; k++) {
				cplx[2 * k] = acc[k];
				cplx[2 * k + 1] = acc[S + k];
			}
			fftwf_execute_dft_c2r(p->c2r, (fftwf_complex *)(void *)cplx, real);
			memcpy(tout, real + B, (size_t)B * sizeof *tout);
		}
		memcpy(tin, tin + B, (size_t)B * sizeof *tin);
	}
}

int jl_conv_process_bound_rt(void *state, const struct jl_conv_geom *geom, const struct jl_conv_plans *p,
			     float *l, float *r, uint32_t n, float mix)
{
	struct jl_conv_hdr *h = state;
	struct jl_conv_hdr g;
	const int nch = r ? 2 : 1;
	float g0, dg;
	uint32_t pos, k = 0;

	if (!l || n == 0)
		return 0;
	if (!bound(h, geom, p, &g))
		return -1;
	if (!(mix >= 0.0f))	/* also NaN */
		mix = 0.0f;
	if (mix > 1.0f)
		mix = 1.0f;
	g0 = h->mix;
	if (!(g0 >= 0.0f && g0 <= 1.0f))
		g0 = mix;
	dg = (mix - g0) / (float)n;
	pos = h->pos;
	while (k < n) {
		uint32_t m = n - k < g.B - pos ? n - k : g.B - pos;
		for (int c = 0; c < nch; c++) {
			float *io = (c ? r : l) + k;
			float *tin = fptr(state, g.off_tin) + (uint64_t)c * 2 * g.B;
			const float *h0 = fptr(state, g.off_h0) + (g.ir_channels == 2 ? (uint64_t)c : 0) * g.B;
			const float *w = fptr(state, g.off_tout) + (uint64_t)c * g.B + pos;
			const float *d = tin + g.B + pos;	/* dry: the input itself */
			memcpy(tin + g.B + pos, io, (size_t)m * sizeof *io);
			/* y = FIR over the last B input frames + partitions 1..;
			 * out = (1 - g) d + g y: exact dry at g = 0, exact wet at 1 */
			if (dg == 0.0f && g0 == 0.0f) {
				continue;	/* dry only: io already holds it */
			} else if (dg == 0.0f) {
				const float gw = g0, gd = 1.0f - g0;
				for (uint32_t i = 0; i < m; i++)
					io[i] = gd * d[i] + gw * (dot(h0, tin + pos + i + 1, g.B) + w[i]);
			} else {
				for (uint32_t i = 0; i < m; i++) {
					float gi = g0 + dg * (float)(k + i + 1);
					io[i] = (1.0f - gi) * d[i] + gi * (dot(h0, tin + pos + i + 1, g.B) + w[i]);
				}
			}
		}
		pos += m;
		k += m;
		if (pos == g.B) {
			uint32_t head = h->head + 1 == g.parts ? 0 : h->head + 1;
			block(state, &g, head, p, nch);
			h->head = head;
			pos = 0;
		}
	}
	h->pos = pos;
	h->mix = mix;
	return 0;
}

void jl_conv_process_rt(void *state, const struct jl_conv_plans *p, float *l, float *r, uint32_t n,
			float mix)
{
	const struct jl_conv_hdr *h = state;
	struct jl_conv_geom geom;
	if (!h)
		return;
	geom.B = h->B;
	geom.ir_frames = h->ir_frames;
	geom.ir_channels = h->ir_channels;
	jl_conv_process_bound_rt(state, &geom, p, l, r, n, mix);
}
