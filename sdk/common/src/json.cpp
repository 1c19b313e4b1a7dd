#include "hrm/common/json.hpp"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "hrm/common/error.hpp"

namespace hrm::common::json {

const Value *Value::find(std::string_view key) const {
    if (type != Type::Object) return nullptr;
    for (const auto &kv : object)
        if (kv.first == key) return &kv.second;
    return nullptr;
}

namespace {

// Recursive-descent parser; depth is limited so a hostile header cannot overflow the stack.
class Parser {
public:
    Parser(std::string_view text, const std::string &what) : s_(text), what_(what) {}

    Value document() {
        Value v = value(0);
        skip_ws();
        if (pos_ != s_.size()) error("trailing characters after the JSON value");
        return v;
    }

private:
    std::string_view s_;
    const std::string &what_;
    std::size_t pos_ = 0;

    [[noreturn]] void error(const std::string &msg) const {
        fail(HRM_E_FORMAT, what_ + ": " + msg + " at byte " + std::to_string(pos_));
    }
    void skip_ws() {
        while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
            ++pos_;
    }
    char peek() {
        if (pos_ >= s_.size()) error("unexpected end of input");
        return s_[pos_];
    }
    void expect(char c) {
        if (peek() != c) error(std::string("expected '") + c + "'");
        ++pos_;
    }
    void literal(std::string_view word) {
        if (s_.substr(pos_, word.size()) != word) error("invalid literal");
        pos_ += word.size();
    }

    Value value(int depth) {
        if (depth > 64) error("nesting too deep");
        skip_ws();
        Value v;
        char c = peek();
        if (c == '{') {
            v.type = Value::Type::Object;
            ++pos_;
            skip_ws();
            if (peek() == '}') { ++pos_; return v; }
            for (;;) {
                skip_ws();
                if (peek() != '"') error("expected a string key");
                std::string key = string();
                skip_ws();
                expect(':');
                Value member = value(depth + 1);
                for (const auto &kv : v.object)
                    if (kv.first == key) error("duplicate key \"" + printable(key) + "\"");
                v.object.emplace_back(std::move(key), std::move(member));
                skip_ws();
                if (peek() == ',') { ++pos_; continue; }
                expect('}');
                return v;
            }
        }
        if (c == '[') {
            v.type = Value::Type::Array;
            ++pos_;
            skip_ws();
            if (peek() == ']') { ++pos_; return v; }
            for (;;) {
                v.array.push_back(value(depth + 1));
                skip_ws();
                if (peek() == ',') { ++pos_; continue; }
                expect(']');
                return v;
            }
        }
        if (c == '"') {
            v.type = Value::Type::String;
            v.string = string();
            return v;
        }
        if (c == 't') { literal("true"); v.type = Value::Type::Bool; v.boolean = true; return v; }
        if (c == 'f') { literal("false"); v.type = Value::Type::Bool; return v; }
        if (c == 'n') { literal("null"); return v; }
        if (c == '-' || (c >= '0' && c <= '9')) return number();
        // The whole character (a byte of it could not be printed), escaped if it is not valid UTF-8.
        error("unexpected character '" + printable(s_.substr(pos_, utf8_length(s_.substr(pos_)))) + "'");
    }

    Value number() {
        std::size_t start = pos_;
        bool integral = true;
        if (s_[pos_] == '-') ++pos_;
        if (pos_ >= s_.size() || !std::isdigit(static_cast<unsigned char>(s_[pos_]))) error("invalid number");
        if (s_[pos_] == '0' && pos_ + 1 < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_ + 1])))
            error("leading zeros are not allowed");
        while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) ++pos_;
        if (pos_ < s_.size() && s_[pos_] == '.') {
            integral = false;
            ++pos_;
            if (pos_ >= s_.size() || !std::isdigit(static_cast<unsigned char>(s_[pos_]))) error("invalid number");
            while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) ++pos_;
        }
        if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
            integral = false;
            ++pos_;
            if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
            if (pos_ >= s_.size() || !std::isdigit(static_cast<unsigned char>(s_[pos_]))) error("invalid number");
            while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) ++pos_;
        }
        std::string lit(s_.substr(start, pos_ - start));
        Value v;
        v.type = Value::Type::Number;
        v.number = std::strtod(lit.c_str(), nullptr);
        if (integral) {
            errno = 0;
            char *end = nullptr;
            long long i = std::strtoll(lit.c_str(), &end, 10);
            if (errno == 0 && end && *end == '\0') {
                v.is_integer = true;
                v.integer = i;
            }
        }
        return v;
    }

    unsigned hex4() {
        if (pos_ + 4 > s_.size()) error("truncated \\u escape");
        unsigned u = 0;
        for (int i = 0; i < 4; ++i) {
            char c = s_[pos_++];
            u <<= 4;
            if (c >= '0' && c <= '9') u |= unsigned(c - '0');
            else if (c >= 'a' && c <= 'f') u |= unsigned(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F') u |= unsigned(c - 'A' + 10);
            else error("invalid \\u escape");
        }
        return u;
    }

    static void put_utf8(std::string &out, unsigned cp) {
        if (cp < 0x80) out += char(cp);
        else if (cp < 0x800) { out += char(0xC0 | (cp >> 6)); out += char(0x80 | (cp & 0x3F)); }
        else if (cp < 0x10000) {
            out += char(0xE0 | (cp >> 12)); out += char(0x80 | ((cp >> 6) & 0x3F)); out += char(0x80 | (cp & 0x3F));
        } else {
            out += char(0xF0 | (cp >> 18)); out += char(0x80 | ((cp >> 12) & 0x3F));
            out += char(0x80 | ((cp >> 6) & 0x3F)); out += char(0x80 | (cp & 0x3F));
        }
    }

    std::string string() {
        expect('"');
        std::string out;
        for (;;) {
            char c = peek();
            ++pos_;
            if (c == '"') return out;
            if (static_cast<unsigned char>(c) < 0x20) error("control character in string");
            if (static_cast<unsigned char>(c) >= 0x80) {   // RFC 8259: JSON text is UTF-8
                const std::size_t n = utf8_length(s_.substr(pos_ - 1));
                if (n == 1) { --pos_; error("invalid UTF-8 in string"); }
                out.append(s_.substr(pos_ - 1, n));
                pos_ += n - 1;
                continue;
            }
            if (c != '\\') { out += c; continue; }
            char e = peek();
            ++pos_;
            switch (e) {
                case '"': out += '"'; break;
                case '\\': out += '\\'; break;
                case '/': out += '/'; break;
                case 'b': out += '\b'; break;
                case 'f': out += '\f'; break;
                case 'n': out += '\n'; break;
                case 'r': out += '\r'; break;
                case 't': out += '\t'; break;
                case 'u': {
                    unsigned cp = hex4();
                    if (cp >= 0xD800 && cp < 0xDC00) {   // surrogate pair
                        if (s_.substr(pos_, 2) != "\\u") error("unpaired surrogate");
                        pos_ += 2;
                        unsigned lo = hex4();
                        if (lo < 0xDC00 || lo >= 0xE000) error("invalid surrogate pair");
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    } else if (cp >= 0xDC00 && cp < 0xE000) {
                        error("unpaired surrogate");
                    }
                    put_utf8(out, cp);
                    break;
                }
                default: error("invalid escape");
            }
        }
    }
};

}  // namespace

Value parse(std::string_view text, const std::string &what) { return Parser(text, what).document(); }

std::string quote(std::string_view s) {
    static const char *hex = "0123456789abcdef";
    std::string out = "\"";
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        const unsigned char u = static_cast<unsigned char>(c);
        if (u >= 0x80) {
            // JSON text is UTF-8 (RFC 8259), and our own parser refuses anything else: a whole
            // valid character is kept, a byte that is not part of one becomes U+FFFD, so a line
            // echoing hostile input can still be read back (issue #24).
            const std::size_t n = utf8_length(s.substr(i));
            if (n > 1) out.append(s.substr(i, n)), i += n - 1;
            else out += "\xEF\xBF\xBD";
            continue;
        }
        if (c == '"') out += "\\\"";
        else if (c == '\\') out += "\\\\";
        else if (c == '\n') out += "\\n";
        else if (c == '\r') out += "\\r";
        else if (c == '\t') out += "\\t";
        else if (u < 0x20) { out += "\\u00"; out += hex[u >> 4]; out += hex[u & 15]; }
        else out += c;
    }
    return out + "\"";
}

}  // namespace hrm::common::json
