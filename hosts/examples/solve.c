/*
 * solve.c - embedding libhrm in a C application: load the plugins, read puzzles from a file and
 * print one line per puzzle. With --model, a session (the SDK's batch scheduler) solves them with
 * that model; without, the task's exact solver does (hrm_encoder.solve).
 *
 *   hrm_example_solve_c [options] TASK FILE
 *     --model PATH         checkpoint (.safetensors) or model config (.toml: fresh, untrained weights)
 *     --arch NAME          model class (default "hrm")
 *     --policy NAME        refinement policy (default "q-halt")
 *     --policy-config TOML options of the policy, e.g. "policy = { segments = 4 }"
 *     --batch N            session slots (default 64)
 *     --threads N          worker threads (default 0: all cores)
 *     --seed N             seed of fresh weights and of multi-start policies (default 0)
 *     --plugins DIR        plugin folder searched before $HRM_PLUGIN_PATH and the installed ones
 *
 * Output: "<index>\t<verdict>\t<solution or error message>" per puzzle, verdict one of verified,
 * rejected, unchecked, error, plus "\tsegments=<n>" with --model; a summary on stderr. Exit status 0 when every puzzle got its line
 * (per-puzzle errors included), 130 after Ctrl-C (finished puzzles are still printed), 2 when
 * setting up failed. docs/embedding.md walks through this file.
 */
#include <hrm/hrm.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the summary line counts. */
typedef struct counts {
    int64_t verified, errors;
} counts;

typedef struct options {
    const char *task, *file, *model, *arch, *policy, *policy_config, *plugins;
    long long batch, threads, seed;
} options;

/* Ctrl-C: the progress callback returns false and the session stops at the next segment. */
static volatile sig_atomic_t g_interrupted = 0;
static void on_sigint(int sig) {
    (void)sig;
    g_interrupted = 1;
}
static bool HRM_ABI on_progress(int64_t done, int64_t total, void *user_data) {
    (void)done;
    (void)total;
    (void)user_data;
    return !g_interrupted;
}

/* Print a failed status and free it. */
static void fail(hrm_status *status) {
    fprintf(stderr, "error: %s (%s)\n", hrm_status_message(status), hrm_code_name(hrm_status_code(status)));
    hrm_status_free(status);
}

/* The whole file, NUL-terminated, or NULL (with a message). */
static char *read_file(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    char *data = NULL;
    long n;
    if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0 ||
        !(data = malloc((size_t)n + 1)) || fread(data, 1, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "error: cannot read %s\n", path);
        free(data);
        if (f) fclose(f);
        return NULL;
    }
    fclose(f);
    data[n] = '\0';
    if (size) *size = (size_t)n;
    return data;
}

static int ends_with(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* One output line: the solution (not NUL-terminated: blobs carry a size) or the error message,
 * then, for a session (segments >= 0), the number of segments the model ran. */
static void print_line(int64_t index, int32_t verified, const hrm_blob *solution, const hrm_status *error,
                       int32_t segments, counts *c) {
    if (error) {
        printf("%lld\terror\t%s", (long long)index, hrm_status_message(error));
        ++c->errors;
    } else {
        printf("%lld\t%s\t%.*s", (long long)index,
               verified == 1 ? "verified" : verified == 0 ? "rejected" : "unchecked", (int)solution->size,
               (const char *)solution->data);
        c->verified += verified == 1;
    }
    if (segments >= 0) printf("\tsegments=%d", (int)segments);
    printf("\n");
}

/* Without a model: the task's exact solver, then its verifier, instance by instance. */
static int solve_with_oracle(const hrm_encoder *enc, const hrm_blob *instances, int64_t n, counts *c) {
    int64_t i;
    for (i = 0; i < n; ++i) {
        hrm_blob solution = {NULL, 0};
        int32_t valid = -1;
        hrm_status *st = enc->solve(enc, &instances[i], &solution, NULL);
        if (!st) st = enc->verify(enc, &instances[i], &solution, &valid, NULL);
        print_line(i, valid, &solution, st, -1, c);
        hrm_status_free(st);
        hrm_free((void *)solution.data);   /* the plugin allocated it for us; NULL is fine */
    }
    return 0;
}

/* With a model: one session solves everything with continuous batching. */
static int solve_with_session(hrm_runtime *rt, const options *o, const hrm_instance *encoder, const hrm_blob *instances,
                              int64_t n, counts *c) {
    hrm_instance *model = NULL, *policy = NULL;
    hrm_session *session = NULL;
    hrm_result *results = NULL;
    hrm_status *st = NULL;
    char *config = NULL;
    int rc = 2;   /* set-up failure until the solve ran */
    int64_t i;

    /* A .toml file is a model config (fresh weights from the seed); anything else a checkpoint,
     * whose metadata holds the config. */
    hrm_instance_params mp;
    hrm_instance_params_init(&mp, sizeof mp);
    mp.seed = (uint64_t)o->seed;
    if (ends_with(o->model, ".toml")) {
        if (!(config = read_file(o->model, NULL))) return 2;
        mp.config = config;
    } else {
        mp.weights = o->model;
    }
    if ((st = hrm_instance_create(rt, HRM_KIND_MODEL, o->arch, &mp, &model))) goto done;

    hrm_instance_params pp;
    hrm_instance_params_init(&pp, sizeof pp);
    pp.config = o->policy_config;
    if ((st = hrm_instance_create(rt, HRM_KIND_POLICY, o->policy, &pp, &policy))) goto done;

    hrm_session_params sp;
    hrm_session_params_init(&sp, sizeof sp);
    sp.batch_size = o->batch;
    sp.n_threads = (int32_t)o->threads;
    sp.seed = (uint64_t)o->seed;
    if ((st = hrm_session_create(model, encoder, policy, &sp, &session))) goto done;

    if (n > 0 && !(results = calloc((size_t)n, sizeof *results))) {
        fprintf(stderr, "error: out of memory\n");
        goto done;
    }
    signal(SIGINT, on_sigint);
    st = hrm_session_solve(session, instances, n, results, sizeof *results, on_progress, NULL);
    signal(SIGINT, SIG_DFL);
    /* Every result is written, also after a failure or a cancel: print them all. */
    for (i = 0; i < n; ++i) {
        print_line(i, results[i].verified, &results[i].solution, results[i].error, results[i].segments, c);
        hrm_result_clear(&results[i]);   /* frees the solution and error the session allocated */
    }
    if (st && hrm_status_code(st) == HRM_E_CANCELLED) {
        hrm_status_free(st);
        st = NULL;
        rc = 130;
    } else if (!st) {
        rc = 0;
    }

done:
    if (st) {
        fail(st);
        rc = 2;
    }
    free(results);
    /* The session borrows the instances: free it first. */
    hrm_session_free(session);
    hrm_instance_free(policy);
    hrm_instance_free(model);
    free(config);
    return rc;
}

static int usage(const char *argv0) {
    fprintf(stderr,
            "usage: %s [--model PATH] [--arch NAME] [--policy NAME] [--policy-config TOML] [--batch N]\n"
            "          [--threads N] [--seed N] [--plugins DIR] TASK FILE\n",
            argv0);
    return 2;
}

int main(int argc, char **argv) {
    options o = {NULL, NULL, NULL, "hrm", "q-halt", NULL, NULL, 64, 0, 0};
    hrm_runtime *rt = NULL;
    hrm_instance *encoder = NULL;
    hrm_blob *instances = NULL;
    char *text = NULL;
    size_t text_size = 0, offset = 0, capacity = 0;
    int64_t n = 0;
    counts c = {0, 0};
    hrm_status *st;
    int a, rc = 2;

    for (a = 1; a < argc; ++a) {
        const char *arg = argv[a], *value = a + 1 < argc ? argv[a + 1] : NULL;
        if (arg[0] != '-') {
            if (!o.task) o.task = arg;
            else if (!o.file) o.file = arg;
            else return usage(argv[0]);
            continue;
        }
        if (!value) return usage(argv[0]);
        ++a;
        if (!strcmp(arg, "--model")) o.model = value;
        else if (!strcmp(arg, "--arch")) o.arch = value;
        else if (!strcmp(arg, "--policy")) o.policy = value;
        else if (!strcmp(arg, "--policy-config")) o.policy_config = value;
        else if (!strcmp(arg, "--plugins")) o.plugins = value;
        else if (!strcmp(arg, "--batch")) o.batch = atoll(value);
        else if (!strcmp(arg, "--threads")) o.threads = atoll(value);
        else if (!strcmp(arg, "--seed")) o.seed = atoll(value);
        else return usage(argv[0]);
    }
    if (!o.task || !o.file) return usage(argv[0]);

    /* The runtime: plugins from --plugins, then $HRM_PLUGIN_PATH, then next to libhrm. */
    hrm_runtime_params rp;
    hrm_runtime_params_init(&rp, sizeof rp);
    rp.plugin_path = o.plugins;
    rp.n_threads = (int32_t)o.threads;
    if ((st = hrm_runtime_create(&rp, &rt)) || (st = hrm_runtime_load_default(rt, NULL)) ||
        (st = hrm_instance_create(rt, HRM_KIND_ENCODER, o.task, NULL, &encoder))) {
        fail(st);
        goto done;
    }
    const hrm_encoder *enc = hrm_instance_encoder(encoder);

    /* The task cuts the file into instances: slices of text, no copies. */
    if (!(text = read_file(o.file, &text_size))) goto done;
    hrm_blob whole = {text, text_size};
    for (;;) {
        hrm_blob record;
        if ((st = enc->split(enc, &whole, &offset, &record))) {
            fail(st);
            goto done;
        }
        if (!record.data) break;
        if ((size_t)n == capacity) {
            size_t c = capacity ? 2 * capacity : 64;
            hrm_blob *grown = realloc(instances, c * sizeof *grown);
            if (!grown) {
                fprintf(stderr, "error: out of memory\n");
                goto done;
            }
            instances = grown;
            capacity = c;
        }
        instances[n++] = record;
    }

    if (o.model) {
        rc = solve_with_session(rt, &o, encoder, instances, n, &c);
    } else {
        if (!enc->solve) {
            fprintf(stderr, "error: task %s has no exact solver; give --model\n", o.task);
            goto done;
        }
        rc = solve_with_oracle(enc, instances, n, &c);
    }
    fflush(stdout);
    if (rc != 2)
        fprintf(stderr, "%lld puzzles: %lld verified, %lld errors%s\n", (long long)n, (long long)c.verified,
                (long long)c.errors, rc == 130 ? " (interrupted)" : "");

done:
    free(instances);
    free(text);
    hrm_instance_free(encoder);
    hrm_runtime_free(rt);
    return rc;
}
