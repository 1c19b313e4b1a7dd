/*
 * list_plugins.c - an out-of-tree host: built against an installed hrm (find_package or
 * pkg-config), it loads plugins from the default search path and lists them.
 *   list_plugins [expected-plugin-id...]    exit 1 if an expected id was not loaded
 */
#include <hrm/hrm.h>

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
    hrm_runtime *runtime = NULL;
    hrm_status *status = hrm_runtime_create(NULL, &runtime);
    int32_t i, n = 0;
    int a, missing = 0;
    if (!status) status = hrm_runtime_load_default(runtime, &n);
    if (status) {
        fprintf(stderr, "error: %s\n", hrm_status_message(status));
        hrm_status_free(status);
        hrm_runtime_free(runtime);
        return 1;
    }
    for (i = 0; i < hrm_runtime_plugin_count(runtime); ++i) {
        hrm_plugin_record r;
        memset(&r, 0, sizeof r);
        r.struct_size = sizeof r;
        status = hrm_runtime_plugin(runtime, i, &r);
        if (status) {
            hrm_status_free(status);
            continue;
        }
        printf("plugin %s %s %s\n", r.id, r.version, r.path);
    }
    for (i = 0; i < hrm_runtime_class_count(runtime); ++i) {
        const hrm_descriptor *d = hrm_runtime_class(runtime, i, NULL);
        printf("  class %s (%s)\n", d->id, d->name);
    }
    for (a = 1; a < argc; ++a) {
        int found = 0;
        for (i = 0; i < hrm_runtime_plugin_count(runtime) && !found; ++i) {
            hrm_plugin_record r;
            memset(&r, 0, sizeof r);
            r.struct_size = sizeof r;
            status = hrm_runtime_plugin(runtime, i, &r);
            if (status) hrm_status_free(status);
            else found = strcmp(r.id, argv[a]) == 0;
        }
        if (!found) {
            fprintf(stderr, "missing plugin %s\n", argv[a]);
            missing = 1;
        }
    }
    hrm_runtime_free(runtime);
    return missing;
}
