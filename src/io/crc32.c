/* CRC-32 (the zlib / PNG / gzip checksum): reflected polynomial 0xEDB88320,
 * initial value and final xor 0xFFFFFFFF. Check value: "123456789" ->
 * 0xCBF43926. Used by the .vsq container (docs/container.md). */
#include <pthread.h>

#include "io.h"

static uint32_t table[256];
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static void build_table(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
}

uint32_t vsq_crc32(uint32_t crc, const void *data, size_t len) {
    pthread_once(&table_once, build_table);
    const uint8_t *p = data;
    crc = ~crc;
    for (size_t i = 0; i < len; i++) crc = table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
    return ~crc;
}
