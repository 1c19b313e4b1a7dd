#include "hrm/common/yaml.hpp"

#include <charconv>
#include <cmath>
#include <limits>

#include "hrm/common/error.hpp"

namespace hrm::common::yaml {

const Node *Node::find(std::string_view key) const {
    if (kind != Kind::Map) return nullptr;
    for (const auto &kv : map)
        if (kv.first == key) return &kv.second;
    return nullptr;
}

const char *Node::kind_name() const {
    switch (kind) {
        case Kind::Null:
            return "null";
        case Kind::Bool:
            return "boolean";
        case Kind::Int:
            return "integer";
        case Kind::Float:
            return "number";
        case Kind::String:
            return "string";
        case Kind::List:
            return "list";
        case Kind::Map:
            return "mapping";
    }
    return "value";
}

namespace {

constexpr int kMaxDepth = 64;  // nesting; all_config.yaml has 3 levels, a hostile file more

struct Line {
    int no = 0;        // 1-based
    int indent = 0;    // leading spaces
    std::string text;  // after the indentation, trailing blanks removed
};

bool is_blank(const Line &l) {
    return l.text.empty() || l.text[0] == '#';
}
bool is_seq_item(std::string_view t) {
    return t == "-" || (t.size() > 1 && t[0] == '-' && (t[1] == ' ' || t[1] == '\t'));
}
bool is_space(char c) {
    return c == ' ' || c == '\t';
}

std::string_view lstrip(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    return s;
}
std::string_view rstrip(std::string_view s) {
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

void append_utf8(std::string &out, std::uint32_t cp) {
    if (cp < 0x80) {
        out += char(cp);
    } else if (cp < 0x800) {
        out += char(0xC0 | (cp >> 6));
        out += char(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += char(0xE0 | (cp >> 12));
        out += char(0x80 | ((cp >> 6) & 0x3F));
        out += char(0x80 | (cp & 0x3F));
    } else {
        out += char(0xF0 | (cp >> 18));
        out += char(0x80 | ((cp >> 12) & 0x3F));
        out += char(0x80 | ((cp >> 6) & 0x3F));
        out += char(0x80 | (cp & 0x3F));
    }
}

bool all_digits(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
        if (c < '0' || c > '9') return false;
    return true;
}

class Parser {
public:
    Parser(std::string_view text, const std::string &what) : what_(what) { split(text); }

    Node document() {
        skip_blank();
        if (i_ < lines_.size() && (lines_[i_].text == "---" || lines_[i_].text.rfind("--- #", 0) == 0) &&
            lines_[i_].indent == 0) {
            ++i_;
            skip_blank();
        }
        Node root;
        if (i_ >= lines_.size()) return root;  // empty document: null
        const Line &first = lines_[i_];
        if (first.text[0] == '%') error(first.no, "directives (%) are not supported");
        if (is_seq_item(first.text) || map_colon(first.text, first.no) != std::string_view::npos) {
            root = block(first.indent, 0);
        } else {
            root = inline_value(0, first.text, -1);
        }
        skip_blank();
        if (i_ < lines_.size() && lines_[i_].text == "..." && lines_[i_].indent == 0) {
            ++i_;
            skip_blank();
        }
        if (i_ < lines_.size()) error(lines_[i_].no, "unexpected content after the document (wrong indentation?)");
        return root;
    }

private:
    const std::string &what_;
    std::vector<Line> lines_;
    std::size_t i_ = 0;

    [[noreturn]] void error(int line, const std::string &msg) const {
        fail(HRM_E_FORMAT, what_ + ":" + std::to_string(line) + ": " + msg);
    }

    void split(std::string_view text) {
        int no = 0;
        while (!text.empty() || no == 0) {
            const std::size_t nl = text.find('\n');
            std::string_view raw = text.substr(0, nl);
            text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
            ++no;
            if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
            for (char c : raw)
                if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f)
                    error(no, "control character " + printable(std::string_view(&c, 1)) + " (not allowed in YAML)");
            // YAML 1.1 also breaks lines at NEL, LS and PS (pyyaml writes them raw with
            // allow_unicode): refused rather than read as one line.
            for (const char *sep : {"\xc2\x85", "\xe2\x80\xa8", "\xe2\x80\xa9"})
                if (raw.find(sep) != std::string_view::npos)
                    error(no, "a Unicode line separator (U+0085, U+2028 or U+2029) is not supported");
            Line l;
            l.no = no;
            std::size_t k = 0;
            while (k < raw.size() && raw[k] == ' ') ++k;
            const std::string_view rest = rstrip(raw.substr(k));
            const std::string_view content = lstrip(rest);
            if (!rest.empty() && rest[0] == '\t' && !content.empty() && content[0] != '#')
                error(no, "tab in indentation (YAML indents with spaces)");
            l.indent = int(k);
            l.text = std::string(content);  // a line of only blanks is empty
            lines_.push_back(std::move(l));
            if (nl == std::string_view::npos) break;
        }
    }

    void skip_blank() {
        while (i_ < lines_.size() && is_blank(lines_[i_])) ++i_;
    }

    // Position of the ':' that ends a mapping key at the start of t, npos when t is no key.
    std::size_t map_colon(std::string_view t, int line) const {
        if (t.empty()) return std::string_view::npos;
        if (t[0] == '"' || t[0] == '\'') {
            std::string dummy;
            std::size_t end = 0;
            if (!quoted_on_line(t, line, dummy, end)) return std::string_view::npos;
            const std::string_view after = lstrip(t.substr(end));
            if (!after.empty() && after[0] == ':' && (after.size() == 1 || is_space(after[1])))
                return t.size() - after.size();
            return std::string_view::npos;
        }
        if (t[0] == '[' || t[0] == '{' || t[0] == '#') return std::string_view::npos;
        for (std::size_t k = 0; k < t.size(); ++k) {
            if (t[k] == '#' && k > 0 && is_space(t[k - 1])) return std::string_view::npos;
            if (t[k] == ':' && (k + 1 == t.size() || is_space(t[k + 1]))) return k;
        }
        return std::string_view::npos;
    }

    // A quoted string that closes on the same line (keys): its value and the index after it.
    bool quoted_on_line(std::string_view t, int line, std::string &out, std::size_t &end) const {
        const char q = t[0];
        for (std::size_t k = 1; k < t.size(); ++k) {
            if (q == '\'' && t[k] == '\'') {
                if (k + 1 < t.size() && t[k + 1] == '\'') {
                    out += '\'';
                    ++k;
                    continue;
                }
                end = k + 1;
                return true;
            }
            if (q == '"' && t[k] == '\\') {
                if (k + 1 == t.size()) return false;  // continues on the next line: not a key
                k = escape(t, k, line, out);
                continue;
            }
            if (q == '"' && t[k] == '"') {
                end = k + 1;
                return true;
            }
            out += t[k];
        }
        return false;
    }

    // The escape at t[k] == '\\' of a double-quoted string, appended to out; returns the index of
    // its last character.
    std::size_t escape(std::string_view t, std::size_t k, int line, std::string &out) const {
        if (k + 1 >= t.size()) error(line, "'\\' at the end of a line inside a string is not supported");
        const char c = t[++k];
        switch (c) {
            case '0':
                out += '\0';
                return k;
            case 'a':
                out += '\a';
                return k;
            case 'b':
                out += '\b';
                return k;
            case 't':
            case '\t':
                out += '\t';
                return k;
            case 'n':
                out += '\n';
                return k;
            case 'v':
                out += '\v';
                return k;
            case 'f':
                out += '\f';
                return k;
            case 'r':
                out += '\r';
                return k;
            case 'e':
                out += '\x1b';
                return k;
            case ' ':
                out += ' ';
                return k;
            case '"':
                out += '"';
                return k;
            case '/':
                out += '/';
                return k;
            case '\\':
                out += '\\';
                return k;
            case 'N':
                append_utf8(out, 0x85);
                return k;
            case '_':
                append_utf8(out, 0xA0);
                return k;
            case 'L':
                append_utf8(out, 0x2028);
                return k;
            case 'P':
                append_utf8(out, 0x2029);
                return k;
            case 'x':
            case 'u':
            case 'U': {
                const std::size_t n = c == 'x' ? 2 : c == 'u' ? 4 : 8;
                if (k + n >= t.size()) error(line, std::string("truncated \\") + c + " escape");
                std::uint32_t cp = 0;
                for (std::size_t j = 1; j <= n; ++j) {
                    const char h = t[k + j];
                    const int v = h >= '0' && h <= '9'   ? h - '0'
                                  : h >= 'a' && h <= 'f' ? h - 'a' + 10
                                  : h >= 'A' && h <= 'F' ? h - 'A' + 10
                                                         : -1;
                    if (v < 0) error(line, std::string("bad hex digit in a \\") + c + " escape");
                    cp = cp * 16 + std::uint32_t(v);
                }
                if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
                    error(line, "escape is not a Unicode scalar value");
                append_utf8(out, cp);
                return k + n;
            }
            default:
                error(line, "unknown escape '\\" + printable(std::string_view(&c, 1)) + "' in a double-quoted string");
        }
    }

    // A block collection whose lines are indented by n.
    Node block(int n, int depth) {
        if (depth > kMaxDepth) error(lines_[i_].no, "nesting deeper than " + std::to_string(kMaxDepth) + " levels");
        return is_seq_item(lines_[i_].text) ? sequence(n, depth) : mapping(n, depth);
    }

    // The value of a key or list item with nothing after the indicator on its line: a block on
    // the following, deeper lines, pyyaml's indentless list at the same indentation (only for a
    // key: allow_indentless), or null.
    Node nested(int n, int line, int depth, bool allow_indentless) {
        ++i_;
        skip_blank();
        if (i_ < lines_.size() && lines_[i_].indent > n) return block(lines_[i_].indent, depth + 1);
        if (allow_indentless && i_ < lines_.size() && lines_[i_].indent == n && is_seq_item(lines_[i_].text))
            return sequence(n, depth + 1);
        Node null;
        null.line = line;
        return null;
    }

    Node mapping(int n, int depth) {
        Node m;
        m.kind = Node::Kind::Map;
        m.line = lines_[i_].no;
        for (;;) {
            skip_blank();
            if (i_ >= lines_.size() || lines_[i_].indent < n) break;
            const Line &l = lines_[i_];
            if (l.indent > n) error(l.no, "unexpected indentation");
            if (is_seq_item(l.text)) error(l.no, "a list item where a key was expected");
            const std::string_view t = l.text;
            const std::size_t colon = map_colon(t, l.no);
            if (colon == std::string_view::npos) error(l.no, "expected 'key: value', got '" + printable(t) + "'");
            std::string key;
            if (t[0] == '"' || t[0] == '\'') {
                std::size_t end = 0;
                quoted_on_line(t, l.no, key, end);
            } else {
                key = std::string(rstrip(t.substr(0, colon)));
                const char c = key[0];
                if (c == '?' || c == '&' || c == '*' || c == '!' || c == '|' || c == '>' || c == '%' || c == '@' ||
                    c == '`')
                    error(l.no, std::string("key '") + printable(key) + "' starts with '" + c +
                                    "' (complex keys, anchors, aliases and tags are not supported)");
            }
            for (const auto &kv : m.map)
                if (kv.first == key) error(l.no, "duplicate key '" + printable(key) + "'");
            const std::string_view rest = lstrip(t.substr(colon + 1));
            Node v = rest.empty() || rest[0] == '#' ? nested(n, l.no, depth, true) : inline_value(i_, rest, n);
            m.map.emplace_back(std::move(key), std::move(v));
        }
        return m;
    }

    Node sequence(int n, int depth) {
        Node s;
        s.kind = Node::Kind::List;
        s.line = lines_[i_].no;
        for (;;) {
            skip_blank();
            if (i_ >= lines_.size() || lines_[i_].indent < n) break;
            Line &l = lines_[i_];
            if (l.indent > n) error(l.no, "unexpected indentation");
            if (!is_seq_item(l.text)) break;  // the next key of a map holding this indentless list
            const std::string_view rest = lstrip(std::string_view(l.text).substr(1));
            if (rest.empty() || rest[0] == '#') {
                s.list.push_back(nested(n, l.no, depth, false));
                continue;
            }
            if (is_seq_item(rest) || map_colon(rest, l.no) != std::string_view::npos) {
                // "- key: value" / "- - x": a collection whose first line starts after "- ".
                const int offset = int(l.text.size() - rest.size());
                l.indent = n + offset;
                l.text = std::string(rest);
                s.list.push_back(block(l.indent, depth + 1));
                continue;
            }
            s.list.push_back(inline_value(i_, rest, n));
        }
        return s;
    }

    // A scalar (or [] / {}) starting at `t` on line index li, its continuation lines indented
    // deeper than n. Leaves i_ after its last line.
    Node inline_value(std::size_t li, std::string_view t, int n) {
        const int no = lines_[li].no;
        Node v;
        v.line = no;
        const char c = t[0];
        if (c == '"' || c == '\'') {
            v.kind = Node::Kind::String;
            v.text = quoted(li, t, n);
            return v;
        }
        i_ = li + 1;
        if (c == '[' || c == '{') {
            const std::string_view after = lstrip(t.substr(1));
            const char close = c == '[' ? ']' : '}';
            if (after.empty() || after[0] != close ||
                !(lstrip(after.substr(1)).empty() || lstrip(after.substr(1))[0] == '#'))
                error(no, "flow collections are not supported (only an empty [] or {})");
            v.kind = c == '[' ? Node::Kind::List : Node::Kind::Map;
            return v;
        }
        switch (c) {
            case '&':
            case '*':
                error(no, "anchors and aliases (& *) are not supported");
            case '!':
                error(no, "tags (!) are not supported");
            case '|':
            case '>':
                error(no, "block scalars (| >) are not supported");
            case '%':
            case '@':
            case '`':
                error(no, std::string("a plain value cannot start with '") + c + "'");
            default:
                break;
        }
        if (c == '?' && (t.size() == 1 || is_space(t[1]))) error(no, "complex keys (?) are not supported");
        if ((c == '-' || c == ':') && (t.size() == 1 || is_space(t[1])))
            error(no, std::string("unexpected '") + c + "' indicator in a value");
        std::string text(plain_part(t, no));
        // Continuation lines (pyyaml wraps long plain scalars at 80 columns): folded with a space,
        // an empty line between two parts becomes a newline.
        std::size_t k = i_;
        int breaks = 0;
        while (k < lines_.size()) {
            const Line &l = lines_[k];
            if (l.text.empty()) {
                ++breaks;
                ++k;
                continue;
            }
            if (l.indent <= n || l.text[0] == '#') break;
            // "- x" on a deeper line is text (pyyaml folds "a - b" there); "k: v" is refused, as pyyaml does.
            if (map_colon(l.text, l.no) != std::string_view::npos)
                error(l.no, "a continuation line of a plain value looks like a key (wrong indentation?)");
            text += breaks ? std::string(std::size_t(breaks), '\n') : std::string(" ");
            text += plain_part(l.text, l.no);
            breaks = 0;
            i_ = ++k;
            if (l.text.find(" #") != std::string::npos) break;  // a comment ends the value
        }
        return resolve(std::move(text), no);
    }

    // A plain scalar's text on one line: up to a comment, no ": ".
    std::string_view plain_part(std::string_view t, int no) const {
        std::size_t end = t.size();
        for (std::size_t k = 0; k < t.size(); ++k) {
            if (t[k] == '#' && k > 0 && is_space(t[k - 1])) {
                end = k;
                break;
            }
            if (t[k] == ':' && (k + 1 == t.size() || is_space(t[k + 1])))
                error(no, "':' followed by a space inside a plain value (quote the value)");
        }
        return rstrip(t.substr(0, end));
    }

    // A single- or double-quoted scalar from t (line index li), possibly over several lines.
    std::string quoted(std::size_t li, std::string_view t, int n) {
        const char q = t[0];
        std::string out;
        std::size_t k = 1;
        std::size_t line = li;
        for (;;) {
            if (k >= t.size()) {
                // Line break inside the string: trailing blanks dropped, then folding: one break
                // is a space, each further (empty) line a newline.
                while (!out.empty() && (out.back() == ' ' || out.back() == '\t') && !escaped_tail_) out.pop_back();
                escaped_tail_ = false;
                int breaks = 0;
                for (;;) {
                    ++line;
                    if (line >= lines_.size()) error(lines_[li].no, "unterminated quoted string");
                    if (!lines_[line].text.empty()) break;
                    ++breaks;
                }
                if (lines_[line].indent <= n)
                    error(lines_[line].no,
                          "a continuation line of a quoted string must be indented deeper than its key");
                out += breaks ? std::string(std::size_t(breaks), '\n') : std::string(" ");
                t = lines_[line].text;
                k = 0;
                continue;
            }
            const char c = t[k];
            if (q == '\'' && c == '\'') {
                if (k + 1 < t.size() && t[k + 1] == '\'') {
                    out += '\'';
                    k += 2;
                    continue;
                }
                break;
            }
            if (q == '"' && c == '"') break;
            if (q == '"' && c == '\\') {
                if (k + 1 == t.size()) {  // escaped line break: the next line joins without a space
                    ++line;
                    while (line < lines_.size() && lines_[line].text.empty()) ++line;
                    if (line >= lines_.size()) error(lines_[li].no, "unterminated quoted string");
                    t = lines_[line].text;
                    k = 0;
                    continue;
                }
                const std::size_t before = out.size();
                k = escape(t, k, lines_[line].no, out) + 1;
                escaped_tail_ = out.size() > before && (out.back() == ' ' || out.back() == '\t');
                continue;
            }
            out += c;
            escaped_tail_ = false;
            ++k;
        }
        const std::string_view after = lstrip(t.substr(k + 1));
        if (!after.empty() && after[0] != '#')
            error(lines_[line].no, "unexpected text after a quoted string: '" + printable(after) + "'");
        i_ = line + 1;
        return out;
    }
    bool escaped_tail_ = false;  // the last character came from an escape (kept when folding)

    // pyyaml's YAML 1.1 resolution of a plain scalar; number forms outside plain decimals are
    // refused rather than read differently from pyyaml.
    Node resolve(std::string text, int no) const {
        Node v;
        v.line = no;
        v.text = std::move(text);
        const std::string &s = v.text;
        if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return v;
        for (const char *t : {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"})
            if (s == t) {
                v.kind = Node::Kind::Bool;
                v.boolean = true;
                return v;
            }
        for (const char *f : {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF"})
            if (s == f) {
                v.kind = Node::Kind::Bool;
                return v;
            }
        std::string_view body = s;
        const bool sign = body[0] == '+' || body[0] == '-';
        if (sign) body.remove_prefix(1);
        for (const char *inf : {".inf", ".Inf", ".INF"})
            if (body == inf) {
                v.kind = Node::Kind::Float;
                v.number =
                    s[0] == '-' ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
                return v;
            }
        if (!sign && (s == ".nan" || s == ".NaN" || s == ".NAN")) {
            v.kind = Node::Kind::Float;
            v.number = std::numeric_limits<double>::quiet_NaN();
            return v;
        }
        if (body.empty() || !((body[0] >= '0' && body[0] <= '9') ||
                              (body[0] == '.' && body.size() > 1 && body[1] >= '0' && body[1] <= '9')))
            return string_node(std::move(v));
        // Decimal integer.
        if (all_digits(body)) {
            if (body.size() > 1 && body[0] == '0')
                error(no, "'" + s + "': integers with a leading zero are octal in YAML 1.1; not supported (quote it)");
            std::int64_t x = 0;
            const char *b = s.data() + (s[0] == '+' ? 1 : 0);
            const auto r = std::from_chars(b, s.data() + s.size(), x);
            if (r.ec != std::errc() || r.ptr != s.data() + s.size()) error(no, "integer '" + s + "' is out of range");
            v.kind = Node::Kind::Int;
            v.integer = x;
            v.number = double(x);
            return v;
        }
        // Float as pyyaml resolves it: digits, a dot, digits, and an optional exponent whose sign
        // is required ("1.0e-05", as pyyaml writes floats). "1e-5" is a string to pyyaml, so
        // here too: the converter then says the key needs a number.
        std::size_t k = 0;
        while (k < body.size() && body[k] >= '0' && body[k] <= '9') ++k;
        bool dot = false;
        if (k < body.size() && body[k] == '.') {
            dot = true;
            ++k;
            while (k < body.size() && body[k] >= '0' && body[k] <= '9') ++k;
        }
        if (dot && k + 1 < body.size() && (body[k] == 'e' || body[k] == 'E') &&
            (body[k + 1] == '+' || body[k + 1] == '-')) {
            std::size_t e = k + 2;
            const std::size_t digits = e;
            while (e < body.size() && body[e] >= '0' && body[e] <= '9') ++e;
            if (e > digits) k = e;
        }
        if (k == body.size() && dot) {
            double x = 0;
            const char *b = s.data() + (s[0] == '+' ? 1 : 0);
            const auto r = std::from_chars(b, s.data() + s.size(), x);
            if (r.ec == std::errc::result_out_of_range) error(no, "number '" + s + "' is out of range");
            if (r.ec != std::errc() || r.ptr != s.data() + s.size()) error(no, "cannot read the number '" + s + "'");
            v.kind = Node::Kind::Float;
            v.number = x;
            return v;
        }
        // pyyaml reads these as numbers (hex, octal, binary, underscores, base 60); refuse them
        // instead of taking them for strings.
        const std::string_view rest = body.substr(k);
        const bool numeric_tail =
            rest.find_first_not_of("0123456789_:.xXoObBabcdefABCDEF+-eE") == std::string_view::npos;
        if (numeric_tail && (body.rfind("0x", 0) == 0 || body.rfind("0o", 0) == 0 || body.rfind("0b", 0) == 0 ||
                             rest.find_first_of("_:") != std::string_view::npos))
            error(no, "'" + s + "': this number form is not supported (write a plain decimal or quote it)");
        return string_node(std::move(v));
    }

    static Node string_node(Node v) {
        v.kind = Node::Kind::String;
        return v;
    }
};

}  // namespace

Node parse(std::string_view text, const std::string &what) {
    return Parser(text, what).document();
}

}  // namespace hrm::common::yaml
