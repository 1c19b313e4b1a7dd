// A small strict JSON reader (RFC 8259), enough for safetensors headers: objects keep their key
// order, numbers keep an exact int64 when they are integers. Errors give the byte offset.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hrm::common::json {

struct Value {
    enum class Type { Null, Bool, Number, String, Array, Object };
    Type type = Type::Null;
    bool boolean = false;
    double number = 0.0;
    bool is_integer = false;     // the literal had no fraction/exponent and fits int64
    std::int64_t integer = 0;
    std::string string;
    std::vector<Value> array;
    std::vector<std::pair<std::string, Value>> object;   // in document order

    bool is_object() const { return type == Type::Object; }
    bool is_array() const { return type == Type::Array; }
    bool is_string() const { return type == Type::String; }
    // Member lookup in an object; nullptr when absent (or when this is not an object).
    const Value *find(std::string_view key) const;
};

// Parse a whole document; throws hrm::plugin::Error(HRM_E_FORMAT) with "<what>: ... at byte N".
Value parse(std::string_view text, const std::string &what = "JSON");

// JSON string literal (with quotes) for s, escaping what RFC 8259 requires; a byte of s that is
// not part of a valid UTF-8 character becomes U+FFFD, so the literal is always valid JSON.
std::string quote(std::string_view s);

}  // namespace hrm::common::json
