#include "hrm/train/mpi_comm.hpp"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstdlib>

#include <mpi.h>

#include "hrm/train/model.hpp"  // Error

namespace hrm::train {

namespace {

// Pieces of the ordered sum: large enough that a message costs bandwidth, not latency (256 KiB
// of floats), small enough that the N ranks of the chain work on different pieces at once.
constexpr size_t kPiece = size_t(1) << 16;
// MPI counts are int: longer buffers go in pieces of this many elements.
constexpr size_t kMaxCount = size_t(1) << 30;

class MpiComm final : public Comm {
public:
    MpiComm() {
        int provided = 0;
        if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
            throw Error(HRM_E_INTERNAL, "MPI_Init_thread failed");
        MPI_Comm_dup(MPI_COMM_WORLD, &comm_);
        // Errors come back as codes (thrown below with the rank and the call) instead of
        // Open MPI's default abort without context.
        MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN);
        MPI_Comm_rank(comm_, &rank_);
        MPI_Comm_size(comm_, &size_);
        char host[MPI_MAX_PROCESSOR_NAME];
        int len = 0;
        MPI_Get_processor_name(host, &len);
        host_.assign(host, size_t(len));
    }
    ~MpiComm() override {
        MPI_Comm_free(&comm_);
        MPI_Finalize();
    }

    int rank() const override { return rank_; }
    int size() const override { return size_; }
    std::string where() const override {
        return "rank " + std::to_string(rank_) + " of " + std::to_string(size_) + " on " + host_;
    }

    void ordered_sum(float *buf, size_t n, const Accumulate &add) override {
        // A pipelined chain: rank r receives piece p of the partial sum of ranks 0..r-1, adds its
        // own terms and passes it on while it receives piece p+1. The last rank then holds the
        // fold in exactly the single-process order and broadcasts it. Per link that is n floats
        // of the chain plus n of the broadcast, like a ring allreduce's 2(N-1)/N·n, which sums in
        // an order that depends on N.
        std::vector<MPI_Request> sends;
        for (size_t lo = 0; lo < n; lo += kPiece) {
            const size_t hi = std::min(n, lo + kPiece);
            if (rank_ > 0)
                check(MPI_Recv(buf + lo, int(hi - lo), MPI_FLOAT, rank_ - 1, kSumTag, comm_, MPI_STATUS_IGNORE),
                      "MPI_Recv of the gradient sum", rank_ - 1);
            add(buf + lo, lo, hi, rank_ == 0);
            if (rank_ + 1 < size_) {
                sends.emplace_back();
                check(MPI_Isend(buf + lo, int(hi - lo), MPI_FLOAT, rank_ + 1, kSumTag, comm_, &sends.back()),
                      "MPI_Isend of the gradient sum", rank_ + 1);
            }
        }
        if (!sends.empty())
            check(MPI_Waitall(int(sends.size()), sends.data(), MPI_STATUSES_IGNORE), "MPI_Waitall of the gradient sum",
                  rank_ + 1);
        for (size_t lo = 0; lo < n; lo += kMaxCount)
            check(MPI_Bcast(buf + lo, int(std::min(kMaxCount, n - lo)), MPI_FLOAT, size_ - 1, comm_),
                  "MPI_Bcast of the gradient sum", size_ - 1);
    }

    std::vector<std::string> allgather(const std::string &mine) override {
        const std::vector<int> counts = exchange_sizes(mine.size(), -1);
        std::vector<int> displs;
        std::string all(size_t(offsets(counts, displs)), '\0');
        check(MPI_Allgatherv(mine.data(), int(mine.size()), MPI_BYTE, all.data(), counts.data(), displs.data(),
                             MPI_BYTE, comm_),
              "MPI_Allgatherv", -1);
        return split(all, counts, displs);
    }

    std::vector<std::string> gather(const std::string &mine, int root) override {
        const std::vector<int> counts = exchange_sizes(mine.size(), root);
        std::vector<int> displs;
        std::string all(rank_ == root ? size_t(offsets(counts, displs)) : 0, '\0');
        check(MPI_Gatherv(mine.data(), int(mine.size()), MPI_BYTE, all.data(), counts.data(), displs.data(), MPI_BYTE,
                          root, comm_),
              "MPI_Gatherv", root);
        return rank_ == root ? split(all, counts, displs) : std::vector<std::string>{};
    }

    void broadcast(std::string &data, int root) override {
        uint64_t n = data.size();
        check(MPI_Bcast(&n, 1, MPI_UINT64_T, root, comm_), "MPI_Bcast", root);
        data.resize(size_t(n));
        for (size_t lo = 0; lo < n; lo += kMaxCount)
            check(MPI_Bcast(data.data() + lo, int(std::min<size_t>(kMaxCount, n - lo)), MPI_BYTE, root, comm_),
                  "MPI_Bcast", root);
    }

    bool any(bool flag) override {
        int in = flag ? 1 : 0, out = 0;
        check(MPI_Allreduce(&in, &out, 1, MPI_INT, MPI_MAX, comm_), "MPI_Allreduce", -1);
        return out != 0;
    }

private:
    static constexpr int kSumTag = 21;

    void check(int rc, const char *what, int peer) const {
        if (rc == MPI_SUCCESS) return;
        char text[MPI_MAX_ERROR_STRING];
        int len = 0;
        MPI_Error_string(rc, text, &len);
        throw Error(HRM_E_IO, std::string(what) + " on " + where() +
                                  (peer >= 0 ? " (peer rank " + std::to_string(peer) + ")" : std::string()) + ": " +
                                  std::string(text, size_t(len)));
    }

    // Every rank's byte count (on every rank, or on root only); each must fit an int count.
    std::vector<int> exchange_sizes(size_t mine, int root) {
        if (mine > size_t(INT_MAX)) throw Error(HRM_E_INVALID_ARG, "MPI gather: more than 2 GiB from " + where());
        int n = int(mine);
        std::vector<int> counts(static_cast<size_t>(size_));
        if (root < 0)
            check(MPI_Allgather(&n, 1, MPI_INT, counts.data(), 1, MPI_INT, comm_), "MPI_Allgather", -1);
        else
            check(MPI_Gather(&n, 1, MPI_INT, counts.data(), 1, MPI_INT, root, comm_), "MPI_Gather", root);
        return counts;
    }

    static int64_t offsets(const std::vector<int> &counts, std::vector<int> &displs) {
        int64_t total = 0;
        displs.clear();
        for (int c : counts) {
            if (total > INT_MAX) throw Error(HRM_E_INVALID_ARG, "MPI gather: more than 2 GiB in all");
            displs.push_back(int(total));
            total += c;
        }
        if (total > INT_MAX) throw Error(HRM_E_INVALID_ARG, "MPI gather: more than 2 GiB in all");
        return total;
    }

    static std::vector<std::string> split(const std::string &all, const std::vector<int> &counts,
                                          const std::vector<int> &displs) {
        std::vector<std::string> out;
        for (size_t r = 0; r < counts.size(); ++r) out.push_back(all.substr(size_t(displs[r]), size_t(counts[r])));
        return out;
    }

    MPI_Comm comm_ = MPI_COMM_NULL;
    int rank_ = 0, size_ = 1;
    std::string host_;
};

}  // namespace

std::unique_ptr<Comm> mpi_world_if_launched() {
    for (const char *var : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK"})
        if (std::getenv(var)) return std::make_unique<MpiComm>();
    return nullptr;
}

void mpi_abort(int code) {
    MPI_Abort(MPI_COMM_WORLD, code);
    std::_Exit(code);  // MPI_Abort does not return; this keeps [[noreturn]] honest
}

}  // namespace hrm::train
