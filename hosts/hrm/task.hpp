// The runner's view of a task encoder: the C vtable behind C++ calls that throw hrm::Error, with
// host-allocated results turned into std::string.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <hrm/hrm.hpp>

namespace hrm::runner {

struct Encoded {
    std::vector<int32_t> tokens;
    std::vector<int32_t> labels;   // empty when the instance carries no solution
    int32_t puzzle_id = 0;
};

struct Verdict {
    bool valid = false;
    double score = 0.0;
};

struct Oracle {
    std::string solution;
    int64_t solutions = 0;
    double rating = 0.0;
};

class Task {
public:
    explicit Task(const hrm_encoder *encoder);

    const hrm_encoder_spec &spec() const { return spec_; }
    const char *name() const { return encoder_->desc->name; }
    bool can(hrm_encoder_caps cap) const { return (spec_.caps & cap) != 0; }

    // Every record of text, as slices of it.
    std::vector<std::string_view> split(std::string_view text) const;
    Encoded encode(std::string_view instance) const;
    std::string decode(std::string_view instance, const std::vector<int32_t> &predictions) const;
    Verdict verify(std::string_view instance, std::string_view solution) const;
    Oracle solve(std::string_view instance) const;
    std::string generate(uint64_t seed, const std::string &options) const;
    // Applies augmentation (or its inverse) to rows [n, seq_len] in place.
    void augment(uint64_t augmentation, bool inverse, std::vector<int32_t> &rows) const;
    std::string render(std::string_view instance, std::optional<std::string_view> solution,
                       hrm_render_format format) const;

private:
    const hrm_encoder *encoder_;
    hrm_encoder_spec spec_{};
};

}  // namespace hrm::runner
