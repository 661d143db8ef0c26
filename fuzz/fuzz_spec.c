/* libFuzzer target: format spec strings and the paper's W/A/ws/as layer
 * notation. Property: the canonical string of an accepted spec parses back
 * to the same canonical string. */
#include <stdlib.h>
#include <string.h>

#include "vsq/vsq.h"

static void check_canonical(const vsq_format *f) {
    char a[256], b[256];
    vsq_format g;
    vsq_format_str(f, a, sizeof a);
    if (vsq_format_parse(a, &g) != VSQ_OK) abort(); /* canonical form must parse */
    vsq_format_str(&g, b, sizeof b);
    if (strcmp(a, b) != 0) abort();
    if (vsq_format_qmin(f) > 0 || vsq_format_qmax(f) <= 0) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > 512) return 0;
    char s[513];
    memcpy(s, data, size);
    s[size] = '\0';
    vsq_format f;
    if (vsq_format_parse(s, &f) == VSQ_OK) check_canonical(&f);
    vsq_layer_cfg cfg;
    if (vsq_layer_cfg_parse(s, 16, &cfg) == VSQ_OK) {
        check_canonical(&cfg.w);
        check_canonical(&cfg.a);
    }
    return 0;
}
