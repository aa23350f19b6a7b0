#include "hebb_protocol.h"

#include <string.h>

/* CRC-32C four bits at a time: 16 table entries (64 bytes of flash) instead of 256; entry n is the CRC register
   after shifting the nibble n through the reflected polynomial 0x82F63B78. */
static const uint32_t crc32c_nibbles[16] = {
    0x00000000u, 0x105EC76Fu, 0x20BD8EDEu, 0x30E349B1u, 0x417B1DBCu, 0x5125DAD3u, 0x61C69362u, 0x7198540Du,
    0x82F63B78u, 0x92A8FC17u, 0xA24BB5A6u, 0xB21572C9u, 0xC38D26C4u, 0xD3D3E1ABu, 0xE330A81Au, 0xF36E6F75u,
};

uint32_t hebb_crc32c(const uint8_t *data, size_t length) {
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < length; ++i) {
        crc ^= data[i];
        crc = (crc >> 4) ^ crc32c_nibbles[crc & 0xFu];
        crc = (crc >> 4) ^ crc32c_nibbles[crc & 0xFu];
    }
    return crc ^ 0xFFFFFFFFu;
}

uint16_t hebb_crc16(const uint8_t *data, size_t length, uint16_t crc) {
    for (size_t i = 0; i < length; ++i) {
        crc ^= (uint16_t)((uint16_t)data[i] << 8);
        for (int bit = 0; bit < 8; ++bit) {
            crc = (crc & 0x8000u) ? (uint16_t)((crc << 1) ^ 0x1021u) : (uint16_t)(crc << 1);
        }
    }
    return crc;
}

size_t hebb_cobs_encode(const uint8_t *in, size_t length, uint8_t *out) {
    size_t write = 1, code_index = 0;
    uint8_t code = 1;
    for (size_t i = 0; i < length; ++i) {
        if (in[i] == 0) {
            out[code_index] = code;
            code_index = write++;
            code = 1;
        } else {
            out[write++] = in[i];
            if (++code == 0xFF) {
                out[code_index] = code;
                code_index = write++;
                code = 1;
            }
        }
    }
    out[code_index] = code;
    return write;
}

long hebb_cobs_decode(const uint8_t *in, size_t length, uint8_t *out, size_t capacity) {
    size_t read = 0, write = 0;
    while (read < length) {
        uint8_t code = in[read];
        if (code == 0) return -1;
        size_t end = read + code;
        if (end > length + (code == 1 ? 1u : 0u)) return -1;
        for (size_t i = read + 1; i < end && i < length; ++i) {
            if (in[i] == 0 || write >= capacity) return -1;
            out[write++] = in[i];
        }
        read = end;
        if (code != 0xFF && read < length) {
            if (write >= capacity) return -1;
            out[write++] = 0;
        }
    }
    return (long)write;
}

static size_t encode(uint8_t version, uint8_t type, uint16_t seq, const uint8_t *payload, size_t length,
                     uint8_t *out) {
    uint8_t body[HEBB_MAX_BODY];
    if (length > HEBB_MAX_PAYLOAD) return 0;
    body[0] = version;
    body[1] = type;
    hebb_put_u16(body + 2, seq);
    hebb_put_u16(body + 4, (uint16_t)length);
    if (length) memcpy(body + HEBB_HEADER_SIZE, payload, length);
    size_t size = HEBB_HEADER_SIZE + length;
    if (version == HEBB_LEGACY_VERSION) {
        hebb_put_u16(body + size, hebb_crc16(body, size, 0xFFFFu));
        size += HEBB_LEGACY_CRC_SIZE;
    } else {
        hebb_put_u32(body + size, hebb_crc32c(body, size));
        size += HEBB_CRC_SIZE;
    }
    out[0] = 0;
    size_t encoded = hebb_cobs_encode(body, size, out + 1);
    out[1 + encoded] = 0;
    return encoded + 2;
}

size_t hebb_encode_frame(uint8_t type, uint16_t seq, const uint8_t *payload, size_t length, uint8_t *out) {
    return encode(HEBB_PROTOCOL_VERSION, type, seq, payload, length, out);
}

size_t hebb_encode_legacy_frame(uint8_t type, uint16_t seq, const uint8_t *payload, size_t length, uint8_t *out) {
    return encode(HEBB_LEGACY_VERSION, type, seq, payload, length, out);
}

void hebb_decoder_init(hebb_decoder *decoder) { memset(decoder, 0, sizeof *decoder); }

static void fill_frame(const uint8_t *body, hebb_frame *frame) {
    frame->version = body[0];
    frame->type = body[1];
    frame->seq = hebb_get_u16(body + 2);
    frame->length = hebb_get_u16(body + 4);
    frame->payload = body + HEBB_HEADER_SIZE;
}

/* A frame in protocol v1's framing: version byte 1, consistent length, valid CRC-16. */
static int is_legacy_frame(const uint8_t *body, long size) {
    if (size < (long)(HEBB_HEADER_SIZE + HEBB_LEGACY_CRC_SIZE) || body[0] != HEBB_LEGACY_VERSION) return 0;
    size_t covered = (size_t)size - HEBB_LEGACY_CRC_SIZE;
    return (size_t)hebb_get_u16(body + 4) == covered - HEBB_HEADER_SIZE &&
           hebb_get_u16(body + covered) == hebb_crc16(body, covered, 0xFFFFu);
}

int hebb_decoder_feed(hebb_decoder *decoder, uint8_t byte, hebb_frame *frame) {
    if (byte != 0) {
        if (decoder->fill < sizeof decoder->wire) {
            decoder->wire[decoder->fill++] = byte;
        } else if (!decoder->overflow) {
            decoder->overflow = 1;
            decoder->overflows++;
        }
        return HEBB_FEED_NOTHING;
    }
    size_t fill = decoder->fill;
    int overflow = decoder->overflow;
    decoder->fill = 0;
    decoder->overflow = 0;
    if (fill == 0) return HEBB_FEED_NOTHING;
    if (overflow) { /* longer than any frame: dropped */
        decoder->malformed++;
        return HEBB_FEED_NOTHING;
    }
    /* malformed COBS, or a body longer than the largest frame (payload over HEBB_MAX_PAYLOAD): -1 */
    long size = hebb_cobs_decode(decoder->wire, fill, decoder->body, sizeof decoder->body);
    const uint8_t *body = decoder->body;
    if (size > 0 && is_legacy_frame(body, size)) {
        decoder->version_errors++;
        fill_frame(body, frame);
        return HEBB_FEED_OTHER_VERSION;
    }
    if (size < (long)(HEBB_HEADER_SIZE + HEBB_CRC_SIZE) ||
        (long)hebb_get_u16(body + 4) != size - (long)(HEBB_HEADER_SIZE + HEBB_CRC_SIZE)) {
        decoder->malformed++;
        return HEBB_FEED_NOTHING;
    }
    size_t covered = (size_t)size - HEBB_CRC_SIZE;
    if (hebb_get_u32(body + covered) != hebb_crc32c(body, covered)) {
        decoder->crc_errors++;
        return HEBB_FEED_NOTHING;
    }
    fill_frame(body, frame);
    if (body[0] != HEBB_PROTOCOL_VERSION) {
        decoder->version_errors++;
        return HEBB_FEED_OTHER_VERSION;
    }
    decoder->frames++;
    return HEBB_FEED_FRAME;
}

void hebb_put_u16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
void hebb_put_u32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; ++i) p[i] = (uint8_t)(v >> (8 * i));
}
void hebb_put_f32(uint8_t *p, float v) {
    uint32_t bits;
    memcpy(&bits, &v, sizeof bits);
    hebb_put_u32(p, bits);
}
uint16_t hebb_get_u16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
uint32_t hebb_get_u32(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
float hebb_get_f32(const uint8_t *p) {
    uint32_t bits = hebb_get_u32(p);
    float v;
    memcpy(&v, &bits, sizeof v);
    return v;
}
