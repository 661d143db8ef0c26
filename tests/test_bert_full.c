/* ctest-label: full */
/* test_bert_full.c - the whole BERT sweep (vsq eval-probe --sweep all) on
 * all 2,000 test sentences, and what its tables must show:
 *  - the fp32 probe accuracy is within 4 points of 74 %, the figure the
 *    data set's README gives for a linear probe on these sentences (4
 *    points: twice the 95 % half-width of an accuracy near 74 % on 2,000);
 *  - every 8-bit per-vector row (Table 3 8/8, Tables 6-7 W=8 A=8) is
 *    inside the fp32 accuracy's Wilson 95 % interval and agrees with the
 *    fp32 predictions on at least 95 % of the sentences;
 *  - per-vector fp32 scales keep the embeddings closer to fp32 than the
 *    best per-channel configuration at every weight width (Table 3,
 *    paired: mean cosine on the same sentences). */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
/* cmocka needs the three headers above first */
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64];

static cJSON *load_table(const char *name) {
    char path[256];
    snprintf(path, sizeof path, "%s/bert_%s.json", dir, name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    cJSON *j = cJSON_Parse(buf);
    assert_non_null(j);
    return j;
}

static const cJSON *find_row(const cJSON *t, const char *group, const char *column) {
    const cJSON *r;
    cJSON_ArrayForEach(r, cJSON_GetObjectItem(t, "rows")) {
        if (!strcmp(cJSON_GetObjectItem(r, "group")->valuestring, group) &&
            !strcmp(cJSON_GetObjectItem(r, "column")->valuestring, column))
            return r;
    }
    fail_msg("row %s / %s missing", group, column);
    return NULL;
}

static double num(const cJSON *r, const char *key) { return cJSON_GetObjectItem(r, key)->valuedouble; }

static void test_sweep(void **state) {
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/vsq_bert_full_XXXXXX");
    assert_non_null(mkdtemp(dir));
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s eval-probe --sweep all --out %s > %s/stdout", VSQ_CLI, dir, dir);
    assert_int_equal(system(cmd), 0);
    cJSON *t3 = load_table("table3"), *t67 = load_table("table67");
    double fp32 = num(t3, "fp32_accuracy");
    int n = cJSON_GetObjectItem(t3, "n")->valueint;
    assert_int_equal(n, 2000);
    printf("fp32 probe accuracy %.2f %%\n", fp32);
    assert_true(fabs(fp32 - 74.0) <= 4.0);
    /* Wilson 95 % interval of the fp32 accuracy */
    double p = fp32 / 100.0, z = 1.959964, den = 1 + z * z / n;
    double c = (p + z * z / (2.0 * n)) / den, h = z * sqrt(p * (1 - p) / n + z * z / (4.0 * n * n)) / den;
    double lo = 100 * (c - h), hi = 100 * (c + h);
    const cJSON *rows8[] = {find_row(t3, "per-vector fp32 (V=16)", "8/8"), find_row(t67, "8/8", "S=8/8"),
                            find_row(t67, "8/8", "S=6/10"), find_row(t67, "8/8", "S=fp32")};
    for (int i = 0; i < 4; i++) {
        printf("8-bit per-vector row %d: %.2f %% (fp32 CI %.2f-%.2f), agreement %.2f %%\n", i,
               num(rows8[i], "accuracy"), lo, hi, num(rows8[i], "agreement"));
        assert_true(num(rows8[i], "accuracy") >= lo && num(rows8[i], "accuracy") <= hi);
        assert_true(num(rows8[i], "agreement") >= 95.0);
    }
    const char *cols[] = {"3/8", "4/8", "6/8", "8/8"};
    for (int i = 0; i < 4; i++) {
        const cJSON *pv = find_row(t3, "per-vector fp32 (V=16)", cols[i]);
        const cJSON *pc = find_row(t3, "best per-channel", cols[i]);
        printf("%s: per-vector cosine %.5f, best per-channel %.5f\n", cols[i], num(pv, "cosine"), num(pc, "cosine"));
        assert_true(num(pv, "cosine") > num(pc, "cosine"));
    }
    cJSON_Delete(t3);
    cJSON_Delete(t67);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_sweep)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
