// Calls on one hrm_encoder instance through its vtable, with strings and vectors in and out: what
// the encoder plugin tests (tests/tasks, tests/gridnav) share. Errors come back as "<code>: <message>"
// (or "ERROR <code>: <message>" where the call would otherwise return text). The tests add verify()
// in the form they need, and own creating and destroying `enc`.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "hrm/hrm_encoder.h"
#include "plugin_host.hpp"

namespace test_host {

class EncoderCalls {
 public:
  std::vector<std::string> split(const std::string& text) {
    std::vector<std::string> out;
    hrm_blob whole = blob(text);
    size_t offset = 0;
    for (;;) {
      hrm_blob rec{};
      EXPECT_EQ(take(enc->split(enc, &whole, &offset, &rec)), "");
      if (!rec.data) break;
      out.emplace_back(static_cast<const char*>(rec.data), rec.size);
    }
    return out;
  }
  // Returns the error ("" on success); fills tokens/labels.
  std::string encode(const std::string& instance, std::vector<int32_t>& tokens, std::vector<int32_t>& labels,
                     int32_t& has_labels) {
    tokens.assign(static_cast<size_t>(spec.seq_len), -1);
    labels.assign(static_cast<size_t>(spec.seq_len), -1);
    View t(tokens, {spec.seq_len}), l(labels, {spec.seq_len});
    hrm_blob in = blob(instance);
    int32_t pid = -1;
    return take(enc->encode(enc, &in, &t.t, &l.t, &has_labels, &pid));
  }
  std::string decode(const std::string& instance, std::vector<int32_t>& predictions) {
    View p(predictions, {spec.seq_len});
    hrm_blob in = blob(instance), out{};
    std::string err = take(enc->decode(enc, &in, &p.t, &out));
    return err.empty() ? take(out) : "ERROR " + err;
  }
  std::string solve(const std::string& instance, hrm_solve_stats* stats = nullptr) {
    hrm_blob in = blob(instance), out{};
    std::string err = take(enc->solve(enc, &in, &out, stats));
    return err.empty() ? take(out) : "ERROR " + err;
  }
  std::string generate(uint64_t seed, const char* options) {
    hrm_blob out{};
    std::string err = take(enc->generate(enc, seed, options, &out));
    return err.empty() ? take(out) : "ERROR " + err;
  }
  std::string augment(uint64_t id, bool inverse, std::vector<int32_t>& rows, std::vector<int32_t>& out) {
    out.assign(rows.size(), -1);
    const int64_t n = static_cast<int64_t>(rows.size()) / spec.seq_len;
    View s(rows, {n, spec.seq_len}), d(out, {n, spec.seq_len});
    return take(enc->augment(enc, id, inverse ? 1 : 0, &s.t, &d.t));
  }
  std::string render(const std::string& instance, const std::string* solution, hrm_render_format format) {
    hrm_blob in = blob(instance), sol = solution ? blob(*solution) : hrm_blob{}, out{};
    std::string err = take(enc->render(enc, &in, solution ? &sol : nullptr, format, &out));
    return err.empty() ? take(out) : "ERROR " + err;
  }

  const hrm_encoder* enc = nullptr;
  hrm_encoder_spec spec{};
};

}  // namespace test_host
