/* conv.c - convolution, the non-RT half: FFTW planning (docs/convolution.md).
 *
 * The plans are made once by jackloop's main thread; the callback then runs
 * them with the new-array execute API on arrays inside a state block.  FFTW
 * allows that when the new arrays have the same alignment as the planning
 * ones: fftwf_malloc'd arrays here, 64-byte multiples in the block, which
 * fftwf_alignment_of() reports alike (0).  jl_conv_check_rt() verifies it. */
#include <errno.h>
#include <string.h>

#include "conv.h"

int jl_conv_plans_create(struct jl_conv_plans *p, uint32_t B)
{
	float *in = NULL, *out = NULL;
	fftwf_complex *c = NULL;
	int rc = -ENOMEM;

	memset(p, 0, sizeof *p);
	if (!jl_conv_b_ok(B))
		return -EINVAL;
	in = fftwf_malloc(2 * (size_t)B * sizeof *in);
	out = fftwf_malloc(2 * (size_t)B * sizeof *out);
	c = fftwf_malloc(((size_t)B + 1) * sizeof *c);
	if (!in || !out || !c)
		goto fail;
	/* r2c must keep its input: the block's time window is also the
	 * FIR's history and the next block's overlap. */
	p->r2c = fftwf_plan_dft_r2c_1d((int)(2 * B), in, c, FFTW_ESTIMATE | FFTW_PRESERVE_INPUT);
	p->c2r = fftwf_plan_dft_c2r_1d((int)(2 * B), c, out, FFTW_ESTIMATE | FFTW_DESTROY_INPUT);
	if (!p->r2c || !p->c2r)
		goto fail;
	p->align = fftwf_alignment_of(in);
	if (fftwf_alignment_of(out) != p->align || fftwf_alignment_of((float *)c) != p->align) {
		rc = -EINVAL;	/* cannot happen with fftwf_malloc */
		goto fail;
	}
	p->B = B;
	fftwf_free(in);
	fftwf_free(out);
	fftwf_free(c);
	return 0;
fail:
	fftwf_free(in);
	fftwf_free(out);
	fftwf_free(c);
	jl_conv_plans_destroy(p);
	return rc;
}

void jl_conv_plans_destroy(struct jl_conv_plans *p)
{
	if (!p)
		return;
	if (p->r2c)
		fftwf_destroy_plan(p->r2c);
	if (p->c2r)
		fftwf_destroy_plan(p->c2r);
	memset(p, 0, sizeof *p);
}
