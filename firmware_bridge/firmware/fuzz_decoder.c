/* Fuzz harness for the frame decoder (built with -fsanitize=address,undefined by the tests).
 *
 * Streams N frames through hebb_decoder_feed. Each is sent intact, duplicated, or with one fault:
 *   garbage      up to 63 random bytes before the (intact) frame
 *   bit_flips    1 to 3 distinct bits flipped anywhere in its COBS bytes (code bytes included)
 *   burst        a burst of up to 16 bits over two adjacent COBS bytes
 *   code_byte    a COBS code byte replaced by another non-zero value (reshapes the decoded frame: an arbitrary error)
 *   truncated    cut short (the next frame's leading delimiter ends it)
 *   dropped      one COBS byte lost (a UART overrun)
 *   inserted     one random non-zero byte inserted (line noise)
 *   oversized    a payload of 513 to 700 bytes with a consistent length field and a valid CRC-32C
 * Every frame the decoder accepts must be an intact one with the type, seq and payload that were sent: any other
 * accepted frame, whatever its fault class, counts in corrupted_accepted, and so does a well-formed frame of another
 * version made out of a fault (other_version; it would be refused with ERROR 3, never acted on). Every non-empty
 * chunk between two delimiters must be counted by the decoder exactly once (frames + crc_errors + malformed +
 * version_errors == chunks).
 * Usage: fuzz_decoder [frames] [seed]. Prints counts as "name value" pairs; exit status 0 only if nothing corrupted
 * was accepted, every intact frame arrived and the counters add up.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hebb_protocol.h"
#include "fuzz_random.h"


enum { INTACT, GARBAGE, BIT_FLIPS, BURST, CODE_BYTE, TRUNCATED, DROPPED, INSERTED, OVERSIZED, CLASSES };
static const char *const class_names[CLASSES] = {"intact", "garbage", "bit_flips", "burst", "code_byte",
                                                 "truncated", "dropped", "inserted", "oversized"};

static hebb_decoder decoder;
static long accepted, chunks, run;
static hebb_frame last;

/* Feeds one byte; returns 1 if a frame was accepted (in `last`), 2 for a frame of another version. */
static int feed(uint8_t byte) {
    if (byte == 0) {
        if (run) ++chunks;
        run = 0;
    } else {
        ++run;
    }
    int result = hebb_decoder_feed(&decoder, byte, &last);
    if (result == HEBB_FEED_FRAME) ++accepted;
    return result;
}

/* A frame the encoder refuses to make: payload longer than HEBB_MAX_PAYLOAD, length field and CRC consistent. */
static size_t encode_oversized(const uint8_t *payload, size_t length, uint8_t *out) {
    static uint8_t body[HEBB_HEADER_SIZE + 700 + HEBB_CRC_SIZE];
    body[0] = HEBB_PROTOCOL_VERSION;
    body[1] = HEBB_COMMAND;
    hebb_put_u16(body + 2, 0);
    hebb_put_u16(body + 4, (uint16_t)length);
    memcpy(body + HEBB_HEADER_SIZE, payload, length);
    hebb_put_u32(body + HEBB_HEADER_SIZE + length, hebb_crc32c(body, HEBB_HEADER_SIZE + length));
    out[0] = 0;
    size_t encoded = hebb_cobs_encode(body, HEBB_HEADER_SIZE + length + HEBB_CRC_SIZE, out + 1);
    out[1 + encoded] = 0;
    return encoded + 2;
}

int main(int argc, char **argv) {
    long frames = argc > 1 ? atol(argv[1]) : 1000000;
    if (argc > 2) state ^= (uint64_t)atoll(argv[2]) * 0x9E3779B97F4A7C15ull;
    hebb_decoder_init(&decoder);
    static uint8_t payload[700], wire[HEBB_MAX_WIRE + 700], garbage[64];
    long trials[CLASSES] = {0}, corrupted[CLASSES] = {0};
    long intact_sent = 0, mutated = 0, other_version = 0;
    for (long n = 0; n < frames; ++n) {
        int wide = next_random() % 10 == 0; /* up to the largest payload, few zeros: long COBS blocks (code 0xFF) */
        size_t length = wide ? next_random() % (HEBB_MAX_PAYLOAD + 1) : next_random() % 120;
        for (size_t i = 0; i < length; ++i) {
            payload[i] = (uint8_t)((next_random() % (wide ? 64 : 4)) ? next_random() : 0);
        }
        uint16_t seq = (uint16_t)n;
        uint8_t type = (uint8_t)(1 + next_random() % 0x30);
        size_t size = hebb_encode_frame(type, seq, payload, length, wire); /* wire[0], wire[size - 1]: delimiters */
        uint32_t fault = next_random() % 100;
        int kind = INTACT, repeats = 1;
        if (fault < 10) { /* the frame itself stays intact */
            size_t count = next_random() % sizeof garbage;
            for (size_t i = 0; i < count; ++i) garbage[i] = (uint8_t)next_random();
            for (size_t i = 0; i < count; ++i) {
                int result = feed(garbage[i]);
                if (result == HEBB_FEED_FRAME) ++corrupted[GARBAGE]; /* a frame out of garbage */
                if (result == HEBB_FEED_OTHER_VERSION) ++other_version;
            }
            ++trials[GARBAGE];
        } else if (fault < 30) {
            kind = BIT_FLIPS;
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
        } else if (fault < 40) {
            kind = BURST;
            size_t start = 1 + next_random() % (size - 3);
            uint16_t burst = (uint16_t)(1u | next_random());
            wire[start] ^= (uint8_t)burst;
            wire[start + 1] ^= (uint8_t)(burst >> 8);
        } else if (fault < 44) {
            kind = CODE_BYTE;
            size_t codes[HEBB_MAX_WIRE / 2 + 2], n_codes = 0;
            for (size_t at = 1; at < size - 1; at += wire[at]) codes[n_codes++] = at;
            size_t at = codes[next_random() % n_codes];
            uint8_t value;
            do { value = (uint8_t)(1 + next_random() % 255); } while (value == wire[at]);
            wire[at] = value;
        } else if (fault < 47) {
            kind = TRUNCATED; /* at least one COBS byte kept, the trailing delimiter gone */
            size = 2 + next_random() % (size - 3);
        } else if (fault < 50) {
            kind = DROPPED;
            size_t at = 1 + next_random() % (size - 2);
            memmove(wire + at, wire + at + 1, size - at - 1);
            --size;
        } else if (fault < 52) {
            kind = INSERTED;
            size_t at = 1 + next_random() % (size - 1);
            memmove(wire + at + 1, wire + at, size - at);
            wire[at] = (uint8_t)(1 + next_random() % 255);
            ++size;
        } else if (fault < 53) {
            kind = OVERSIZED;
            size_t big = HEBB_MAX_PAYLOAD + 1 + next_random() % (700 - HEBB_MAX_PAYLOAD);
            for (size_t i = 0; i < big; ++i) payload[i] = (uint8_t)next_random();
            size = encode_oversized(payload, big, wire);
        } else if (fault < 58) {
            repeats = 2; /* duplicated: both copies must arrive */
        }
        if (kind != INTACT) {
            ++mutated;
            ++trials[kind];
        }
        for (int r = 0; r < repeats; ++r) {
            for (size_t i = 0; i < size; ++i) {
                int result = feed(wire[i]);
                if (result == HEBB_FEED_OTHER_VERSION) ++other_version;
                if (result != HEBB_FEED_FRAME) continue;
                if (kind != INTACT || last.type != type || last.seq != seq || last.length != length ||
                    (length && memcmp(last.payload, payload, length) != 0)) {
                    ++corrupted[kind];
                }
            }
            if (kind == INTACT) ++intact_sent;
        }
    }
    feed(0); /* flush */
    long corrupted_accepted = 0;
    for (int k = 0; k < CLASSES; ++k) corrupted_accepted += corrupted[k];
    long counted = (long)decoder.frames + (long)decoder.crc_errors + (long)decoder.malformed +
                   (long)decoder.version_errors;
    printf("frames %ld intact %ld mutated %ld accepted %ld corrupted_accepted %ld other_version %ld chunks %ld "
           "counted %ld crc_errors %u malformed %u overflows %u version_errors %u", frames, intact_sent, mutated,
           accepted, corrupted_accepted, other_version, chunks, counted, decoder.crc_errors, decoder.malformed,
           decoder.overflows, decoder.version_errors);
    for (int k = 1; k < CLASSES; ++k) printf(" %s_trials %ld %s_accepted %ld", class_names[k], trials[k],
                                             class_names[k], corrupted[k]);
    printf("\n");
    return (corrupted_accepted == 0 && accepted == intact_sent && counted == chunks) ? 0 : 1;
}
