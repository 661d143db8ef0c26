/* tests/json_testutil.h - read one number from a JSON file the CLI wrote
 * (include after cmocka.h). */
#ifndef VSQ_JSON_TESTUTIL_H
#define VSQ_JSON_TESTUTIL_H

#include <stdio.h>
#include <cjson/cJSON.h>

static double json_number(const char *path, const char *key) {
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char buf[16384];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    cJSON *j = cJSON_Parse(buf);
    assert_non_null(j);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    assert_true(cJSON_IsNumber(v));
    double d = v->valuedouble;
    cJSON_Delete(j);
    return d;
}

#endif
