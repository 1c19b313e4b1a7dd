// Sudoku task plugin: the hrm_encoder ABI (sdk/include/hrm/hrm_encoder.h) over the
// plain C++ task library in this folder. Everything here is glue: parsing,
// solving, generating, augmenting and rendering live in grid/solver/generator/
// augment/render.
//
// Classes (one per grid size, since seq_len is fixed per encoder):
//   name "sudoku"   id org.hrm-sdk.task.sudoku     9x9,  seq_len 81,  vocab 11 (the reference)
//   name "sudoku4"  id org.hrm-sdk.task.sudoku4    4x4,  seq_len 16,  vocab 6
//   name "sudoku6"  id org.hrm-sdk.task.sudoku6    6x6,  seq_len 36,  vocab 8
//   name "sudoku16" id org.hrm-sdk.task.sudoku16  16x16, seq_len 256, vocab 18
//
// Instances: one puzzle line, a sudoku-extreme CSV row (with the answer: labels), or
// a JSON grid (may span lines). generate() writes CSV rows `generated,q,a,rating`.
// Augmentation k != 0 is Transform::random(shape, seed = k); 0 is the identity.
#include <cstring>
#include <cstdint>
#include <limits>
#include <string>

#include <toml++/toml.h>

#include "common/limits.hpp"

#include "hrm/hrm_encoder.h"
#include "hrm/hrm_plugin.hpp"

#include "common/config.hpp"
#include "common/csv.hpp"

#include "augment.hpp"
#include "generator.hpp"
#include "grid.hpp"
#include "render.hpp"
#include "solver.hpp"

namespace {

namespace sk = hrm::sudoku;
using hrm::plugin::Error;
using hrm::plugin::guard;
using hrm::plugin::require;
using hrm::plugin::write_sized;

constexpr const char* kVersion = "1.0.0";
const char* const kFeatures[] = {"task:sudoku", "oracle", "generator", "augment", nullptr};

struct Class {
  hrm_descriptor desc;
  int n;
};

const Class kClasses[] = {
    {{sizeof(hrm_descriptor), HRM_KIND_ENCODER, "org.hrm-sdk.task.sudoku", "sudoku", kVersion, "hrm-sdk",
      "9x9 Sudoku (reference sudoku-extreme encoding)", "", kFeatures},
     9},
    {{sizeof(hrm_descriptor), HRM_KIND_ENCODER, "org.hrm-sdk.task.sudoku4", "sudoku4", kVersion, "hrm-sdk",
      "4x4 Sudoku (2x2 boxes)", "", kFeatures},
     4},
    {{sizeof(hrm_descriptor), HRM_KIND_ENCODER, "org.hrm-sdk.task.sudoku6", "sudoku6", kVersion, "hrm-sdk",
      "6x6 Sudoku (2x3 boxes)", "", kFeatures},
     6},
    {{sizeof(hrm_descriptor), HRM_KIND_ENCODER, "org.hrm-sdk.task.sudoku16", "sudoku16", kVersion, "hrm-sdk",
      "16x16 Sudoku (4x4 boxes, digits 1-9 A-G)", "", kFeatures},
     16},
};

// One encoder instance. The vtable is the first member so that the pointer handed to
// the host and plugin_data agree; plugin_data is what we actually use.
struct Encoder {
  hrm_encoder vt{};
  const hrm_host* host = nullptr;
  sk::Shape shape;
};

const Encoder& self_of(const hrm_encoder* e) { return *static_cast<const Encoder*>(e->plugin_data); }

[[noreturn]] void fail_format(const std::string& what, const sk::Error& e) {
  throw Error(HRM_E_FORMAT, what + e.message);
}

// Parses an instance and checks it has this encoder's size.
sk::Parsed parse_instance(const Encoder& enc, const hrm_blob* instance) {
  auto p = sk::parse_puzzle(hrm::plugin::view(instance));
  if (!p) fail_format("sudoku instance: ", p.error());
  if (p->grid.shape != enc.shape)
    throw Error(HRM_E_FORMAT, "sudoku instance is " + std::to_string(p->grid.n()) + "x" + std::to_string(p->grid.n()) +
                                  ", this encoder handles " + std::to_string(enc.shape.n) + "x" +
                                  std::to_string(enc.shape.n) + " (classes: sudoku4, sudoku6, sudoku, sudoku16)");
  return std::move(p).value();
}

// A candidate solution in any of the formats; for CSV the answer column (if present).
sk::Result<sk::Grid> parse_solution(std::string_view text) {
  auto p = sk::parse_puzzle(text, /*check_contradictions=*/false);
  if (!p) return p.error();
  if (p->csv && p->csv->answer) return *p->csv->answer;
  return p->grid;
}

// Copies a filled struct into a caller struct that may be older (smaller) or newer.
hrm_status* HRM_ABI get_spec(const hrm_encoder* e, hrm_encoder_spec* out) {
  const Encoder& enc = self_of(e);
  return guard(enc.host, [&] {
    hrm_encoder_spec s{};
    s.caps = HRM_ENCODER_CAN_SOLVE | HRM_ENCODER_CAN_GENERATE | HRM_ENCODER_CAN_AUGMENT | HRM_ENCODER_CAN_RENDER |
             HRM_ENCODER_CAN_MASK;
    s.seq_len = sk::seq_len(enc.shape);
    s.vocab_size = sk::vocab_size(enc.shape);
    s.pad_id = 0;
    s.ignore_label_id = 0;
    s.num_puzzle_identifiers = 1;
    s.num_augmentations = 0;  // seeded: any 64-bit id
    write_sized(out, s);
  });
}

// Records: non-empty lines, except '#' comments and the CSV header; a line starting
// with '[' begins a JSON grid that runs to its matching ']'. A CSV record ends at the first line
// break outside quotes (RFC 4180, common/csv.hpp), so a quoted field may span lines.
hrm_status* HRM_ABI split(const hrm_encoder* e, const hrm_blob* text, size_t* offset, hrm_blob* record) {
  return guard(self_of(e).host, [&] {
    require(offset != nullptr && record != nullptr, HRM_E_INVALID_ARG, "split: NULL offset or record");
    std::string_view s = hrm::plugin::view(text);
    size_t i = *offset;
    while (i < s.size()) {
      size_t eol = s.find('\n', i);
      if (eol == std::string_view::npos) eol = s.size();
      std::string_view line = s.substr(i, eol - i);
      size_t first = line.find_first_not_of(" \t\r");
      if (first == std::string_view::npos || line[first] == '#') {
        i = eol + 1;
        continue;
      }
      size_t begin = i + first, end = eol;
      if (line[first] != '[') {
        end = eol = hrm::task::csv::record_end(s, begin);
        if (hrm::task::csv::is_header(s.substr(begin, end - begin), "source")) {
          i = eol + 1;
          continue;
        }
      } else {  // JSON: up to the bracket that closes the first one
        int depth = 0;
        for (end = begin; end < s.size(); ++end) {
          depth += s[end] == '[' ? 1 : s[end] == ']' ? -1 : 0;
          if (depth == 0) break;
        }
        end = std::min(end + 1, s.size());
        eol = s.find('\n', end);
        if (eol == std::string_view::npos) eol = s.size();
      }
      while (end > begin && (s[end - 1] == '\r' || s[end - 1] == ' ' || s[end - 1] == '\t')) --end;
      *record = hrm_blob{s.data() + begin, end - begin};
      *offset = std::min(eol + 1, s.size());
      return;
    }
    *record = hrm_blob{nullptr, 0};
    *offset = s.size();
  });
}

hrm_status* HRM_ABI encode(const hrm_encoder* e, const hrm_blob* instance, hrm_tensor* tokens, hrm_tensor* labels,
                           int32_t* has_labels, int32_t* puzzle_id) {
  const Encoder& enc = self_of(e);
  return guard(enc.host, [&] {
    const int64_t S = sk::seq_len(enc.shape);
    sk::Parsed p = parse_instance(enc, instance);
    int32_t* tok = hrm::plugin::checked_data<int32_t>(tokens, HRM_DTYPE_I32, {S}, "tokens");
    int32_t* lab = labels ? hrm::plugin::checked_data<int32_t>(labels, HRM_DTYPE_I32, {S}, "labels") : nullptr;
    const bool answer = p.csv && p.csv->answer;
    if (answer) {  // a wrong answer would silently train the model on garbage
      if (auto st = sk::verify_solution(p.grid, *p.csv->answer); !st) fail_format("sudoku answer: ", st.error());
    }
    auto t = sk::to_tokens(p.grid);
    std::copy(t.begin(), t.end(), tok);
    if (lab && answer) {
      auto l = sk::to_tokens(*p.csv->answer);
      std::copy(l.begin(), l.end(), lab);
    }
    if (has_labels) *has_labels = (lab && answer) ? 1 : 0;
    if (puzzle_id) *puzzle_id = 0;
  });
}

hrm_status* HRM_ABI decode(const hrm_encoder* e, const hrm_blob* instance, const hrm_tensor* predictions,
                           hrm_blob* solution) {
  const Encoder& enc = self_of(e);
  return guard(enc.host, [&] {
    require(solution != nullptr, HRM_E_INVALID_ARG, "decode: NULL solution");
    sk::Parsed p = parse_instance(enc, instance);
    const int64_t S = sk::seq_len(enc.shape);
    const int32_t* pred = hrm::plugin::checked_data<int32_t>(predictions, HRM_DTYPE_I32,
                                                              {S}, "predictions");
    auto g = sk::from_tokens(pred, static_cast<size_t>(S), enc.shape);
    if (!g) fail_format("sudoku predictions: ", g.error());
    *solution = hrm::plugin::make_blob(enc.host, sk::format_like(*g, p));
  });
}

hrm_status* HRM_ABI verify(const hrm_encoder* e, const hrm_blob* instance, const hrm_blob* solution, int32_t* valid,
                           double* score) {
  const Encoder& enc = self_of(e);
  return guard(enc.host, [&] {
    require(valid != nullptr, HRM_E_INVALID_ARG, "verify: NULL valid");
    sk::Parsed p = parse_instance(enc, instance);
    auto s = parse_solution(hrm::plugin::view(solution));
    const bool ok = s && sk::verify_solution(p.grid, *s).ok();  // unreadable solution = rejected
    *valid = ok ? 1 : 0;
    if (score) *score = ok ? 1.0 : 0.0;
  });
}

hrm_status* HRM_ABI solve(const hrm_encoder* e, const hrm_blob* instance, hrm_blob* solution,
                          hrm_solve_stats* stats) {
  const Encoder& enc = self_of(e);
  return guard(enc.host, [&] {
    require(solution != nullptr, HRM_E_INVALID_ARG, "solve: NULL solution");
    sk::Parsed p = parse_instance(enc, instance);
    sk::SolveOptions opt;
    opt.limit = 2;
    sk::SolveResult r = sk::solve(p.grid, opt);
    if (r.solutions == 0) throw Error(HRM_E_FORMAT, "sudoku instance has no solution");
    if (stats) {
      hrm_solve_stats s{};
      s.solutions = r.solutions;
      s.rating = static_cast<double>(r.guesses);
      write_sized(stats, s);
    }
    *solution = hrm::plugin::make_blob(enc.host, sk::format_like(r.solution, p));
  });
}

// Reads an integer option; absent keys keep the default.
template <class T>
T option(const toml::table& t, const char* key, T fallback) {
  if (!t.contains(key)) return fallback;
  // value_exact: value<int64_t>() converts a float such as 8e39 to int64, undefined behaviour
  // (found by fuzz/config_task); the bound keeps the narrowing below exact.
  auto v = t[key].value_exact<int64_t>();
  require(v.has_value() && *v >= 0 && uint64_t(*v) <= uint64_t(std::numeric_limits<T>::max()), HRM_E_INVALID_ARG,
          std::string("option '") + key + "' must be a non-negative integer in range");
  return static_cast<T>(*v);
}

// Options (TOML, all optional): givens, min_rating, max_rating, max_attempts.
hrm_status* HRM_ABI generate(const hrm_encoder* e, uint64_t seed, const char* options, hrm_blob* instance) {
  const Encoder& enc = self_of(e);
  return guard(enc.host, [&] {
    require(instance != nullptr, HRM_E_INVALID_ARG, "generate: NULL instance");
    toml::table t;
    if (options && *options) {
      try {
        t = toml::parse(options);
      } catch (const toml::parse_error& err) {
        throw Error(HRM_E_INVALID_ARG, std::string("generate options: ") + err.what());
      }
    }
    for (const auto& [key, value] : t) {
      const std::string_view k = key.str();
      require(k == "givens" || k == "min_rating" || k == "max_rating" || k == "max_attempts", HRM_E_INVALID_ARG,
              "generate options: unknown key '" + std::string(k) + "' (givens, min_rating, max_rating, max_attempts)");
    }
    sk::GenerateOptions o;
    o.shape = enc.shape;
    o.target_givens = option(t, "givens", sk::GenerateOptions::default_givens(enc.shape));
    o.min_difficulty = option(t, "min_rating", o.min_difficulty);
    o.max_difficulty = option(t, "max_rating", o.max_difficulty);
    const int64_t attempts = option<int64_t>(t, "max_attempts", o.max_attempts);   // checked before narrowing
    require(attempts >= 1 && attempts <= hrm::task::kMaxGenerateAttempts, HRM_E_INVALID_ARG,
            "generate options: max_attempts must be in 1..1000");
    o.max_attempts = static_cast<int>(attempts);
    o.seed = seed;
    auto g = sk::generate(o);
    if (!g) throw Error(HRM_E_INVALID_ARG, "sudoku generate: " + g.error().message);
    sk::CsvRecord rec{"generated", g->puzzle, g->solution, std::to_string(g->difficulty)};
    *instance = hrm::plugin::make_blob(enc.host, sk::format_csv_record(rec));
  });
}

hrm_status* HRM_ABI augment(const hrm_encoder* e, uint64_t augmentation, int32_t inverse, const hrm_tensor* src,
                            hrm_tensor* dst) {
  const Encoder& enc = self_of(e);
  return guard(enc.host, [&] {
    const int64_t S = sk::seq_len(enc.shape);
    require(src != nullptr && src->ndim == 2, HRM_E_INVALID_ARG, "augment: src must be [N, S]");
    const int64_t N = src->shape[0];
    const int32_t* in = hrm::plugin::checked_data<int32_t>(src, HRM_DTYPE_I32, {N, S}, "src");
    int32_t* out = hrm::plugin::checked_data<int32_t>(dst, HRM_DTYPE_I32, {N, S}, "dst");
    require(in + N * S <= out || out + N * S <= in, HRM_E_INVALID_ARG, "augment: src and dst overlap");
    sk::Transform t = augmentation == 0 ? sk::Transform::identity(enc.shape) : sk::Transform::random(enc.shape, augmentation);
    if (inverse) t = t.inverse();
    for (int64_t row = 0; row < N; ++row) t.apply_tokens(in + row * S, out + row * S);
  });
}

hrm_status* HRM_ABI render(const hrm_encoder* e, const hrm_blob* instance, const hrm_blob* solution,
                           hrm_render_format format, hrm_blob* picture) {
  const Encoder& enc = self_of(e);
  return guard(enc.host, [&] {
    require(picture != nullptr, HRM_E_INVALID_ARG, "render: NULL picture");
    sk::Parsed p = parse_instance(enc, instance);
    sk::Grid shown = p.grid;
    if (solution) {
      auto s = parse_solution(hrm::plugin::view(solution));
      if (!s) fail_format("sudoku solution: ", s.error());
      require(s->shape == enc.shape, HRM_E_FORMAT, "sudoku solution has a different size than the instance");
      shown = *s;
    }
    std::string out;
    switch (format) {
      case HRM_RENDER_TEXT: out = sk::render_text(shown, &p.grid, false); break;
      case HRM_RENDER_ANSI: out = sk::render_text(shown, &p.grid, true); break;
      case HRM_RENDER_SVG: out = sk::render_svg(shown, &p.grid); break;
      default: throw Error(HRM_E_UNSUPPORTED, "render: unknown format " + std::to_string(format));
    }
    *picture = hrm::plugin::make_blob(enc.host, out);
  });
}

// A given keeps its digit; a blank becomes one of the digits (never blank, never PAD).
hrm_status* HRM_ABI output_mask(const hrm_encoder* e, const hrm_blob* instance, hrm_tensor* mask) {
  const Encoder& enc = self_of(e);
  return guard(enc.host, [&] {
    const sk::Parsed p = parse_instance(enc, instance);
    const auto tokens = sk::to_tokens(p.grid);
    const int32_t blank = 1, first_digit = 2, last_digit = enc.shape.n + 1;
    hrm::plugin::OutputMask m(sk::seq_len(enc.shape), sk::vocab_size(enc.shape));
    for (size_t i = 0; i < tokens.size(); ++i) {
      if (tokens[i] == blank) m.allow_range(int64_t(i), first_digit, last_digit);
      else m.allow(int64_t(i), tokens[i]);
    }
    m.write(mask);
  });
}

const void* HRM_ABI get_extension(const hrm_encoder*, const char*) { return nullptr; }

void HRM_ABI destroy(const hrm_encoder* e) { delete static_cast<const Encoder*>(e->plugin_data); }

// ---- factory and entry -------------------------------------------------------------

hrm_status* HRM_ABI factory_create(const hrm_factory*, const char* id, const hrm_host* host,
                                   const hrm_instance_params* params, const void** out) {
  return guard(host, [&] {
    require(id != nullptr && out != nullptr, HRM_E_INVALID_ARG, "create: NULL id or out");
    // Sudoku has no instance options; a config naming one is a mistake to report, not to ignore.
    for (const auto& [key, value] : hrm::task::task_table(params ? params->config : nullptr, "sudoku config"))
      throw Error(HRM_E_INVALID_ARG, "sudoku config: unknown key [task]." + std::string(key.str()) +
                                         " (sudoku encoders have no options)");
    const Class* cls = hrm::plugin::find_class(kClasses, id);
    require(cls != nullptr, HRM_E_NOT_FOUND, std::string("no sudoku encoder class '") + id + "'");
    auto* enc = new Encoder;
    enc->host = host;
    enc->shape = *sk::shape_for_size(cls->n);
    hrm_encoder& v = enc->vt;
    v.struct_size = sizeof(hrm_encoder);
    v.api_version = HRM_API_VERSION;
    v.desc = &cls->desc;
    v.plugin_data = enc;
    v.get_spec = get_spec;
    v.split = split;
    v.encode = encode;
    v.decode = decode;
    v.verify = verify;
    v.solve = solve;
    v.generate = generate;
    v.augment = augment;
    v.render = render;
    v.get_extension = get_extension;
    v.destroy = destroy;
    v.output_mask = output_mask;
    *out = &enc->vt;
  });
}

const hrm_factory kFactory = {sizeof(hrm_factory), HRM_API_VERSION, nullptr, hrm::plugin::class_count<kClasses>,
                              hrm::plugin::class_descriptor<kClasses>, factory_create};

}  // namespace

HRM_PLUGIN_DEFINE_ENTRY("org.hrm-sdk.task.sudoku", kVersion, HRM_FACTORY_ENCODER, kFactory)
