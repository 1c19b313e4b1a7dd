// Hand-built torch.save archives for the regression tests of the torch_zip reader: a protocol-2
// pickle of {name: _rebuild_tensor_v2(storage, offset, size, stride, False, None)} written opcode
// by opcode, so each test can put the one hostile value it is about where torch never would.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "zip_writer.hpp"   // fuzz/zip_writer.hpp: stored entries, what the reader accepts

namespace reliability {

class Pickle {
public:
    Pickle() { out_ = "\x80\x02"; }   // PROTO 2
    Pickle &op(const std::string &bytes) { out_ += bytes; return *this; }
    Pickle &str(const std::string &s) {
        out_ += 'X';
        hrm::fuzz::put_le(out_, s.size(), 4);
        out_ += s;
        return *this;
    }
    Pickle &integer(int64_t v) {   // LONG1 with 8 bytes: any int64
        out_ += '\x8a';
        out_ += '\x08';
        hrm::fuzz::put_le(out_, uint64_t(v), 8);
        return *this;
    }
    Pickle &global(const std::string &module, const std::string &name) { return op("c" + module + "\n" + name + "\n"); }
    Pickle &ints(const std::vector<int64_t> &v) {
        op("(");
        for (int64_t x : v) integer(x);
        return op("t");
    }
    // _rebuild_tensor_v2(('storage', torch.FloatStorage, key, 'cpu', numel), offset, shape, stride, False, None)
    Pickle &tensor(const std::string &key, int64_t numel, int64_t offset, const std::vector<int64_t> &shape,
                   const std::vector<int64_t> &stride, const std::string &storage = "FloatStorage") {
        global("torch._utils", "_rebuild_tensor_v2");
        op("((");
        str("storage").global("torch", storage).str(key).str("cpu").integer(numel);
        op("tQ");
        integer(offset).ints(shape).ints(stride);
        return op("\x89Nt" "R");
    }
    std::string bytes() const { return out_; }

private:
    std::string out_;
};

// A state dict {names[i]: tensors built by add(i)} and its archive with the given storages.
inline std::string archive(const std::string &pickle, const std::vector<std::pair<std::string, std::string>> &storages) {
    std::vector<std::pair<std::string, std::string>> entries{{"archive/data.pkl", pickle}};
    for (const auto &[key, bytes] : storages) entries.push_back({"archive/data/" + key, bytes});
    entries.push_back({"archive/version", "3\n"});
    return hrm::fuzz::stored_zip(entries);
}

}  // namespace reliability
