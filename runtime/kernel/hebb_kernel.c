/* See hebb_kernel.h. */
#include "hebb_kernel.h"

#include <float.h>
#include <math.h>

#ifdef HEBB_FORWARD_FLOAT
/* The board's fast variant: sums and activations in float, for FPUs without double (Cortex-M4F). Not the NumPy
 * reference's rounding: one step agrees to ~1e-6 relative, not bit for bit. */
static float activatef(int32_t activation, float value) {
    switch (activation) {
    case HEBB_TANH: return tanhf(value);
    case HEBB_SIGMOID: return 1.0f / (1.0f + expf(-value));
    case HEBB_RELU: return value > 0.0f || isnan(value) ? value : 0.0f; /* NaN stays NaN, as in NumPy */
    default: return value;
    }
}

static void forward(const hebb_layer *layer, const float *pre, double *scratch) {
    const int32_t n_in = layer->n_in, n_out = layer->n_out;
    float *sums = (float *)scratch;
    for (int32_t j = 0; j < n_out; ++j) sums[j] = 0.0f;
    for (int32_t i = 0; i < n_in; ++i) {
        const float p = pre[i];
        const float *row = layer->weights + (int64_t)i * n_out;
        for (int32_t j = 0; j < n_out; ++j) sums[j] += p * row[j];
    }
    for (int32_t j = 0; j < n_out; ++j) layer->post[j] = activatef(layer->activation, sums[j]);
}
#else
static double activate(int32_t activation, double value) {
    switch (activation) {
    case HEBB_TANH: return tanh(value);
    case HEBB_SIGMOID: return 1.0 / (1.0 + exp(-value));
    case HEBB_RELU: return value > 0.0 || isnan(value) ? value : 0.0; /* NaN stays NaN, as in NumPy */
    default: return value;
    }
}

static void forward(const hebb_layer *layer, const float *pre, double *sums) {
    const int32_t n_in = layer->n_in, n_out = layer->n_out;
    for (int32_t j = 0; j < n_out; ++j) sums[j] = 0.0;
    for (int32_t i = 0; i < n_in; ++i) {
        const double p = (double)pre[i];
        const float *row = layer->weights + (int64_t)i * n_out;
        for (int32_t j = 0; j < n_out; ++j) sums[j] += p * (double)row[j];
    }
    for (int32_t j = 0; j < n_out; ++j) layer->post[j] = (float)activate(layer->activation, sums[j]);
}
#endif

/* One row of the update, in the NumPy backend's order; called with constant use_* so that the compiler makes one
 * branch-free (vectorisable) loop per rule shape. */
static inline int update_row(float *w, const float *a, const float *b, const float *c, const float *d,
                             const float *post, float p, int32_t n_out, const int use_b, const int use_c,
                             const int use_d) {
    int small = 1; /* NaN compares false: not small */
    for (int32_t j = 0; j < n_out; ++j) {
        float delta = a[j] * post[j];
        if (use_b) delta += b[j];
        delta *= p;
        if (use_c) {
            float term = c[j] * post[j];
            if (use_d) term += d[j];
            delta += term;
        } else if (use_d) {
            delta += d[j];
        }
        w[j] += delta;
        small &= fabsf(w[j]) <= HEBB_SMALL_WEIGHT;
    }
    return small;
}

/* Divide the layer by its largest |w| (at least FLT_MIN). */
static void normalize_max(const hebb_layer *layer) {
    const int64_t count = (int64_t)layer->n_in * layer->n_out;
    float largest = 0.0f;
    for (int64_t k = 0; k < count; ++k) {
        const float magnitude = fabsf(layer->weights[k]);
        if (magnitude > largest || magnitude != magnitude) largest = magnitude;
    }
    if (largest < FLT_MIN) largest = FLT_MIN;
    for (int64_t k = 0; k < count; ++k) layer->weights[k] /= largest;
}

/* W <- (W - mean) / sqrt(var + 1e-5) over the layer: both sums in double, in row-major order, each weight in
 * double rounded once (hebbkit.runtime.network.standardize_layer, the NumPy reference, does the same operations). */
static void standardize(const hebb_layer *layer) {
    const int64_t count = (int64_t)layer->n_in * layer->n_out;
    float *w = layer->weights;
    double sum = 0.0;
    for (int64_t k = 0; k < count; ++k) sum += (double)w[k];
    const double mean = sum / (double)count;
    double squares = 0.0;
    for (int64_t k = 0; k < count; ++k) {
        const double centred = (double)w[k] - mean;
        squares += centred * centred;
    }
    const double deviation = sqrt(squares / (double)count + 1e-5);
    for (int64_t k = 0; k < count; ++k) w[k] = (float)(((double)w[k] - mean) / deviation);
}

static int update(const hebb_layer *layer, uint32_t flags, const float *pre) {
    const int32_t n_in = layer->n_in, n_out = layer->n_out;
    const float *post = layer->post;
    const unsigned shape = flags & (HEBB_USE_B | HEBB_USE_C | HEBB_USE_D);
    int small = 1;
    for (int32_t i = 0; i < n_in; ++i) {
        const float p = pre[i];
        const int64_t row = (int64_t)i * n_out;
        float *w = layer->weights + row;
        const float *a = layer->a + row;
        const float *b = (flags & HEBB_USE_B) ? layer->b + row : 0;
        const float *c = (flags & HEBB_USE_C) ? layer->c + row : 0;
        const float *d = (flags & HEBB_USE_D) ? layer->d + row : 0;
        switch (shape) {
        case 0: small &= update_row(w, a, b, c, d, post, p, n_out, 0, 0, 0); break;
        case HEBB_USE_B: small &= update_row(w, a, b, c, d, post, p, n_out, 1, 0, 0); break;
        case HEBB_USE_C: small &= update_row(w, a, b, c, d, post, p, n_out, 0, 1, 0); break;
        case HEBB_USE_B | HEBB_USE_C: small &= update_row(w, a, b, c, d, post, p, n_out, 1, 1, 0); break;
        case HEBB_USE_D: small &= update_row(w, a, b, c, d, post, p, n_out, 0, 0, 1); break;
        case HEBB_USE_B | HEBB_USE_D: small &= update_row(w, a, b, c, d, post, p, n_out, 1, 0, 1); break;
        case HEBB_USE_C | HEBB_USE_D: small &= update_row(w, a, b, c, d, post, p, n_out, 0, 1, 1); break;
        default: small &= update_row(w, a, b, c, d, post, p, n_out, 1, 1, 1); break;
        }
    }
    if (flags & HEBB_NORMALIZE) normalize_max(layer);
    if (flags & HEBB_STANDARDIZE) standardize(layer);
    /* a layer normalised either way is at most 1 (max) or sqrt(n_in * n_out) <= 2^11 (standardised) in magnitude
     * when it was small before */
    return small;
}

const float *hebb_step(hebb_network *net, const float *input, int plastic) {
    const float *pre = input;
    const int updating = plastic && (net->flags & HEBB_LEARNS);
    int small = updating;
    for (int32_t l = 0; l < net->n_layers; ++l) {
        const hebb_layer *layer = &net->layers[l];
        forward(layer, pre, net->scratch);
        if (updating) small &= update(layer, net->flags, pre);
        pre = layer->post;
    }
    net->weights_small = small;
    return pre;
}

int32_t hebb_checked_step(hebb_network *net, const float *input, int plastic) {
    const int32_t n_in = net->layers[0].n_in;
    for (int32_t i = 0; i < n_in; ++i) {
        if (!isfinite(input[i])) return HEBB_BAD_INPUT;
    }
    const float *output = hebb_step(net, input, plastic);
    const int32_t n_out = net->layers[net->n_layers - 1].n_out;
    for (int32_t j = 0; j < n_out; ++j) {
        if (!isfinite(output[j])) return HEBB_BAD_OUTPUT;
    }
    return 0;
}
