// A small strict YAML reader for the files the reference training scripts write: all_config.yaml
// is `yaml.dump` (pyyaml) or OmegaConf output, i.e. block mappings and sequences (also pyyaml's
// indentless `key:\n- item`), plain scalars (folded over several lines when pyyaml wraps a long
// one), single- and double-quoted strings, `[]`/`{}`, comments and one leading `---`.
//
// Plain scalars resolve as pyyaml's YAML 1.1 resolver does (null/~, true/false/yes/no/on/off,
// decimal integers, floats with a dot and an optional signed exponent as pyyaml writes them
// (1.0e-05), .inf/.nan); anything else is a string ("1e-5" too, as for pyyaml). Number forms
// pyyaml would read differently (octal 0755, hex, underscores, base 60) are errors.
// Everything outside that subset (anchors, aliases, tags, block scalars `|`/`>`, non-empty flow
// collections, complex keys, tabs in indentation, duplicate keys, Unicode line separators) is an
// error naming the line, never a silently different document. tests/models/test_yaml.cpp checks
// it against pyyaml's reading of 200 pyyaml-written documents.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hrm::common::yaml {

struct Node {
    enum class Kind { Null, Bool, Int, Float, String, List, Map };
    Kind kind = Kind::Null;
    bool boolean = false;
    std::int64_t integer = 0;
    double number = 0.0;  // Float, and Int converted
    std::string text;     // the scalar as written (unquoted and unescaped for strings)
    std::vector<Node> list;
    std::vector<std::pair<std::string, Node>> map;  // in document order, keys unique
    int line = 0;                                   // 1-based line where the node starts

    bool is_map() const { return kind == Kind::Map; }
    bool is_list() const { return kind == Kind::List; }
    bool is_string() const { return kind == Kind::String; }
    bool is_number() const { return kind == Kind::Int || kind == Kind::Float; }
    // Member of a map; nullptr when absent or when this is not a map.
    const Node *find(std::string_view key) const;
    // "integer", "string", ... for error messages.
    const char *kind_name() const;
};

// Parses a whole document; throws hrm::plugin::Error(HRM_E_FORMAT) "<what>:<line>: <problem>".
// An empty document (only comments) is a Null node.
Node parse(std::string_view text, const std::string &what = "YAML");

}  // namespace hrm::common::yaml
