// What every fuzz target shares (docs/reliability.md, "Fuzzing"):
//
// - The readers under test take paths, as the SDK meets files; InputFile hands them the fuzz input
//   as a file without touching the disk: a memfd, opened again through /proc/self/fd/N.
// - expect_clean_rejection() runs one parse. Returning normally or throwing the SDK's error type
//   (hrm::plugin::Error, which carries an hrm_code and a message naming the problem) is a pass,
//   provided the message is non-empty valid UTF-8 without NUL (a program must be able to read it
//   back: issue #24 found messages cut in the middle of a character). Any
//   other exception is a finding: a bare std::stoll/std::out_of_range/bad_alloc escaping is the
//   "hrm train: stoll" kind of message the issue lists. It aborts so that libFuzzer records the
//   input; ASan/UBSan report the memory errors themselves.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>
#include <typeinfo>

#include "hrm/common/error.hpp"
#include "hrm/hrm_plugin.hpp"

namespace hrm::fuzz {

class InputFile {
public:
    InputFile() : fd_(::memfd_create("hrm-fuzz-input", MFD_CLOEXEC)) {
        if (fd_ < 0) std::abort();
        path_ = "/proc/self/fd/" + std::to_string(fd_);
    }
    ~InputFile() { ::close(fd_); }
    InputFile(const InputFile &) = delete;
    InputFile &operator=(const InputFile &) = delete;

    // Replaces the file's contents with data; returns its path.
    const std::string &write(const void *data, std::size_t size) {
        if (::ftruncate(fd_, 0) != 0) std::abort();
        const char *p = static_cast<const char *>(data);
        for (std::size_t done = 0; done < size;) {
            const ssize_t n = ::pwrite(fd_, p + done, size - done, off_t(done));
            if (n <= 0) std::abort();
            done += std::size_t(n);
        }
        return path_;
    }
    const std::string &write(std::string_view s) { return write(s.data(), s.size()); }
    const std::string &path() const { return path_; }

private:
    int fd_;
    std::string path_;
};

[[noreturn]] inline void finding(const char *kind, const char *what) {
    std::fprintf(stderr, "\nFUZZ FINDING: %s escaped: %s\n", kind, what);
    std::fflush(stderr);
    std::abort();
}

inline void check_message(std::string_view m) {
    if (m.empty()) finding("hrm::plugin::Error", "empty message");
    for (std::size_t i = 0; i < m.size();) {
        const std::size_t n = hrm::common::utf8_length(m.substr(i));
        if (m[i] == '\0' || (n == 1 && static_cast<unsigned char>(m[i]) >= 0x80))
            finding("hrm::plugin::Error", ("message is not valid UTF-8 text: " + hrm::common::printable(m, 200)).c_str());
        i += n;
    }
}

// Runs f; the SDK's own errors (and the extra types a target names with Allowed...) are clean
// rejections, anything else is a finding.
template <class... Allowed, class F>
void expect_clean_rejection(F &&f) {
    try {
        try {
            f();
        } catch (const hrm::plugin::Error &e) {
            check_message(e.what());
        }
    } catch (const std::exception &e) {
        // Extra allowed types (e.g. the runner's ConfigError): rethrown and matched one by one.
        if (!(... || (dynamic_cast<const Allowed *>(&e) != nullptr))) finding(typeid(e).name(), e.what());
    }
}

// Splits the input at the first occurrence of sep: (before, after); after is empty when absent.
inline std::pair<std::string_view, std::string_view> cut(std::string_view in, std::string_view sep) {
    const auto at = in.find(sep);
    if (at == std::string_view::npos) return {in, {}};
    return {in.substr(0, at), in.substr(at + sep.size())};
}

}  // namespace hrm::fuzz
