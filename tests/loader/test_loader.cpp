// test_loader.cpp - the example plugin through the public C API, as a third-party host uses it:
// loading (by path, folder, search path), enumeration, instances, the encoder and policy round
// trips, host services, and the library lifetime rule.
#include "test_support.hpp"

#include <atomic>
#include <cstdint>
#include <cstring>
#include <thread>

using namespace test;

namespace {

const char *kEncoderId = "org.hrm-sdk.examples.reverse";
const char *kPolicyId = "org.hrm-sdk.examples.fixed";

hrm_tensor i32_view(std::vector<int32_t> &v, int64_t *shape) {
    hrm_tensor t{};
    t.data = v.data();
    t.dtype = HRM_DTYPE_I32;
    t.ndim = 1;
    *shape = static_cast<int64_t>(v.size());
    t.shape = shape;
    t.device = HRM_DEVICE_CPU;
    return t;
}

hrm_blob text(const char *s) { return hrm_blob{s, std::strlen(s)}; }

InstancePtr create(hrm_runtime *rt, hrm_kind kind, const char *id, const char *config = nullptr) {
    hrm_instance_params p;
    hrm_instance_params_init(&p, sizeof p);
    p.config = config;
    hrm_instance *inst = nullptr;
    expect_ok(hrm_instance_create(rt, kind, id, &p, &inst));
    return InstancePtr(inst);
}

}  // namespace

TEST(Loader, LoadsExampleByPathAndEnumerates) {
    auto rt = make_runtime();
    expect_ok(hrm_runtime_load_plugin(rt.get(), kExample.c_str()));
    ASSERT_EQ(hrm_runtime_plugin_count(rt.get()), 1);

    hrm_plugin_record r{};
    r.struct_size = sizeof r;
    expect_ok(hrm_runtime_plugin(rt.get(), 0, &r));
    EXPECT_STREQ(r.id, "org.hrm-sdk.examples.reverse");
    EXPECT_STREQ(r.version, "1.0.0");
    EXPECT_EQ(fs::canonical(r.path), fs::canonical(kExample));
    EXPECT_TRUE(fs::path(r.path).is_absolute());
    EXPECT_EQ(r.abi_major, 1u);
    EXPECT_EQ(r.api_version, uint32_t(HRM_API_VERSION));
    expect_failure(hrm_runtime_plugin(rt.get(), 1, &r), HRM_E_NOT_FOUND, {"out of range"});

    ASSERT_EQ(hrm_runtime_class_count(rt.get()), 2);
    int32_t plugin = -1;
    const hrm_descriptor *enc = hrm_runtime_class(rt.get(), 0, &plugin);
    ASSERT_NE(enc, nullptr);
    EXPECT_EQ(plugin, 0);
    EXPECT_EQ(enc->kind, HRM_KIND_ENCODER);
    EXPECT_STREQ(enc->id, kEncoderId);
    EXPECT_STREQ(enc->name, "reverse");
    const hrm_descriptor *pol = hrm_runtime_class(rt.get(), 1, nullptr);
    ASSERT_NE(pol, nullptr);
    EXPECT_EQ(pol->kind, HRM_KIND_POLICY);
    EXPECT_STREQ(pol->name, "example-fixed");
    EXPECT_EQ(hrm_runtime_class(rt.get(), 2, nullptr), nullptr);
}

TEST(Loader, LoadsAFolder) {
    fs::path dir = scratch_dir();
    copy_into(kExample, dir);
    copy_into(plugin("good"), dir);
    fs::create_directory(dir / "nested.so");   // a folder named like a plugin is not a file: skipped
    auto rt = make_runtime();
    int32_t n = -1;
    expect_ok(hrm_runtime_load_dir(rt.get(), dir.c_str(), &n));
    EXPECT_EQ(n, 2);
    EXPECT_GE(find_plugin(rt.get(), "org.hrm-sdk.examples.reverse"), 0);
    EXPECT_GE(find_plugin(rt.get(), "org.hrm-sdk.test.good"), 0);
    expect_failure(hrm_runtime_load_dir(rt.get(), (dir / "missing").c_str(), &n), HRM_E_NOT_FOUND, {"missing"});
}

// Search order: params.plugin_path, then $HRM_PLUGIN_PATH, then <libhrm folder>/hrm/plugins (in
// the build tree a link to <build>/plugins, where the example is built). Never the current folder.
TEST(Loader, LoadDefaultSearchesPathEnvironmentAndInstallFolder) {
    fs::path dir = scratch_dir();
    fs::create_directories(dir / "env");
    fs::create_directories(dir / "params");
    fs::create_directories(dir / "cwd");
    copy_into(plugin("good"), dir / "env");
    fs::path example_copy = copy_into(kExample, dir / "params");
    copy_into(plugin("bad_vtable"), dir / "cwd");

    ScopedCwd cwd(dir / "cwd");
    {
        // Empty entries (leading, doubled, trailing ':') must not mean the current folder.
        const std::string env_list = "::" + (dir / "env").string() + ":";
        ScopedEnv env("HRM_PLUGIN_PATH", env_list.c_str());
        LogCapture log;
        const std::string path_list = (dir / "params").string() + ":" + (dir / "does-not-exist").string();
        auto rt = make_runtime(&log, path_list.c_str());
        int32_t n = 0;
        expect_ok(hrm_runtime_load_default(rt.get(), &n));
        EXPECT_GE(n, 2);
        std::string path;
        // The copy in plugin_path wins over the example in the install folder...
        ASSERT_GE(find_plugin(rt.get(), "org.hrm-sdk.examples.reverse", &path), 0);
        EXPECT_EQ(fs::canonical(path), fs::canonical(example_copy));
        // ...whose later duplicate is skipped quietly (debug), not as a broken plugin.
        EXPECT_EQ(log.count(HRM_LOG_WARN, "hrm-example-reverse.so"), 0);
        EXPECT_GE(log.count(HRM_LOG_DEBUG, "duplicate plugin id 'org.hrm-sdk.examples.reverse'"), 1);
        // $HRM_PLUGIN_PATH is searched...
        EXPECT_GE(find_plugin(rt.get(), "org.hrm-sdk.test.good"), 0);
        // ...the current folder is not.
        EXPECT_EQ(find_plugin(rt.get(), "org.hrm-sdk.test.bad_vtable"), -1);
    }
    {
        // Without plugin_path and environment, the install folder alone still has the example.
        ScopedEnv env("HRM_PLUGIN_PATH", nullptr);
        auto rt = make_runtime();
        expect_ok(hrm_runtime_load_default(rt.get(), nullptr));
        std::string path;
        ASSERT_GE(find_plugin(rt.get(), "org.hrm-sdk.examples.reverse", &path), 0);
        EXPECT_EQ(fs::canonical(path), fs::canonical(kExample));
        EXPECT_EQ(find_plugin(rt.get(), "org.hrm-sdk.test.good"), -1);
    }
}

TEST(Loader, CreatesInstancesByIdAndByName) {
    auto rt = make_runtime();
    expect_ok(hrm_runtime_load_plugin(rt.get(), kExample.c_str()));
    for (const char *key : {kEncoderId, "reverse"}) {
        auto inst = create(rt.get(), HRM_KIND_ENCODER, key);
        ASSERT_NE(inst, nullptr);
        EXPECT_EQ(hrm_instance_kind(inst.get()), HRM_KIND_ENCODER);
        ASSERT_NE(hrm_instance_encoder(inst.get()), nullptr);
        EXPECT_EQ(hrm_instance_model(inst.get()), nullptr);
        EXPECT_EQ(hrm_instance_policy(inst.get()), nullptr);
        EXPECT_STREQ(hrm_instance_encoder(inst.get())->desc->id, kEncoderId);
    }
    auto pol = create(rt.get(), HRM_KIND_POLICY, "example-fixed");
    ASSERT_NE(hrm_instance_policy(pol.get()), nullptr);

    hrm_instance *inst = nullptr;
    // An encoder name is not a policy; an unknown key lists what is available.
    expect_failure(hrm_instance_create(rt.get(), HRM_KIND_POLICY, "reverse", nullptr, &inst), HRM_E_NOT_FOUND,
                   {"no policy class 'reverse'", kPolicyId});
    expect_failure(hrm_instance_create(rt.get(), HRM_KIND_MODEL, "hrm", nullptr, &inst), HRM_E_NOT_FOUND,
                   {"available: none"});
    expect_failure(hrm_instance_create(rt.get(), 42, "reverse", nullptr, &inst), HRM_E_INVALID_ARG, {"kind"});
    expect_failure(hrm_instance_create(rt.get(), HRM_KIND_ENCODER, "reverse", nullptr, nullptr), HRM_E_INVALID_ARG, {});
    EXPECT_EQ(inst, nullptr);   // untouched on failure
}

TEST(Loader, AmbiguousShortNameListsCandidates) {
    auto rt = make_runtime();
    expect_ok(hrm_runtime_load_plugin(rt.get(), kExample.c_str()));
    expect_ok(hrm_runtime_load_plugin(rt.get(), plugin("good").c_str()));
    hrm_instance *inst = nullptr;
    expect_failure(hrm_instance_create(rt.get(), HRM_KIND_POLICY, "example-fixed", nullptr, &inst), HRM_E_INVALID_ARG,
                   {"ambiguous", kPolicyId, "org.hrm-sdk.test.good.fixed"});
    EXPECT_NE(create(rt.get(), HRM_KIND_POLICY, "org.hrm-sdk.test.good.fixed"), nullptr);   // the id still works
}

TEST(Loader, EncoderRoundTrip) {
    auto rt = make_runtime();
    expect_ok(hrm_runtime_load_plugin(rt.get(), kExample.c_str()));
    auto inst = create(rt.get(), HRM_KIND_ENCODER, "reverse", "# options\nlength = 8\n");
    const hrm_encoder *enc = hrm_instance_encoder(inst.get());

    hrm_encoder_spec spec{};
    spec.struct_size = sizeof spec;
    expect_ok(enc->get_spec(enc, &spec));
    EXPECT_EQ(spec.seq_len, 8);
    EXPECT_EQ(spec.vocab_size, 11);
    EXPECT_EQ(spec.caps & HRM_ENCODER_CAN_SOLVE, HRM_ENCODER_CAN_SOLVE);
    EXPECT_EQ(enc->generate, nullptr);

    // split: comments, blank lines and CRLF are skipped.
    const char *file = "# reverse task\n\n1234,4321\r\n  \n907\n";
    hrm_blob all = text(file);
    size_t offset = 0;
    hrm_blob rec{};
    std::vector<std::string> records;
    do {
        expect_ok(enc->split(enc, &all, &offset, &rec));
        if (rec.data) records.emplace_back(static_cast<const char *>(rec.data), rec.size);
    } while (rec.data);
    EXPECT_EQ(records, (std::vector<std::string>{"1234,4321", "907"}));
    EXPECT_EQ(offset, all.size);

    std::vector<int32_t> tokens(8, -1), labels(8, -1);
    int64_t ts, ls;
    hrm_tensor t = i32_view(tokens, &ts), l = i32_view(labels, &ls);
    int32_t has_labels = -1, puzzle_id = -1;
    hrm_blob instance = text("1234,4321");
    expect_ok(enc->encode(enc, &instance, &t, &l, &has_labels, &puzzle_id));
    EXPECT_EQ(tokens, (std::vector<int32_t>{2, 3, 4, 5, 0, 0, 0, 0}));
    EXPECT_EQ(labels, (std::vector<int32_t>{5, 4, 3, 2, 0, 0, 0, 0}));
    EXPECT_EQ(has_labels, 1);
    EXPECT_EQ(puzzle_id, 0);

    // decode the labels as if they were the model's predictions, then verify.
    hrm_blob solution{};
    expect_ok(enc->decode(enc, &instance, &l, &solution));
    ASSERT_EQ(solution.size, 4u);
    EXPECT_EQ(std::string(static_cast<const char *>(solution.data), solution.size), "4321");
    EXPECT_EQ(reinterpret_cast<uintptr_t>(solution.data) % 64, 0u);   // host allocator: 64-byte aligned
    int32_t valid = -1;
    double score = -1;
    expect_ok(enc->verify(enc, &instance, &solution, &valid, &score));
    EXPECT_EQ(valid, 1);
    EXPECT_EQ(score, 1.0);
    hrm_free(const_cast<void *>(solution.data));

    hrm_blob wrong = text("1234");
    expect_ok(enc->verify(enc, &instance, &wrong, &valid, &score));
    EXPECT_EQ(valid, 0);

    hrm_blob unsolved = text("907");
    hrm_solve_stats stats{};
    stats.struct_size = sizeof stats;
    expect_ok(enc->solve(enc, &unsolved, &solution, &stats));
    EXPECT_EQ(std::string(static_cast<const char *>(solution.data), solution.size), "709");
    EXPECT_EQ(stats.solutions, 1);
    hrm_free(const_cast<void *>(solution.data));
    has_labels = -1;
    expect_ok(enc->encode(enc, &unsolved, &t, &l, &has_labels, nullptr));
    EXPECT_EQ(has_labels, 0);
}

TEST(Loader, EncoderBadInputGivesStatus) {
    auto rt = make_runtime();
    expect_ok(hrm_runtime_load_plugin(rt.get(), kExample.c_str()));
    auto inst = create(rt.get(), HRM_KIND_ENCODER, "reverse", "length = 4");
    const hrm_encoder *enc = hrm_instance_encoder(inst.get());
    std::vector<int32_t> tokens(4, -1), short_tokens(3);
    int64_t ts, ss;
    hrm_tensor t = i32_view(tokens, &ts), s = i32_view(short_tokens, &ss);

    hrm_blob bad = text("12a4");
    expect_failure(enc->encode(enc, &bad, &t, nullptr, nullptr, nullptr), HRM_E_FORMAT, {"'a'", "byte 2"});
    hrm_blob too_long = text("12345");
    expect_failure(enc->encode(enc, &too_long, &t, nullptr, nullptr, nullptr), HRM_E_FORMAT, {"more than 4 digits"});
    hrm_blob mismatch = text("12,1");
    expect_failure(enc->encode(enc, &mismatch, &t, nullptr, nullptr, nullptr), HRM_E_FORMAT, {"solution has 1 digits"});
    hrm_blob good = text("12");
    expect_failure(enc->encode(enc, &good, &s, nullptr, nullptr, nullptr), HRM_E_INVALID_ARG, {"tokens"});
    EXPECT_EQ(tokens, std::vector<int32_t>(4, -1));   // untouched on failure
    hrm_blob solution{nullptr, 0};
    expect_failure(enc->solve(enc, &bad, &solution, nullptr), HRM_E_FORMAT, {"byte 2"});
    EXPECT_EQ(solution.data, nullptr);

    hrm_instance *other = nullptr;
    expect_failure(hrm_instance_create(rt.get(), HRM_KIND_ENCODER, "reverse",
                                       [] {
                                           static hrm_instance_params p;
                                           hrm_instance_params_init(&p, sizeof p);
                                           p.config = "length = 100";
                                           return &p;
                                       }(),
                                       &other),
                   HRM_E_INVALID_ARG, {"cannot create encoder 'org.hrm-sdk.examples.reverse'", "'length'"});
}

TEST(Loader, PolicyHaltsAfterConfiguredSegments) {
    auto rt = make_runtime();
    expect_ok(hrm_runtime_load_plugin(rt.get(), kExample.c_str()));
    auto inst = create(rt.get(), HRM_KIND_POLICY, "example-fixed", "segments = 3");
    const hrm_policy *pol = hrm_instance_policy(inst.get());
    hrm_policy_spec spec{};
    spec.struct_size = sizeof spec;
    expect_ok(pol->get_spec(pol, &spec));
    EXPECT_EQ(spec.max_segments, 3);
    EXPECT_EQ(spec.n_starts, 1);

    hrm_policy_state *state = nullptr;
    expect_ok(pol->state_create(pol, 3, &state));
    hrm_policy_row rows[3] = {};
    for (int i = 0; i < 3; ++i) {
        rows[i].struct_size = sizeof rows[i];
        rows[i].segment = i + 1;   // 1, 2, 3
    }
    uint8_t halt[3] = {9, 9, 9};
    expect_ok(pol->decide(pol, state, 3, rows, sizeof(hrm_policy_row), halt));
    EXPECT_EQ(halt[0], 0);
    EXPECT_EQ(halt[1], 0);
    EXPECT_EQ(halt[2], 1);
    expect_failure(pol->decide(pol, state, 4, rows, sizeof(hrm_policy_row), halt), HRM_E_INVALID_ARG, {"n_slots"});
    pol->state_free(pol, state);
}

// The host table, reached through the test plugin's extension that hands it out.
TEST(Loader, HostServices) {
    LogCapture log;
    auto rt = make_runtime(&log);
    expect_ok(hrm_runtime_load_plugin(rt.get(), plugin("good").c_str()));
    auto inst = create(rt.get(), HRM_KIND_POLICY, "example-fixed");
    const hrm_policy *pol = hrm_instance_policy(inst.get());
    auto *host = static_cast<const hrm_host *>(pol->get_extension(pol, "org.hrm-sdk.test.host/1"));
    ASSERT_NE(host, nullptr);
    EXPECT_EQ(host->struct_size, sizeof(hrm_host));
    EXPECT_EQ(host->api_version, uint32_t(HRM_API_VERSION));
    EXPECT_EQ(host->get_extension(host, "hrm.host.anything/1"), nullptr);

    // log: prefixed with the plugin id, filtered by level.
    host->log(host, HRM_LOG_WARN, "hello");
    EXPECT_EQ(log.count(HRM_LOG_WARN, "[org.hrm-sdk.test.good] hello"), 1);

    // status_create copies the message.
    std::string msg = "bad thing";
    hrm_status *s = host->status_create(host, HRM_E_FORMAT, msg.c_str());
    msg = "changed";
    expect_failure(s, HRM_E_FORMAT, {"bad thing"});

    // alloc: 64-byte aligned, writable; free accepts NULL.
    void *p = host->alloc(host, 1000);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 64, 0u);
    std::memset(p, 1, 1000);
    host->free(host, p);
    host->free(host, nullptr);

    // parallel_for: every index exactly once; n_tasks == 0 is trivially done; NULL task refused.
    std::vector<std::atomic<int>> hits(1000);
    auto task = [](void *ctx, uint32_t i) { (*static_cast<std::vector<std::atomic<int>> *>(ctx))[i]++; };
    EXPECT_TRUE(host->parallel_for(host, 1000, task, &hits));
    for (auto &h : hits) ASSERT_EQ(h.load(), 1);
    EXPECT_TRUE(host->parallel_for(host, 0, task, &hits));
    EXPECT_FALSE(host->parallel_for(host, 10, nullptr, nullptr));
}

// An instance keeps its library loaded (and initialised) after the runtime is gone; the last
// instance to go calls deinit and unloads it.
TEST(Loader, LibraryOutlivesRuntimeWhileInstanceLives) {
    const std::string good = plugin("good");
    ASSERT_FALSE(is_mapped(good));
    LogCapture log;
    auto rt = make_runtime(&log);
    expect_ok(hrm_runtime_load_plugin(rt.get(), good.c_str()));
    EXPECT_EQ(log.count(HRM_LOG_INFO, "test plugin init"), 1);
    auto inst = create(rt.get(), HRM_KIND_POLICY, "example-fixed");
    rt.reset();   // hrm_runtime_free

    EXPECT_TRUE(is_mapped(good));
    EXPECT_EQ(log.count(HRM_LOG_INFO, "test plugin deinit"), 0);
    const hrm_policy *pol = hrm_instance_policy(inst.get());
    hrm_policy_spec spec{};
    spec.struct_size = sizeof spec;
    expect_ok(pol->get_spec(pol, &spec));   // plugin code still callable
    EXPECT_EQ(spec.max_segments, 2);

    inst.reset();   // hrm_instance_free
    EXPECT_EQ(log.count(HRM_LOG_INFO, "test plugin deinit"), 1);
    EXPECT_FALSE(is_mapped(good));
}

TEST(Loader, RuntimeFreedWithoutInstancesUnloads) {
    const std::string good = plugin("good");
    auto rt = make_runtime();
    expect_ok(hrm_runtime_load_plugin(rt.get(), good.c_str()));
    EXPECT_TRUE(is_mapped(good));
    rt.reset();
    EXPECT_FALSE(is_mapped(good));
}

TEST(Api, StatusesVersionsAndNullArguments) {
    EXPECT_EQ(hrm_status_code(nullptr), HRM_OK);
    EXPECT_STREQ(hrm_status_message(nullptr), "");
    hrm_status_free(nullptr);
    EXPECT_EQ(hrm_status_create(HRM_OK, "fine"), nullptr);
    expect_failure(hrm_status_create(HRM_E_IO, "disk"), HRM_E_IO, {"disk"});
    EXPECT_STREQ(hrm_code_name(HRM_E_NOT_FOUND), "not found");
    EXPECT_STREQ(hrm_code_name(12345), "unknown error");
    EXPECT_EQ(hrm_api_version(), static_cast<uint32_t>(HRM_API_VERSION));
    EXPECT_EQ(hrm_abi_major(), static_cast<uint32_t>(HRM_ABI_MAJOR));
    EXPECT_STRNE(hrm_version_string(), "");

    expect_failure(hrm_runtime_create(nullptr, nullptr), HRM_E_INVALID_ARG, {"out"});
    hrm_runtime_params bad{};   // struct_size not set
    hrm_runtime *rt = nullptr;
    expect_failure(hrm_runtime_create(&bad, &rt), HRM_E_INVALID_ARG, {"struct_size"});
    EXPECT_EQ(rt, nullptr);
    expect_failure(hrm_runtime_load_plugin(nullptr, "x.so"), HRM_E_INVALID_ARG, {});
    EXPECT_EQ(hrm_runtime_plugin_count(nullptr), 0);
    EXPECT_EQ(hrm_runtime_class(nullptr, 0, nullptr), nullptr);
    hrm_runtime_free(nullptr);
    hrm_instance_free(nullptr);

    // An older, shorter hrm_runtime_params (just struct_size and n_threads) is accepted.
    hrm_runtime_params old_params;
    hrm_runtime_params_init(&old_params, 8);
    EXPECT_EQ(old_params.struct_size, 8u);
    expect_ok(hrm_runtime_create(&old_params, &rt));
    hrm_runtime_free(rt);
}

// Once loading is done, hrm_instance_create and the encoder's [thread-safe] slots may be called
// from many threads at once; plugins may call parallel_for from inside parallel_for.
TEST(Loader, ConcurrentCreateAndEncode) {
    auto rt = make_runtime();
    expect_ok(hrm_runtime_load_plugin(rt.get(), kExample.c_str()));
    auto shared = create(rt.get(), HRM_KIND_ENCODER, "reverse");
    const hrm_encoder *enc = hrm_instance_encoder(shared.get());
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            for (int k = 0; k < 50; ++k) {
                hrm_instance *own = nullptr;
                hrm_status *s = hrm_instance_create(rt.get(), HRM_KIND_POLICY, "example-fixed", nullptr, &own);
                if (s || !own) ++failures;
                hrm_status_free(s);
                hrm_instance_free(own);

                const std::string digits = std::to_string(1000 * t + k);
                hrm_blob in{digits.data(), digits.size()}, out{};
                s = enc->solve(enc, &in, &out, nullptr);
                if (s || std::string(static_cast<const char *>(out.data), out.size) !=
                                 std::string(digits.rbegin(), digits.rend()))
                    ++failures;
                hrm_status_free(s);
                hrm_free(const_cast<void *>(out.data));
            }
        });
    for (auto &th : threads) th.join();
    EXPECT_EQ(failures.load(), 0);
}

TEST(Loader, NestedParallelFor) {
    auto rt = make_runtime();
    expect_ok(hrm_runtime_load_plugin(rt.get(), plugin("good").c_str()));
    auto inst = create(rt.get(), HRM_KIND_POLICY, "example-fixed");
    const hrm_policy *pol = hrm_instance_policy(inst.get());
    auto *host = static_cast<const hrm_host *>(pol->get_extension(pol, "org.hrm-sdk.test.host/1"));
    ASSERT_NE(host, nullptr);
    struct Ctx {
        const hrm_host *host;
        std::atomic<int> count{0};
    } ctx{host};
    // Each of 8 outer tasks runs 10 inner ones; a refusal would count a million.
    auto outer = [](void *c, uint32_t) {
        auto *ctx = static_cast<Ctx *>(c);
        auto inner = [](void *c2, uint32_t) { static_cast<Ctx *>(c2)->count++; };
        if (!ctx->host->parallel_for(ctx->host, 10, inner, c)) ctx->count += 1000000;
    };
    EXPECT_TRUE(host->parallel_for(host, 8, outer, &ctx));
    EXPECT_EQ(ctx.count.load(), 80);
}
