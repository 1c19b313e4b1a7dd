#include "config.hpp"

#include <map>
#include <set>
#include <sstream>

namespace hrm::runner {
namespace {

std::string where(const toml::source_region &src) {
    std::ostringstream out;
    if (src.path) out << *src.path << ":";
    else out << "<override>:";
    out << src.begin.line;
    return out.str();
}

// Overlay b onto a, recursing into tables so a later file can change one key of a section.
// Nodes are moved, not copied: a copy would lose the source position errors point at.
void merge(toml::table &a, toml::table &&b) {
    for (auto &&[k, v] : b) {
        if (auto *sub = v.as_table(); sub && a.contains(k) && a[k].is_table()) {
            merge(*a[k].as_table(), std::move(*sub));
        } else {
            a.insert_or_assign(k, std::move(v));
        }
    }
}

void apply_override(toml::table &root, const std::string &assignment) {
    const auto eq = assignment.find('=');
    if (eq == std::string::npos || eq == 0)
        throw ConfigError("--set '" + assignment + "': expected key=value");
    const std::string key = assignment.substr(0, eq);
    const std::string value = assignment.substr(eq + 1);

    toml::table holder;
    try {
        holder = toml::parse("v = " + value, std::string_view("<--set " + key + ">"));
    } catch (const toml::parse_error &) {
        holder = toml::table{{"v", value}};   // not TOML: take it as a bare string
    }

    toml::table *t = &root;
    std::string::size_type start = 0;
    for (auto dot = key.find('.'); dot != std::string::npos; dot = key.find('.', start)) {
        const std::string part = key.substr(start, dot - start);
        if (part.empty()) throw ConfigError("--set '" + assignment + "': empty key component");
        auto *next = (*t)[part].as_table();
        if (!next) {
            if (t->contains(part))
                throw ConfigError("--set '" + assignment + "': '" + part + "' is not a table");
            t->insert(part, toml::table{});
            next = (*t)[part].as_table();
        }
        t = next;
        start = dot + 1;
    }
    const std::string leaf = key.substr(start);
    if (leaf.empty()) throw ConfigError("--set '" + assignment + "': empty key");
    t->insert_or_assign(leaf, *holder.get("v"));
}

// Every leaf of t as dotted key -> its TOML text (arrays are leaves: compared whole).
void flatten(const toml::table &t, const std::string &prefix, std::map<std::string, std::string> &out) {
    for (const auto &[k, v] : t) {
        const std::string key = prefix + std::string(k.str());
        if (const auto *sub = v.as_table()) {
            flatten(*sub, key + ".", out);
            continue;
        }
        std::ostringstream text;
        v.visit([&](const auto &node) { text << node; });
        out[key] = text.str();
    }
}

}  // namespace

Config Config::load(const std::vector<std::string> &files, const std::vector<std::string> &overrides) {
    Config c;
    for (const auto &file : files) {
        try {
            merge(c.root_, toml::parse_file(file));
        } catch (const toml::parse_error &e) {
            std::ostringstream out;
            out << file << ":" << e.source().begin.line << ":" << e.source().begin.column << ": " << e.description();
            throw ConfigError(out.str());
        }
    }
    for (const auto &o : overrides) apply_override(c.root_, o);
    return c;
}

const toml::node *Config::find(const std::string &key) const {
    return root_.at_path(key).node();
}

bool Config::has(const std::string &key) const { return find(key) != nullptr; }

void Config::type_error(const std::string &key, const toml::node &node, const char *want) const {
    throw ConfigError(where(node.source()) + ": key '" + key + "' must be " + want);
}

std::string Config::get_string(const std::string &key, const std::string &fallback) const {
    const auto *n = find(key);
    if (!n) return fallback;
    if (auto v = n->value<std::string>(); v && n->is_string()) return *v;
    type_error(key, *n, "a string");
}

int64_t Config::get_int(const std::string &key, int64_t fallback) const {
    const auto *n = find(key);
    if (!n) return fallback;
    if (n->is_integer()) return *n->value<int64_t>();
    type_error(key, *n, "an integer");
}

double Config::get_double(const std::string &key, double fallback) const {
    const auto *n = find(key);
    if (!n) return fallback;
    if (n->is_number()) return *n->value<double>();
    type_error(key, *n, "a number");
}

bool Config::get_bool(const std::string &key, bool fallback) const {
    const auto *n = find(key);
    if (!n) return fallback;
    if (n->is_boolean()) return *n->value<bool>();
    type_error(key, *n, "true or false");
}

std::string Config::section_text(const std::string &key) const {
    const auto *n = find(key);
    if (!n) return "";
    const auto *t = n->as_table();
    if (!t) type_error(key, *n, "a table");
    std::ostringstream out;
    out << toml::table{{key.substr(key.rfind('.') + 1), *t}};
    return out.str();
}

std::vector<Config::Difference> Config::differences(const Config &other) const {
    std::map<std::string, std::string> a, b;
    flatten(root_, "", a);
    flatten(other.root_, "", b);
    std::vector<Difference> out;
    auto value = [](const std::map<std::string, std::string> &m, const std::string &k) {
        const auto it = m.find(k);
        return it == m.end() ? std::string("(unset)") : it->second;
    };
    std::set<std::string> keys;
    for (const auto &kv : a) keys.insert(kv.first);
    for (const auto &kv : b) keys.insert(kv.first);
    for (const std::string &k : keys)
        if (value(a, k) != value(b, k)) out.push_back({k, value(a, k), value(b, k)});
    return out;
}

std::string Config::text() const {
    std::ostringstream out;
    out << root_;
    return out.str();
}

}  // namespace hrm::runner
