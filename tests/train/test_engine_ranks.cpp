// The engine as the ranks of a data-parallel run (comm.hpp, docs/distributed.md), without MPI: N
// "ranks" are threads of this process, each with its own mock model and engine, joined by a Comm
// whose collectives go through shared memory. It checks the engine's side of the contract: the
// shard ranges, the ordered sum's accumulate (in pieces that cut across tensors), the gathered
// sums and puzzle-embedding rows, rank 0's checkpoints and resume at another N, all against one
// process bit for bit. Runs under every sanitizer (the mpirun tests, tests/dist, do not).
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <functional>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "hrm/train/comm.hpp"
#include "hrm/train/engine.hpp"
#include "mock_model.hpp"
#include "shell.hpp"
#include "test_util.hpp"

using namespace hrm::train;
namespace fs = std::filesystem;

namespace {

// What the N ranks share.
struct Group {
    explicit Group(int n) : size(n), slots(size_t(n)) {}
    void barrier() {
        std::unique_lock<std::mutex> lock(mutex);
        const uint64_t generation = passed;
        if (++waiting == size) {
            waiting = 0;
            ++passed;
            cv.notify_all();
        } else {
            cv.wait(lock, [&] { return passed != generation; });
        }
    }
    const int size;
    std::vector<std::string> slots;
    std::vector<float> sum;
    int turn = 0;
    std::mutex mutex;
    std::condition_variable cv;
    int waiting = 0;
    uint64_t passed = 0;
};

class ThreadComm final : public Comm {
public:
    ThreadComm(Group &g, int rank) : g_(g), rank_(rank) {}
    int rank() const override { return rank_; }
    int size() const override { return g_.size; }

    // The ranks take turns in rank order over the whole buffer, in pieces of 7 elements: pieces that
    // start and end inside tensors, as Open MPI's 256 KiB pieces do for larger models.
    void ordered_sum(float *buf, size_t n, const Accumulate &add) override {
        if (rank_ == 0) g_.sum.assign(n, 0.0f);
        g_.barrier();
        {
            std::unique_lock<std::mutex> lock(g_.mutex);
            g_.cv.wait(lock, [&] { return g_.turn == rank_; });
        }
        for (size_t lo = 0; lo < n; lo += 7) add(g_.sum.data() + lo, lo, std::min(n, lo + 7), rank_ == 0);
        {
            std::lock_guard<std::mutex> lock(g_.mutex);
            ++g_.turn;
        }
        g_.cv.notify_all();
        g_.barrier();
        std::memcpy(buf, g_.sum.data(), n * sizeof(float));
        g_.barrier();
        if (rank_ == 0) g_.turn = 0;  // before rank 0 reaches the next call's first barrier
    }
    std::vector<std::string> allgather(const std::string &mine) override {
        g_.slots[size_t(rank_)] = mine;
        g_.barrier();
        std::vector<std::string> all = g_.slots;
        g_.barrier();
        return all;
    }
    std::vector<std::string> gather(const std::string &mine, int root) override {
        std::vector<std::string> all = allgather(mine);
        return rank_ == root ? all : std::vector<std::string>{};
    }
    void broadcast(std::string &data, int root) override {
        if (rank_ == root) g_.slots[size_t(root)] = data;
        g_.barrier();
        data = g_.slots[size_t(root)];
        g_.barrier();
    }
    bool any(bool flag) override {
        bool out = false;
        for (const std::string &f : allgather(flag ? "1" : "0")) out = out || f == "1";
        return out;
    }

private:
    Group &g_;
    int rank_;
};

EngineConfig config() {
    EngineConfig c;
    c.global_batch_size = 12;
    c.shard_size = 2;  // 6 shards: 1 to 6 ranks, evenly or not
    c.steps = 20;
    c.lr = 0.05;
    c.lr_warmup_steps = 5;
    c.weight_decay = 0.01;
    c.puzzle_emb_lr = 0.01;
    c.puzzle_emb_weight_decay = 0.1;
    c.halt_exploration_prob = 0.3;
    c.ema = 0.9;
    c.seed = 11;
    return c;
}

// What one rank ends with.
struct Outcome {
    std::vector<std::vector<float>> weights;
    std::vector<double> losses;
    EvalMetrics eval;
};

// `body(engine)` on each of n ranks (n = 0: one process, no Comm); rank 0's outcome.
Outcome on_ranks(int n, const hrm::data::Split &train, const hrm::data::Split &test,
                 const std::function<void(Engine &, Outcome &)> &body) {
    Group group(std::max(n, 1));
    std::vector<Outcome> out(size_t(std::max(n, 1)));
    std::vector<std::string> errors(out.size());
    auto rank = [&](int r) {
        try {
            mock::Config mc;
            mc.M = 3;
            mock::Model model(mc);
            ModelRef ref(model.vtable(), mock::status_ops());
            ThreadComm comm(group, r);
            EngineConfig c = config();
            if (n > 0) c.comm = &comm;
            Engine engine(ref, c, &train, &test);
            body(engine, out[size_t(r)]);
            for (auto &t : model.tensors()) out[size_t(r)].weights.push_back(t.v);
        } catch (const std::exception &e) {
            errors[size_t(r)] = e.what();
        }
    };
    std::vector<std::thread> threads;
    for (int r = 0; r < std::max(n, 1); ++r) threads.emplace_back(rank, r);
    for (auto &t : threads) t.join();
    for (size_t r = 0; r < errors.size(); ++r) EXPECT_EQ(errors[r], "") << "rank " << r;
    // Every rank holds the same weights (the replicated update).
    for (size_t r = 1; r < out.size(); ++r) EXPECT_TRUE(out[r].weights == out[0].weights) << "rank " << r;
    return out[0];
}

void train_and_evaluate(Engine &e, Outcome &o) {
    e.check_replicas();
    while (!e.done()) o.losses.push_back(e.train_step()->loss);
    o.eval = e.evaluate();
}

void expect_same(const Outcome &a, const Outcome &b, const std::string &what) {
    EXPECT_EQ(a.losses, b.losses) << what;
    ASSERT_EQ(a.weights.size(), b.weights.size()) << what;
    for (size_t i = 0; i < a.weights.size(); ++i)
        EXPECT_EQ(0, std::memcmp(a.weights[i].data(), b.weights[i].data(), a.weights[i].size() * 4))
            << what << ", tensor " << i;
    EXPECT_EQ(a.eval.count, b.eval.count) << what;
    EXPECT_EQ(a.eval.accuracy, b.eval.accuracy) << what;
    EXPECT_EQ(a.eval.lm_loss, b.eval.lm_loss) << what;
    EXPECT_EQ(a.eval.q_halt_loss, b.eval.q_halt_loss) << what;
}

}  // namespace

TEST(EngineRanks, EveryRankCountTrainsTheWeightsOfOneProcess) {
    const auto train = make_split(30, 4, 5, 3, 21), test = make_split(9, 4, 5, 3, 22);
    const Outcome one = on_ranks(0, train, test, train_and_evaluate);
    ASSERT_EQ(one.losses.size(), 20u);
    for (int n : {1, 2, 3, 4, 5, 6})  // 4 and 5 ranks split the 6 shards unevenly
        expect_same(one, on_ranks(n, train, test, train_and_evaluate), std::to_string(n) + " ranks");
}

TEST(EngineRanks, CheckpointOfThreeRanksResumesAtTwo) {
    const auto train = make_split(30, 4, 5, 3, 23), test = make_split(9, 4, 5, 3, 24);
    const fs::path dir = fs::temp_directory_path() / ("hrm_engine_ranks_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    auto stop_at_10 = [&](const fs::path &out) {
        return [out](Engine &e, Outcome &o) {
            for (int i = 0; i < 10; ++i) o.losses.push_back(e.train_step()->loss);
            e.save_checkpoint(out.string());
        };
    };
    on_ranks(0, train, test, stop_at_10(dir / "one"));
    on_ranks(3, train, test, stop_at_10(dir / "three"));
    // Rank 0 wrote the same bytes one process writes (the carry of every shard, gathered).
    for (const char *file : {"model.safetensors", "train_state.safetensors"})
        EXPECT_EQ(test_shell::slurp(dir / "one" / "step_10" / file),
                  test_shell::slurp(dir / "three" / "step_10" / file))
            << file;
    auto resume_and_finish = [&](Engine &e, Outcome &o) {
        e.resume((dir / "three").string());
        train_and_evaluate(e, o);
    };
    const Outcome uninterrupted = on_ranks(0, train, test, train_and_evaluate);
    Outcome resumed = on_ranks(2, train, test, resume_and_finish);
    resumed.losses.insert(resumed.losses.begin(), uninterrupted.losses.begin(), uninterrupted.losses.begin() + 10);
    expect_same(uninterrupted, resumed, "3 ranks to step 10, then 2");
    fs::remove_all(dir);
}

TEST(EngineRanks, MoreRanksThanShardsIsRefused) {
    const auto train = make_split(30, 4, 5, 3, 25), test = make_split(9, 4, 5, 3, 26);
    Group group(7);
    mock::Config mc;
    mock::Model model(mc);
    ModelRef ref(model.vtable(), mock::status_ops());
    ThreadComm comm(group, 6);
    EngineConfig c = config();
    c.comm = &comm;
    try {
        Engine engine(ref, c, &train, &test);
        FAIL() << "7 ranks over 6 shards were accepted";
    } catch (const Error &e) {
        EXPECT_NE(std::string(e.what()).find("7 ranks, but the global batch of 12 has only 6 shard(s)"),
                  std::string::npos)
            << e.what();
    }
}
