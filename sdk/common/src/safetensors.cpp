#include "hrm/common/safetensors.hpp"

#include <algorithm>
#include <cstring>

#include "hrm/common/json.hpp"

namespace hrm::common {

std::size_t dtype_size(DType t) {
    switch (t) {
        case DType::F32: case DType::I32: return 4;
        case DType::F64: case DType::I64: return 8;
        case DType::BF16: return 2;
        case DType::U8: case DType::BOOL: case DType::I8: return 1;
    }
    return 0;
}

const char *dtype_name(DType t) {
    switch (t) {
        case DType::F32: return "F32";
        case DType::F64: return "F64";
        case DType::BF16: return "BF16";
        case DType::I32: return "I32";
        case DType::I64: return "I64";
        case DType::U8: return "U8";
        case DType::BOOL: return "BOOL";
        case DType::I8: return "I8";
    }
    return "?";
}

hrm_dtype to_hrm_dtype(DType t) {
    switch (t) {
        case DType::F32: return HRM_DTYPE_F32;
        case DType::F64: return HRM_DTYPE_F64;
        case DType::BF16: return HRM_DTYPE_BF16;
        case DType::I32: return HRM_DTYPE_I32;
        case DType::I64: return HRM_DTYPE_I64;
        case DType::U8: case DType::BOOL: return HRM_DTYPE_U8;
        case DType::I8: break;
    }
    fail(HRM_E_UNSUPPORTED, std::string("dtype ") + dtype_name(t) + " has no hrm_dtype");
}

DType from_hrm_dtype(hrm_dtype t) {
    switch (t) {
        case HRM_DTYPE_F32: return DType::F32;
        case HRM_DTYPE_F64: return DType::F64;
        case HRM_DTYPE_BF16: return DType::BF16;
        case HRM_DTYPE_I32: return DType::I32;
        case HRM_DTYPE_I64: return DType::I64;
        case HRM_DTYPE_U8: return DType::U8;
    }
    fail(HRM_E_UNSUPPORTED, "unsupported hrm_dtype code " + std::to_string(t));
}

std::int64_t numel(const std::vector<std::int64_t> &shape) {
    std::int64_t n = 1;
    for (auto d : shape)   // shapes come from files: an overflow is a format error, not a wrap
        if (__builtin_mul_overflow(n, d, &n)) fail(HRM_E_FORMAT, "shape " + shape_str(shape) + " has too many elements");
    return n;
}

std::string shape_str(const std::vector<std::int64_t> &shape) {
    std::string s = "[";
    for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
}

static bool parse_dtype(const std::string &s, DType &out) {
    static const std::pair<const char *, DType> table[] = {
        {"F32", DType::F32}, {"F64", DType::F64}, {"BF16", DType::BF16}, {"I32", DType::I32},
        {"I64", DType::I64}, {"U8", DType::U8},   {"BOOL", DType::BOOL}, {"I8", DType::I8}};
    for (const auto &e : table)
        if (s == e.first) { out = e.second; return true; }
    return false;
}

// Checks: the 8-byte length and the header fit in the file; the header is a JSON object whose
// entries have a supported dtype, a shape of non-negative ints, offsets [b, e] with b <= e inside
// the data section and e - b == numel * element size; no two tensors overlap; __metadata__ is a
// string map. Trailing bytes after the last tensor are tolerated (writers may pad).
SafetensorsFile::SafetensorsFile(const std::string &path) : map_(std::make_unique<MappedFile>(path)) {
    const std::uint8_t *p = map_->data();
    const std::size_t size = map_->size();
    if (size < 8) fail(HRM_E_FORMAT, path + ": not a safetensors file (" + std::to_string(size) + " bytes, truncated header length)");
    std::uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | p[i];
    if (n > size - 8)
        fail(HRM_E_FORMAT, path + ": header length " + std::to_string(n) + " exceeds the file size " +
                               std::to_string(size) + " (truncated file?)");
    const std::string what = path + ": header";
    json::Value header = json::parse(std::string_view(reinterpret_cast<const char *>(p + 8), n), what);
    if (!header.is_object()) fail(HRM_E_FORMAT, what + ": not a JSON object");

    const std::uint8_t *base = p + 8 + n;
    const std::uint64_t data_size = size - 8 - n;
    for (const auto &[name, info] : header.object) {
        if (name == "__metadata__") {
            if (!info.is_object()) fail(HRM_E_FORMAT, what + ": __metadata__ is not an object");
            for (const auto &[k, v] : info.object) {
                if (!v.is_string()) fail(HRM_E_FORMAT, what + ": __metadata__ value of \"" + k + "\" is not a string");
                metadata_[k] = v.string;
            }
            continue;
        }
        const std::string where = path + ": tensor \"" + printable(name) + "\"";
        if (!info.is_object()) fail(HRM_E_FORMAT, where + ": entry is not an object");
        const json::Value *dt = info.find("dtype");
        const json::Value *sh = info.find("shape");
        const json::Value *off = info.find("data_offsets");
        if (!dt || !dt->is_string()) fail(HRM_E_FORMAT, where + ": missing or non-string \"dtype\"");
        if (!sh || !sh->is_array()) fail(HRM_E_FORMAT, where + ": missing or non-array \"shape\"");
        if (!off || !off->is_array() || off->array.size() != 2)
            fail(HRM_E_FORMAT, where + ": \"data_offsets\" must be an array of two integers");
        TensorView t;
        t.name = name;
        if (!parse_dtype(dt->string, t.dtype))
            fail(HRM_E_FORMAT, where + ": unsupported dtype \"" + printable(dt->string) + "\" (F32, F64, BF16, I32, I64, U8, BOOL)");
        std::uint64_t count = 1;
        for (const auto &d : sh->array) {
            if (!d.is_integer || d.integer < 0) fail(HRM_E_FORMAT, where + ": shape entries must be non-negative integers");
            t.shape.push_back(d.integer);
            if (d.integer != 0 && count > (UINT64_MAX / 16) / std::uint64_t(d.integer))
                fail(HRM_E_FORMAT, where + ": shape is too large");
            count *= std::uint64_t(d.integer);
        }
        for (const auto &o : off->array)
            if (!o.is_integer || o.integer < 0) fail(HRM_E_FORMAT, where + ": data_offsets must be non-negative integers");
        const std::uint64_t b = std::uint64_t(off->array[0].integer), e = std::uint64_t(off->array[1].integer);
        if (b > e) fail(HRM_E_FORMAT, where + ": data_offsets begin > end");
        if (e > data_size)
            fail(HRM_E_FORMAT, where + ": data_offsets [" + std::to_string(b) + ", " + std::to_string(e) +
                                   ") out of range: the data section has " + std::to_string(data_size) +
                                   " bytes (truncated file?)");
        const std::uint64_t want = count * dtype_size(t.dtype);
        if (e - b != want)
            fail(HRM_E_FORMAT, where + ": " + std::to_string(e - b) + " bytes for shape " + shape_str(t.shape) +
                                   " of " + dtype_name(t.dtype) + " (expected " + std::to_string(want) + ")");
        t.data = base + b;
        t.nbytes = std::size_t(want);
        tensors_.push_back(std::move(t));
    }
    std::sort(tensors_.begin(), tensors_.end(), [](const TensorView &a, const TensorView &b) {
        return a.data < b.data || (a.data == b.data && a.nbytes < b.nbytes);
    });
    for (std::size_t i = 1; i < tensors_.size(); ++i) {
        const auto &a = tensors_[i - 1], &b = tensors_[i];
        if (static_cast<const std::uint8_t *>(a.data) + a.nbytes > b.data && a.nbytes > 0 && b.nbytes > 0)
            fail(HRM_E_FORMAT, path + ": tensors \"" + a.name + "\" and \"" + b.name + "\" overlap");
    }
}

const TensorView *SafetensorsFile::find(const std::string &name) const {
    for (const auto &t : tensors_)
        if (t.name == name) return &t;
    return nullptr;
}

const TensorView &SafetensorsFile::get(const std::string &name) const {
    const TensorView *t = find(name);
    if (!t) fail(HRM_E_NOT_FOUND, path() + ": missing tensor \"" + name + "\"");
    return *t;
}

const TensorView &SafetensorsFile::get(const std::string &name, DType dtype,
                                       const std::vector<std::int64_t> &shape) const {
    const TensorView &t = get(name);
    if (t.dtype != dtype)
        fail(HRM_E_FORMAT, path() + ": tensor \"" + name + "\" has dtype " + dtype_name(t.dtype) + ", expected " +
                               dtype_name(dtype));
    if (t.shape != shape)
        fail(HRM_E_FORMAT, path() + ": tensor \"" + name + "\" has shape " + shape_str(t.shape) + ", expected " +
                               shape_str(shape));
    return t;
}

void write_safetensors(const std::string &path, const std::vector<TensorRef> &tensors,
                       const std::map<std::string, std::string> &metadata) {
    std::string header = "{";
    bool first = true;
    if (!metadata.empty()) {
        header += "\"__metadata__\":{";
        for (auto it = metadata.begin(); it != metadata.end(); ++it)
            header += (it == metadata.begin() ? "" : ",") + json::quote(it->first) + ":" + json::quote(it->second);
        header += "}";
        first = false;
    }
    std::uint64_t offset = 0;
    for (const auto &t : tensors) {
        if (t.name.empty() || t.name == "__metadata__") fail(HRM_E_INVALID_ARG, path + ": invalid tensor name \"" + t.name + "\"");
        for (const auto &d : t.shape)
            if (d < 0) fail(HRM_E_INVALID_ARG, path + ": tensor \"" + t.name + "\" has a negative dimension");
        const std::uint64_t nbytes = std::uint64_t(numel(t.shape)) * dtype_size(t.dtype);
        if (nbytes > 0 && !t.data) fail(HRM_E_INVALID_ARG, path + ": tensor \"" + t.name + "\" has no data");
        header += (first ? "" : ",") + json::quote(t.name) + ":{\"dtype\":\"" + dtype_name(t.dtype) + "\",\"shape\":[";
        for (std::size_t i = 0; i < t.shape.size(); ++i) header += (i ? "," : "") + std::to_string(t.shape[i]);
        header += "],\"data_offsets\":[" + std::to_string(offset) + "," + std::to_string(offset + nbytes) + "]}";
        offset += nbytes;
        first = false;
    }
    header += "}";
    header.append((8 - (8 + header.size()) % 8) % 8, ' ');
    std::uint8_t len[8];
    for (int i = 0; i < 8; ++i) len[i] = std::uint8_t(std::uint64_t(header.size()) >> (8 * i));
    AtomicWriter w(path);
    w.write(len, 8);
    w.write(header.data(), header.size());
    for (const auto &t : tensors) w.write(t.data, std::size_t(numel(t.shape)) * dtype_size(t.dtype));
    w.commit();
}

}  // namespace hrm::common
