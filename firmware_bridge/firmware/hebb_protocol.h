/* hebbkit serial protocol v1 (docs/protocol.md): framing, CRC and message layouts. Portable C99, no allocation. */
#ifndef HEBB_PROTOCOL_H
#define HEBB_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#define HEBB_PROTOCOL_VERSION 1u
#define HEBB_HEADER_SIZE 6u
#define HEBB_MAX_PAYLOAD 512u
#define HEBB_MAX_JOINTS 16u
#define HEBB_MAX_BODY (HEBB_HEADER_SIZE + HEBB_MAX_PAYLOAD + 2u)
/* COBS adds one byte per 254 and one leading code byte; two delimiters around a frame. */
#define HEBB_MAX_WIRE (HEBB_MAX_BODY + HEBB_MAX_BODY / 254u + 4u)

enum hebb_type {
    HEBB_HELLO = 0x01, HEBB_HELLO_ACK = 0x81, HEBB_HEARTBEAT = 0x02, HEBB_CONFIGURE = 0x03, HEBB_ENABLE = 0x04,
    HEBB_ESTOP = 0x05, HEBB_COMMAND = 0x10, HEBB_STATE = 0x20, HEBB_ACK = 0x30, HEBB_ERROR = 0x31
};

enum hebb_error_code {
    HEBB_ERR_UNKNOWN_TYPE = 1, HEBB_ERR_BAD_LENGTH = 2, HEBB_ERR_BAD_VERSION = 3, HEBB_ERR_NOT_CONFIGURED = 4,
    HEBB_ERR_ESTOP_ACTIVE = 5, HEBB_ERR_BAD_VALUE = 6
};

enum hebb_status_bits {
    HEBB_STATUS_TORQUE_ENABLED = 1u << 0, HEBB_STATUS_WATCHDOG_TRIPPED = 1u << 1, HEBB_STATUS_ESTOP_LATCHED = 1u << 2,
    HEBB_STATUS_CONFIGURED = 1u << 3, HEBB_STATUS_COMMAND_CLAMPED = 1u << 4
};

typedef struct {
    uint8_t version;
    uint8_t type;
    uint16_t seq;
    uint16_t length;
    const uint8_t *payload; /* points into the decoder's buffer: valid until the next byte is fed */
} hebb_frame;

/* CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, no reflection, no final xor; check("123456789") = 0x29B1. */
uint16_t hebb_crc16(const uint8_t *data, size_t length, uint16_t crc);

/* COBS. encode: out needs length + length / 254 + 1 bytes; returns bytes written. decode: returns bytes written,
   or -1 if the input is not valid COBS. */
size_t hebb_cobs_encode(const uint8_t *in, size_t length, uint8_t *out);
long hebb_cobs_decode(const uint8_t *in, size_t length, uint8_t *out, size_t capacity);

/* A whole frame for the wire: 0x00 COBS(header payload crc) 0x00. Returns bytes written (0 if payload too long). */
size_t hebb_encode_frame(uint8_t type, uint16_t seq, const uint8_t *payload, size_t length, uint8_t *out);

/* Byte-at-a-time decoder with resynchronisation at every 0x00. */
typedef struct {
    uint8_t wire[HEBB_MAX_WIRE];
    uint8_t body[HEBB_MAX_BODY];
    size_t fill;
    int overflow;
    uint32_t frames, crc_errors, malformed, overflows;
} hebb_decoder;

void hebb_decoder_init(hebb_decoder *decoder);
/* Feed one byte; returns 1 and fills *frame when a valid frame completed, 0 otherwise (invalid ones are counted). */
int hebb_decoder_feed(hebb_decoder *decoder, uint8_t byte, hebb_frame *frame);

/* Little-endian field helpers (payloads are packed, unaligned). */
void hebb_put_u16(uint8_t *p, uint16_t v);
void hebb_put_u32(uint8_t *p, uint32_t v);
void hebb_put_f32(uint8_t *p, float v);
uint16_t hebb_get_u16(const uint8_t *p);
uint32_t hebb_get_u32(const uint8_t *p);
float hebb_get_f32(const uint8_t *p);

#endif
