#include "hrm/common/error.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace hrm::common {

void fail(hrm_code code, const std::string &message) { throw Error(code, message); }

static std::string errno_text() { return std::strerror(errno); }

MappedFile::MappedFile(const std::string &path) : path_(path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail(HRM_E_IO, path + ": cannot open: " + errno_text());
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        std::string e = errno_text();
        ::close(fd);
        fail(HRM_E_IO, path + ": cannot stat: " + e);
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
