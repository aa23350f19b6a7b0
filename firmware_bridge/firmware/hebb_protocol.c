#include "hebb_protocol.h"

#include <string.h>

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

size_t hebb_encode_frame(uint8_t type, uint16_t seq, const uint8_t *payload, size_t length, uint8_t *out) {
    uint8_t body[HEBB_MAX_BODY];
    if (length > HEBB_MAX_PAYLOAD) return 0;
    body[0] = HEBB_PROTOCOL_VERSION;
    body[1] = type;
    hebb_put_u16(body + 2, seq);
    hebb_put_u16(body + 4, (uint16_t)length);
    if (length) memcpy(body + HEBB_HEADER_SIZE, payload, length);
    size_t size = HEBB_HEADER_SIZE + length;
    hebb_put_u16(body + size, hebb_crc16(body, size, 0xFFFFu));
    size += 2;
    out[0] = 0;
    size_t encoded = hebb_cobs_encode(body, size, out + 1);
    out[1 + encoded] = 0;
    return encoded + 2;
}

void hebb_decoder_init(hebb_decoder *decoder) { memset(decoder, 0, sizeof *decoder); }

int hebb_decoder_feed(hebb_decoder *decoder, uint8_t byte, hebb_frame *frame) {
    if (byte != 0) {
        if (decoder->fill < sizeof decoder->wire) {
            decoder->wire[decoder->fill++] = byte;
        } else if (!decoder->overflow) {
            decoder->overflow = 1;
            decoder->overflows++;
        }
        return 0;
    }
    size_t fill = decoder->fill;
    int overflow = decoder->overflow;
    decoder->fill = 0;
    decoder->overflow = 0;
    if (fill == 0) return 0;
    if (overflow) {
        decoder->malformed++;
        return 0;
    }
    long size = hebb_cobs_decode(decoder->wire, fill, decoder->body, sizeof decoder->body);
    if (size < (long)(HEBB_HEADER_SIZE + 2)) {
        decoder->malformed++;
        return 0;
    }
    const uint8_t *body = decoder->body;
    uint16_t length = hebb_get_u16(body + 4);
    if ((long)length != size - (long)HEBB_HEADER_SIZE - 2) {
        decoder->malformed++;
        return 0;
    }
    if (hebb_get_u16(body + size - 2) != hebb_crc16(body, (size_t)size - 2, 0xFFFFu)) {
        decoder->crc_errors++;
        return 0;
    }
    if (body[0] != HEBB_PROTOCOL_VERSION) {
        decoder->malformed++;
        return 0;
    }
    frame->version = body[0];
    frame->type = body[1];
    frame->seq = hebb_get_u16(body + 2);
    frame->length = length;
    frame->payload = body + HEBB_HEADER_SIZE;
    decoder->frames++;
    return 1;
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
