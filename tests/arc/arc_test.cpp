// The ARC core library (plugins/tasks/arc): parsing, the reference encoding and crop rule,
// augmentations and their inverses, deduplication, the dataset plan, voting and scoring.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <unistd.h>

#include <hrm/hrm_plugin.hpp>

#include "augment.hpp"
#include "dataset.hpp"
#include "encode.hpp"
#include "render.hpp"
#include "task.hpp"
#include "vote.hpp"

namespace arc = hrm::arc;

namespace {

const std::string kData = HRM_ARC_TEST_DATA;

arc::Grid G(std::vector<std::vector<int>> rows) {
  arc::Grid g(int(rows.size()), int(rows[0].size()));
  for (int r = 0; r < g.height; ++r)
    for (int c = 0; c < g.width; ++c) g.at(r, c) = uint8_t(rows[size_t(r)][size_t(c)]);
  return g;
}

arc::Grid random_grid(arc::Rng& rng, int h, int w) {
  arc::Grid g(h, w);
  for (auto& x : g.cells) x = uint8_t(rng.below(10));
  return g;
}

std::string read(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

// The message of the error parse_task throws for text ("" when it parses).
std::string parse_error(const std::string& text) {
  try {
    arc::parse_task(text, "t");
  } catch (const hrm::plugin::Error& e) {
    EXPECT_EQ(e.code(), HRM_E_FORMAT);
    return e.what();
  }
  return "";
}

const std::string kPair = R"({"input": [[1]], "output": [[2]]})";

}  // namespace

// ---- parsing -----------------------------------------------------------------------------------

TEST(ArcParse, ReadsTaskFilesInAnyKeyOrder) {
  const arc::Task t = arc::read_task_file(kData + "/arc-agi-1/training/3c9b0459.json");  // "test" comes first
  EXPECT_EQ(t.id, "3c9b0459");
  ASSERT_EQ(t.train.size(), 4u);
  ASSERT_EQ(t.test.size(), 1u);
  EXPECT_EQ(t.train[0].input, G({{2, 2, 1}, {2, 1, 2}, {2, 8, 1}}));
  EXPECT_EQ(*t.train[0].output, G({{1, 8, 2}, {2, 1, 2}, {1, 2, 2}}));
  const arc::Task two = arc::read_task_file(kData + "/arc-agi-1/training/25ff71a9.json");
  EXPECT_EQ(two.test.size(), 2u);
}

TEST(ArcParse, AcceptsNameKeyAndTestWithoutOutput) {
  const arc::Task t = arc::parse_task(R"({"name": "x", "test": [{"input": [[0,1]]}], "train": [)" + kPair + "]}", "t");
  EXPECT_FALSE(t.test[0].output.has_value());
  EXPECT_EQ(t.test[0].input, G({{0, 1}}));
}

TEST(ArcParse, GridJsonRoundTrip) {
  const arc::Grid g = G({{0, 1, 9}, {5, 5, 3}});
  EXPECT_EQ(arc::grid_to_json(g), "[[0,1,9],[5,5,3]]");
  EXPECT_EQ(arc::parse_grid(arc::grid_to_json(g), "g"), g);
}

TEST(ArcParse, BadInputsNameThePairAndPosition) {
  const std::string train = R"("train": [)" + kPair + "]";
  const std::string test = R"("test": [{"input": [[0]]}])";
  auto task = [&](const std::string& body) { return "{" + body + "}"; };
  auto with_train_grid = [&](const std::string& grid) {
    return task(R"("train": [)" + kPair + R"(, {"input": [[1]], "output": )" + grid + "}], " + test);
  };
  struct Case {
    std::string text, message;
  };
  const std::vector<Case> cases = {
      {"{", "t: "},  // not JSON: the reader's message, naming the task
      {"[]", "t: expected a JSON object"},
      {task(test), "t: missing \"train\""},
      {task(train), "t: missing \"test\""},
      {task(train + ", " + test + R"(, "extra": 1)"), "t: unknown key \"extra\""},
      {task(train + ", " + test + ", " + train), "t: duplicate key \"train\""},
      {task(train + R"(, "test": {})"), "t: test: expected a list of pairs"},
      {task(train + R"(, "test": [])"), "t: test: no test pairs"},
      {task(R"("train": [], )" + test), "t: train: no demonstration pairs"},
      {task(R"("name": 3, )" + train + ", " + test), "t: \"name\" must be a string"},
      {task(R"("train": [[1]], )" + test), "t: train[0]: expected a JSON object"},
      {task(R"("train": [{"output": [[1]]}], )" + test), "t: train[0]: missing \"input\""},
      {task(R"("train": [{"input": [[1]]}], )" + test), "t: train[0]: missing \"output\""},
      {task(R"("train": [{"input": [[1]], "ouput": [[1]]}], )" + test), "t: train[0]: unknown key \"ouput\""},
      {with_train_grid("3"), "t: train[1].output: a grid must be a list of rows"},
      {with_train_grid("[]"), "t: train[1].output: 0 rows, expected 1..30"},
      {with_train_grid("[1]"), "t: train[1].output: row 0 is not a list"},
      {with_train_grid("[[]]"), "t: train[1].output: row 0 has 0 cells, expected 1..30"},
      {with_train_grid("[[1,2],[3]]"), "t: train[1].output: row 1 has 1 cells, row 0 has 2 (grids are rectangular)"},
      {with_train_grid("[[1,2],[3,10]]"), "t: train[1].output: row 1 column 1: 10 is not a colour 0-9"},
      {with_train_grid("[[1,-1]]"), "t: train[1].output: row 0 column 1: -1 is not a colour 0-9"},
      {with_train_grid("[[1.5]]"), "t: train[1].output: row 0 column 0: expected an integer colour 0-9"},
      {with_train_grid("[[\"1\"]]"), "t: train[1].output: row 0 column 0: expected an integer colour 0-9"},
      {task(train + R"(, "test": [{"input": [[1,2],[3,4]], "output": [[1],[2]]}, {"input": [[0,12]]}])"),
       "t: test[1].input: row 0 column 1: 12 is not a colour 0-9"},
  };
  for (const Case& c : cases) {
    const std::string got = parse_error(c.text);
    EXPECT_NE(got.find(c.message), std::string::npos) << "input: " << c.text << "\nerror: " << got;
  }
  // Sides above 30 in both directions.
  std::string rows31 = "[", cols31 = "[[";
  for (int i = 0; i < 31; ++i) rows31 += std::string(i ? "," : "") + "[1]", cols31 += std::string(i ? "," : "") + "1";
  EXPECT_NE(parse_error(with_train_grid(rows31 + "]")).find("t: train[1].output: 31 rows, expected 1..30"), std::string::npos);
  EXPECT_NE(parse_error(with_train_grid(cols31 + "]]")).find("t: train[1].output: row 0 has 31 cells, expected 1..30"),
            std::string::npos);
  // And exactly 30 is fine.
  std::string rows30 = "[";
  for (int i = 0; i < 30; ++i) rows30 += std::string(i ? "," : "") + "[1]";
  EXPECT_EQ(parse_error(with_train_grid(rows30 + "]")), "");
}

TEST(ArcParse, MissingFileIsAnIoError) {
  try {
    arc::read_task_file(kData + "/no-such-task.json");
    FAIL() << "no error";
  } catch (const hrm::plugin::Error& e) {
    EXPECT_EQ(e.code(), HRM_E_IO);
  }
}

// ---- encoding ----------------------------------------------------------------------------------

TEST(ArcEncode, PlacesColoursAndEosAsTheReference) {
  const auto t = arc::encode_grid(G({{0, 1, 2}, {3, 4, 9}}), 0, 0);
  auto at = [&t](int r, int c) { return t[size_t(r * 30 + c)]; };
  EXPECT_EQ(at(0, 0), 2);
  EXPECT_EQ(at(0, 2), 4);
  EXPECT_EQ(at(1, 2), 11);
  for (int c = 0; c < 3; ++c) EXPECT_EQ(at(2, c), arc::kEos) << "bottom border, column " << c;
  for (int r = 0; r < 2; ++r) EXPECT_EQ(at(r, 3), arc::kEos) << "right border, row " << r;
  EXPECT_EQ(at(2, 3), arc::kPad) << "the corner is not marked";
  int eos = 0, colours = 0;
  for (int32_t x : t) eos += x == arc::kEos, colours += x >= 2;
  EXPECT_EQ(eos, 5);
  EXPECT_EQ(colours, 6);
}

TEST(ArcEncode, EosOnlyInsideTheCanvas) {
  auto count = [](const std::vector<int32_t>& t, int32_t v) { return std::count(t.begin(), t.end(), v); };
  EXPECT_EQ(count(arc::encode_grid(arc::Grid(30, 30, 1)), arc::kEos), 0);
  EXPECT_EQ(count(arc::encode_grid(arc::Grid(30, 4, 1)), arc::kEos), 30);  // right column only
  EXPECT_EQ(count(arc::encode_grid(arc::Grid(4, 30, 1)), arc::kEos), 30);  // bottom row only
  // Translated: the borders follow the grid.
  const auto t = arc::encode_grid(G({{5}}), 10, 20);
  EXPECT_EQ(t[10 * 30 + 20], 7);
  EXPECT_EQ(t[11 * 30 + 20], arc::kEos);
  EXPECT_EQ(t[10 * 30 + 21], arc::kEos);
  EXPECT_EQ(count(t, arc::kEos), 2);
  EXPECT_THROW(arc::encode_grid(arc::Grid(3, 3), 28, 0), hrm::plugin::Error);
}

TEST(ArcEncode, CropInvertsEncodeForEverySize) {
  arc::Rng rng(7);
  for (int h = 1; h <= 30; ++h)
    for (int w = 1; w <= 30; w += (h % 3) + 1) {
      const arc::Grid g = random_grid(rng, h, w);
      EXPECT_EQ(arc::crop(arc::encode_grid(g).data()), g) << h << "x" << w;
    }
}

TEST(ArcEncode, CropIsTheLargestTopLeftColourRectangle) {
  std::vector<int32_t> t(900, 0);
  auto set = [&t](int r, int c, int32_t v) { t[size_t(r * 30 + c)] = v; };
  for (int c = 0; c < 5; ++c) set(0, c, 3);  // row 0: 5 colours
  for (int c = 0; c < 3; ++c) set(1, c, 4);  // row 1: 3 colours, then EOS
  set(1, 3, 1);
  for (int c = 0; c < 6; ++c) set(2, c, 5);  // row 2: 6 colours, but the bound is already 3
  // Areas: 1x5 = 5, 2x3 = 6, 3x3 = 9, then row 3 starts with PAD.
  EXPECT_EQ(arc::crop(t.data()), G({{1, 1, 1}, {2, 2, 2}, {3, 3, 3}}));
  set(0, 0, 1);  // an EOS at the origin: nothing to crop
  EXPECT_TRUE(arc::crop(t.data()).empty());
  // A grid away from the origin is not found by the crop rule, only by locate().
  const auto moved = arc::encode_grid(G({{1, 2}}), 3, 4);
  EXPECT_TRUE(arc::crop(moved.data()).empty());
  const arc::Placement p = arc::locate(moved.data());
  EXPECT_EQ(p.r0, 3);
  EXPECT_EQ(p.c0, 4);
  EXPECT_EQ(p.height, 1);
  EXPECT_EQ(p.width, 2);
}

TEST(ArcEncode, RandomOffsetKeepsBothGridsInside) {
  const arc::Grid in(3, 7), out(5, 2);
  // draw(n) asked for the number of choices: 30 - max side + 1.
  std::vector<int> asked;
  arc::random_offset(in, out, [&](int n) { asked.push_back(n); return 0; });
  EXPECT_EQ(asked, (std::vector<int>{26, 24}));
  const auto [r, c] = arc::random_offset(in, out, [](int n) { return n - 1; });
  EXPECT_EQ(r, 25);
  EXPECT_EQ(c, 23);
  EXPECT_NO_THROW(arc::encode_grid(in, r, c));
  EXPECT_NO_THROW(arc::encode_grid(out, r, c));
}

// ---- augmentations -------------------------------------------------------------------------------

TEST(ArcAugment, DihedralIdsAreTheReferences) {
  const arc::Grid a = G({{1, 2, 3}, {4, 5, 6}});
  // numpy: rot90 (counter-clockwise), rot180, rot270, fliplr, flipud, transpose, fliplr(rot90).
  const std::vector<arc::Grid> want = {a,
                                       G({{3, 6}, {2, 5}, {1, 4}}),
                                       G({{6, 5, 4}, {3, 2, 1}}),
                                       G({{4, 1}, {5, 2}, {6, 3}}),
                                       G({{3, 2, 1}, {6, 5, 4}}),
                                       G({{4, 5, 6}, {1, 2, 3}}),
                                       G({{1, 4}, {2, 5}, {3, 6}}),
                                       G({{6, 3}, {5, 2}, {4, 1}})};
  for (int t = 0; t < 8; ++t) EXPECT_EQ(arc::dihedral(a, t), want[size_t(t)]) << "tid " << t;
  const int inverse[8] = {0, 3, 2, 1, 4, 5, 6, 7};
  for (int t = 0; t < 8; ++t) EXPECT_EQ(arc::dihedral_inverse(t), inverse[t]);
  EXPECT_THROW(arc::dihedral(a, 8), hrm::plugin::Error);
}

TEST(ArcAugment, EveryAugmentationInvertedReturnsTheOriginal) {
  arc::Rng rng(3);
  const arc::Grid g = random_grid(rng, 4, 7);
  for (int t = 0; t < 8; ++t) EXPECT_EQ(arc::dihedral(arc::dihedral(g, t), arc::dihedral_inverse(t)), g) << "tid " << t;
  const arc::Task task = arc::read_task_file(kData + "/arc-agi-1/training/25ff71a9.json");
  for (int i = 0; i < 200; ++i) {
    const arc::Augmentation a = arc::Augmentation::random(rng);
    EXPECT_EQ(a.mapping[0], 0) << "black stays black";
    std::set<int> colours(a.mapping.begin(), a.mapping.end());
    EXPECT_EQ(colours.size(), 10u) << a.suffix();
    const arc::Grid h = random_grid(rng, 1 + int(rng.below(30)), 1 + int(rng.below(30)));
    EXPECT_EQ(a.undo(a.apply(h)), h) << a.suffix();
    EXPECT_EQ(a.inverse().inverse(), a);
    const arc::Task back = a.inverse().apply(a.apply(task));
    EXPECT_EQ(arc::task_hash(back), arc::task_hash(task));
    EXPECT_EQ(back.train[0].input, task.train[0].input);
  }
}

TEST(ArcAugment, ColourMappingSendsCToMappingC) {
  arc::Augmentation a;
  a.mapping = {0, 2, 1, 3, 4, 5, 6, 7, 8, 9};
  EXPECT_EQ(a.apply(G({{0, 1, 2, 3}})), G({{0, 2, 1, 3}}));
  EXPECT_EQ(a.suffix(), "t0_0213456789");
}

TEST(ArcAugment, IdsAreDistinctAndRoundTrip) {
  EXPECT_TRUE(arc::Augmentation::from_id(0).is_identity());
  EXPECT_EQ(arc::Augmentation().id(), 0u);
  const arc::Augmentation last = arc::Augmentation::from_id(arc::kAugmentationCount - 1);
  EXPECT_EQ(last.tid, 7);
  EXPECT_EQ(last.suffix(), "t7_0987654321");
  EXPECT_THROW(arc::Augmentation::from_id(arc::kAugmentationCount), hrm::plugin::Error);
  std::set<std::string> seen;
  for (uint64_t id = 0; id < 5000; ++id) {
    const arc::Augmentation a = arc::Augmentation::from_id(id * 577);  // spread over the range
    EXPECT_EQ(a.id(), id * 577);
    seen.insert(a.suffix());
  }
  EXPECT_EQ(seen.size(), 5000u);
}

TEST(ArcAugment, NamesAreTheReferences) {
  const auto p = arc::parse_puzzle_name("007bbfb7_t3_0615283749");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->task, "007bbfb7");
  EXPECT_EQ(p->augmentation.tid, 3);
  EXPECT_EQ(p->augmentation.mapping, (std::array<uint8_t, 10>{0, 6, 1, 5, 2, 8, 3, 7, 4, 9}));
  EXPECT_EQ(arc::puzzle_name("007bbfb7", p->augmentation), "007bbfb7_t3_0615283749");
  EXPECT_EQ(arc::puzzle_name("007bbfb7", arc::Augmentation{}), "007bbfb7");
  const auto plain = arc::parse_puzzle_name("007bbfb7");
  ASSERT_TRUE(plain.has_value());
  EXPECT_TRUE(plain->augmentation.is_identity());
  for (const char* bad : {"x_t8_0123456789", "x_t1_0123456788", "x_t1_1023456789", "x_t1_012345678", "x_1_0123456789",
                          "x_t1-0123456789", "x_"})
    EXPECT_FALSE(arc::parse_puzzle_name(bad).has_value()) << bad;
  // TRM's builder: "{task}|||t{tid}|||{mapping}".
  const auto trm = arc::parse_puzzle_name("007bbfb7|||t3|||0615283749");
  ASSERT_TRUE(trm.has_value());
  EXPECT_EQ(trm->task, "007bbfb7");
  EXPECT_EQ(trm->style, arc::NameStyle::Trm);
  EXPECT_EQ(trm->augmentation, p->augmentation);
  EXPECT_EQ(arc::puzzle_name("007bbfb7", trm->augmentation, arc::NameStyle::Trm), "007bbfb7|||t3|||0615283749");
  for (const char* bad : {"x|||t3", "x|||t8|||0123456789", "x|||3|||0123456789", "x|||t1|||1023456789"})
    EXPECT_FALSE(arc::parse_puzzle_name(bad).has_value()) << bad;
  EXPECT_TRUE(arc::is_original_puzzle("007bbfb7"));
  EXPECT_FALSE(arc::is_original_puzzle("007bbfb7|||t3|||0615283749"));
  EXPECT_FALSE(arc::is_original_puzzle("007bbfb7_t3_0615283749"));
}

// ---- deduplication ---------------------------------------------------------------------------------

TEST(ArcDedup, TaskHashIsContentOnly) {
  arc::Task a = arc::read_task_file(kData + "/arc-agi-1/training/25ff71a9.json");
  arc::Task b = a;
  b.id = "other";
  std::reverse(b.train.begin(), b.train.end());
  EXPECT_EQ(arc::task_hash(a), arc::task_hash(b)) << "pair order and id do not matter";
  b.train[0].output->at(0, 0) ^= 1;
  EXPECT_NE(arc::task_hash(a), arc::task_hash(b));
  arc::Task c = a;
  std::swap(c.train[0].input, *c.train[0].output);
  EXPECT_NE(arc::task_hash(a), arc::task_hash(c)) << "input and output are not interchangeable";
}

TEST(ArcDedup, AugmentationsAreDistinctAndStopWhenExhausted) {
  // One colour on a 1x1 grid: dihedral transforms do nothing and only 8 other colours exist.
  const arc::Task one = arc::parse_task(R"({"train": [{"input": [[1]], "output": [[1]]}], "test": [{"input": [[1]], "output": [[1]]}]})", "one");
  arc::Rng rng(1);
  EXPECT_EQ(arc::distinct_augmentations(one, 50, rng).size(), 9u);
  // Black only: nothing but the identity.
  const arc::Task black = arc::parse_task(R"({"train": [{"input": [[0]], "output": [[0]]}], "test": [{"input": [[0]]}]})", "black");
  EXPECT_EQ(arc::distinct_augmentations(black, 50, rng).size(), 1u);

  const arc::Task t = arc::read_task_file(kData + "/arc-agi-1/training/d631b094.json");
  arc::Rng r1(5), r2(5), r3(6);
  const auto augs = arc::distinct_augmentations(t, 40, r1);
  ASSERT_EQ(augs.size(), 41u);
  EXPECT_TRUE(augs[0].is_identity());
  std::set<uint64_t> hashes;
  for (const auto& a : augs) hashes.insert(arc::task_hash(a.apply(t)));
  EXPECT_EQ(hashes.size(), augs.size());
  EXPECT_EQ(arc::distinct_augmentations(t, 40, r2), augs) << "same seed, same augmentations";
  EXPECT_NE(arc::distinct_augmentations(t, 40, r3), augs);
}

TEST(ArcDedup, MergesTasksOfBothArcVersions) {
  const auto sources = arc::load_sources({kData + "/arc-agi-1", kData + "/arc-agi-2"});
  ASSERT_EQ(sources.size(), 9u);
  const arc::Merged m = arc::merge_sources(sources);
  EXPECT_EQ(m.duplicates, 2);
  EXPECT_EQ(m.renamed, 0);
  std::vector<std::string> ids;
  for (const auto& t : m.tasks) ids.push_back(t.task.id + (t.evaluation ? "/eval" : "/train"));
  EXPECT_EQ(ids, (std::vector<std::string>{"00576224/eval", "25ff71a9/train", "3c9b0459/train", "6150a2bd/train",
                                           "66e6c45b/eval", "d631b094/train", "e8686506/eval"}));
  // ARC-AGI-2 lists 66e6c45b under training; the evaluation copy still wins when it comes second.
  const arc::Merged swapped = arc::merge_sources(arc::load_sources({kData + "/arc-agi-2", kData + "/arc-agi-1"}));
  std::vector<std::string> ids2;
  for (const auto& t : swapped.tasks) ids2.push_back(t.task.id + (t.evaluation ? "/eval" : "/train"));
  EXPECT_EQ(ids2, ids);
  EXPECT_THROW(arc::load_sources({kData + "/eval"}), hrm::plugin::Error);  // neither training/ nor evaluation/
}

TEST(ArcDedup, SameIdDifferentContentIsRenamed) {
  const arc::Task a = arc::parse_task(R"({"train": [{"input": [[1]], "output": [[2]]}], "test": [{"input": [[1]], "output": [[2]]}]})", "abc");
  arc::Task b = a;
  b.test[0].output = G({{3}});
  // The evaluation copy keeps the id, whatever the order.
  for (const auto& sources : {std::vector<arc::SourceTask>{{a, false, "1"}, {b, true, "2"}, {a, false, "3"}},
                              std::vector<arc::SourceTask>{{b, true, "2"}, {a, false, "1"}, {a, false, "3"}}}) {
    const arc::Merged m = arc::merge_sources(sources);
    ASSERT_EQ(m.tasks.size(), 2u);
    EXPECT_EQ(m.duplicates, 1);
    EXPECT_EQ(m.renamed, 1);
    EXPECT_EQ(m.tasks[0].task.id, "abc");
    EXPECT_TRUE(m.tasks[0].evaluation);
    EXPECT_EQ(*m.tasks[0].task.test[0].output, G({{3}}));
    EXPECT_EQ(m.tasks[1].task.id, "abc-2");
    EXPECT_FALSE(m.tasks[1].evaluation);
  }
  // Two training copies with the same pairs split differently: the same copy is kept either way.
  const arc::Pair p1{G({{1}}), G({{2}})}, p2{G({{3}}), G({{4}})};
  const arc::Task r{"r", {p1}, {p2}}, q{"r", {p2}, {p1}};
  ASSERT_EQ(arc::task_hash(r), arc::task_hash(q));
  const arc::Merged x = arc::merge_sources({{r, false, "1"}, {q, false, "2"}});
  const arc::Merged y = arc::merge_sources({{q, false, "2"}, {r, false, "1"}});
  ASSERT_EQ(x.tasks.size(), 1u);
  ASSERT_EQ(y.tasks.size(), 1u);
  EXPECT_EQ(x.tasks[0].origin, y.tasks[0].origin);
  // One content under two ids: the evaluation copy wins with its own id.
  arc::Task c = a;
  c.id = "xyz";
  const arc::Merged n = arc::merge_sources({{a, false, "1"}, {c, true, "2"}});
  ASSERT_EQ(n.tasks.size(), 1u);
  EXPECT_EQ(n.tasks[0].task.id, "xyz");
  EXPECT_TRUE(n.tasks[0].evaluation);
}

// ---- dataset plan --------------------------------------------------------------------------------

TEST(ArcDataset, IdentifierOrderIsDeterministic) {
  auto names_for = [](std::vector<std::string> roots, uint64_t seed) {
    const arc::Merged m = arc::merge_sources(arc::load_sources(roots));
    return arc::identifier_names(arc::plan_augmentations(m.tasks, 5, seed));
  };
  const auto a = names_for({kData + "/arc-agi-1", kData + "/arc-agi-2"}, 42);
  ASSERT_EQ(a.size(), 1u + 7 * 6);  // every test task has 5 distinct augmentations to spare
  EXPECT_EQ(a[0], "<blank>");
  EXPECT_EQ(a[1], "00576224");
  EXPECT_EQ(a[7], "25ff71a9");
  EXPECT_EQ(a[2].rfind("00576224_t", 0), 0u);
  EXPECT_EQ(names_for({kData + "/arc-agi-1", kData + "/arc-agi-2"}, 42), a) << "rebuild";
  EXPECT_EQ(names_for({kData + "/arc-agi-2", kData + "/arc-agi-1"}, 42), a) << "folder order does not matter";
  EXPECT_NE(names_for({kData + "/arc-agi-1", kData + "/arc-agi-2"}, 43), a) << "the seed does";
  // A task's augmentations do not depend on which other tasks are present.
  const auto only1 = names_for({kData + "/arc-agi-1"}, 42);
  EXPECT_EQ(std::vector<std::string>(only1.begin() + 1, only1.begin() + 7), std::vector<std::string>(a.begin() + 1, a.begin() + 7));
}

// A reference identifiers.json (the order of the reference builder's draws) is followed exactly,
// and every entry that cannot be a reference table is refused by index.
TEST(ArcDataset, PlansFromAReferenceIdentifierTable) {
  const auto sources = arc::load_sources({kData + "/arc-agi-1"});
  const std::vector<std::string> names = {"<blank>", "6150a2bd", "6150a2bd_t5_0918273645", "00576224_t3_0615283749",
                                          "00576224"};
  int unused = 0;
  const auto plans = arc::plans_from_identifiers(sources, names, unused);
  ASSERT_EQ(plans.size(), 2u);
  EXPECT_EQ(plans[0].source->task.id, "6150a2bd");
  EXPECT_EQ(plans[1].source->task.id, "00576224");
  EXPECT_TRUE(plans[1].source->evaluation);
  EXPECT_FALSE(plans[1].augmentations[0].is_identity());  // the table's order, not identity first
  EXPECT_TRUE(plans[1].augmentations[1].is_identity());
  EXPECT_EQ(arc::identifier_names(plans), std::vector<std::string>({"<blank>", "6150a2bd", "6150a2bd_t5_0918273645",
                                                                     "00576224_t3_0615283749", "00576224"}));
  EXPECT_EQ(unused, 4);
  // A TRM-built table: same puzzles, TRM's names kept.
  const auto trm = arc::plans_from_identifiers(sources, {"<blank>", "6150a2bd", "6150a2bd|||t5|||0918273645"}, unused);
  ASSERT_EQ(trm.size(), 1u);
  EXPECT_EQ(trm[0].augmentations[1], plans[0].augmentations[1]);
  auto error = [&](std::vector<std::string> n) {
    try {
      arc::plans_from_identifiers(sources, n, unused);
    } catch (const hrm::plugin::Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(error({"6150a2bd"}).find("entry 0 must be \"<blank>\""), std::string::npos);
  EXPECT_NE(error({"<blank>", "6150a2bd", "6150a2bd"}).find("identifiers[2]: \"6150a2bd\" repeats identifiers[1]"), std::string::npos);
  EXPECT_NE(error({"<blank>", "6150a2bd_t9_0123456789"}).find("identifiers[1]: \"6150a2bd_t9_0123456789\" is not a puzzle name"),
            std::string::npos);
  EXPECT_NE(error({"<blank>", "ffffffff"}).find("task ffffffff (\"ffffffff\") is in none of the --data folders"), std::string::npos);
  EXPECT_NE(error({"<blank>", "6150a2bd", "00576224", "6150a2bd_t1_0123456789"}).find("not consecutive"), std::string::npos);
}

// TRM's Kaggle-style collections (`<prefix>_<subset>_challenges.json` + `_solutions.json`) give
// the same tasks as the folders, the evaluation subset as evaluation tasks.
TEST(ArcDataset, ReadsKaggleStyleCollections) {
  const std::string dir = testing::TempDir() + "arc_kaggle_" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  auto collection = [&](const std::string& folder) {
    std::string text = "{";
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(kData + "/arc-agi-1/" + folder)) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      std::ifstream in(f);
      std::stringstream ss;
      ss << in.rdbuf();
      text += std::string(text.size() > 1 ? "," : "") + "\"" + f.stem().string() + "\": " + ss.str();
    }
    return text + "}";
  };
  std::ofstream(dir + "/arc-agi_training_challenges.json") << collection("training");
  std::ofstream(dir + "/arc-agi_evaluation_challenges.json") << collection("evaluation");
  std::ofstream(dir + "/arc-agi_evaluation_solutions.json") << "{\"00576224\": [[[1]]], \"66e6c45b\": [[[2, 3]]]}";
  const auto folders = arc::load_sources({kData + "/arc-agi-1"});
  const auto files = arc::load_sources({dir + "/arc-agi_training_challenges.json", dir + "/arc-agi_evaluation_challenges.json"});
  ASSERT_EQ(files.size(), folders.size());
  for (const auto& f : files) {
    const auto it = std::find_if(folders.begin(), folders.end(), [&](const arc::SourceTask& s) { return s.task.id == f.task.id; });
    ASSERT_NE(it, folders.end()) << f.task.id;
    EXPECT_EQ(f.evaluation, it->evaluation) << f.task.id;
    if (!f.evaluation) EXPECT_EQ(arc::task_hash(f.task), arc::task_hash(it->task)) << f.task.id;
  }
  const auto e = std::find_if(files.begin(), files.end(), [](const arc::SourceTask& s) { return s.task.id == "66e6c45b"; });
  ASSERT_NE(e, files.end());
  EXPECT_EQ(arc::grid_to_json(*e->task.test[0].output), "[[2,3]]");  // from the solutions file
  std::ofstream(dir + "/arc-agi_evaluation_solutions.json") << "{\"00576224\": [[[1]]]}";
  try {
    arc::load_sources({dir + "/arc-agi_evaluation_challenges.json"});
    ADD_FAILURE() << "no error";
  } catch (const hrm::plugin::Error& err) {
    EXPECT_NE(std::string(err.what()).find("no outputs for task 66e6c45b"), std::string::npos) << err.what();
  }
  std::filesystem::remove_all(dir);
}

TEST(ArcDataset, ExamplesFollowTheReferenceLayout) {
  const arc::Task t = arc::read_task_file(kData + "/arc-agi-1/training/25ff71a9.json");
  arc::Rng rng(9);
  const arc::Examples tr = arc::train_examples(t, true, rng);
  ASSERT_EQ(tr.count, int64_t(t.train.size() + t.test.size()));
  std::vector<const arc::Pair*> pairs;
  for (const auto& p : t.train) pairs.push_back(&p);
  for (const auto& p : t.test) pairs.push_back(&p);
  int at_origin = 0;
  for (int64_t i = 0; i < tr.count; ++i) {
    const int32_t* in = &tr.inputs[size_t(i * 900)];
    const int32_t* out = &tr.labels[size_t(i * 900)];
    const arc::Placement pi = arc::locate(in), po = arc::locate(out);
    EXPECT_EQ(pi.r0, po.r0) << "input and output share the offset";
    EXPECT_EQ(pi.c0, po.c0);
    at_origin += pi.r0 == 0 && pi.c0 == 0;
    const std::vector<int32_t> again = arc::encode_grid(pairs[size_t(i)]->input, pi.r0, pi.c0);
    EXPECT_TRUE(std::equal(again.begin(), again.end(), in)) << "example " << i;
  }
  EXPECT_GE(at_origin, 1) << "one example keeps (0, 0)";
  EXPECT_EQ(arc::train_examples(t, false, rng).count, int64_t(t.train.size()));
  const arc::Examples te = arc::test_examples(t);
  ASSERT_EQ(te.count, 2);
  EXPECT_EQ(arc::crop(&te.inputs[900]), t.test[1].input);
  EXPECT_EQ(arc::crop(&te.labels[900]), *t.test[1].output);
  arc::Task hidden = t;
  hidden.test[0].output.reset();
  EXPECT_THROW(arc::test_examples(hidden), hrm::plugin::Error);
}

// ---- voting and scoring on a hand-made predictions file (tests/data/arc/eval/README.md) ----------

namespace {

// The 9 test rows that eval/predictions.jsonl answers, in dataset order.
std::vector<arc::TestRow> hand_made_rows() {
  struct Test {
    std::string task;
    arc::Grid input, output;
  };
  const std::vector<Test> tests = {{"aaaa0001", G({{1, 2}, {0, 0}}), G({{2, 1}, {0, 0}})},
                                   {"aaaa0001", G({{3, 0}, {0, 0}}), G({{0, 3}, {0, 0}})},
                                   {"bbbb0002", G({{5}}), G({{5, 5}})},
                                   {"cccc0003", G({{4, 0}}), G({{0, 4}})}};
  const std::vector<std::pair<std::string, std::vector<std::string>>> puzzles = {
      {"aaaa0001", {"aaaa0001", "aaaa0001_t2_0213456789", "aaaa0001_t4_0123456789"}},
      {"bbbb0002", {"bbbb0002", "bbbb0002_t6_0123456789"}},
      {"cccc0003", {"cccc0003"}}};
  std::vector<arc::TestRow> rows;
  for (const auto& [task, names] : puzzles)
    for (const std::string& name : names) {
      const arc::Augmentation a = arc::parse_puzzle_name(name)->augmentation;
      for (const Test& t : tests)
        if (t.task == task) rows.push_back({name, a.apply(t.input), a.apply(t.output)});
    }
  return rows;
}

std::vector<arc::TaskResult> vote_file(arc::Tally* tally = nullptr) {
  const auto rows = hand_made_rows();
  arc::Voter voter;
  arc::add_ground_truth(rows, voter);
  const arc::Tally t = arc::vote_predictions(rows, read(kData + "/eval/predictions.jsonl"), "predictions.jsonl", voter);
  if (tally) *tally = t;
  return voter.results();
}

}  // namespace

TEST(ArcVote, RanksByVotesThenConfidence) {
  arc::Tally tally;
  const auto results = vote_file(&tally);
  EXPECT_EQ(tally.predicted, 9);
  EXPECT_EQ(tally.unmatched, 0);
  ASSERT_EQ(results.size(), 3u);
  const arc::TestResult& a0 = results[0].tests[0];
  ASSERT_EQ(a0.ranked.size(), 2u);
  EXPECT_EQ(a0.ranked[0].grid, G({{2, 1}, {0, 0}})) << "two votes beat one confident vote";
  EXPECT_EQ(a0.ranked[0].votes, 2);
  EXPECT_NEAR(a0.ranked[0].mean_confidence(), 1 / (1 + std::exp(1.0)), 1e-12);
  EXPECT_EQ(a0.ranked[1].grid, G({{1, 1}, {0, 0}}));
  const arc::TestResult& a1 = results[0].tests[1];
  EXPECT_EQ(a1.ranked[0].grid, G({{3, 0}, {0, 0}}));
  EXPECT_EQ(a1.ranked[1].grid, G({{0, 3}, {0, 0}}));
  EXPECT_FALSE(a1.solved_at(1));
  EXPECT_TRUE(a1.solved_at(2));
  const arc::TestResult& b0 = results[1].tests[0];
  ASSERT_EQ(b0.ranked.size(), 2u);
  EXPECT_EQ(b0.ranked[0].grid, G({{5, 5}})) << "a tie is broken by the mean sigmoid(q_halt)";
  EXPECT_EQ(b0.ranked[1].grid, G({{5}})) << "read from 900 tokens";
  const arc::TestResult& c0 = results[2].tests[0];
  ASSERT_EQ(c0.ranked.size(), 1u);
  EXPECT_TRUE(c0.ranked[0].grid.empty()) << "[] is no answer";
}

TEST(ArcVote, ScoresBothWays) {
  const auto results = vote_file();
  const arc::Score s1 = arc::score(results, 1), s2 = arc::score(results, 2), s10 = arc::score(results, 10);
  EXPECT_EQ(s1.tasks, 3);
  EXPECT_DOUBLE_EQ(s1.reference, 1.0 / 3);
  EXPECT_DOUBLE_EQ(s1.official, 0.5);
  EXPECT_DOUBLE_EQ(s2.reference, 2.0 / 3);
  EXPECT_DOUBLE_EQ(s2.official, 2.0 / 3);
  EXPECT_DOUBLE_EQ(s10.reference, 2.0 / 3);
  EXPECT_DOUBLE_EQ(s10.official, 2.0 / 3);
}

TEST(ArcVote, WritesTheSubmissionFormat) {
  const std::string s = arc::submission_json(vote_file());
  EXPECT_EQ(s,
            "{\n"
            "\"aaaa0001\": [{\"attempt_1\": [[2,1],[0,0]], \"attempt_2\": [[1,1],[0,0]]}, "
            "{\"attempt_1\": [[3,0],[0,0]], \"attempt_2\": [[0,3],[0,0]]}],\n"
            "\"bbbb0002\": [{\"attempt_1\": [[5,5]], \"attempt_2\": [[5]]}],\n"
            "\"cccc0003\": [{\"attempt_1\": [[0]], \"attempt_2\": [[0]]}]\n"
            "}\n");
  // And it is JSON of the competition's shape.
  const auto doc = hrm::common::json::parse(s, "submission");
  ASSERT_TRUE(doc.is_object());
  EXPECT_EQ(doc.find("aaaa0001")->array.size(), 2u);
  EXPECT_TRUE(doc.find("aaaa0001")->array[1].find("attempt_2")->is_array());
}

TEST(ArcVote, RefusesPredictionsThatDoNotFollowTheRows) {
  const auto rows = hand_made_rows();
  arc::Voter voter;
  arc::add_ground_truth(rows, voter);
  auto error = [&](const std::string& text) {
    try {
      arc::vote_predictions(rows, text, "p", voter);
    } catch (const hrm::plugin::Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(error(R"({"puzzle": "bbbb0002", "prediction": []})").find("p:1: puzzle \"bbbb0002\" but test row 0 is \"aaaa0001\""),
            std::string::npos);
  EXPECT_NE(error(R"({"puzzle": "aaaa0001"})").find("p:1: needs \"puzzle\" and \"prediction\""), std::string::npos);
  EXPECT_NE(error(R"({"puzzle": "aaaa0001", "prediction": [1,2]})").find("p:1: a token prediction needs 900 tokens"),
            std::string::npos);
  EXPECT_NE(error(R"({"puzzle": "aaaa0001", "prediction": [[1]], "q_halt": "x"})").find("\"q_halt\" must be a number"),
            std::string::npos);
  EXPECT_NE(error("\n" + std::string(R"({"puzzle": "aaaa0001", "prediction": [[11]]})")).find("p:2: prediction: row 0 column 0: 11"),
            std::string::npos);
  std::string ten = read(kData + "/eval/predictions.jsonl") + R"({"puzzle": "x", "prediction": []})" + "\n";
  EXPECT_NE(error(ten).find("p:11: row 9 but the dataset has 9 test rows"), std::string::npos);
  // A row predicted twice counted twice ("10 of 9 rows predicted"): the second line is refused.
  const std::string twice = R"({"index": 0, "input": "{\"puzzle\": \"aaaa0001\"}", "error": "e"})";
  EXPECT_NE(error(twice + "\n\n" + twice)
                .find("p:3: a second prediction for test row 0 (puzzle \"aaaa0001\"); line 1 predicted it already"),
            std::string::npos)
      << error(twice + "\n\n" + twice);
  // Malformed names and unknown inputs do not vote.
  EXPECT_FALSE(voter.add_prediction("aaaa0001_t9_0123456789", G({{1, 2}, {0, 0}}), G({{1}}), 0));
  EXPECT_FALSE(voter.add_prediction("aaaa0001", G({{7}}), G({{1}}), 0));
  EXPECT_FALSE(voter.add_prediction("zzzz", G({{1, 2}, {0, 0}}), G({{1}}), 0));
}

TEST(ArcVote, ReadsTheOutputOfHrmSolve) {
  // hrm solve on test_instances.jsonl: lines carry their row index and the instance text; here
  // rows 2, 0 and 4 (out of order), one of them failed.
  const auto rows = hand_made_rows();
  auto solve_line = [&](size_t row, const std::string& tail) {
    return "{\"index\": " + std::to_string(row) + ", \"input\": " +
           hrm::common::json::quote(arc::instance_line("aaaa0001", int64_t(row % 2), rows[row])) + ", " + tail + "}\n";
  };
  const std::string text = solve_line(2, R"("solution": "[[0,0],[2,1]]", "segments": 16, "q": [-1, 0.5], "verified": true)") +
                           solve_line(0, R"("solution": "[[2,1],[0,0]]", "segments": 16, "q": [3, 0.5], "verified": true)") +
                           solve_line(4, R"("error": "the model failed")");
  arc::Voter voter;
  arc::add_ground_truth(rows, voter);
  const arc::Tally tally = arc::vote_predictions(rows, text, "solve.jsonl", voter);
  EXPECT_EQ(tally.predicted, 3);
  EXPECT_EQ(tally.unmatched, 0);
  const auto results = voter.results();
  const arc::TestResult& a0 = results[0].tests[0];
  ASSERT_EQ(a0.ranked.size(), 2u);
  EXPECT_EQ(a0.ranked[0].grid, G({{2, 1}, {0, 0}})) << "rows 2 and 0 agree after de-augmentation";
  EXPECT_EQ(a0.ranked[0].votes, 2);
  EXPECT_NEAR(a0.ranked[0].mean_confidence(), (1 / (1 + std::exp(1.0)) + 1 / (1 + std::exp(-3.0))) / 2, 1e-12);
  EXPECT_TRUE(a0.ranked[1].grid.empty()) << "the failed row is no answer";
  // The instance must be the row's.
  EXPECT_THROW(arc::vote_predictions(rows, solve_line(1, R"("solution": "[[1]]")").replace(10, 1, "3"), "s", voter),
               hrm::plugin::Error);
}

TEST(ArcVote, InstanceLinesAreWhatThePluginReads) {
  const arc::TestRow row{"abcd0001_t1_0123456789", G({{1, 2}}), G({{3}})};
  EXPECT_EQ(arc::instance_line("abcd0001", 1, row),
            R"({"task": "abcd0001", "test_index": 1, "input": [[1,2]], "output": [[3]], "puzzle": "abcd0001_t1_0123456789"})");
}

TEST(ArcVote, UnknownAnswersAreNotScored) {
  arc::Voter voter;
  voter.add_test("k", G({{1}}), G({{2}}));
  voter.add_test("u", G({{1}}), std::nullopt);  // hidden answer: no score, still a submission entry
  EXPECT_TRUE(voter.add_prediction("k", G({{1}}), G({{2}}), 0));
  EXPECT_TRUE(voter.add_prediction("u", G({{1}}), G({{3}}), 0));
  const auto r = voter.results();
  const arc::Score s = arc::score(r, 2);
  EXPECT_EQ(s.tasks, 1);
  EXPECT_DOUBLE_EQ(s.reference, 1.0);
  EXPECT_NE(arc::submission_json(r).find("\"u\": [{\"attempt_1\": [[3]]"), std::string::npos);
}

// ---- rendering -------------------------------------------------------------------------------------

TEST(ArcRender, TextAnsiSvgAndHtml) {
  const std::vector<arc::Panel> panels = {{"input", G({{1, 2}})}, {"prediction", arc::Grid()}, {"expected", G({{3}, {4}})}};
  EXPECT_EQ(arc::render_text(panels, false),
            "input   prediction   expected\n"
            "1 2     (none)       3\n"
            "                     4\n");
  const std::string ansi = arc::render_text({{"g", G({{0, 9}})}}, true);
  EXPECT_EQ(ansi, "g\n\x1b[48;5;16m  \x1b[48;5;88m  \x1b[0m\n");
  const std::string svg = arc::render_svg(panels);
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find(arc::kPalette[4]), std::string::npos);
  const auto results = vote_file();
  const std::string html = arc::render_html(results[0]);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("attempt 2: 1 votes"), std::string::npos);
  EXPECT_NE(html.find("test 0: expected answer ranked 1"), std::string::npos);
  EXPECT_NE(html.find("test 1: expected answer ranked 2"), std::string::npos);
  EXPECT_NE(arc::render_html(results[2]).find("expected answer not among the 1 candidates"), std::string::npos);
  EXPECT_NE(html.find("class=\"ok\""), std::string::npos) << "the correct attempt is marked";
  EXPECT_EQ(html.find("http"), html.find("http://www.w3.org/2000/svg")) << "no link but the SVG namespace";
}
