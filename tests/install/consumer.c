/* A program outside the project that uses only vsq/quant.h: built against
 * an installed libvsq by tests/install/check_install.sh. Prints the codes
 * of a hand-checked case and an error message from the library. */
#include <stdio.h>
#include <vsq/quant.h>

int main(void) {
    /* int4 per tensor, max calibration: scale = max|x| / 7 = 1 exactly, so
     * codes = x rounded to nearest, ties away from zero: 1 -3 1 7 */
    const float x[4] = {1.0f, -2.5f, 0.5f, 7.0f};
    vsq_format f;
    vsq_qtensor q;
    if (vsq_format_parse("int4:pt", &f) || vsq_quantize(&f, x, 1, 4, 1, &q)) {
        fprintf(stderr, "consumer: %s\n", vsq_last_error());
        return 1;
    }
    printf("codes %d %d %d %d\n", q.codes[0], q.codes[1], q.codes[2], q.codes[3]);
    vsq_qtensor_free(&q);
    if (vsq_format_parse("int9:pt", &f) == VSQ_EINVAL) printf("error %s\n", vsq_last_error());
    return 0;
}
