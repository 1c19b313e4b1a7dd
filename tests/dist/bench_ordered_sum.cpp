// Times Comm::ordered_sum (the fixed-order gradient sum of hrm_train_mpi) against Open MPI's own
// MPI_Allreduce on N floats, 4 repetitions; docs/distributed.md quotes it. Not a test:
//   mpirun -np 2 build/tests/dist/hrm_bench_ordered_sum 27275266
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>
#include <mpi.h>
#include "hrm/train/mpi_comm.hpp"
int main(int argc, char **argv) {
    auto comm = hrm::train::mpi_world_if_launched();
    if (!comm || argc != 2) {
        std::fprintf(stderr, "usage: mpirun -np N hrm_bench_ordered_sum FLOATS\n");
        return 2;
    }
    const size_t n = size_t(std::atoll(argv[1]));
    std::vector<float> buf(n), mine(n, 1.0f), out(n);
    for (int rep = 0; rep < 4; ++rep) {
        MPI_Barrier(MPI_COMM_WORLD);
        auto t0 = std::chrono::steady_clock::now();
        comm->ordered_sum(buf.data(), n, [&](float *d, size_t lo, size_t hi, bool first) {
            if (first)
                std::memcpy(d, mine.data() + lo, (hi - lo) * 4);
            else
                for (size_t e = 0; e < hi - lo; ++e) d[e] += mine[lo + e];
        });
        double a = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        MPI_Barrier(MPI_COMM_WORLD);
        t0 = std::chrono::steady_clock::now();
        MPI_Allreduce(mine.data(), out.data(), int(n), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
        double b = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (comm->rank() == 0)
            std::printf("n=%zu (%.1f MB): ordered_sum %.1f ms, MPI_Allreduce %.1f ms, sum ok %d\n", n, n * 4 / 1e6,
                        a * 1e3, b * 1e3, buf[n - 1] == float(comm->size()));
    }
    comm.reset();
}
