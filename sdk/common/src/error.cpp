#include "hrm/common/error.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace hrm::common {

// Messages often quote bytes of the file (names, keys): made printable here, once for every reader.
void fail(hrm_code code, const std::string &message) { throw Error(code, printable(message, 4096)); }

std::size_t utf8_length(std::string_view s) {
    if (s.empty()) return 0;
    const auto b = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
    const unsigned char c = b(0);
    const std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n <= 1 || n > s.size()) return 1;
    for (std::size_t i = 1; i < n; ++i)
        if ((b(i) & 0xC0) != 0x80) return 1;
    // Overlong forms, surrogates and code points above U+10FFFF are not valid UTF-8 either.
    const std::uint32_t cp = n == 2 ? ((c & 0x1Fu) << 6 | (b(1) & 0x3Fu))
                           : n == 3 ? ((c & 0x0Fu) << 12 | (b(1) & 0x3Fu) << 6 | (b(2) & 0x3Fu))
                                    : ((c & 0x07u) << 18 | (b(1) & 0x3Fu) << 12 | (b(2) & 0x3Fu) << 6 | (b(3) & 0x3Fu));
    const std::uint32_t min = n == 2 ? 0x80 : n == 3 ? 0x800 : 0x10000;
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp < 0xE000)) return 1;
    return n;
}

std::string printable(std::string_view bytes, std::size_t max) {
    std::string out;
    std::size_t i = 0;
    while (i < bytes.size() && i < max) {
        const std::size_t n = utf8_length(bytes.substr(i));
        const unsigned char c = static_cast<unsigned char>(bytes[i]);
        if (n > 1 || (c >= 0x20 && c < 0x7F)) {
            out.append(bytes.substr(i, n == 0 ? 1 : n));
        } else {
            char hex[8];
            std::snprintf(hex, sizeof hex, "\\x%02x", c);
            out += hex;
        }
        i += n == 0 ? 1 : n;
    }
    if (i < bytes.size()) out += "...";
    return out;
}

std::string quote_character(std::string_view s) {
    if (s.empty()) return "the end of the text";
    const std::size_t n = utf8_length(s);
    const unsigned char c = static_cast<unsigned char>(s[0]);
    if (n > 1 || (c >= 0x20 && c < 0x7F)) return "'" + std::string(s.substr(0, n)) + "'";
    char hex[16];
    std::snprintf(hex, sizeof hex, "byte 0x%02X", c);
    return hex;
}

static std::string errno_text() { return std::strerror(errno); }

MappedFile::MappedFile(const std::string &path) : path_(path) {
    // O_NONBLOCK: a FIFO must not hang the open (it is refused below); no effect on regular files.
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) fail(HRM_E_IO, path + ": cannot open: " + errno_text());
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        std::string e = errno_text();
        ::close(fd);
        fail(HRM_E_IO, path + ": cannot stat: " + e);
    }
    // A folder or a FIFO would fail in mmap with "No such device" (issue #24): say what it is.
    if (!S_ISREG(st.st_mode)) {
        ::close(fd);
        fail(HRM_E_IO, path + (S_ISDIR(st.st_mode) ? ": is a folder, not a file" : ": is not a regular file"));
    }
    size_ = static_cast<std::size_t>(st.st_size);
    if (size_ > 0) {
        void *p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            std::string e = errno_text();
            ::close(fd);
            fail(HRM_E_IO, path + ": cannot map: " + e);
        }
        data_ = static_cast<const std::uint8_t *>(p);
    }
    ::close(fd);   // the mapping keeps the file alive
}

MappedFile::~MappedFile() {
    if (data_) ::munmap(const_cast<std::uint8_t *>(data_), size_);
}

AtomicWriter::AtomicWriter(const std::string &path)
    : path_(path), tmp_(path + ".tmp." + std::to_string(::getpid())) {
    fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) fail(HRM_E_IO, tmp_ + ": cannot create: " + errno_text());
}

AtomicWriter::~AtomicWriter() {
    if (fd_ >= 0) {
        ::close(fd_);
        ::unlink(tmp_.c_str());
    }
}

void AtomicWriter::write(const void *data, std::size_t n) {
    const char *p = static_cast<const char *>(data);
    while (n > 0) {
        ssize_t w = ::write(fd_, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            fail(HRM_E_IO, tmp_ + ": write failed: " + errno_text());
        }
        p += w;
        n -= static_cast<std::size_t>(w);
    }
}

void AtomicWriter::commit() {
    if (::fsync(fd_) != 0) fail(HRM_E_IO, tmp_ + ": fsync failed: " + errno_text());
    if (::close(fd_) != 0) {
        fd_ = -1;
        ::unlink(tmp_.c_str());
        fail(HRM_E_IO, tmp_ + ": close failed: " + errno_text());
    }
    fd_ = -1;
    if (::rename(tmp_.c_str(), path_.c_str()) != 0) {
        std::string e = errno_text();
        ::unlink(tmp_.c_str());
        fail(HRM_E_IO, path_ + ": rename failed: " + e);
    }
    // Make the rename itself durable.
    std::string dir = path_.find('/') == std::string::npos ? "." : path_.substr(0, path_.rfind('/'));
    if (dir.empty()) dir = "/";
    int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
}

}  // namespace hrm::common
