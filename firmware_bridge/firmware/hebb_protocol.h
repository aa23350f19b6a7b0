/* hebbkit serial protocol v2 (docs/protocol.md): framing, CRC-32C and message layouts. Portable C99, no allocation. */
#ifndef HEBB_PROTOCOL_H
#define HEBB_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#define HEBB_PROTOCOL_VERSION 2u
#define HEBB_LEGACY_VERSION 1u /* v1 frames (CRC-16) are recognised only to refuse them with ERROR 3 */
#define HEBB_HEADER_SIZE 6u
#define HEBB_CRC_SIZE 4u
#define HEBB_LEGACY_CRC_SIZE 2u
#define HEBB_MAX_PAYLOAD 512u
#define HEBB_MAX_JOINTS 16u
#define HEBB_MAX_BODY (HEBB_HEADER_SIZE + HEBB_MAX_PAYLOAD + HEBB_CRC_SIZE)
/* COBS adds one byte per 254 and one leading code byte; two delimiters around a frame. */
#define HEBB_MAX_WIRE (HEBB_MAX_BODY + HEBB_MAX_BODY / 254u + 4u)

enum hebb_type {
    HEBB_HELLO = 0x01, HEBB_HELLO_ACK = 0x81, HEBB_HEARTBEAT = 0x02, HEBB_CONFIGURE = 0x03, HEBB_ENABLE = 0x04,
    HEBB_ESTOP = 0x05, HEBB_COMMAND = 0x10, HEBB_STATE = 0x20, HEBB_ONBOARD = 0x21,
    HEBB_ACK = 0x30, HEBB_ERROR = 0x31
};

enum hebb_error_code {
    HEBB_ERR_UNKNOWN_TYPE = 1, HEBB_ERR_BAD_LENGTH = 2, HEBB_ERR_BAD_VERSION = 3, HEBB_ERR_NOT_CONFIGURED = 4,
    HEBB_ERR_ESTOP_ACTIVE = 5, HEBB_ERR_BAD_VALUE = 6, HEBB_ERR_STALE = 7
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

/* CRC-32C (Castagnoli): reflected poly 0x82F63B78 (0x1EDC6F41 unreflected), init 0xFFFFFFFF, final xor 0xFFFFFFFF;
   check("123456789") = 0xE3069283. Sent little-endian. */
uint32_t hebb_crc32c(const uint8_t *data, size_t length);

/* CRC-16/CCITT-FALSE, protocol v1's check: only to recognise v1 frames and answer them in v1 framing. */
uint16_t hebb_crc16(const uint8_t *data, size_t length, uint16_t crc);

/* COBS. encode: out needs length + length / 254 + 1 bytes; returns bytes written. decode: returns bytes written,
   or -1 if the input is not valid COBS. */
size_t hebb_cobs_encode(const uint8_t *in, size_t length, uint8_t *out);
long hebb_cobs_decode(const uint8_t *in, size_t length, uint8_t *out, size_t capacity);

/* A whole frame for the wire: 0x00 COBS(header payload crc32c) 0x00. out needs HEBB_MAX_WIRE bytes. Returns bytes
   written (0 if the payload is longer than HEBB_MAX_PAYLOAD). */
size_t hebb_encode_frame(uint8_t type, uint16_t seq, const uint8_t *payload, size_t length, uint8_t *out);
/* The same in protocol v1's framing (version byte 1, CRC-16): only for the ERROR that refuses a v1 peer. */
size_t hebb_encode_legacy_frame(uint8_t type, uint16_t seq, const uint8_t *payload, size_t length, uint8_t *out);

/* What hebb_decoder_feed made of a byte. */
enum hebb_feed_result {
    HEBB_FEED_NOTHING = 0,      /* no frame completed (or one was dropped and counted) */
    HEBB_FEED_FRAME = 1,        /* a valid v2 frame: handle it */
    HEBB_FEED_OTHER_VERSION = 2 /* a well-formed frame of another protocol version (a v1 frame with a valid CRC-16,
                                   or another version byte with a valid CRC-32C): refuse it, never act on it */
};

/* Byte-at-a-time decoder with resynchronisation at every 0x00. The counters come first (tests read them from
   the host build): every non-empty chunk between two delimiters is counted exactly once, in frames,
   crc_errors, malformed or version_errors; overflows additionally counts chunks longer than the buffer. */
typedef struct {
    uint32_t frames, crc_errors, malformed, overflows, version_errors;
    uint8_t wire[HEBB_MAX_WIRE];
    uint8_t body[HEBB_MAX_BODY];
    size_t fill;
    int overflow;
} hebb_decoder;

void hebb_decoder_init(hebb_decoder *decoder);
/* Feed one byte; returns a hebb_feed_result and, for HEBB_FEED_FRAME and HEBB_FEED_OTHER_VERSION, fills *frame
   (its payload points into the decoder: valid until the next byte is fed). */
int hebb_decoder_feed(hebb_decoder *decoder, uint8_t byte, hebb_frame *frame);

/* Little-endian field helpers (payloads are packed, unaligned). */
void hebb_put_u16(uint8_t *p, uint16_t v);
void hebb_put_u32(uint8_t *p, uint32_t v);
void hebb_put_f32(uint8_t *p, float v);
uint16_t hebb_get_u16(const uint8_t *p);
uint32_t hebb_get_u32(const uint8_t *p);
float hebb_get_f32(const uint8_t *p);

#endif
