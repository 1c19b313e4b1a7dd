// Loads the gridnav plugin .so with dlopen and a minimal fake host and drives it through the
// encoder ABI exactly as libhrm would (the fake host of tests/common/plugin_host.hpp). The
// task logic itself is covered by gridnav_test.cpp; this checks the glue and the [task] config.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "hrm/hrm_encoder.h"
#include "encoder_calls.hpp"
#include "plugin_host.hpp"

#include "grid.hpp"
#include "window.hpp"

namespace {

using test_host::blob;
using test_host::kHost;
using test_host::take;
using test_host::View;

// The loaded plugin library (negotiated and initialised once per test).
class Library : public test_host::Library {
 public:
  Library() : test_host::Library(HRM_GRIDNAV_PLUGIN, HRM_FACTORY_ENCODER) {}
  // "" and *out set, or the error.
  std::string create(const char* config, const hrm_encoder** out, const char* id = "gridnav") {
    hrm_instance_params params;
    hrm_instance_params_init(&params, sizeof params);
    params.config = config;
    const void* p = nullptr;
    std::string err = take(factory->create(factory, id, &kHost, &params, &p));
    *out = static_cast<const hrm_encoder*>(p);
    return err;
  }
};

// One encoder instance with a given config.
class Encoder : public test_host::EncoderCalls {
 public:
  Encoder(Library& lib, const char* config = nullptr) {
    std::string err = lib.create(config, &enc);
    if (!err.empty()) throw std::runtime_error(err);
    spec.struct_size = sizeof spec;
    if (!take(enc->get_spec(enc, &spec)).empty()) throw std::runtime_error("get_spec");
  }
  ~Encoder() { enc->destroy(enc); }

  // Returns valid (or -1 on error, with the error in *error).
  int verify(const std::string& instance, const std::string& solution, double* score, std::string* error = nullptr) {
    hrm_blob in = blob(instance), sol = blob(solution);
    int32_t valid = -1;
    std::string err = take(enc->verify(enc, &in, &sol, &valid, score));
    if (error) *error = err;
    return err.empty() ? valid : -1;
  }
};

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

std::string read_file(const std::string& name) {
  std::ifstream in(std::string(HRM_GRIDNAV_TEST_DATA) + "/" + name, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

const std::string kPuzzle =
    "S.....\n"
    ".####.\n"
    "......\n"
    ".....G";

}  // namespace

TEST(GridnavPlugin, DescriptorAndSpec) {
  Library lib;
  ASSERT_EQ(lib.factory->count(lib.factory), 1u);
  Encoder e(lib);
  EXPECT_STREQ(e.enc->desc->id, "org.hrm-sdk.task.gridnav");
  EXPECT_STREQ(e.enc->desc->name, "gridnav");
  EXPECT_EQ(e.spec.seq_len, 900);
  EXPECT_EQ(e.spec.vocab_size, 6);
  EXPECT_EQ(e.spec.pad_id, 0);
  EXPECT_EQ(e.spec.ignore_label_id, 0);
  EXPECT_EQ(e.spec.num_augmentations, 8);
  EXPECT_EQ(e.spec.caps, 15u | HRM_ENCODER_CAN_MASK);
  Encoder big(lib, "[task]\nwindow = 16\nterrain = true\n");
  EXPECT_EQ(big.spec.seq_len, 256);
  EXPECT_EQ(big.spec.vocab_size, 7);
}

TEST(GridnavPlugin, ConfigErrorsNameTheKey) {
  Library lib;
  const hrm_encoder* enc = nullptr;
  EXPECT_TRUE(contains(lib.create("[task]\nmoves = 6\n", &enc), "config [task].moves must be 4 or 8, got 6"));
  EXPECT_TRUE(contains(lib.create("[task]\nradius = -1\n", &enc), "config [task].radius must be 0..10"));
  EXPECT_TRUE(contains(lib.create("[task]\nwindow = 100\n", &enc), "config [task].window must be 4..64"));
  EXPECT_TRUE(contains(lib.create("[task]\nterrain = 1\n", &enc), "config [task].terrain must be true or false"));
  EXPECT_TRUE(contains(lib.create("[task]\naccept_suboptimal = 0.5\n", &enc), "config [task].accept_suboptimal must be >= 1.0"));
  EXPECT_TRUE(contains(lib.create("[task]\nmovez = 4\n", &enc), "unknown key [task].movez"));
  EXPECT_TRUE(contains(lib.create("[task\n", &enc), "gridnav config:"));
  EXPECT_TRUE(contains(lib.create(nullptr, &enc, "sudoku"), "no gridnav encoder class 'sudoku'"));
}

TEST(GridnavPlugin, SplitEncodeSolveDecodeVerify) {
  Library lib;
  Encoder e(lib);
  const std::string second = "S.G";
  auto recs = e.split("\n" + kPuzzle + "\n\n\r\n" + second + "\n");
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0], kPuzzle);
  EXPECT_EQ(recs[1], second);

  hrm_solve_stats stats{};
  stats.struct_size = sizeof stats;
  const std::string solution = e.solve(kPuzzle, &stats);
  ASSERT_FALSE(contains(solution, "ERROR")) << solution;
  EXPECT_TRUE(contains(solution, "o"));
  EXPECT_EQ(stats.solutions, 2);  // the diagonal under the wall can come at any of several places
  EXPECT_GT(stats.rating, 0);
  ASSERT_FALSE(contains(e.solve(second, &stats), "ERROR"));
  EXPECT_EQ(stats.solutions, 1);

  std::vector<int32_t> tokens, labels;
  int32_t has = -1;
  ASSERT_EQ(e.encode(kPuzzle, tokens, labels, has), "");
  EXPECT_EQ(has, 0);
  EXPECT_EQ(tokens[0], 3);        // S
  EXPECT_EQ(tokens[1], 2);        // free
  EXPECT_EQ(tokens[30 + 1], 1);   // blocked, row 2
  EXPECT_EQ(tokens[3 * 30 + 5], 4);  // G
  EXPECT_EQ(tokens[6], 0);        // PAD right of the grid
  EXPECT_EQ(tokens[4 * 30], 0);   // PAD below it
  ASSERT_EQ(e.encode(solution, tokens, labels, has), "");
  EXPECT_EQ(has, 1);
  int path = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] != 5) continue;
    ++path;
    EXPECT_EQ(tokens[i], 2);  // path cells are free ground in the input
  }
  EXPECT_GT(path, 0);

  // The labels decoded give back the oracle's solution, which verifies with score 1.
  EXPECT_EQ(e.decode(kPuzzle, labels), solution);
  double score = -1;
  EXPECT_EQ(e.verify(kPuzzle, solution, &score), 1);
  EXPECT_DOUBLE_EQ(score, 1.0);
  // A suboptimal path: rejected with its ratio as the score; accepted by a looser config.
  const std::string longer =  // cost 8 against 5 + sqrt 2 + ... = 7.41 along the bottom
      "Sooooo\n"
      ".####o\n"
      ".....o\n"
      ".....G";
  EXPECT_EQ(e.verify(kPuzzle, longer, &score), 0);
  EXPECT_NEAR(score, 8.0 / (6.0 + std::sqrt(2.0)), 1e-9);
  Encoder loose(lib, "[task]\naccept_suboptimal = 1.5\n");
  double loose_score = -1;
  EXPECT_EQ(loose.verify(kPuzzle, longer, &loose_score), 1);
  EXPECT_DOUBLE_EQ(loose_score, score);
  // Broken or unreadable answers are rejected with score 0, not errors.
  EXPECT_EQ(e.verify(kPuzzle, kPuzzle, &score), 0);
  EXPECT_EQ(score, 0.0);
  EXPECT_EQ(e.verify(kPuzzle, "nonsense", &score), 0);
  EXPECT_EQ(score, 0.0);
  // A predicted path through a wall is kept by decode, and verify names it.
  std::vector<int32_t> wrong = labels;
  wrong[30 + 2] = 5;
  const std::string decoded = e.decode(kPuzzle, wrong);
  ASSERT_EQ(e.verify(kPuzzle, decoded, &score), 0);
  EXPECT_EQ(score, 0.0);
}

TEST(GridnavPlugin, MoveModelFromConfig) {
  Library lib;
  Encoder four(lib, "[task]\nmoves = 4\n");
  const std::string sol = four.solve("S..\n...\n..G");
  EXPECT_EQ(sol, "Soo\n..o\n..G");  // orthogonal moves first, so along the top, then down
  Encoder eight(lib);
  EXPECT_EQ(eight.solve("S..\n...\n..G"), "S..\n.o.\n..G");
  // Radius 1: the inflated cells encode as blocked.
  Encoder wide(lib, "[task]\nradius = 1\n");
  const std::string puzzle =
      ".......\n"
      ".S.....\n"
      ".......\n"
      ".....G.\n"
      ".......";
  std::vector<int32_t> tokens, labels;
  int32_t has = -1;
  ASSERT_EQ(wide.encode(puzzle, tokens, labels, has), "");
  EXPECT_EQ(tokens[0], 1);  // the edge ring is out of reach
  EXPECT_EQ(tokens[30 + 1], 3);
  EXPECT_EQ(tokens[2 * 30 + 2], 2);
  EXPECT_TRUE(contains(wide.solve("S..\n...\n..G"), "ERROR 7: gridnav instance: start (x 0, y 0) collides"));
  // Terrain: swamp has its own token, and the path over it ('*') is labelled 5.
  Encoder terrain(lib, "[task]\nterrain = true\n");
  ASSERT_EQ(terrain.encode("S*G", tokens, labels, has), "");
  EXPECT_EQ(has, 1);
  EXPECT_EQ((std::vector<int32_t>{tokens[0], tokens[1], tokens[2]}), (std::vector<int32_t>{3, 6, 4}));
  EXPECT_EQ((std::vector<int32_t>{labels[0], labels[1], labels[2]}), (std::vector<int32_t>{3, 5, 4}));
  EXPECT_EQ(terrain.solve("S~G"), "S*G");
  ASSERT_EQ(four.encode("S~G", tokens, labels, has), "");
  EXPECT_EQ(tokens[1], 2);  // without terrain costs swamp is plain ground
}

TEST(GridnavPlugin, ErrorsAreStatusesWithPositions) {
  Library lib;
  Encoder e(lib);
  std::vector<int32_t> tokens, labels;
  int32_t has = -1;
  EXPECT_TRUE(contains(e.encode("S.\n.x\n.G", tokens, labels, has), "7: gridnav instance: unknown character 'x' at (row 2, column 2)"));
  EXPECT_TRUE(contains(e.encode("S..\n.\n..G", tokens, labels, has), "row 2 has 1 characters"));
  EXPECT_TRUE(contains(e.encode("S#.\n##.\n..G", tokens, labels, has), "unreachable"));
  EXPECT_TRUE(contains(e.encode("So#\n.##\n..G", tokens, labels, has), "gridnav answer:"));
  const std::string wide(31, '.');
  EXPECT_TRUE(contains(e.encode("S" + wide + "\n" + "G" + wide, tokens, labels, has), "does not fit the 30x30 window"));
  double score = 0;
  std::string err;
  EXPECT_EQ(e.verify("S#\n#G", "S#\n#G", &score, &err), -1);
  EXPECT_TRUE(contains(err, "unreachable")) << err;
}

TEST(GridnavPlugin, GenerateAugmentRender) {
  Library lib;
  Encoder e(lib);
  for (const char* kind : {"obstacles", "rooms", "maze", "warehouse"}) {
    const std::string options = std::string("kind = \"") + kind + "\"\nsize = 20\n";
    const std::string a = e.generate(5, options.c_str()), b = e.generate(5, options.c_str());
    ASSERT_FALSE(contains(a, "ERROR")) << kind << ": " << a;
    EXPECT_EQ(a, b);
    EXPECT_NE(a, e.generate(6, options.c_str()));
    std::vector<int32_t> tokens, labels;
    int32_t has = -1;
    ASSERT_EQ(e.encode(a, tokens, labels, has), "") << kind;
    EXPECT_EQ(has, 1);

    // Inputs and labels of one puzzle, every augmentation id, then its inverse.
    std::vector<int32_t> rows(tokens);
    rows.insert(rows.end(), labels.begin(), labels.end());
    for (uint64_t id : {0ull, 1ull, 3ull, 6ull, 7ull, 123456789ull}) {
      std::vector<int32_t> fwd, back;
      ASSERT_EQ(e.augment(id, false, rows, fwd), "");
      ASSERT_EQ(e.augment(id, true, fwd, back), "");
      EXPECT_EQ(back, rows) << kind << " id " << id;
      if (id != 0) {
        EXPECT_NE(fwd, rows) << kind << " id " << id;
      }
    }
  }
  EXPECT_TRUE(contains(e.generate(1, "kind = \"caves\""), "generate option 'kind' must be"));
  EXPECT_TRUE(contains(e.generate(1, "size = 40"), "does not fit the window 30"));
  EXPECT_TRUE(contains(e.generate(1, "colour = 1"), "unknown key 'colour'"));
  EXPECT_TRUE(contains(e.generate(1, "unique_path = 1"), "'unique_path' must be true or false"));
  EXPECT_FALSE(contains(e.generate(1, "size = 10\nunique_path = true"), "ERROR"));

  const std::string sol = e.solve(kPuzzle);
  EXPECT_EQ(e.render(kPuzzle, &sol, HRM_RENDER_TEXT), sol + "\n");
  EXPECT_TRUE(contains(e.render(kPuzzle, &sol, HRM_RENDER_ANSI), "\x1b[43m"));
  EXPECT_TRUE(contains(e.render(kPuzzle, nullptr, HRM_RENDER_SVG), "<svg"));
  EXPECT_TRUE(contains(e.render(kPuzzle, nullptr, 9), "ERROR 3:"));
}

// The path of `hrm gridnav windows` then `hrm dataset import gridnav`: windows cut from a
// MovingAI map are split, encoded with labels, decoded and verified by the plugin.
TEST(GridnavPlugin, MovingAiWindowsAreLabelledInstances) {
  auto map = hrm::gridnav::parse_map(read_file("den101d.map"));
  ASSERT_TRUE(map.ok());
  auto scen = hrm::gridnav::parse_scen(read_file("den101d.map.scen"), map.value(), "den101d.map");
  auto cut = hrm::gridnav::cut_windows(map.value(), scen.scenarios, 30, hrm::gridnav::MoveModel{});
  ASSERT_GT(cut.windows.size(), 50u);
  std::string file;
  for (const auto& w : cut.windows) file += hrm::gridnav::format_instance(w) + "\n\n";

  Library lib;
  Encoder e(lib);
  const auto recs = e.split(file);
  ASSERT_EQ(recs.size(), cut.windows.size());
  for (const std::string& rec : recs) {
    std::vector<int32_t> tokens, labels;
    int32_t has = -1;
    ASSERT_EQ(e.encode(rec, tokens, labels, has), "");
    ASSERT_EQ(has, 1);
    EXPECT_EQ(e.decode(rec, labels), rec);
    double score = 0;
    EXPECT_EQ(e.verify(rec, rec, &score), 1);
    EXPECT_DOUBLE_EQ(score, 1.0);
  }
}
