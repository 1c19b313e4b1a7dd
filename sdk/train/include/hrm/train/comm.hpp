// The processes of a data-parallel run as the engine and the runner see them (docs/distributed.md).
// The base class is one process: rank 0 of 1, every operation the identity. mpi_comm.hpp gives the
// Open MPI implementation; nothing here depends on MPI, so hrm_train builds without it.
//
// Every operation is collective: all ranks call it, in the same order, from the thread that
// created the communicator (MPI_THREAD_FUNNELED), never from inside a oneTBB region.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace hrm::train {

class Comm {
public:
    virtual ~Comm() = default;

    virtual int rank() const { return 0; }
    virtual int size() const { return 1; }
    // "rank R of N on HOST" for messages; "" for one process.
    virtual std::string where() const { return ""; }

    // A sum in a fixed order: every rank's buf[0, n) ends as the left fold over the ranks in
    // rank order, each rank adding its own terms onto the partial sum of the ranks before it.
    // add(dst, begin, end, first) adds this rank's terms of elements [begin, end) into dst
    // (= buf + begin), in the order this rank's terms come; first = true means dst holds nothing
    // yet (rank 0), so the first term is copied, not added. The elements are passed in pieces
    // (any split of [0, n) in increasing order), so that the fold is pipelined over the ranks.
    // One process: add(buf, 0, n, true).
    using Accumulate = std::function<void(float *dst, size_t begin, size_t end, bool first)>;
    virtual void ordered_sum(float *buf, size_t n, const Accumulate &add) { add(buf, 0, n, true); }

    // Every rank's bytes, indexed by rank, on every rank.
    virtual std::vector<std::string> allgather(const std::string &mine) { return {mine}; }
    // Every rank's bytes, indexed by rank, on rank `root`; an empty vector elsewhere.
    virtual std::vector<std::string> gather(const std::string &mine, int /*root*/) { return {mine}; }
    // data of rank `root` on every rank.
    virtual void broadcast(std::string & /*data*/, int /*root*/) {}
    // True on every rank when flag is true on any.
    virtual bool any(bool flag) { return flag; }
};

// Values in and out of the byte strings the ranks exchange. Every rank runs the same build, so
// values travel in the native layout; a short read throws (a rank sent less than it should).
struct BytesWriter {
    std::string s;
    template <class T>
    void put(const T &v) {
        s.append(reinterpret_cast<const char *>(&v), sizeof v);
    }
    void put_bytes(const void *p, size_t n) { s.append(static_cast<const char *>(p), n); }
    void put_str(std::string_view t) {
        put(uint64_t(t.size()));
        put_bytes(t.data(), t.size());
    }
};

struct BytesReader {
    const std::string &s;
    size_t at = 0;
    const char *take(size_t n) {
        if (n > s.size() - at) throw std::runtime_error("a rank sent a truncated message");
        const char *p = s.data() + at;
        at += n;
        return p;
    }
    template <class T>
    T get() {
        T v;
        std::memcpy(&v, take(sizeof v), sizeof v);
        return v;
    }
    std::string get_str() {
        const auto n = size_t(get<uint64_t>());
        return std::string(take(n), n);
    }
    bool done() const { return at == s.size(); }
};

// One process: the default communicator of the engine and the runner.
inline Comm &solo_comm() {
    static Comm c;
    return c;
}

}  // namespace hrm::train
