// A minimal stored (uncompressed) zip writer for the fuzz harnesses and their seeds: enough for
// the torch_zip reader (which ignores CRCs). Not zip64.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace hrm::fuzz {

inline void put_le(std::string &out, std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out += char((v >> (8 * i)) & 0xff);
}

// entries: (name, bytes) in order.
inline std::string stored_zip(const std::vector<std::pair<std::string, std::string>> &entries) {
    std::string out, cd;
    for (const auto &[name, bytes] : entries) {
        const std::uint64_t offset = out.size();
        put_le(out, 0x04034b50, 4);
        put_le(out, 20, 2);            // version needed
        put_le(out, 0, 2);             // flags
        put_le(out, 0, 2);             // method: stored
        put_le(out, 0, 4);             // time, date
        put_le(out, 0, 4);             // crc (not checked)
        put_le(out, bytes.size(), 4);  // compressed size
        put_le(out, bytes.size(), 4);  // size
        put_le(out, name.size(), 2);
        put_le(out, 0, 2);             // extra
        out += name;
        out += bytes;
        put_le(cd, 0x02014b50, 4);
        put_le(cd, 20, 2);
        put_le(cd, 20, 2);
        put_le(cd, 0, 2);
        put_le(cd, 0, 2);
        put_le(cd, 0, 4);
        put_le(cd, 0, 4);
        put_le(cd, bytes.size(), 4);
        put_le(cd, bytes.size(), 4);
        put_le(cd, name.size(), 2);
        put_le(cd, 0, 2);   // extra
        put_le(cd, 0, 2);   // comment
        put_le(cd, 0, 2);   // disk
        put_le(cd, 0, 2);   // internal attributes
        put_le(cd, 0, 4);   // external attributes
        put_le(cd, offset, 4);
        cd += name;
    }
    const std::uint64_t cd_offset = out.size();
    out += cd;
    put_le(out, 0x06054b50, 4);
    put_le(out, 0, 4);   // disk numbers
    put_le(out, entries.size(), 2);
    put_le(out, entries.size(), 2);
    put_le(out, cd.size(), 4);
    put_le(out, cd_offset, 4);
    put_le(out, 0, 2);   // comment
    return out;
}

}  // namespace hrm::fuzz
