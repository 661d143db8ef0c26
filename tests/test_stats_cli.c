/* ctest-label: cli */
/* The core issue's acceptance check, through the CLI: on a 4096 x 4096
 * Student-t(4) matrix, SQNR rises int4:pc < int4:v16:s4 < int4:v16:s6, and
 * two-level 6-bit scales come close to fp32 per-vector scales. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_util.h"
#include "vsq/vsq.h"

enum { N = 4096 };

static char dir[] = "/tmp/vsq_stats_XXXXXX";

static char *read_all(const char *path) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    rewind(f);
    char *buf = malloc((size_t)len + 1);
    assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
    buf[len] = '\0';
    fclose(f);
    return buf;
}

static double sqnr_of(cJSON *arr, const char *fmt) {
    cJSON *it;
    cJSON_ArrayForEach(it, arr) {
        if (!strcmp(cJSON_GetObjectItem(it, "fmt")->valuestring, fmt))
            return cJSON_GetObjectItem(it, "sqnr_db")->valuedouble;
    }
    fail_msg("format %s missing from the stats output", fmt);
    return 0.0;
}

static void test_student_t_sqnr_order(void **state) {
    (void)state;
    assert_non_null(mkdtemp(dir));
    char npy[256], json[256], cmd[1024];
    snprintf(npy, sizeof npy, "%s/t4.npy", dir);
    snprintf(json, sizeof json, "%s/stats.json", dir);
    vsq_tensor t = {VSQ_DTYPE_F32, 2, {N, N}, malloc((size_t)N * N * sizeof(float))};
    test_rng r = {2021};
    test_fill(&r, t.data, (size_t)N * N, DIST_STUDENT);
    assert_int_equal(vsq_npy_save(npy, &t), VSQ_OK);
    free(t.data);
    snprintf(cmd, sizeof cmd,
             "%s stats --fmt int4:pc,int4:v16:fp32,int4:v16:s4,int4:v16:s6,int4:v16:s6r "
             "--json %s %s",
             VSQ_CLI, json, npy);
    assert_int_equal(system(cmd), 0);
    char *text = read_all(json);
    cJSON *arr = cJSON_Parse(text);
    assert_non_null(arr);
    double pc = sqnr_of(arr, "int4:pc"), fp32 = sqnr_of(arr, "int4:v16:fp32");
    double s4 = sqnr_of(arr, "int4:v16:s4"), s6 = sqnr_of(arr, "int4:v16:s6");
    double s6r = sqnr_of(arr, "int4:v16:s6r");
    assert_true(pc + 6.0 < s4); /* per-vector scaling: far above per-channel */
    assert_true(s4 < s6);
    assert_true(s6 < fp32);
    /* eq. 7 exactly loses about 0.21 dB at 6 bits here (docs/results/core.md);
     * the refined variant re-rounds and recovers it. */
    assert_true(fp32 - s6 < 0.25);
    assert_true(s6r > fp32 - 0.2);
    cJSON_Delete(arr);
    free(text);
    unlink(npy);
    unlink(json);
    rmdir(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_student_t_sqnr_order)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
