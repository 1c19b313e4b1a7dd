// Errors and small file helpers shared by every reader/writer in hrm_common.
//
// Everything in hrm_common throws hrm::plugin::Error (hrm_plugin.hpp): it carries an hrm_code, so a
// plugin entry wrapped in hrm::plugin::guard turns it into a status with the right code
// (HRM_E_IO for files that cannot be opened/written, HRM_E_FORMAT for malformed contents,
// HRM_E_NOT_FOUND for a missing tensor) and hosts can print e.what().
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "hrm/hrm_plugin.hpp"

namespace hrm::common {

using Error = hrm::plugin::Error;

[[noreturn]] void fail(hrm_code code, const std::string &message);

// Bytes from a file as they may appear in an error message: valid UTF-8 is kept, anything else
// (a lone byte of a multi-byte character, NUL, control characters) becomes \xNN, and more than
// max bytes end in "...". Messages stay valid UTF-8 that a program can read back and print
// (issue #24: "unknown character '\xc3'" cut a character in half, a NUL truncated a message).
std::string printable(std::string_view bytes, std::size_t max = 60);
// The character at the start of s as a message quotes it: 'c' for printable ASCII or a whole valid
// multi-byte UTF-8 character, "byte 0xCF" for anything else (a lone byte of a broken character, NUL,
// a control character), so a parser naming a bad character never cuts one in half (issue #24).
std::string quote_character(std::string_view s);
// The length of the UTF-8 sequence starting at s[0] (1 when it is not a valid sequence).
std::size_t utf8_length(std::string_view s);

// A read-only memory map of a whole file. Views into it stay valid while the map lives.
class MappedFile {
public:
    explicit MappedFile(const std::string &path);
    ~MappedFile();
    MappedFile(const MappedFile &) = delete;
    MappedFile &operator=(const MappedFile &) = delete;

    const std::uint8_t *data() const { return data_; }
    std::size_t size() const { return size_; }
    const std::string &path() const { return path_; }

private:
    std::string path_;
    const std::uint8_t *data_ = nullptr;
    std::size_t size_ = 0;
};

// Write a file atomically: the bytes go to "<path>.tmp.<pid>", are fsync'ed, then renamed over
// path (and the directory is fsync'ed), so readers never see a half-written file.
// `write` receives a callback that appends bytes.
class AtomicWriter {
public:
    explicit AtomicWriter(const std::string &path);
    ~AtomicWriter();   // removes the temp file if commit() was not reached
    AtomicWriter(const AtomicWriter &) = delete;
    AtomicWriter &operator=(const AtomicWriter &) = delete;

    void write(const void *data, std::size_t n);
    void commit();

private:
    std::string path_, tmp_;
    int fd_ = -1;
};

}  // namespace hrm::common
