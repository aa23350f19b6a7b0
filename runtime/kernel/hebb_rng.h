/* PCG32 (XSH RR, 64-bit state) and the portable uniform initial weights a board draws at every boot.
 *
 * The same generator runs on the host (hebbkit.runtime.pcg32; Policy(..., init_rng="pcg32")), so a board and a host
 * seeded alike start from bit-identical weights. Seeding: increment = (HEBB_PCG32_STREAM << 1) | 1, state = 0, one
 * step, state += seed, one step. Uniform float: u = x >> 8, v = (2u + 1 - 2^24) * 2^-24 (exact, in (-1, 1)), and a
 * weight is bound * v with one float32 rounding. Weights are drawn layer by layer, row-major.
 */
#ifndef HEBB_RNG_H
#define HEBB_RNG_H

#include <stdint.h>

#define HEBB_PCG32_STREAM 0x5EEDu

typedef struct {
    uint64_t state;
    uint64_t increment;
} hebb_pcg32;

void hebb_pcg32_seed(hebb_pcg32 *rng, uint64_t seed);
uint32_t hebb_pcg32_next(hebb_pcg32 *rng);
/* bound * v, v in (-1, 1) from the next output (see above) */
float hebb_pcg32_symmetric(hebb_pcg32 *rng, float bound);
/* fill `count` floats with hebb_pcg32_symmetric(rng, bound) */
void hebb_pcg32_fill(hebb_pcg32 *rng, float *values, int32_t count, float bound);

#endif
