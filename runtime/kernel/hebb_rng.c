/* See hebb_rng.h. */
#include "hebb_rng.h"

#define HEBB_PCG32_MULTIPLIER 6364136223846793005ull

uint32_t hebb_pcg32_next(hebb_pcg32 *rng) {
    const uint64_t old = rng->state;
    rng->state = old * HEBB_PCG32_MULTIPLIER + rng->increment;
    const uint32_t xorshifted = (uint32_t)(((old >> 18) ^ old) >> 27);
    const uint32_t rotation = (uint32_t)(old >> 59);
    return (xorshifted >> rotation) | (xorshifted << ((32u - rotation) & 31u));
}

void hebb_pcg32_seed(hebb_pcg32 *rng, uint64_t seed) {
    rng->increment = ((uint64_t)HEBB_PCG32_STREAM << 1) | 1u;
    rng->state = 0;
    (void)hebb_pcg32_next(rng);
    rng->state += seed;
    (void)hebb_pcg32_next(rng);
}

float hebb_pcg32_symmetric(hebb_pcg32 *rng, float bound) {
    const int32_t top = (int32_t)(hebb_pcg32_next(rng) >> 8);
    const float unit = (float)(2 * top + 1 - (1 << 24)) * (1.0f / 16777216.0f);
    return bound * unit;
}

void hebb_pcg32_fill(hebb_pcg32 *rng, float *values, int32_t count, float bound) {
    for (int32_t k = 0; k < count; ++k) values[k] = hebb_pcg32_symmetric(rng, bound);
}
