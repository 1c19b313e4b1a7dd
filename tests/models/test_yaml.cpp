// hrm_common's strict YAML reader (all_config.yaml of the reference training scripts): the
// pyyaml/OmegaConf subset it reads, and the refusals of everything else with the line named.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>
#include <string>

#include "hrm/common/error.hpp"
#include "hrm/common/json.hpp"
#include "hrm/common/yaml.hpp"

using hrm::common::yaml::Node;
using hrm::common::yaml::parse;

namespace {

std::string slurp(const std::string &path) {
    std::ifstream f(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
}

// The message of the error parse() throws, "" when it does not throw.
std::string error_of(const std::string &text) {
    try {
        parse(text, "t.yaml");
    } catch (const hrm::plugin::Error &e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST(Yaml, ReadsPyyamlOutput) {
    const Node root = parse(slurp(std::string(HRM_SOURCE_DIR) + "/fuzz/corpus/yaml/hrm_arc.yaml"), "hrm_arc.yaml");
    ASSERT_TRUE(root.is_map());
    const Node *arch = root.find("arch");
    ASSERT_TRUE(arch && arch->is_map());
    EXPECT_EQ(arch->find("H_cycles")->kind, Node::Kind::Int);
    EXPECT_EQ(arch->find("H_cycles")->integer, 2);
    EXPECT_EQ(arch->find("halt_exploration_prob")->kind, Node::Kind::Float);
    EXPECT_DOUBLE_EQ(arch->find("halt_exploration_prob")->number, 0.1);
    EXPECT_EQ(arch->find("name")->text, "hrm.hrm_act_v1@HierarchicalReasoningModel_ACTV1");
    EXPECT_EQ(arch->find("loss")->find("loss_type")->text, "stablemax_cross_entropy");
    EXPECT_EQ(arch->map.front().first, "H_cycles");  // document order
    // pyyaml folds a long plain scalar onto an indented next line: one space joins the parts.
    EXPECT_EQ(root.find("checkpoint_path")->text,
              "checkpoints/Arc-aug-1000 ACT-torch/HierarchicalReasoningModel_ACTV1 amphibian-turaco of-the-long-name");
    const Node *outs = root.find("eval_save_outputs");  // indentless list
    ASSERT_TRUE(outs && outs->is_list());
    ASSERT_EQ(outs->list.size(), 5u);
    EXPECT_EQ(outs->list[4].text, "q_halt_logits");
    EXPECT_EQ(root.find("checkpoint_every_eval")->kind, Node::Kind::Bool);
    EXPECT_TRUE(root.find("checkpoint_every_eval")->boolean);
    EXPECT_EQ(root.find("weight_decay")->line, 40);
}

TEST(Yaml, QuotedStringsListsAndScalars) {
    const Node root = parse(slurp(std::string(HRM_SOURCE_DIR) + "/fuzz/corpus/yaml/trm_quoted.yaml"), "trm.yaml");
    const Node *arch = root.find("arch");
    ASSERT_TRUE(arch);
    EXPECT_TRUE(arch->find("mlp_t")->boolean);
    EXPECT_EQ(arch->find("num_heads")->integer, 8);  // the comment is not part of the value
    EXPECT_DOUBLE_EQ(arch->find("rms_norm_eps")->number, 1e-5);
    EXPECT_EQ(root.find("load_checkpoint")->kind, Node::Kind::Null);
    EXPECT_EQ(root.find("run_name")->text, "it's a \"run\"");
    EXPECT_EQ(root.find("note")->text, "tab\there \xc3\xa9 and a long line that pyyaml folds onto the next one");
    EXPECT_TRUE(root.find("data_paths_test")->is_list());
    EXPECT_TRUE(root.find("data_paths_test")->list.empty());
    EXPECT_TRUE(root.find("empty")->is_map());
    const Node *nested = root.find("nested");
    ASSERT_TRUE(nested && nested->is_list());
    ASSERT_EQ(nested->list.size(), 3u);
    EXPECT_EQ(nested->list[0].find("name")->text, "arc@ARC");
    EXPECT_EQ(nested->list[0].find("submission_K")->integer, 2);
    ASSERT_TRUE(nested->list[1].is_list());
    EXPECT_DOUBLE_EQ(nested->list[1].list[1].number, 2.5e-3);
    EXPECT_EQ(nested->list[2].kind, Node::Kind::Null);

    // pyyaml's YAML 1.1 resolution of plain scalars.
    const Node s = parse("a: yes\nb: Off\nc: -7\nd: .inf\ne: -.5\nf: 007bbfb7\ng: 1e-5\nh: ~\ni:\nj: 'null'\n");
    EXPECT_TRUE(s.find("a")->boolean);
    EXPECT_EQ(s.find("b")->kind, Node::Kind::Bool);
    EXPECT_FALSE(s.find("b")->boolean);
    EXPECT_EQ(s.find("c")->integer, -7);
    EXPECT_TRUE(std::isinf(s.find("d")->number));
    EXPECT_DOUBLE_EQ(s.find("e")->number, -0.5);
    EXPECT_EQ(s.find("f")->kind, Node::Kind::String);  // an ARC task id, not a number
    EXPECT_EQ(s.find("g")->kind, Node::Kind::String);  // pyyaml: a float needs a dot (it writes 1.0e-05)
    EXPECT_EQ(s.find("h")->kind, Node::Kind::Null);
    EXPECT_EQ(s.find("i")->kind, Node::Kind::Null);
    EXPECT_EQ(s.find("j")->kind, Node::Kind::String);
    EXPECT_EQ(parse("# nothing\n").kind, Node::Kind::Null);
    EXPECT_EQ(parse("a: one\n  - two\nb: 1\n").find("a")->text, "one - two");  // folded at " - "
    EXPECT_EQ(parse("\"a\\\n  b\"\n").text, "ab");                             // escaped line break
}

TEST(Yaml, RefusesWhatItDoesNotRead) {
    const std::pair<const char *, const char *> cases[] = {
        {"a: 1\na: 2\n", "t.yaml:2: duplicate key 'a'"},
        {"a: &x 1\nb: *x\n", "t.yaml:1: anchors and aliases"},
        {"a: !!python/tuple [1]\n", "t.yaml:1: tags"},
        {"a: |\n  text\n", "t.yaml:1: block scalars"},
        {"a: [1, 2]\n", "t.yaml:1: flow collections are not supported"},
        {"a:\n\tb: 1\n", "t.yaml:2: tab in indentation"},
        {"a: 1\n  b: 2\n", "t.yaml:2: a continuation line of a plain value looks like a key"},
        {"a:\n  b: 1\n c: 2\n", "t.yaml:3: unexpected indentation"},
        {"a: \"open\n", "t.yaml:1: unterminated quoted string"},
        {"a: 'x' y\n", "t.yaml:1: unexpected text after a quoted string"},
        {"a: 0x1F\n", "t.yaml:1: '0x1F': this number form is not supported"},
        {"a: 0755\n", "t.yaml:1: '0755': integers with a leading zero"},
        {"a: 99999999999999999999\n", "t.yaml:1: integer '99999999999999999999' is out of range"},
        {"? a\n: b\n", "t.yaml:1: complex keys (?) are not supported"},
        {"a: b: c\n", "t.yaml:1: ':' followed by a space inside a plain value"},
        {"- a\nb: 1\n", "t.yaml:2: unexpected content after the document"},
        {"a: \"\\q\"\n", "t.yaml:1: unknown escape '\\q'"},
        {"a: 1\x01\n", "t.yaml:1: control character \\x01"},
        {"%YAML 1.1\n---\na: 1\n", "t.yaml:1: directives"},
    };
    for (const auto &[text, want] : cases) {
        const std::string got = error_of(text);
        EXPECT_NE(got.find(want), std::string::npos) << "input: " << text << "\nerror: " << got;
    }
    std::string deep;
    for (int i = 0; i < 100; ++i) deep += std::string(size_t(i), ' ') + "k:\n";
    EXPECT_NE(error_of(deep).find("nesting deeper than"), std::string::npos);
}

namespace {

// Our reading of a document equals pyyaml's (as JSON: infinities are the strings "inf"/"-inf").
::testing::AssertionResult same_as_pyyaml(const Node &n, const hrm::common::json::Value &v, const std::string &at) {
    using T = hrm::common::json::Value::Type;
    auto fail = [&](const std::string &why) { return ::testing::AssertionFailure() << at << ": " << why; };
    switch (n.kind) {
        case Node::Kind::Null:
            return v.type == T::Null ? ::testing::AssertionSuccess() : fail("null, pyyaml has another type");
        case Node::Kind::Bool:
            return v.type == T::Bool && v.boolean == n.boolean ? ::testing::AssertionSuccess()
                                                               : fail("boolean differs");
        case Node::Kind::Int:
            return v.type == T::Number && v.is_integer && v.integer == n.integer
                       ? ::testing::AssertionSuccess()
                       : fail("integer " + n.text + " differs");
        case Node::Kind::Float:
            if (std::isinf(n.number))
                return v.type == T::String && v.string == (n.number > 0 ? "inf" : "-inf")
                           ? ::testing::AssertionSuccess()
                           : fail("infinity differs");
            return v.type == T::Number && v.number == n.number ? ::testing::AssertionSuccess()
                                                               : fail("number " + n.text + " differs");
        case Node::Kind::String:
            return v.type == T::String && v.string == n.text ? ::testing::AssertionSuccess()
                                                             : fail("string '" + n.text + "' differs");
        case Node::Kind::List:
            if (v.type != T::Array || v.array.size() != n.list.size()) return fail("list differs");
            for (std::size_t i = 0; i < n.list.size(); ++i)
                if (auto r = same_as_pyyaml(n.list[i], v.array[i], at + "[" + std::to_string(i) + "]"); !r) return r;
            return ::testing::AssertionSuccess();
        case Node::Kind::Map:
            if (v.type != T::Object || v.object.size() != n.map.size()) return fail("mapping differs");
            for (const auto &[k, child] : n.map) {
                const auto *w = v.find(k);
                if (!w) return fail("key '" + k + "' not in pyyaml's");
                if (auto r = same_as_pyyaml(child, *w, at + "." + k); !r) return r;
            }
            return ::testing::AssertionSuccess();
    }
    return fail("?");
}

}  // namespace

// 200 documents yaml.dump wrote (tests/parity/make_yaml_cases.py: quotes, escapes, indicators,
// folded long scalars at widths 80 and 20, nested lists and maps): read as pyyaml reads them.
TEST(Yaml, MatchesPyyamlOnItsOwnOutput) {
    std::ifstream f(std::string(HRM_SOURCE_DIR) + "/tests/data/yaml/pyyaml_cases.jsonl");
    ASSERT_TRUE(f);
    std::string line;
    int n = 0;
    while (std::getline(f, line)) {
        const auto c = hrm::common::json::parse(line, "case " + std::to_string(n));
        const std::string text = c.find("yaml")->string;
        Node doc;
        ASSERT_NO_THROW(doc = parse(text, "case " + std::to_string(n))) << text;
        EXPECT_TRUE(same_as_pyyaml(doc, *c.find("value"), "case " + std::to_string(n))) << text;
        ++n;
    }
    EXPECT_EQ(n, 200);
}
