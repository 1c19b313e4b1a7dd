// train_state.safetensors of a checkpoint (`hrm train --resume DIR` on a folder from elsewhere):
// the metadata (step, optimizer step, sampler position, RNG, layout) and the training carry,
// checked by read_train_state_meta/read_train_carry, then the sampler restored to the saved
// position and drawn from, as resume does. Layout expected by this "run": batch 4 in shards of 2,
// seq_len 4, vocab 6, 3 puzzle ids, halt_max_steps 4, no EMA (fuzz/corpus/train_state holds
// states written for it by make_seeds).
#include <stdexcept>

#include "fuzz_util.hpp"
#include "hrm/train/train_state.hpp"

namespace {

const hrm::data::Split &tiny_split() {
    static const hrm::data::Split split = [] {
        hrm::data::Metadata m;
        m.vocab_size = 6;
        m.seq_len = 4;
        m.num_puzzle_identifiers = 3;
        hrm::data::SplitBuilder b(m);
        for (int g = 0; g < 3; ++g) {
            b.begin_group();
            for (int p = 0; p <= g % 2; ++p) b.add_puzzle(g, {1, 2, 3, 4, 2, 3, 4, 5}, {2, 3, 4, 5, 1, 1, 1, 1});
        }
        return b.finish();
    }();
    return split;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    static hrm::fuzz::InputFile file;
    const std::string &path = file.write(data, size);
    hrm::fuzz::expect_clean_rejection<std::invalid_argument>([&] {
        const hrm::common::SafetensorsFile st(path);
        hrm::train::TrainStateExpect expect;
        expect.global_batch_size = 4;
        expect.shard_size = 2;
        expect.seq_len = 4;
        expect.vocab_size = 6;
        expect.num_puzzle_identifiers = 3;
        expect.halt_max_steps = 4;
        const hrm::train::TrainStateMeta meta = hrm::train::read_train_state_meta(st, expect);
        hrm::train::ActCarry carry;
        hrm::train::read_train_carry(st, expect, carry);
        hrm::train::TrainSampler sampler(tiny_split(), 4, 2, 7, 3);
        sampler.restore(meta.sampler);
        hrm::train::Batch batch;
        for (int i = 0; i < 3 && sampler.next(batch); ++i) {
        }
    });
    return 0;
}
