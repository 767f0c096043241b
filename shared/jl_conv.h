/* jl_conv.h - layout of a convolution state block (docs/convolution.md).
 *
 * Both processes agree on it: loopctl sizes a pool region with
 * jl_conv_state_bytes() and fills it with jl_conv_prepare()
 * (loopctl/irload.h); jackloop runs jl_conv_process_rt() (jackloop/conv.h)
 * on it.  The block holds no pointers, only byte offsets from its base, so
 * it can live anywhere in the shared pool.  The base must be 64-byte
 * aligned; every array starts at a 64-byte multiple (FFTW's SIMD alignment
 * and cache lines).
 *
 * Algorithm: uniformly partitioned convolution, partition B frames, with
 * no latency.  The IR is cut into P = ceil(frames / B) partitions.
 * Partition 0 runs as a direct-form FIR on each frame as it arrives (B
 * multiply-adds per frame and channel); partitions 1..P-1 run as
 * overlap-save FFT convolution, FFT size 2B (real-to-complex, B + 1 bins):
 * each one's spectrum is stored once, and the input spectra of the last
 * P - 1 blocks stay in a frequency-domain delay line (FDL).  Their
 * contribution to a block only needs input up to the end of the previous
 * block, so it is computed when that block completes.  Output frame t is
 * the exact convolution at t: the effect adds no latency.
 *
 * Spectra are stored split (S real parts, then S imaginary parts), with
 * S = B + 1 rounded up to 16 floats; the padding bins stay zero.  The FFT
 * scale 1/(2B) is folded into the IR spectra.  Partition 0 is also kept in
 * the time domain, reversed, for the FIR.
 *
 * Memory: jl_conv_state_bytes() = 128 (header)
 *   + (ir_channels + 2) * P * 2S * 4    (IR spectra + FDL of 2 bus channels)
 *   + ir_channels * B * 4               (partition 0, time domain)
 *   + 2 * 3B * 4                        (time-domain input and output, 2 ch.)
 *   + 2S * 4 + 2(B + 1) * 4 + 2B * 4    (scratch), each rounded up to 64.
 * B = 256, stereo IR at 48 kHz: 1 s 1651008 bytes (1.6 MiB), 4 s 6542656 (6.2 MiB).
 *
 * Pure definitions: no I/O, no allocation.  Thread: any.
 */
#ifndef JL_CONV_H
#define JL_CONV_H

#include <stddef.h>
#include <stdint.h>

#define JL_CONV_MAGIC 0x564e434cu	/* "LCNV" */
#define JL_CONV_B 256u			/* the partition size both sides use */
#define JL_CONV_B_MIN 16u
#define JL_CONV_B_MAX 4096u
#define JL_CONV_ALIGN 64u
/* The IR length an option-less daemon accepts (--max-ir-seconds). */
#define JL_CONV_MAX_IR_SECONDS_DEFAULT 4.0

/* The header at the base of a state block (fixed-width, no pointers). */
struct jl_conv_hdr {
	uint32_t magic;		/* JL_CONV_MAGIC once prepared */
	uint32_t B;		/* partition size, frames (power of two) */
	uint32_t parts;		/* P */
	uint32_t ir_channels;	/* 1 (same IR on both bus channels) or 2 (L->L, R->R) */
	uint32_t ir_frames;	/* IR length as given */
	uint32_t stride;	/* S: floats per half of a split spectrum */
	uint32_t nbins4;	/* B + 1 rounded up to 4: bins the RT loop visits */
	uint32_t pos;		/* RT: frames of the current block already buffered */
	uint32_t head;		/* RT: FDL slot of the newest input spectrum */
	float mix;		/* RT: wet gain reached at the end of the last call */
	uint32_t pad0[2];
	uint64_t bytes;		/* size of the whole block */
	uint64_t off_h;		/* IR spectra: [ir_ch][P][2S] floats */
	uint64_t off_x;		/* FDL: [2][P][2S] floats */
	uint64_t off_tin;	/* [2][2B]: previous block | block being filled */
	uint64_t off_tout;	/* [2][B]: partitions 1.. for the current block */
	uint64_t off_acc;	/* scratch [2S]: spectrum accumulator (split) */
	uint64_t off_cplx;	/* scratch [B + 1] complex, interleaved (FFTW) */
	uint64_t off_real;	/* scratch [2B]: inverse FFT output */
	uint64_t off_h0;	/* [ir_ch][B]: partition 0 reversed (FIR taps) */
	uint64_t pad1;
};
_Static_assert(sizeof(struct jl_conv_hdr) == 128, "jl_conv_hdr is two cache lines");
_Static_assert(offsetof(struct jl_conv_hdr, bytes) == 48 && offsetof(struct jl_conv_hdr, off_h0) == 112, "jl_conv_hdr layout");

static inline uint64_t jl_conv_round64(uint64_t x)
{
	return (x + JL_CONV_ALIGN - 1) & ~(uint64_t)(JL_CONV_ALIGN - 1);
}

/* Nonzero if B is a partition size this code supports (power of two in
 * [JL_CONV_B_MIN, JL_CONV_B_MAX]). */
static inline int jl_conv_b_ok(uint32_t B)
{
	return B >= JL_CONV_B_MIN && B <= JL_CONV_B_MAX && (B & (B - 1)) == 0;
}

/* Fills the geometry and offsets of *h for (B, ir_frames, ir_channels),
 * RT fields zeroed, magic left 0.  Returns the block's size in bytes, or 0
 * if the arguments are out of range (B not supported, no frames, channels
 * not 1 or 2). */
static inline uint64_t jl_conv_layout(struct jl_conv_hdr *h, uint32_t B, uint32_t ir_frames,
				      int ir_channels)
{
	struct jl_conv_hdr z = { 0 };
	uint64_t P, S, o;
	*h = z;
	if (!jl_conv_b_ok(B) || ir_frames == 0 || (ir_channels != 1 && ir_channels != 2))
		return 0;
	P = ((uint64_t)ir_frames + B - 1) / B;
	S = ((uint64_t)B + 1 + 15) & ~(uint64_t)15;
	h->B = B;
	h->parts = (uint32_t)P;
	h->ir_channels = (uint32_t)ir_channels;
	h->ir_frames = ir_frames;
	h->stride = (uint32_t)S;
	h->nbins4 = (B + 1 + 3) & ~3u;
	o = jl_conv_round64(sizeof *h);
	h->off_h = o;
	o += jl_conv_round64((uint64_t)ir_channels * P * 2 * S * sizeof(float));
	h->off_h0 = o;
	o += jl_conv_round64((uint64_t)ir_channels * B * sizeof(float));
	h->off_x = o;	/* off_x .. off_acc: the signal history (reset clears it) */
	o += jl_conv_round64(2 * P * 2 * S * sizeof(float));
	h->off_tin = o;
	o += jl_conv_round64(2 * 2 * (uint64_t)B * sizeof(float));
	h->off_tout = o;
	o += jl_conv_round64(2 * (uint64_t)B * sizeof(float));
	h->off_acc = o;
	o += jl_conv_round64(2 * S * sizeof(float));
	h->off_cplx = o;
	o += jl_conv_round64(2 * ((uint64_t)B + 1) * sizeof(float));
	h->off_real = o;
	o += jl_conv_round64(2 * (uint64_t)B * sizeof(float));
	h->bytes = o;
	return o;
}

/* Bytes of a state block for an IR of ir_frames frames and ir_channels
 * (1 or 2) channels, partition size B.  0 if out of range. */
static inline uint64_t jl_conv_state_bytes(uint32_t B, uint32_t ir_frames, int ir_channels)
{
	struct jl_conv_hdr h;
	return jl_conv_layout(&h, B, ir_frames, ir_channels);
}

/* The latency the effect adds, in frames: none (partition 0 is a direct
 * FIR).  Kept as a function so the engine's port-latency code has one
 * place to ask. */
static inline uint32_t jl_conv_latency(uint32_t B)
{
	(void)B;
	return 0;
}

#endif
