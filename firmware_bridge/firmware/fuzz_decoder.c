/* Fuzz harness for the frame decoder (built with -fsanitize=address,undefined by the tests).
 *
 * Streams N frames through hebb_decoder_feed, each either intact, duplicated, preceded by random garbage, truncated,
 * corrupted by 1 to 3 distinct flipped bits anywhere in its COBS bytes or by a burst of up to 16 bits over two data
 * bytes (the errors CRC-16/CCITT-FALSE is guaranteed to detect), or with a COBS code byte replaced (which re-shapes
 * the decoded frame into an arbitrary error: detected by the length check and, with probability 1 - 2^-16, the
 * CRC; these acceptances are counted separately, not failed). Every other accepted frame must be an intact one.
 * Usage: fuzz_decoder [frames] [seed]. Prints counts; exit status 0 only if nothing corrupted was accepted and
 * every intact frame arrived.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hebb_protocol.h"

static uint64_t state = 88172645463325252ull;
static uint32_t next_random(void) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return (uint32_t)(state >> 11);
}

int main(int argc, char **argv) {
    long frames = argc > 1 ? atol(argv[1]) : 1000000;
    if (argc > 2) state ^= (uint64_t)atoll(argv[2]) * 0x9E3779B97F4A7C15ull;
    static hebb_decoder decoder;
    hebb_decoder_init(&decoder);
    uint8_t payload[HEBB_MAX_PAYLOAD], wire[HEBB_MAX_WIRE], garbage[64];
    long intact_sent = 0, accepted = 0, wrong = 0, mutated = 0, code_accepted = 0;
    for (long n = 0; n < frames; ++n) {
        size_t length = next_random() % 120;
        for (size_t i = 0; i < length; ++i) payload[i] = (uint8_t)((next_random() % 4) ? next_random() : 0);
        uint16_t seq = (uint16_t)n;
        size_t size = hebb_encode_frame((uint8_t)(1 + next_random() % 0x30), seq, payload, length, wire);
        uint32_t fault = next_random() % 100;
        int intact = 1, code_class = 0;
        if (fault < 10) { /* garbage before the frame */
            size_t count = next_random() % sizeof garbage;
            for (size_t i = 0; i < count; ++i) garbage[i] = (uint8_t)next_random();
            hebb_frame ignored;
            for (size_t i = 0; i < count; ++i) {
                if (hebb_decoder_feed(&decoder, garbage[i], &ignored)) ++wrong; /* a frame out of garbage */
            }
        } else if (fault < 30) { /* 1 to 3 bit flips inside the COBS bytes (not the delimiters) */
            int flips = 1 + (int)(next_random() % 3);
            size_t chosen[3];
            for (int f = 0; f < flips; ++f) {
                size_t bit;
                int repeated;
                do { /* distinct bits: flipping one bit twice would restore it */
                    bit = 8 + next_random() % (8 * (size - 2));
                    repeated = 0;
                    for (int g = 0; g < f; ++g) repeated |= chosen[g] == bit;
                } while (repeated);
                chosen[f] = bit;
                wire[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            }
            intact = 0;
        } else if (fault < 40) { /* a burst of up to 16 bits over two data bytes (COBS code bytes excluded: a
                                    corrupted code byte re-shapes the frame, see the class below) */
            static uint8_t is_code[HEBB_MAX_WIRE];
            memset(is_code, 0, size);
            for (size_t at = 1; at < size - 1; at += wire[at]) is_code[at] = 1;
            size_t start = 1 + next_random() % (size - 2);
            if (is_code[start] || start + 1 >= size - 1 || is_code[start + 1]) {
                intact = 1; /* no two data bytes here: send it intact */
            } else {
                uint16_t burst = (uint16_t)(1u | next_random());
                wire[start] ^= (uint8_t)burst;
                wire[start + 1] ^= (uint8_t)(burst >> 8);
                intact = 0;
            }
        } else if (fault < 42) { /* a COBS code byte replaced by another non-zero value */
            size_t codes[HEBB_MAX_WIRE / 2 + 2], n_codes = 0;
            for (size_t at = 1; at < size - 1; at += wire[at]) codes[n_codes++] = at;
            size_t at = codes[next_random() % n_codes];
            uint8_t value = (uint8_t)(1 + next_random() % 255);
            if (value != wire[at]) {
                wire[at] = value;
                intact = 0;
                code_class = 1;
            }
        } else if (fault < 45) { /* truncated (at least one COBS byte and the trailing delimiter missing): the next
                                    frame's leading delimiter ends it */
            size = 1 + next_random() % (size - 2);
            intact = 0;
        }
        if (!intact) ++mutated;
        int repeats = (intact && fault >= 45 && fault < 50) ? 2 : 1;
        for (int r = 0; r < repeats; ++r) {
            hebb_frame frame;
            for (size_t i = 0; i < size; ++i) {
                if (hebb_decoder_feed(&decoder, wire[i], &frame)) {
                    ++accepted;
                    if (!intact || frame.seq != seq || frame.length != length ||
                        (length && memcmp(frame.payload, payload, length) != 0)) {
                        if (code_class) ++code_accepted; else ++wrong;
                    }
                }
            }
            if (intact) ++intact_sent;
        }
    }
    hebb_frame frame;
    hebb_decoder_feed(&decoder, 0, &frame); /* flush */
    printf("frames %ld intact %ld mutated %ld accepted %ld corrupted_accepted %ld code_byte_corruptions_accepted %ld "
           "crc_errors %u malformed %u\n", frames, intact_sent, mutated, accepted, wrong, code_accepted,
           decoder.crc_errors, decoder.malformed);
    return (wrong == 0 && accepted == intact_sent + code_accepted) ? 0 : 1;
}
