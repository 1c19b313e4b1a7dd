// `hrm convert` and `hrm forward` end to end: the reference checkpoint of the small parity fixture
// is converted and run for 16 segments; the outputs must match the fixture (same bounds as
// test_plugin.cpp). Skipped when the runner or the fixtures are not built/present.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "config.hpp"
#include "hrm/common/checkpoint.hpp"
#include "hrm/common/npy.hpp"
#include "hrm/common/safetensors.hpp"

using namespace hrm::common;
namespace fs = std::filesystem;

namespace {

int run(const std::string &args) {
    const std::string plugins = fs::path(HRM_MODEL_PLUGIN).parent_path().string();
    const std::string cmd = "HRM_PLUGIN_PATH=" + plugins + " " HRM_TEST_LAUNCHER " " + HRM_RUNNER + " " + args + " > /dev/null";
    return std::system(cmd.c_str());
}

}  // namespace

TEST(Runner, ConvertThenForwardReproducesTheFixture) {
    const std::string d = std::string(HRM_PARITY_DATA) + "/small";
    if (!fs::exists(HRM_RUNNER)) GTEST_SKIP() << "runner not built";
    if (!fs::exists(d + "/reference_checkpoint.pt")) GTEST_SKIP() << "no fixture";
    const fs::path tmp = fs::path(::testing::TempDir()) / ("hrm_runner_" + std::to_string(::getpid()));
    fs::create_directories(tmp);
    const std::string out = (tmp / "small.safetensors").string();

    // No all_config.yaml beside it, and the weights do not tell the arch, num_heads, the cycles
    // or (RoPE) seq_len: the converter must refuse, and take them from --config.
    EXPECT_NE(run("convert " + d + "/reference_checkpoint.pt -o " + out + " 2>/dev/null"), 0);
    ASSERT_EQ(run("convert " + d + "/reference_checkpoint.pt -o " + out + " --config " + d + "/config.toml"), 0);
    // Same tensors, bytes and config as the fixture's model.safetensors / config.toml.
    SafetensorsFile a(out), b(d + "/model.safetensors");
    ASSERT_EQ(a.tensors().size(), b.tensors().size());
    for (const auto &t : b.tensors()) {
        const TensorView &u = a.get(t.name, t.dtype, t.shape);
        EXPECT_EQ(std::memcmp(u.data, t.data, t.nbytes), 0) << t.name;
    }
    // The same config (compared as values: float spellings like 1e-05 / 1e-5 may differ).
    auto config_of = [](const std::string &path) {
        std::ifstream f(path);
        std::stringstream ss;
        ss << f.rdbuf();
        return hrm::models::core::parse_config(ss.str(), path).to_toml();
    };
    EXPECT_EQ(config_of((tmp / "small.toml").string()), config_of(d + "/config.toml"));
    EXPECT_EQ(config_of((tmp / "small.toml").string()),
              hrm::models::core::parse_config(checkpoint_config(a), out).to_toml());

    const std::string outdir = (tmp / "fwd").string();
    ASSERT_EQ(run("forward --model " + out + " --inputs " + d + "/inputs.npy --puzzle-ids " + d +
                  "/puzzle_ids.npy --segments 16 --precision fp32 --out " + outdir),
              0);
    for (const char *name : {"logits_1", "logits_16"}) {
        const auto got = read_npy(outdir + "/" + name + ".npy").as<float>(DType::F32, name);
        const auto ref = read_npy(d + "/" + name + ".npy").as<float>(DType::F32, name);
        ASSERT_EQ(got.size(), ref.size());
        double diff = 0, mx = 0;
        for (size_t i = 0; i < ref.size(); ++i) {
            diff = std::max(diff, double(std::fabs(got[i] - ref[i])));
            mx = std::max(mx, double(std::fabs(ref[i])));
        }
        EXPECT_LT(diff / mx, std::string(name) == "logits_1" ? 1e-4 : 5e-4) << name;
    }
    EXPECT_EQ(read_npy(outdir + "/pred_16.npy").as<int32_t>(DType::I32, "pred"),
              read_npy(d + "/pred_16.npy").as<int32_t>(DType::I32, "pred"));
    fs::remove_all(tmp);
}
