/*
 * c_host.c - a plain C11 host of libhrm: the C API used from C, end to end. Loads the plugin given
 * as argv[1], lists its classes, creates the "reverse" encoder and solves one instance.
 * Exit status 0 only if everything behaved as documented.
 */
#include <hrm/hrm.h>

#include <stdio.h>
#include <string.h>

#define CHECK(call)                                                                                  \
    do {                                                                                             \
        hrm_status *status_ = (call);                                                                \
        if (status_) {                                                                               \
            fprintf(stderr, "%s failed: %s: %s\n", #call, hrm_code_name(hrm_status_code(status_)), \
                    hrm_status_message(status_));                                                    \
            hrm_status_free(status_);                                                                \
            return 1;                                                                                \
        }                                                                                            \
    } while (0)

int main(int argc, char **argv) {
    hrm_runtime_params params;
    hrm_runtime *runtime = NULL;
    hrm_instance *instance = NULL;
    const hrm_encoder *enc;
    hrm_blob puzzle = {"12345", 5}, solution = {NULL, 0};
    int32_t i, valid = 0;
    int ok;

    if (argc != 2) {
        fprintf(stderr, "usage: %s <plugin.so>\n", argv[0]);
        return 2;
    }
    printf("libhrm %s, ABI %u, API %u\n", hrm_version_string(), hrm_abi_major(), hrm_api_version());
    hrm_runtime_params_init(&params, sizeof params);
    params.n_threads = 1;
    CHECK(hrm_runtime_create(&params, &runtime));
    CHECK(hrm_runtime_load_plugin(runtime, argv[1]));
    for (i = 0; i < hrm_runtime_class_count(runtime); ++i) {
        const hrm_descriptor *d = hrm_runtime_class(runtime, i, NULL);
        printf("class %s (%s), kind %d\n", d->id, d->name, (int)d->kind);
    }
    CHECK(hrm_instance_create(runtime, HRM_KIND_ENCODER, "reverse", NULL, &instance));
    hrm_runtime_free(runtime); /* the instance keeps the plugin loaded */
    enc = hrm_instance_encoder(instance);
    CHECK(enc->solve(enc, &puzzle, &solution, NULL));
    CHECK(enc->verify(enc, &puzzle, &solution, &valid, NULL));
    ok = valid == 1 && solution.size == 5 && memcmp(solution.data, "54321", 5) == 0;
    printf("solve(12345) = %.*s, valid %d\n", (int)solution.size, (const char *)solution.data, (int)valid);
    hrm_free((void *)solution.data);
    hrm_instance_free(instance);
    return ok ? 0 : 1;
}
