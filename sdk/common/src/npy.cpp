#include "hrm/common/npy.hpp"

#include <cctype>

namespace hrm::common {

namespace {

struct DescrEntry {
    const char *descr;
    DType dtype;
};
// "|u1" is numpy's spelling for single-byte types; "<u1" is accepted too.
const DescrEntry kDescrs[] = {{"<i4", DType::I32}, {"|u1", DType::U8}, {"<u1", DType::U8}, {"<f4", DType::F32},
                              {"<i8", DType::I64}, {"<f8", DType::F64}};

const char *descr_of(DType t) {
    switch (t) {
        case DType::I32: return "<i4";
        case DType::U8: return "|u1";
        case DType::F32: return "<f4";
        case DType::I64: return "<i8";
        case DType::F64: return "<f8";
        default: return nullptr;
    }
}

// Parser for the header dict literal: only the three keys numpy writes, in any order.
class HeaderParser {
public:
    HeaderParser(const std::string &text, const std::string &path) : s_(text), path_(path) {}

    void parse(std::string &descr, bool &fortran, std::vector<std::int64_t> &shape) {
        bool have_descr = false, have_fortran = false, have_shape = false;
        ws();
        expect('{');
        for (;;) {
            ws();
            if (peek() == '}') break;
            std::string key = str();
            ws();
            expect(':');
            ws();
            if (key == "descr") { descr = str(); have_descr = true; }
            else if (key == "fortran_order") { fortran = boolean(); have_fortran = true; }
            else if (key == "shape") { shape = tuple(); have_shape = true; }
            else error("unexpected key '" + printable(key) + "'");
            ws();
            if (peek() == ',') { ++pos_; continue; }
            ws();
            if (peek() != '}') error("expected ',' or '}'");
        }
        if (!have_descr || !have_fortran || !have_shape) error("header lacks descr, fortran_order or shape");
    }

private:
    const std::string &s_;
    const std::string &path_;
    std::size_t pos_ = 0;

    [[noreturn]] void error(const std::string &m) const { fail(HRM_E_FORMAT, path_ + ": bad .npy header: " + m); }
    void ws() { while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_; }
    char peek() const {
        if (pos_ >= s_.size()) error("unexpected end");
        return s_[pos_];
    }
    void expect(char c) {
        if (peek() != c) error(std::string("expected '") + c + "'");
        ++pos_;
    }
    std::string str() {
        char q = peek();
        if (q != '\'' && q != '"') error("expected a quoted string");
        ++pos_;
        std::size_t end = s_.find(q, pos_);
        if (end == std::string::npos) error("unterminated string");
        std::string out = s_.substr(pos_, end - pos_);
        pos_ = end + 1;
        return out;
    }
    bool boolean() {
        if (s_.compare(pos_, 4, "True") == 0) { pos_ += 4; return true; }
        if (s_.compare(pos_, 5, "False") == 0) { pos_ += 5; return false; }
        error("expected True or False");
    }
    std::vector<std::int64_t> tuple() {
        std::vector<std::int64_t> out;
        expect('(');
        for (;;) {
            ws();
            if (peek() == ')') { ++pos_; return out; }
            if (!std::isdigit(static_cast<unsigned char>(peek()))) error("shape entries must be non-negative integers");
            std::int64_t v = 0;
            while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) {
                if (v > (INT64_MAX - 9) / 10) error("shape entry too large");
                v = v * 10 + (s_[pos_++] - '0');
            }
            if (pos_ < s_.size() && s_[pos_] == 'L') ++pos_;   // Python 2 longs
            out.push_back(v);
            ws();
            if (peek() == ',') { ++pos_; continue; }
            expect(')');
            return out;
        }
    }
};

}  // namespace

NpyArray read_npy(const std::string &path) {
    MappedFile f(path);
    const std::uint8_t *p = f.data();
    const std::size_t size = f.size();
    if (size < 10 || std::memcmp(p, "\x93NUMPY", 6) != 0) fail(HRM_E_FORMAT, path + ": not a .npy file (bad magic)");
    const int major = p[6];
    std::size_t hlen = 0, hstart = 0;
    if (major == 1) {
        hlen = std::size_t(p[8]) | (std::size_t(p[9]) << 8);
        hstart = 10;
    } else if (major == 2 || major == 3) {
        if (size < 12) fail(HRM_E_FORMAT, path + ": truncated .npy header");
        hlen = std::size_t(p[8]) | (std::size_t(p[9]) << 8) | (std::size_t(p[10]) << 16) | (std::size_t(p[11]) << 24);
        hstart = 12;
    } else {
        fail(HRM_E_FORMAT, path + ": unsupported .npy version " + std::to_string(major));
    }
    if (hstart + hlen > size) fail(HRM_E_FORMAT, path + ": truncated .npy header");
    std::string header(reinterpret_cast<const char *>(p + hstart), hlen);
    std::string descr;
    bool fortran = false;
    NpyArray a;
    HeaderParser(header, path).parse(descr, fortran, a.shape);
    if (fortran) fail(HRM_E_FORMAT, path + ": Fortran-order arrays are not supported (save with C order)");
    bool known = false;
    for (const auto &e : kDescrs)
        if (descr == e.descr) { a.dtype = e.dtype; known = true; }
    if (!known)
        fail(HRM_E_FORMAT, path + ": unsupported dtype '" + printable(descr) + "' (int32, uint8, float32, int64, float64 little-endian)");
    const std::uint64_t have = size - hstart - hlen;
    std::uint64_t count = 1;   // element count, checked against the file size as it grows
    for (auto d : a.shape) {
        if (d != 0 && count > have / std::uint64_t(d))
            fail(HRM_E_FORMAT, path + ": truncated data: shape " + shape_str(a.shape) + " needs more than the " +
                                   std::to_string(have) + " bytes present");
        count *= std::uint64_t(d);
    }
    const std::uint64_t want = count * dtype_size(a.dtype);
    if (have < want)
        fail(HRM_E_FORMAT, path + ": truncated data: " + std::to_string(have) + " bytes for shape " + shape_str(a.shape) +
                               ", expected " + std::to_string(want));
    if (have > want) fail(HRM_E_FORMAT, path + ": " + std::to_string(have - want) + " unexpected bytes after the data");
    a.bytes.assign(p + hstart + hlen, p + hstart + hlen + want);
    return a;
}

void write_npy(const std::string &path, DType dtype, const std::vector<std::int64_t> &shape, const void *data) {
    const char *descr = descr_of(dtype);
    if (!descr) fail(HRM_E_UNSUPPORTED, path + ": .npy writer does not support dtype " + std::string(dtype_name(dtype)));
    std::string dict = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': (";
    for (std::size_t i = 0; i < shape.size(); ++i) dict += std::to_string(shape[i]) + (shape.size() == 1 || i + 1 < shape.size() ? ", " : "");
    if (shape.size() == 1) dict.pop_back();   // "(3,)"
    dict += "), }";
    // Total header (magic + version + length + dict + '\n') is padded to a multiple of 64.
    int version = 1;
    std::size_t prefix = 10;
    std::size_t total = prefix + dict.size() + 1;
    if (total + 63 > 65535 + prefix) { version = 2; prefix = 12; total = prefix + dict.size() + 1; }
    dict.append((64 - total % 64) % 64, ' ');
    dict += '\n';
    const std::size_t hlen = dict.size();
    std::uint8_t head[12] = {0x93, 'N', 'U', 'M', 'P', 'Y', std::uint8_t(version), 0};
    for (std::size_t i = 0; i < prefix - 8; ++i) head[8 + i] = std::uint8_t(hlen >> (8 * i));
    AtomicWriter w(path);
    w.write(head, prefix);
    w.write(dict.data(), dict.size());
    w.write(data, std::size_t(numel(shape)) * dtype_size(dtype));
    w.commit();
}

}  // namespace hrm::common
