// TOML configuration for the runner: files merged in order, then --set key=value overrides.
// Every error names the file, the line and the key, so a user can fix a config without guessing.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <toml++/toml.h>

namespace hrm::runner {

class ConfigError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class Config {
public:
    // Parse and merge the files (later files override earlier ones key by key), then apply the
    // overrides, each "dotted.key=value" where value is TOML ("8", "1e-4", "\"rope\"", "[1,2]")
    // or, failing that, a bare string.
    static Config load(const std::vector<std::string> &files, const std::vector<std::string> &overrides);

    bool has(const std::string &key) const;
    std::string get_string(const std::string &key, const std::string &fallback) const;
    int64_t get_int(const std::string &key, int64_t fallback) const;
    double get_double(const std::string &key, double fallback) const;
    bool get_bool(const std::string &key, bool fallback) const;

    // The subtable at key (e.g. "model") as TOML text, for handing to a plugin; "" if absent.
    std::string section_text(const std::string &key) const;
    std::string text() const;   // the whole merged config
    // Every leaf key whose value differs between this config and `other` (or is only in one), in
    // key order, with both values as TOML text ("(unset)" for a missing side).
    struct Difference {
        std::string key, was, now;
    };
    std::vector<Difference> differences(const Config &other) const;
    const toml::table &table() const { return root_; }

private:
    const toml::node *find(const std::string &key) const;
    [[noreturn]] void type_error(const std::string &key, const toml::node &node, const char *want) const;

    toml::table root_;
};

}  // namespace hrm::runner
