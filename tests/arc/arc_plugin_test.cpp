// Loads the ARC plugin .so with dlopen and a minimal fake host, and drives it through the encoder
// ABI exactly as libhrm would. The task logic is covered by arc_test.cpp; this checks the glue.
#include <gtest/gtest.h>

#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "hrm/hrm_encoder.h"
#include "plugin_host.hpp"

#include "augment.hpp"
#include "encode.hpp"

namespace {

namespace arc = hrm::arc;
using test_host::blob;
using test_host::kHost;
using test_host::take;
using test_host::View;

// The loaded plugin and one encoder instance of it, created with config (TOML text).
class Plugin {
 public:
  explicit Plugin(const std::string& config = "") : lib_(HRM_ARC_PLUGIN, HRM_FACTORY_ENCODER) {
    create_error = create(config);
    if (enc) {
      spec.struct_size = sizeof spec;
      take(enc->get_spec(enc, &spec));
    }
  }
  ~Plugin() {
    if (enc) enc->destroy(enc);
  }
  std::string create(const std::string& config) {
    hrm_instance_params params;
    hrm_instance_params_init(&params, sizeof params);
    params.config = config.c_str();
    const void* out = nullptr;
    std::string err = take(lib_.factory->create(lib_.factory, "arc", &kHost, &params, &out));
    enc = static_cast<const hrm_encoder*>(out);
    return err;
  }
  const hrm_descriptor* descriptor() const { return lib_.factory->get_descriptor(lib_.factory, 0); }

  const hrm_encoder* enc = nullptr;
  hrm_encoder_spec spec{};
  std::string create_error;

 private:
  test_host::Library lib_;   // declared last: destroyed after the encoder it made
};

const std::string kInstance = R"({"task": "abcd0001", "test_index": 0, "input": [[1,2],[3,4]], "output": [[4,3,2]]})";

}  // namespace

TEST(ArcPlugin, DescribesItself) {
  Plugin p;
  ASSERT_NE(p.enc, nullptr) << p.create_error;
  EXPECT_STREQ(p.descriptor()->id, "org.hrm-sdk.task.arc");
  EXPECT_STREQ(p.descriptor()->name, "arc");
  EXPECT_EQ(p.spec.seq_len, 900);
  EXPECT_EQ(p.spec.vocab_size, 12);
  EXPECT_EQ(p.spec.pad_id, 0);
  EXPECT_EQ(p.spec.ignore_label_id, 0);
  EXPECT_EQ(p.spec.num_puzzle_identifiers, 1);
  EXPECT_EQ(p.spec.num_augmentations, int64_t(8 * 362880));
  EXPECT_EQ(p.spec.caps, HRM_ENCODER_CAN_AUGMENT | HRM_ENCODER_CAN_RENDER | HRM_ENCODER_CAN_MASK);
  EXPECT_EQ(p.enc->solve, nullptr);
  EXPECT_EQ(p.enc->generate, nullptr);
}

TEST(ArcPlugin, SplitsOneInstancePerLine) {
  Plugin p;
  const std::string text = "\n" + kInstance + "\r\n   \n" + kInstance + "\n";
  hrm_blob t = blob(text), rec{};
  size_t off = 0;
  std::vector<std::string> got;
  for (;;) {
    ASSERT_EQ(take(p.enc->split(p.enc, &t, &off, &rec)), "");
    if (!rec.data) break;
    got.emplace_back(static_cast<const char*>(rec.data), rec.size);
  }
  EXPECT_EQ(got, (std::vector<std::string>{kInstance, kInstance}));
}

TEST(ArcPlugin, EncodesWithLabelsAndPuzzleIds) {
  const std::string ids = (std::filesystem::path(testing::TempDir()) / "arc_identifiers.json").string();
  std::ofstream(ids) << R"(["<blank>", "zzzz0000", "abcd0001", "abcd0001_t1_0123456789"])";
  Plugin p("[task]\nidentifiers = \"" + ids + "\"\nother_runner_key = 3\n");
  ASSERT_NE(p.enc, nullptr) << p.create_error;
  EXPECT_EQ(p.spec.num_puzzle_identifiers, 4);

  std::vector<int32_t> tok(900, -1), lab(900, -1);
  View tv(tok, {900}), lv(lab, {900});
  int32_t has = -1, pid = -1;
  hrm_blob b = blob(kInstance);
  ASSERT_EQ(take(p.enc->encode(p.enc, &b, &tv.t, &lv.t, &has, &pid)), "");
  EXPECT_EQ(has, 1);
  EXPECT_EQ(pid, 2);
  EXPECT_EQ(tok, arc::encode_grid(arc::parse_grid("[[1,2],[3,4]]", "g")));
  EXPECT_EQ(lab, arc::encode_grid(arc::parse_grid("[[4,3,2]]", "g")));

  const std::string named = R"({"task": "abcd0001", "puzzle": "abcd0001_t1_0123456789", "input": [[1]]})";
  b = blob(named);
  ASSERT_EQ(take(p.enc->encode(p.enc, &b, &tv.t, &lv.t, &has, &pid)), "");
  EXPECT_EQ(has, 0);
  EXPECT_EQ(pid, 3);
  const std::string unknown = R"({"task": "ffff0000", "input": [[1]]})";
  b = blob(unknown);
  ASSERT_EQ(take(p.enc->encode(p.enc, &b, &tv.t, nullptr, nullptr, &pid)), "");
  EXPECT_EQ(pid, 0) << "unknown puzzles get the blank id";

  Plugin plain;
  b = blob(kInstance);
  ASSERT_EQ(take(plain.enc->encode(plain.enc, &b, &tv.t, nullptr, nullptr, &pid)), "");
  EXPECT_EQ(pid, 0) << "no table: blank";
  std::filesystem::remove(ids);
}

TEST(ArcPlugin, RejectsBadInstancesAndConfigs) {
  Plugin p;
  std::vector<int32_t> tok(900);
  View tv(tok, {900});
  auto encode_error = [&](const std::string& text) {
    hrm_blob b = blob(text);
    return take(p.enc->encode(p.enc, &b, &tv.t, nullptr, nullptr, nullptr));
  };
  EXPECT_NE(encode_error(R"({"input": [[1]]})").find("7: arc instance: missing \"task\""), std::string::npos);
  EXPECT_NE(encode_error(R"({"task": "a"})").find("missing \"input\""), std::string::npos);
  EXPECT_NE(encode_error(R"({"task": "a", "input": [[1]], "inputs": 1})").find("unknown key \"inputs\""), std::string::npos);
  EXPECT_NE(encode_error(R"({"task": "a", "input": [[1,10]]})").find("arc instance input: row 0 column 1: 10 is not a colour"),
            std::string::npos);
  EXPECT_NE(encode_error(R"({"task": "a", "test_index": -1, "input": [[1]]})").find("test_index"), std::string::npos);
  EXPECT_NE(encode_error("not json").find("7: "), std::string::npos);

  Plugin missing("[task]\nidentifiers = \"/no/such/identifiers.json\"\n");
  EXPECT_EQ(missing.enc, nullptr);
  EXPECT_NE(missing.create_error.find("6: arc config: cannot read identifiers file"), std::string::npos) << missing.create_error;
  Plugin wrong_type("[task]\nidentifiers = 3\n");
  EXPECT_NE(wrong_type.create_error.find("must be a path string"), std::string::npos);
}

TEST(ArcPlugin, DecodeCropsAndVerifyChecks) {
  Plugin p;
  hrm_blob inst = blob(kInstance);
  std::vector<int32_t> pred = arc::encode_grid(arc::parse_grid("[[4,3,2]]", "g"));
  View pv(pred, {900});
  hrm_blob sol{};
  ASSERT_EQ(take(p.enc->decode(p.enc, &inst, &pv.t, &sol)), "");
  const std::string answer = take(sol);
  EXPECT_EQ(answer, "[[4,3,2]]");
  std::fill(pred.begin(), pred.end(), 0);
  EXPECT_NE(take(p.enc->decode(p.enc, &inst, &pv.t, &sol)).find("7: arc predictions: the top-left token 0 is not a colour"),
            std::string::npos);

  auto verify = [&](const std::string& instance, const std::string& solution) {
    hrm_blob i = blob(instance), s = blob(solution);
    int32_t valid = -1;
    double score = -1;
    EXPECT_EQ(take(p.enc->verify(p.enc, &i, &s, &valid, &score)), "");
    EXPECT_EQ(score, valid);
    return valid;
  };
  EXPECT_EQ(verify(kInstance, answer), 1);
  EXPECT_EQ(verify(kInstance, "[[4,3,1]]"), 0);
  EXPECT_EQ(verify(kInstance, "[[4,3],[2,1]]"), 0);
  EXPECT_EQ(verify(kInstance, "[[4,3,12]]"), 0) << "not a colour";
  EXPECT_EQ(verify(kInstance, "garbage"), 0);
  const std::string hidden = R"({"task": "abcd0001", "input": [[1]]})";
  EXPECT_EQ(verify(hidden, "[[9,9]]"), 1) << "without an answer: only shape and colours";
  EXPECT_EQ(verify(hidden, "[]"), 0);
  const std::string empty_object = "{}", grid = "[[1]]";   // blobs only borrow: keep the bytes alive
  hrm_blob bad = blob(empty_object), s = blob(grid);
  int32_t valid = 0;
  EXPECT_NE(take(p.enc->verify(p.enc, &bad, &s, &valid, nullptr)), "");
}

TEST(ArcPlugin, AugmentMatchesTheLibraryAndInverts) {
  Plugin p;
  arc::Rng rng(11);
  for (int trial = 0; trial < 50; ++trial) {
    const uint64_t k = trial == 0 ? 0 : rng.next();  // ids beyond 8 * 9! are hashed into the range
    // Two rows as a puzzle's input and label at (0, 0), then a padding row.
    arc::Grid a(1 + int(rng.below(30)), 1 + int(rng.below(30))), b(1 + int(rng.below(30)), 1 + int(rng.below(30)));
    for (auto& x : a.cells) x = uint8_t(rng.below(10));
    for (auto& x : b.cells) x = uint8_t(rng.below(10));
    std::vector<int32_t> src = arc::encode_grid(a), lb = arc::encode_grid(b);
    src.insert(src.end(), lb.begin(), lb.end());
    src.insert(src.end(), 900, 0);
    std::vector<int32_t> dst(src.size()), back(src.size());
    View sv(src, {3, 900}), dv(dst, {3, 900}), bv(back, {3, 900});
    ASSERT_EQ(take(p.enc->augment(p.enc, k, 0, &sv.t, &dv.t)), "");
    ASSERT_EQ(take(p.enc->augment(p.enc, k, 1, &dv.t, &bv.t)), "");
    EXPECT_EQ(back, src) << "augmentation " << k;
    // The documented id mapping, applied to both rows alike; the padding row stays PAD.
    const uint64_t id = k < arc::kAugmentationCount ? k : 1 + arc::mix64(k) % (arc::kAugmentationCount - 1);
    const arc::Augmentation aug = arc::Augmentation::from_id(id);
    EXPECT_EQ(arc::crop(dst.data()), aug.apply(a));
    EXPECT_EQ(arc::crop(dst.data() + 900), aug.apply(b));
    EXPECT_TRUE(std::all_of(dst.begin() + 1800, dst.end(), [](int32_t x) { return x == 0; }));
    if (k == 0) {
      EXPECT_EQ(dst, src);
    }
  }
}

TEST(ArcPlugin, AugmentKeepsTranslatedGridsInPlace) {
  Plugin p;
  const arc::Grid g = arc::parse_grid("[[1,2,3],[4,5,6],[7,8,9]]", "g");
  std::vector<int32_t> src = arc::encode_grid(g, 5, 7), dst(900), back(900);
  View sv(src, {1, 900}), dv(dst, {1, 900}), bv(back, {1, 900});
  for (uint64_t k : {1ull, 6ull, 8ull * 1234 + 7}) {
    ASSERT_EQ(take(p.enc->augment(p.enc, k, 0, &sv.t, &dv.t)), "");
    const arc::Placement at = arc::locate(dst.data());
    EXPECT_EQ(at.r0, 5);
    EXPECT_EQ(at.c0, 7);
    EXPECT_EQ(dst, arc::encode_grid(arc::Augmentation::from_id(k).apply(g), 5, 7));
    ASSERT_EQ(take(p.enc->augment(p.enc, k, 1, &dv.t, &bv.t)), "");
    EXPECT_EQ(back, src);
  }
  // A transposed 2x29 grid at column 5 no longer fits there: it moves left, still a valid encoding.
  std::vector<int32_t> wide = arc::encode_grid(arc::Grid(29, 2, 3), 0, 0), out(900);
  View wv(wide, {1, 900}), ov(out, {1, 900});
  ASSERT_EQ(take(p.enc->augment(p.enc, 6, 0, &wv.t, &ov.t)), "");
  EXPECT_EQ(out, arc::encode_grid(arc::Grid(2, 29, 3), 0, 0));
  std::vector<int32_t> bad(900, 0);
  bad[0] = 12;
  View xv(bad, {1, 900});
  EXPECT_NE(take(p.enc->augment(p.enc, 1, 0, &xv.t, &ov.t)).find("outside the vocabulary"), std::string::npos);
}

TEST(ArcPlugin, Renders) {
  Plugin p;
  const std::string prediction = "[[4,3,1]]";   // blobs only borrow: keep the bytes alive
  hrm_blob inst = blob(kInstance), sol = blob(prediction), pic{};
  ASSERT_EQ(take(p.enc->render(p.enc, &inst, &sol, HRM_RENDER_TEXT, &pic)), "");
  EXPECT_EQ(take(pic),
            "input   prediction   expected\n"
            "1 2     4 3 1        4 3 2\n"
            "3 4\n");
  ASSERT_EQ(take(p.enc->render(p.enc, &inst, nullptr, HRM_RENDER_ANSI, &pic)), "");
  EXPECT_NE(take(pic).find("\x1b[48;5;"), std::string::npos);
  ASSERT_EQ(take(p.enc->render(p.enc, &inst, nullptr, HRM_RENDER_SVG, &pic)), "");
  EXPECT_EQ(take(pic).rfind("<svg", 0), 0u);
  EXPECT_NE(take(p.enc->render(p.enc, &inst, nullptr, 99, &pic)), "");
}
