// test_negative.cpp - every broken plugin is refused with the right code and a message naming the
// file and the reason; the runtime is unchanged afterwards and the library is unloaded.
#include "test_support.hpp"

using namespace test;

namespace {

// Load `file`, expect refusal with code and reason, and check nothing stayed behind.
void expect_refused(const std::string &file, hrm_code code, const std::string &reason) {
    auto rt = make_runtime();
    expect_failure(hrm_runtime_load_plugin(rt.get(), file.c_str()), code, {file, reason});
    EXPECT_EQ(hrm_runtime_plugin_count(rt.get()), 0);
    EXPECT_EQ(hrm_runtime_class_count(rt.get()), 0);
    if (fs::exists(file)) EXPECT_FALSE(is_mapped(file)) << file << " still loaded after refusal";
}

}  // namespace

TEST(LoaderRefuses, MissingFile) { expect_refused(kPluginDir + "/nothing_here.so", HRM_E_NOT_FOUND, "no such file"); }

TEST(LoaderRefuses, NotASharedLibrary) {
    expect_refused(kPluginDir + "/not_a_plugin.so", HRM_E_PLUGIN, "not a loadable shared library");
}

TEST(LoaderRefuses, MissingEntrySymbol) {
    expect_refused(plugin("no_entry"), HRM_E_PLUGIN, "missing entry symbol hrm_plugin_negotiate");
}

TEST(LoaderRefuses, AbiMajorOutOfRange) {
    expect_refused(plugin("abi_out_of_range"), HRM_E_VERSION, "chose ABI major 99, outside the supported range [1, 1]");
}

TEST(LoaderRefuses, PluginRefusingNegotiation) {
    expect_refused(plugin("refuse"), HRM_E_VERSION, "refused negotiation (test plugin wants ABI major 7)");
}

TEST(LoaderRefuses, PluginInfoTooSmall) {
    expect_refused(plugin("small_info"), HRM_E_VERSION, "hrm_plugin_info.struct_size 8 is smaller");
}

TEST(LoaderRefuses, InitFailing) {
    LogCapture log;
    auto rt = make_runtime(&log);
    const std::string file = plugin("init_fails");
    expect_failure(hrm_runtime_load_plugin(rt.get(), file.c_str()), HRM_E_PLUGIN,
                   {file, "init of plugin 'org.hrm-sdk.test.init_fails' failed"});
    // The plugin's own reason reached the log, with its id; no deinit for a failed init.
    EXPECT_EQ(log.count(HRM_LOG_ERROR, "[org.hrm-sdk.test.init_fails] test plugin refuses to initialise"), 1);
    EXPECT_EQ(log.count(HRM_LOG_INFO, "test plugin deinit"), 0);
    EXPECT_EQ(hrm_runtime_plugin_count(rt.get()), 0);
    EXPECT_FALSE(is_mapped(file));
}

TEST(LoaderRefuses, DescriptorOfWrongKind) {
    expect_refused(plugin("wrong_kind"), HRM_E_PLUGIN, "descriptor 0 ('org.hrm-sdk.test.wrong_kind.fixed') has kind 2, expected 3");
}

TEST(LoaderRefuses, FactoryWithNullSlot) {
    expect_refused(plugin("null_factory_slot"), HRM_E_PLUGIN, "factory hrm.factory.policy/1 leaves a required slot");
}

TEST(LoaderRefuses, DuplicatePluginId) {
    auto rt = make_runtime();
    const std::string good = plugin("good"), dup = plugin("duplicate_id");
    expect_ok(hrm_runtime_load_plugin(rt.get(), good.c_str()));
    expect_failure(hrm_runtime_load_plugin(rt.get(), dup.c_str()), HRM_E_PLUGIN,
                   {dup, "duplicate plugin id 'org.hrm-sdk.test.good'", good});
    EXPECT_EQ(hrm_runtime_plugin_count(rt.get()), 1);
    EXPECT_FALSE(is_mapped(dup));
    // Loading the very same file twice is a duplicate too, and harmless.
    expect_failure(hrm_runtime_load_plugin(rt.get(), good.c_str()), HRM_E_PLUGIN, {"duplicate plugin id"});
    EXPECT_TRUE(is_mapped(good));
    EXPECT_EQ(hrm_runtime_plugin_count(rt.get()), 1);
}

TEST(LoaderRefuses, InstanceWithBadVtable) {
    auto rt = make_runtime();
    expect_ok(hrm_runtime_load_plugin(rt.get(), plugin("bad_vtable").c_str()));
    hrm_instance *inst = nullptr;
    expect_failure(hrm_instance_create(rt.get(), HRM_KIND_POLICY, "example-fixed", nullptr, &inst), HRM_E_PLUGIN,
                   {"org.hrm-sdk.test.bad_vtable", "required slot NULL"});
    EXPECT_EQ(inst, nullptr);
}

// A folder with broken plugins still loads the good one; each bad one is a warning naming it.
TEST(LoaderRefuses, FolderSkipsBadPluginsAndLoadsGoodOnes) {
    fs::path dir = scratch_dir();
    copy_into(plugin("good"), dir);
    copy_into(kExample, dir);
    const std::vector<std::string> bad = {"not_a_plugin.so", "test_no_entry.so", "test_abi_out_of_range.so",
                                          "test_small_info.so", "test_init_fails.so", "test_wrong_kind.so"};
    for (const auto &name : bad) copy_into(kPluginDir + "/" + name, dir);

    LogCapture log;
    auto rt = make_runtime(&log);
    int32_t n = -1;
    expect_ok(hrm_runtime_load_dir(rt.get(), dir.c_str(), &n));
    EXPECT_EQ(n, 2);
    EXPECT_EQ(hrm_runtime_plugin_count(rt.get()), 2);
    EXPECT_GE(find_plugin(rt.get(), "org.hrm-sdk.test.good"), 0);
    EXPECT_GE(find_plugin(rt.get(), "org.hrm-sdk.examples.reverse"), 0);
    for (const auto &name : bad)
        EXPECT_EQ(log.count(HRM_LOG_WARN, (dir / name).string() + ": "), 1) << name << " not reported";
}

// Without a log callback, warnings and errors go to stderr (info and debug do not).
TEST(LoaderRefuses, DefaultLogSinkIsStderrForWarnings) {
    fs::path dir = scratch_dir();
    copy_into(plugin("good"), dir);
    copy_into(plugin("no_entry"), dir);
    hrm_runtime *rt = nullptr;
    expect_ok(hrm_runtime_create(nullptr, &rt));
    ::testing::internal::CaptureStderr();
    int32_t n = 0;
    hrm_status *s = hrm_runtime_load_dir(rt, dir.c_str(), &n);
    const std::string err = ::testing::internal::GetCapturedStderr();
    expect_ok(s);
    hrm_runtime_free(rt);
    EXPECT_EQ(n, 1);
    EXPECT_NE(err.find("hrm: warning: skipped plugin: " + (dir / "test_no_entry.so").string() + ": missing entry symbol"),
              std::string::npos)
        << err;
    EXPECT_EQ(err.find("loaded plugin"), std::string::npos) << err;   // INFO stays quiet
    EXPECT_EQ(err.find("test plugin init"), std::string::npos) << err;
}
