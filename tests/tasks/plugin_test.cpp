// Loads the Sudoku and Maze plugin .so files with dlopen and a minimal fake host,
// and drives them through the encoder ABI exactly as libhrm would. The task logic
// itself is covered by sudoku_test.cpp / maze_test.cpp; this checks the glue.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "hrm/hrm_encoder.h"
#include "encoder_calls.hpp"
#include "plugin_host.hpp"

namespace {

using test_host::blob;
using test_host::kHost;
using test_host::take;
using test_host::View;

// One loaded plugin and one encoder instance of it.
class Plugin : public test_host::EncoderCalls {
 public:
  Plugin(const char* path, const char* class_name, const char* config = nullptr) : lib_(path, HRM_FACTORY_ENCODER) {
    hrm_instance_params params;
    hrm_instance_params_init(&params, sizeof params);
    params.config = config;
    const void* out = nullptr;
    std::string err = take(factory()->create(factory(), class_name, &kHost, &params, &out));
    if (!err.empty()) throw std::runtime_error(err);
    enc = static_cast<const hrm_encoder*>(out);
    spec.struct_size = sizeof spec;
    take(enc->get_spec(enc, &spec));
  }
  ~Plugin() { enc->destroy(enc); }
  const hrm_factory* factory() const { return lib_.factory; }

  int verify(const std::string& instance, const std::string& solution) {
    hrm_blob in = blob(instance), sol = blob(solution);
    int32_t valid = -1;
    double score = -1;
    EXPECT_EQ(take(enc->verify(enc, &in, &sol, &valid, &score)), "");
    EXPECT_EQ(score, valid ? 1.0 : 0.0);
    return valid;
  }

 private:
  test_host::Library lib_;
};

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

const std::string kPuzzle = "4...3.......6..8..........1....5..9..8....6...7.2........1.27..5.3....4.9........";
const std::string kSolution = "468931527751624839392578461134756298289413675675289314846192753513867942927345186";

}  // namespace

TEST(SudokuPlugin, ClassesAndSpec) {
  Plugin p(HRM_SUDOKU_PLUGIN, "sudoku");
  ASSERT_EQ(p.factory()->count(p.factory()), 4u);
  EXPECT_STREQ(p.enc->desc->name, "sudoku");
  EXPECT_EQ(p.spec.seq_len, 81);
  EXPECT_EQ(p.spec.vocab_size, 11);
  EXPECT_EQ(p.spec.pad_id, 0);
  EXPECT_EQ(p.spec.ignore_label_id, 0);
  EXPECT_EQ(p.spec.caps, 15u | HRM_ENCODER_CAN_MASK);
  Plugin p16(HRM_SUDOKU_PLUGIN, "org.hrm-sdk.task.sudoku16");
  EXPECT_EQ(p16.spec.seq_len, 256);
  EXPECT_EQ(p16.spec.vocab_size, 18);
}

TEST(SudokuPlugin, SplitEncodeDecodeVerify) {
  Plugin p(HRM_SUDOKU_PLUGIN, "sudoku");
  const std::string csv = "top," + kPuzzle + "," + kSolution + ",5";
  std::string json = "[";
  for (int r = 0; r < 9; ++r) {
    json += r ? ",\n [" : "[";
    for (int c = 0; c < 9; ++c) json += (c ? "," : "") + std::string(1, kPuzzle[static_cast<size_t>(r * 9 + c)] == '.' ? '0' : kPuzzle[static_cast<size_t>(r * 9 + c)]);
    json += "]";
  }
  json += "]";
  auto recs = p.split("# comment\nsource,question,answer,rating\n" + csv + "\r\n\n" + kPuzzle + "\n" + json + "\n");
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_EQ(recs[0], csv);
  EXPECT_EQ(recs[1], kPuzzle);
  EXPECT_EQ(recs[2], json);

  std::vector<int32_t> tokens, labels;
  int32_t has = -1;
  ASSERT_EQ(p.encode(csv, tokens, labels, has), "");
  EXPECT_EQ(has, 1);
  EXPECT_EQ(tokens[0], 5);
  EXPECT_EQ(tokens[1], 1);
  EXPECT_EQ(labels[1], 7);  // solution digit 6
  std::vector<int32_t> t2, l2;
  ASSERT_EQ(p.encode(recs[2], t2, l2, has), "");
  EXPECT_EQ(has, 0);
  EXPECT_EQ(t2, tokens);

  EXPECT_EQ(p.decode(kPuzzle, labels), kSolution);
  EXPECT_EQ(p.decode(csv, labels), csv);
  EXPECT_EQ(p.verify(kPuzzle, kSolution), 1);
  EXPECT_EQ(p.verify(csv, csv), 1);
  std::string wrong = kSolution;
  std::swap(wrong[0], wrong[1]);
  EXPECT_EQ(p.verify(kPuzzle, wrong), 0);
  EXPECT_EQ(p.verify(kPuzzle, "garbage"), 0);
}

TEST(SudokuPlugin, ErrorsAreStatusesWithPositions) {
  Plugin p(HRM_SUDOKU_PLUGIN, "sudoku");
  std::vector<int32_t> tokens, labels;
  int32_t has;
  std::string bad = kPuzzle;
  bad[10] = 'z';
  std::string err = p.encode(bad, tokens, labels, has);
  EXPECT_EQ(err.rfind(std::to_string(HRM_E_FORMAT) + ":", 0), 0u) << err;
  EXPECT_TRUE(contains(err, "illegal character 'z' at (row 2, column 2)")) << err;
  err = p.encode(std::string(16, '.'), tokens, labels, has);
  EXPECT_TRUE(contains(err, "4x4, this encoder handles 9x9")) << err;
  std::string wrong_answer = "x," + kPuzzle + "," + std::string(81, '1') + ",0";
  err = p.encode(wrong_answer, tokens, labels, has);
  EXPECT_TRUE(contains(err, "answer")) << err;
  std::vector<int32_t> pad(81, 0);
  EXPECT_TRUE(contains(p.decode(kPuzzle, pad), "PAD token at (row 1, column 1)"));
  EXPECT_TRUE(contains(p.generate(1, "givens = \"many\""), "givens")) << p.generate(1, "givens = \"many\"");
  EXPECT_TRUE(contains(p.generate(1, "colour = 3"), "unknown key 'colour'"));
}

TEST(SudokuPlugin, SolveGenerateAugmentRender) {
  Plugin p(HRM_SUDOKU_PLUGIN, "sudoku");
  hrm_solve_stats stats{};
  stats.struct_size = sizeof stats;
  EXPECT_EQ(p.solve(kPuzzle, &stats), kSolution);
  EXPECT_EQ(stats.solutions, 1);
  EXPECT_GT(stats.rating, 0.0);

  std::string g = p.generate(7, "givens = 28");
  EXPECT_EQ(g, p.generate(7, "givens = 28"));
  ASSERT_EQ(g.rfind("generated,", 0), 0u) << g;
  std::vector<int32_t> tokens, labels;
  int32_t has = 0;
  ASSERT_EQ(p.encode(g, tokens, labels, has), "");
  EXPECT_EQ(has, 1);

  std::vector<int32_t> rows = tokens, out, back;
  rows.insert(rows.end(), labels.begin(), labels.end());
  ASSERT_EQ(p.augment(12345, false, rows, out), "");
  EXPECT_NE(out, rows);
  ASSERT_EQ(p.augment(12345, true, out, back), "");
  EXPECT_EQ(back, rows);
  // The augmented pair is still a puzzle and its solution.
  std::vector<int32_t> aug_in(out.begin(), out.begin() + 81), aug_lab(out.begin() + 81, out.end());
  std::string aug_puzzle = p.decode(kPuzzle, aug_in);
  EXPECT_EQ(p.verify(aug_puzzle, p.decode(kPuzzle, aug_lab)), 1);

  // Given 4, filled-in 6 and 8: the plain picture marks what was filled in.
  EXPECT_TRUE(contains(p.render(kPuzzle, &kSolution, HRM_RENDER_TEXT), "| 4 6*8*|"));
  EXPECT_TRUE(contains(p.render(kPuzzle, &kSolution, HRM_RENDER_TEXT), "digit*: filled in, digit: given"));
  EXPECT_TRUE(contains(p.render(kPuzzle, &kSolution, HRM_RENDER_ANSI), "\x1b[36m"));
  EXPECT_TRUE(contains(p.render(kPuzzle, nullptr, HRM_RENDER_SVG), "<svg"));
}

TEST(MazePlugin, SmallerCanvas) {
  Plugin p(HRM_MAZE_PLUGIN, "maze", "[task]\ncanvas = 11\n");
  EXPECT_EQ(p.spec.seq_len, 121);
  const std::string g = p.generate(5, nullptr);  // fills the canvas by default
  ASSERT_EQ(g.rfind("generated,", 0), 0u) << g;
  std::vector<int32_t> tokens, labels;
  int32_t has = 0;
  ASSERT_EQ(p.encode(g, tokens, labels, has), "");
  ASSERT_EQ(tokens.size(), 121u);
  EXPECT_EQ(p.decode(g, labels), g);
  EXPECT_EQ(p.verify(g, p.decode(g, labels)), 1);
  // A 7x7 maze sits top-left with PAD around it; its dihedral transforms stay inside.
  const std::string block = "#######\n#S    #\n# ### #\n# #   #\n# # ###\n#    G#\n#######";
  ASSERT_EQ(p.encode(block, tokens, labels, has), "");
  EXPECT_EQ(tokens[7], 0);
  EXPECT_EQ(tokens[11], 1);
  std::vector<int32_t> out, back;
  ASSERT_EQ(p.augment(1, false, tokens, out), "");
  ASSERT_EQ(p.augment(1, true, out, back), "");
  EXPECT_EQ(back, tokens);
  // Too big for the canvas: a clear error, for instances and for generation.
  Plugin wide(HRM_MAZE_PLUGIN, "maze");
  EXPECT_TRUE(contains(p.encode(wide.generate(1, "size = 13"), tokens, labels, has), "13x13 does not fit the 11x11 canvas"));
  EXPECT_TRUE(contains(p.generate(1, "size = 13"), "does not fit the canvas 11"));
  EXPECT_THROW(Plugin(HRM_MAZE_PLUGIN, "maze", "[task]\ncanvas = 31\n"), std::runtime_error);
  EXPECT_THROW(Plugin(HRM_MAZE_PLUGIN, "maze", "[task]\nwindow = 11\n"), std::runtime_error);
}

TEST(MazePlugin, QuotedCsvFile) {
  Plugin p(HRM_MAZE_PLUGIN, "maze");
  const std::string g = p.generate(5, "size = 9");  // generated,<q>,<a>,<length>
  std::vector<std::string> f;
  for (size_t i = 0, j; i <= g.size(); i = j + 1) {
    j = std::min(g.find(',', i), g.size());
    f.push_back(g.substr(i, j - i));
  }
  ASSERT_EQ(f.size(), 4u) << g;
  const std::string quoted = "\"" + f[0] + "\",\"" + f[1] + "\",\"" + f[2] + "\",\"" + f[3] + "\"";
  auto recs = p.split("\"source\",\"question\",\"answer\",\"rating\"\r\n" + quoted + "\r\n\r\n" + g + "\r\n");
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0], quoted);
  EXPECT_EQ(recs[1], g);
  std::vector<int32_t> tokens, labels, plain_tokens, plain_labels;
  int32_t has = 0;
  ASSERT_EQ(p.encode(quoted, tokens, labels, has), "");
  EXPECT_EQ(has, 1);
  ASSERT_EQ(p.encode(g, plain_tokens, plain_labels, has), "");
  EXPECT_EQ(tokens, plain_tokens);
  EXPECT_EQ(labels, plain_labels);
  EXPECT_EQ(p.decode(quoted, labels), g);  // written back as plain RFC 4180
  EXPECT_EQ(p.verify(quoted, quoted), 1);
  EXPECT_TRUE(contains(p.encode("\"x\",\"" + f[1] + ",,", tokens, labels, has), "maze instance: CSV: unterminated"));
}

TEST(SudokuPlugin, QuotedCsvFile) {
  Plugin p(HRM_SUDOKU_PLUGIN, "sudoku");
  const std::string row = "\"a \"\"quoted\"\", source\",\"" + kPuzzle + "\",\"" + kSolution + "\",\"3\"";
  auto recs = p.split("\"source\",\"question\",\"answer\",\"rating\"\r\n" + row + "\r\n");
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0], row);
  std::vector<int32_t> tokens, labels;
  int32_t has = 0;
  ASSERT_EQ(p.encode(row, tokens, labels, has), "");
  EXPECT_EQ(has, 1);
  EXPECT_EQ(p.decode(row, labels), "\"a \"\"quoted\"\", source\"," + kPuzzle + "," + kSolution + ",3");
  EXPECT_EQ(p.verify(row, row), 1);
  EXPECT_TRUE(contains(p.encode("x,\"" + kPuzzle + "\"y,,1", tokens, labels, has), "after a closing quote"));
}

TEST(MazePlugin, RoundTripAndOracle) {
  Plugin p(HRM_MAZE_PLUGIN, "maze");
  EXPECT_EQ(p.spec.seq_len, 900);
  EXPECT_EQ(p.spec.vocab_size, 6);
  EXPECT_EQ(p.spec.num_augmentations, 8);

  std::string g = p.generate(3, "size = 21\nmin_path_length = 40\ncarver = \"prim\"\nloop_fraction = 0.05");
  ASSERT_EQ(g.rfind("generated,", 0), 0u) << g;
  EXPECT_EQ(g, p.generate(3, "size = 21\nmin_path_length = 40\ncarver = \"prim\"\nloop_fraction = 0.05"));
  std::string g30 = p.generate(4, nullptr);
  ASSERT_EQ(g30.rfind("generated,", 0), 0u) << g30;

  // A 7x7 block, a CSV row and a single-line maze in one file.
  const std::string block = "#######\n#S    #\n# ### #\n# #   #\n# # ###\n#    G#\n#######";
  auto recs = p.split("source,question,answer,rating\n" + g30 + "\n\n" + block + "\n\n" + "S  G\n");
  ASSERT_EQ(recs.size(), 3u) << recs[0] << "|" << recs[1];
  EXPECT_EQ(recs[0], g30);
  EXPECT_EQ(recs[1], block);
  EXPECT_EQ(recs[2], "S  G");

  std::vector<int32_t> tokens, labels;
  int32_t has = 0;
  ASSERT_EQ(p.encode(g30, tokens, labels, has), "");
  EXPECT_EQ(has, 1);
  EXPECT_EQ(p.decode(g30, labels), g30);
  EXPECT_EQ(p.verify(g30, g30), 1);

  ASSERT_EQ(p.encode(block, tokens, labels, has), "");
  EXPECT_EQ(has, 0);
  EXPECT_EQ(tokens[7], 0);  // PAD right of a 7x7 maze
  hrm_solve_stats stats{};
  stats.struct_size = sizeof stats;
  std::string solved = p.solve(block, &stats);
  EXPECT_EQ(solved, "#######\n#S    #\n#o### #\n#o#   #\n#o# ###\n#ooooG#\n#######\n");
  EXPECT_EQ(stats.solutions, 1);
  EXPECT_EQ(stats.rating, 8.0);
  EXPECT_EQ(p.verify(block, solved), 1);
  EXPECT_EQ(p.verify(block, block), 0);

  std::vector<int32_t> out, back;
  for (uint64_t id : {1ull, 6ull, 987654321ull}) {
    ASSERT_EQ(p.augment(id, false, tokens, out), "");
    ASSERT_EQ(p.augment(id, true, out, back), "");
    EXPECT_EQ(back, tokens) << id;
  }
  EXPECT_TRUE(contains(p.render(block, &solved, HRM_RENDER_ANSI), "\x1b[43m"));
}

TEST(MazePlugin, ErrorsAreStatusesWithPositions) {
  Plugin p(HRM_MAZE_PLUGIN, "maze");
  std::vector<int32_t> tokens, labels;
  int32_t has;
  std::string err = p.encode("S  #\n# G \n#  x\n####", tokens, labels, has);
  EXPECT_TRUE(contains(err, "illegal character 'x' at (row 3, column 4)")) << err;
  err = p.encode("S#\n#G", tokens, labels, has);
  EXPECT_TRUE(contains(err, "unreachable")) << err;
  err = p.encode("S  \n   \n   ", tokens, labels, has);
  EXPECT_TRUE(contains(err, "no goal")) << err;
  EXPECT_TRUE(contains(p.solve("S#\n#G"), "ERROR"));
  EXPECT_TRUE(contains(p.generate(1, "size = 99"), "out of range"));
}
