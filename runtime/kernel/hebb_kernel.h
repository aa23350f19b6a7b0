/* The plastic network's control step in C99: forward pass, Hebbian update of every layer, weight normalisation
 * (by the largest |w|, or standardisation: mean and variance summed in double in row-major order, each weight
 * computed in double and rounded once, as hebbkit.runtime.network.standardize_layer defines it).
 *
 * One source for every target: the host's C backend (hebbkit.runtime.backends.c_backend, built on first use) and
 * the firmware. No allocation, no I/O; coefficients are const (flash on a board), weights and scratch live in RAM.
 * The NumPy backend is the reference: the forward sums run in double and are rounded once to float, the update
 * runs in float in the NumPy backend's order (dw = pre * (a * post + b) + (c * post + d)), so one step from the
 * same weights agrees to float rounding (build with -ffp-contract=off so no fused multiply-add changes it).
 * -DHEBB_FORWARD_FLOAT runs the forward sums and activations in float instead: for FPUs without double precision
 * (the Cortex-M4F), several times fewer instructions, at ~1e-6 relative from the reference per step.
 */
#ifndef HEBB_KERNEL_H
#define HEBB_KERNEL_H

#include <stdint.h>

#define HEBB_KERNEL_VERSION 2 /* 2: HEBB_STANDARDIZE */

enum hebb_activation { HEBB_TANH = 0, HEBB_IDENTITY = 1, HEBB_SIGMOID = 2, HEBB_RELU = 3 };

/* flags of a network */
#define HEBB_USE_B 1u     /* the rule has a pre-only term (b) */
#define HEBB_USE_C 2u     /* the rule has a post-only term (c) */
#define HEBB_USE_D 4u     /* the rule has a constant term (d) */
#define HEBB_NORMALIZE 8u /* divide each layer by its max |w| after the update */
#define HEBB_LEARNS 16u   /* the rule has coefficients at all (not the static baseline) */
#define HEBB_STANDARDIZE 32u /* after the update, each layer W <- (W - mean) / sqrt(var + 1e-5), in double */

typedef struct {
    int32_t n_in;
    int32_t n_out;
    int32_t activation;       /* enum hebb_activation */
    const float *a;           /* folded coefficients, [n_in][n_out] row-major; b, c, d may be NULL when unused */
    const float *b;
    const float *c;
    const float *d;
    float *weights;           /* the plastic weights, [n_in][n_out] row-major */
    float *post;              /* this layer's output, [n_out] */
} hebb_layer;

typedef struct {
    int32_t n_layers;
    uint32_t flags;
    hebb_layer *layers;
    double *scratch;          /* [max n_out] */
    int32_t weights_small;    /* out: 1 when the last hebb_step updated every layer and left every |w| <=
                                 HEBB_SMALL_WEIGHT (so every layer's sum of squares is finite in float32), else 0 */
} hebb_network;

/* 1e15: squared, times the most weights a network may have (2^22), stays below float32's largest value. */
#define HEBB_SMALL_WEIGHT 1e15f

/* One control step on `input` ([layers[0].n_in]): every layer's post is computed with the current weights and,
 * when `plastic` is non-zero, its weights are updated right after (and net->weights_small set). Returns the
 * last layer's post. */
const float *hebb_step(hebb_network *net, const float *input, int plastic);

/* status bits of hebb_checked_step */
#define HEBB_BAD_INPUT 1  /* an input was NaN or infinite: nothing was computed, the weights are untouched */
#define HEBB_BAD_OUTPUT 2 /* the step ran, and an output came out NaN or infinite (the forward pass overflowed) */

/* hebb_step with the checks a caller must make anyway: the input is checked first (a non-finite entry returns
 * HEBB_BAD_INPUT before anything changes), the last layer's post after. 0 when both are finite. */
int32_t hebb_checked_step(hebb_network *net, const float *input, int plastic);

#endif
