// Decoding through the public C API, as a third-party host would do it: libhrm loads the task
// plugins by path, the encoder's output_mask slot (hrm_encoder.h, API 2) says which tokens an
// answer may hold, and hrm_masked_argmax (hrm.h) turns logits into predictions. The logits are
// synthetic (the labels, plus a wrong token with the highest logit at one cell), so no model runs.
#include <gtest/gtest.h>

#include <hrm/hrm.hpp>

#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

namespace {

bool contains(const std::string &s, const std::string &part) {
    return s.find(part) != std::string::npos;
}

// "" on success, else the status message (freed).
std::string message_of(hrm_status *st) {
    if (!st) return "";
    std::string m = hrm_status_message(st);
    hrm_status_free(st);
    return m;
}

// One encoder instance of a plugin loaded by path into its own runtime.
struct Task {
    hrm::Runtime runtime;
    hrm::Instance instance{nullptr};
    const hrm_encoder *enc = nullptr;
    hrm_encoder_spec spec{};

    Task(const char *plugin, const char *name, const std::string &config = {}) {
        runtime.load_plugin(plugin);
        instance = runtime.create(HRM_KIND_ENCODER, name, config);
        enc = instance.encoder();
        spec.struct_size = sizeof spec;
        hrm::check(enc->get_spec(enc, &spec));
    }
    size_t S() const { return size_t(spec.seq_len); }
    size_t V() const { return size_t(spec.vocab_size); }

    // The mask [S * V] as the C slot writes it ("" error), through the ABI's own accessor.
    std::string mask(const std::string &text, std::vector<uint8_t> &out) const {
        const hrm_encoder_output_mask_slot slot = hrm_encoder_output_mask_fn(enc, spec.caps);
        if (!slot) return "no output_mask slot";
        out.assign(S() * V(), 7);  // 7: any byte the slot leaves unwritten shows up
        hrm::Tensor t = hrm::Tensor::of(out, {spec.seq_len, spec.vocab_size});
        const hrm_blob in = hrm::blob_view(text);
        return message_of(slot(enc, &in, t.get()));
    }
    std::vector<int32_t> labels(const std::string &text) const {
        std::vector<int32_t> tokens(S()), labels(S());
        hrm::Tensor t = hrm::Tensor::of(tokens, {spec.seq_len}), l = hrm::Tensor::of(labels, {spec.seq_len});
        const hrm_blob in = hrm::blob_view(text);
        int32_t has_labels = 0;
        hrm::check(enc->encode(enc, &in, t.get(), l.get(), &has_labels, nullptr));
        EXPECT_EQ(has_labels, 1) << text;
        return labels;
    }
    // Decoded solution, or "ERROR <message>".
    std::string decode(const std::string &text, std::vector<int32_t> predictions) const {
        hrm::Tensor p = hrm::Tensor::of(predictions, {spec.seq_len});
        const hrm_blob in = hrm::blob_view(text);
        hrm::Blob out;
        const std::string err = message_of(enc->decode(enc, &in, p.get(), out.out()));
        return err.empty() ? std::string(out.str()) : "ERROR " + err;
    }
    bool verify(const std::string &text, const std::string &solution) const {
        const hrm_blob in = hrm::blob_view(text), sol = hrm::blob_view(solution);
        int32_t valid = -1;
        hrm::check(enc->verify(enc, &in, &sol, &valid, nullptr));
        return valid == 1;
    }
    std::string generate(uint64_t seed, const char *options) const {
        hrm::Blob out;
        hrm::check(enc->generate(enc, seed, options, out.out()));
        return std::string(out.str());
    }
};

// Logits [S * V] that favour the labels (1.0 against 0.0).
std::vector<float> logits_of(const std::vector<int32_t> &labels, size_t V) {
    std::vector<float> logits(labels.size() * V, 0.0f);
    for (size_t s = 0; s < labels.size(); ++s) logits[s * V + size_t(labels[s])] = 1.0f;
    return logits;
}

// Predictions of logits [S, V] under mask [S, V] (NULL: plain argmax) through hrm_masked_argmax.
std::vector<int32_t> argmax(std::vector<float> &logits, std::vector<uint8_t> *mask, size_t S, size_t V) {
    std::vector<int32_t> out(S, -1);
    hrm::Tensor lg = hrm::Tensor::of(logits, {int64_t(S), int64_t(V)}), pr = hrm::Tensor::of(out, {int64_t(S)});
    if (mask) {
        hrm::Tensor mk = hrm::Tensor::of(*mask, {int64_t(S), int64_t(V)});
        hrm::check(hrm_masked_argmax(lg.get(), mk.get(), pr.get()));
    } else {
        hrm::check(hrm_masked_argmax(lg.get(), nullptr, pr.get()));
    }
    return out;
}

// What every task's mask must satisfy: each byte 0 or 1, each position allows a token, and the
// true answer (the labels) is always allowed.
void expect_sound_mask(const std::vector<uint8_t> &mask, const std::vector<int32_t> &labels, size_t V) {
    for (size_t s = 0; s < labels.size(); ++s) {
        int allowed = 0;
        for (size_t v = 0; v < V; ++v) {
            ASSERT_LE(mask[s * V + v], 1) << "position " << s << " token " << v << " left unwritten";
            allowed += mask[s * V + v];
        }
        EXPECT_GE(allowed, 1) << "position " << s;
        EXPECT_EQ(mask[s * V + size_t(labels[s])], 1) << "position " << s << " forbids its label " << labels[s];
    }
}

// The first position whose mask forbids PAD, the token the trap below gives the top logit.
size_t first_forbidding_pad(const std::vector<uint8_t> &mask, size_t S, size_t V, int32_t pad) {
    for (size_t s = 0; s < S; ++s)
        if (!mask[s * V + size_t(pad)]) return s;
    return S;
}

// The issue's case end to end: the model puts PAD highest at a cell of the answer (the first cell
// that forbids PAD, or with trap_label >= 0 the first whose label is that token). The model's own
// rule (plain argmax) reads PAD there; the masked argmax takes the best valid token, which decodes
// and verifies. Returns the plain argmax's decode ("ERROR ..." where PAD is unreadable).
std::string pad_trap(const Task &task, const std::string &instance, int32_t trap_label = -1) {
    const std::vector<int32_t> labels = task.labels(instance);
    std::vector<uint8_t> mask;
    EXPECT_EQ(task.mask(instance, mask), "");
    expect_sound_mask(mask, labels, task.V());
    size_t trap = first_forbidding_pad(mask, task.S(), task.V(), task.spec.pad_id);
    if (trap_label >= 0)
        for (trap = 0; trap < task.S() && labels[trap] != trap_label; ++trap) {
        }
    EXPECT_LT(trap, task.S()) << "no cell forbids PAD";
    if (trap >= task.S()) return "";
    std::vector<float> logits = logits_of(labels, task.V());
    logits[trap * task.V() + size_t(task.spec.pad_id)] = 5.0f;

    const std::vector<int32_t> plain = argmax(logits, nullptr, task.S(), task.V());
    EXPECT_EQ(plain[trap], task.spec.pad_id);
    const std::vector<int32_t> masked = argmax(logits, &mask, task.S(), task.V());
    EXPECT_EQ(masked, labels);
    const std::string solution = task.decode(instance, masked);
    EXPECT_FALSE(contains(solution, "ERROR")) << solution;
    EXPECT_TRUE(task.verify(instance, solution)) << solution;
    return task.decode(instance, plain);
}

const std::string kSudoku = "4...3.......6..8..........1....5..9..8....6...7.2........1.27..5.3....4.9........";
const std::string kSudokuSolution = "468931527751624839392578461134756298289413675675289314846192753513867942927345186";

}  // namespace

TEST(DecodeMask, SudokuGivensKeepTheirDigitBlanksTakeAnyDigit) {
    Task t(HRM_SUDOKU_PLUGIN, "sudoku");
    EXPECT_TRUE(t.spec.caps & HRM_ENCODER_CAN_MASK);
    std::vector<uint8_t> mask;
    ASSERT_EQ(t.mask(kSudoku, mask), "");
    ASSERT_EQ(mask.size(), 81u * 11u);
    for (size_t s = 0; s < 81; ++s) {
        const uint8_t *m = &mask[s * 11];
        EXPECT_EQ(m[0], 0) << "PAD allowed at " << s;
        EXPECT_EQ(m[1], 0) << "blank allowed at " << s;
        const int given = kSudoku[s] == '.' ? 0 : kSudoku[s] - '0';
        for (int d = 1; d <= 9; ++d) EXPECT_EQ(m[d + 1], given == 0 || given == d ? 1 : 0) << s << " digit " << d;
    }
}

TEST(DecodeMask, SudokuPadOnTopStillDecodesAndVerifies) {
    Task t(HRM_SUDOKU_PLUGIN, "sudoku");
    const std::string csv = "test," + kSudoku + "," + kSudokuSolution + ",0";
    EXPECT_TRUE(contains(pad_trap(t, csv), "PAD token at (row 1, column 1)"));
}

TEST(DecodeMask, SudokuChangedGivenIsRestored) {
    Task t(HRM_SUDOKU_PLUGIN, "sudoku");
    const std::string csv = "test," + kSudoku + "," + kSudokuSolution + ",0";
    const std::vector<int32_t> labels = t.labels(csv);
    std::vector<uint8_t> mask;
    ASSERT_EQ(t.mask(csv, mask), "");
    std::vector<float> logits = logits_of(labels, t.V());
    logits[0 * 11 + 9 + 1] = 3.0f;  // cell (1, 1) is a given 4; the model says 9
    EXPECT_EQ(argmax(logits, nullptr, t.S(), t.V())[0], 10);
    const std::vector<int32_t> masked = argmax(logits, &mask, t.S(), t.V());
    EXPECT_EQ(masked[0], 5);  // digit 4
    EXPECT_TRUE(t.verify(csv, t.decode(csv, masked)));
}

TEST(DecodeMask, MazeWallsStartGoalKeptPaddingOnlyPad) {
    Task t(HRM_MAZE_PLUGIN, "maze", "[task]\ncanvas = 12\n");
    const std::string instance = t.generate(3, "size = 9");
    std::vector<uint8_t> mask;
    ASSERT_EQ(t.mask(instance, mask), "");
    const size_t V = t.V();
    // Tokens: 0 PAD, 1 '#', 2 ' ', 3 'S', 4 'G', 5 'o'. The question is field 2 of the CSV row.
    const std::string q = instance.substr(instance.find(',') + 1, 81);
    for (size_t r = 0; r < 12; ++r)
        for (size_t c = 0; c < 12; ++c) {
            const uint8_t *m = &mask[(r * 12 + c) * V];
            const std::vector<uint8_t> row(m, m + V);
            if (r >= 9 || c >= 9) {
                EXPECT_EQ(row, (std::vector<uint8_t>{1, 0, 0, 0, 0, 0})) << r << "," << c;
                continue;
            }
            switch (q[r * 9 + c]) {
                case '#':
                    EXPECT_EQ(row, (std::vector<uint8_t>{0, 1, 0, 0, 0, 0})) << r << "," << c;
                    break;
                case 'S':
                    EXPECT_EQ(row, (std::vector<uint8_t>{0, 0, 0, 1, 0, 0})) << r << "," << c;
                    break;
                case 'G':
                    EXPECT_EQ(row, (std::vector<uint8_t>{0, 0, 0, 0, 1, 0})) << r << "," << c;
                    break;
                default:
                    EXPECT_EQ(row, (std::vector<uint8_t>{0, 0, 1, 0, 0, 1})) << r << "," << c;
                    break;
            }
        }
    EXPECT_TRUE(contains(pad_trap(t, instance), "maze predictions: PAD token at (row 1, column 1)"));
}

TEST(DecodeMask, GridnavPadOnAPathCellKeepsThePath) {
    Task t(HRM_GRIDNAV_PLUGIN, "gridnav", "[task]\nwindow = 12\n");
    const std::string instance = t.generate(5, "size = 10");
    // gridnav reads only path tokens (5), so PAD is no error there, but the path has a gap.
    const std::string plain = pad_trap(t, instance, /*trap_label=*/5);
    ASSERT_FALSE(contains(plain, "ERROR")) << plain;
    EXPECT_FALSE(t.verify(instance, plain)) << plain;
}

TEST(DecodeMask, ArcTopLeftMustBeAColour) {
    Task t(HRM_ARC_PLUGIN, "arc");
    const std::string instance = R"({"task": "abcd0001", "input": [[1,2],[3,4]], "output": [[4,3,2]]})";
    std::vector<uint8_t> mask;
    ASSERT_EQ(t.mask(instance, mask), "");
    for (size_t v = 0; v < 12; ++v) EXPECT_EQ(mask[v], v >= 2 ? 1 : 0) << v;  // colours are 2..11
    for (size_t i = 12; i < mask.size(); ++i) ASSERT_EQ(mask[i], 1) << i;     // the model sizes the answer
    EXPECT_TRUE(contains(pad_trap(t, instance), "top-left token 0 is not a colour"));
}

TEST(DecodeMask, ExamplePluginInCShowsTheSlot) {
    Task t(HRM_EXAMPLE_PLUGIN, "reverse", "length = 4\n");
    std::vector<uint8_t> mask;
    ASSERT_EQ(t.mask("12,21", mask), "");
    EXPECT_EQ(std::vector<uint8_t>(mask.begin(), mask.begin() + 11),
              (std::vector<uint8_t>{0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}));
    EXPECT_EQ(std::vector<uint8_t>(mask.begin() + 33, mask.end()),
              (std::vector<uint8_t>{1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
    pad_trap(t, "12,21");
}

TEST(DecodeMask, MalformedInstanceIsAnErrorAndLeavesTheMask) {
    Task t(HRM_SUDOKU_PLUGIN, "sudoku");
    std::vector<uint8_t> mask;
    EXPECT_TRUE(contains(t.mask("4..x", mask), "sudoku instance"));
    EXPECT_EQ(mask, std::vector<uint8_t>(81 * 11, 7));
    // A mask tensor of the wrong shape is refused, not overrun.
    std::vector<uint8_t> small(81 * 10);
    hrm::Tensor m = hrm::Tensor::of(small, {81, 10});
    const hrm_blob in = hrm::blob_view(kSudoku);
    EXPECT_TRUE(contains(message_of(t.enc->output_mask(t.enc, &in, m.get())), "mask: dimension 1 is 10"));
}

TEST(DecodeMask, OlderTablesHaveNoSlot) {
    // A plugin built against API 1: its table ends at destroy, so the member must not be read.
    hrm_encoder old{};
    old.api_version = 1;
    old.struct_size = offsetof(hrm_encoder, output_mask);
    old.output_mask = reinterpret_cast<hrm_encoder_output_mask_slot>(1);  // garbage past its end
    EXPECT_EQ(hrm_encoder_output_mask_fn(&old, HRM_ENCODER_CAN_MASK), nullptr);
    old.api_version = 2;
    old.struct_size = sizeof old;
    EXPECT_EQ(hrm_encoder_output_mask_fn(&old, 0), nullptr);  // the cap says whether it is there
    EXPECT_NE(hrm_encoder_output_mask_fn(&old, HRM_ENCODER_CAN_MASK), nullptr);
    EXPECT_EQ(hrm_encoder_output_mask_fn(nullptr, HRM_ENCODER_CAN_MASK), nullptr);
}

TEST(MaskedArgmax, FirstMaxWinsAndNaNNeverWins) {
    std::vector<float> logits = {1, 3, 3, 0, NAN, 2, 1, 2, NAN, NAN, NAN, NAN};
    std::vector<uint8_t> all(12, 1);
    EXPECT_EQ(argmax(logits, nullptr, 3, 4), (std::vector<int32_t>{1, 1, 0}));
    EXPECT_EQ(argmax(logits, &all, 3, 4), (std::vector<int32_t>{1, 1, 0}));
    std::vector<uint8_t> mask = {1, 0, 1, 1, 0, 0, 1, 1, 0, 0, 0, 1};
    EXPECT_EQ(argmax(logits, &mask, 3, 4), (std::vector<int32_t>{2, 3, 3}));
}

TEST(MaskedArgmax, BatchWithSharedOrPerRowMask) {
    std::vector<float> logits = {0, 1, 2, 2, 1, 0, /* row 2 */ 5, 0, 0, 0, 0, 5};
    std::vector<uint8_t> shared = {1, 1, 0, 0, 1, 1};
    EXPECT_EQ(hrm::masked_argmax(logits, shared, 2, 3), (std::vector<int32_t>{1, 1, 0, 2}));
    std::vector<int32_t> out(4, -1);
    std::vector<uint8_t> per_row = {1, 0, 0, 0, 0, 1, 0, 1, 0, 1, 0, 0};
    hrm::Tensor lg = hrm::Tensor::of(logits, {2, 2, 3}), mk = hrm::Tensor::of(per_row, {2, 2, 3}),
                pr = hrm::Tensor::of(out, {2, 2});
    hrm::check(hrm_masked_argmax(lg.get(), mk.get(), pr.get()));
    EXPECT_EQ(out, (std::vector<int32_t>{0, 2, 1, 0}));
}

TEST(MaskedArgmax, BadArgumentsAreClearErrors) {
    std::vector<float> logits(6, 0.0f);
    std::vector<uint8_t> mask = {1, 1, 1, 0, 0, 0};  // position 1 allows nothing
    std::vector<int32_t> out(2, -1);
    hrm::Tensor lg = hrm::Tensor::of(logits, {2, 3}), mk = hrm::Tensor::of(mask, {2, 3}),
                pr = hrm::Tensor::of(out, {2});
    EXPECT_TRUE(
        contains(message_of(hrm_masked_argmax(lg.get(), mk.get(), pr.get())), "allows no token at row 0, position 1"));
    EXPECT_EQ(out, (std::vector<int32_t>{-1, -1}));  // untouched on failure
    hrm::Tensor wrong = hrm::Tensor::of(mask, {3, 2});
    EXPECT_TRUE(contains(message_of(hrm_masked_argmax(lg.get(), wrong.get(), pr.get())), "shapes do not fit"));
    EXPECT_TRUE(contains(message_of(hrm_masked_argmax(lg.get(), nullptr, nullptr)), "predictions is NULL"));
    hrm::Tensor as_u8 = hrm::Tensor::of(mask, {2, 3});
    EXPECT_TRUE(contains(message_of(hrm_masked_argmax(as_u8.get(), nullptr, pr.get())), "logits has the wrong dtype"));
}
