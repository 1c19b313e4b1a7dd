// Checked arithmetic for sizes and numbers that come from files (zip offsets, tensor shapes,
// element counts, checkpoint metadata): one helper for every reader, so that a hostile value is
// a clear HRM_E_FORMAT error naming what it was, never a wrap-around, a signed overflow or a
// bare std::stoll exception.
#pragma once

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "hrm/common/error.hpp"

namespace hrm::common {

// a + b and a * b, or HRM_E_FORMAT "<what>: size overflows" (what names the field).
inline std::uint64_t checked_add(std::uint64_t a, std::uint64_t b, const std::string &what) {
    std::uint64_t r;
    if (__builtin_add_overflow(a, b, &r)) fail(HRM_E_FORMAT, what + ": size overflows 64 bits");
    return r;
}
inline std::uint64_t checked_mul(std::uint64_t a, std::uint64_t b, const std::string &what) {
    std::uint64_t r;
    if (__builtin_mul_overflow(a, b, &r)) fail(HRM_E_FORMAT, what + ": size overflows 64 bits");
    return r;
}
inline std::int64_t checked_add(std::int64_t a, std::int64_t b, const std::string &what) {
    std::int64_t r;
    if (__builtin_add_overflow(a, b, &r)) fail(HRM_E_FORMAT, what + ": value overflows 64 bits");
    return r;
}
inline std::int64_t checked_mul(std::int64_t a, std::int64_t b, const std::string &what) {
    std::int64_t r;
    if (__builtin_mul_overflow(a, b, &r)) fail(HRM_E_FORMAT, what + ": value overflows 64 bits");
    return r;
}

// Element count of a shape read from a file: every dimension >= 0, the product and the byte size
// (count * element_size) representable. Returns the count.
inline std::uint64_t checked_numel(const std::vector<std::int64_t> &shape, std::uint64_t element_size,
                                   const std::string &what) {
    std::uint64_t n = 1;
    for (const std::int64_t d : shape) {
        if (d < 0) fail(HRM_E_FORMAT, what + ": negative dimension " + std::to_string(d));
        n = checked_mul(n, std::uint64_t(d), what);
    }
    (void)checked_mul(n, element_size, what);
    return n;
}

// The whole of text as a decimal integer of type T, or HRM_E_FORMAT naming `what` and the text.
template <class T>
T parse_integer(std::string_view text, const std::string &what) {
    T v{};
    const char *end = text.data() + text.size();
    const auto r = std::from_chars(text.data(), end, v);
    if (text.empty() || r.ec != std::errc() || r.ptr != end)
        fail(HRM_E_FORMAT, what + ": '" + printable(text, 40) + "' is not an integer in range");
    return v;
}

}  // namespace hrm::common
