// Maze task plugin: the hrm_encoder ABI (sdk/include/hrm/hrm_encoder.h) over the
// plain C++ task library in this folder. Everything here is glue.
//
// Class: name "maze", id org.hrm-sdk.task.maze; seq_len canvas^2, vocab 6 (reference
// Maze-Hard encoding; mazes smaller than the canvas are PAD-filled to the right and below).
// Config (instance params, TOML): [task] canvas = 2..30 (default 30, the reference's 900
// tokens). A model trained on a canvas must be run with the same canvas.
//
// Instances (split() finds them):
//   - a reference CSV row `source,question,answer,rating` (answer -> labels);
//   - one line of n*n characters;
//   - n lines of n characters (n <= 30). A line of <= 30 characters followed by
//     enough lines of the same length starts such a block; only mazes of 5x5 or
//     smaller could be read either way, and the block reading wins.
// Empty lines and the CSV header are skipped; there are no comment lines.
// generate() writes CSV rows `generated,q,a,<shortest path length>`.
// Augmentation k: 0..7 are the dihedral ids of the reference (0 identity); larger
// ids map to one of the 7 non-identity transforms by a hash of k.
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
#include "common/dihedral.hpp"

#include "augment.hpp"
#include "generator.hpp"
#include "grid.hpp"
#include "render.hpp"
#include "solver.hpp"

namespace {

namespace mz = hrm::maze;
using hrm::plugin::Error;
using hrm::plugin::guard;
using hrm::plugin::require;
using hrm::plugin::write_sized;

constexpr const char* kVersion = "1.0.0";
const char* const kFeatures[] = {"task:maze", "oracle", "generator", "augment", nullptr};
const hrm_descriptor kClasses[] = {{sizeof(hrm_descriptor), HRM_KIND_ENCODER, "org.hrm-sdk.task.maze", "maze",
                                     kVersion, "hrm-sdk", "Maze shortest path (reference Maze-Hard 30x30 encoding)",
                                     "", kFeatures}};

struct Encoder {
  hrm_encoder vt{};
  const hrm_host* host = nullptr;
  int canvas = mz::kCanvas;
  int64_t seq_len() const { return int64_t{canvas} * canvas; }
};

// The [task] table of the instance config; only `canvas` is known.
int parse_canvas(const char* config) {
  int canvas = mz::kCanvas;
  for (const auto& [key, value] : hrm::task::task_table(config, "maze config")) {
    require(key.str() == "canvas", HRM_E_INVALID_ARG,
            "maze config: unknown key [task]." + std::string(key.str()) + " (canvas)");
    auto c = value.value_exact<int64_t>();
    require(c && *c >= 2 && *c <= mz::kMaxSize, HRM_E_INVALID_ARG, "maze config: [task].canvas must be an integer 2..30");
    canvas = static_cast<int>(*c);
  }
  return canvas;
}

const Encoder& self_of(const hrm_encoder* e) { return *static_cast<const Encoder*>(e->plugin_data); }

enum class Layout { kCsv, kLine, kBlock };

// A parsed instance and how it was written, so that answers go back the same way.
struct Instance {
  Layout layout = Layout::kLine;
  mz::Maze maze;
  mz::CsvRecord csv;  // kCsv only
};

mz::Result<Instance> read_instance(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  Instance in;
  if (text.find(',') != std::string_view::npos) {
    auto rec = mz::parse_csv_record(text);
    if (!rec) return rec.error();
    in.layout = Layout::kCsv;
    in.csv = rec.value();
    in.maze = in.csv.question;
    return in;
  }
  auto m = mz::parse_maze(text);
  if (!m) return m.error();
  in.layout = text.find('\n') != std::string_view::npos ? Layout::kBlock : Layout::kLine;
  in.maze = m.value();
  return in;
}

Instance parse_instance(const hrm_blob* instance) {
  auto in = read_instance(hrm::plugin::view(instance));
  if (!in) throw Error(HRM_E_FORMAT, "maze instance: " + in.error().message);
  return std::move(in).value();
}

// Parses an instance and checks that it fits the canvas.
Instance parse_fitting(const Encoder& enc, const hrm_blob* instance) {
  Instance in = parse_instance(instance);
  require(in.maze.n <= enc.canvas, HRM_E_FORMAT,
          "maze instance: " + std::to_string(in.maze.n) + "x" + std::to_string(in.maze.n) + " does not fit the " +
              std::to_string(enc.canvas) + "x" + std::to_string(enc.canvas) + " canvas ([task] canvas)");
  return in;
}

std::string format_like(const mz::Maze& answer, const Instance& like) {
  switch (like.layout) {
    case Layout::kCsv: {
      mz::CsvRecord rec = like.csv;
      rec.answer = answer;
      return mz::format_csv_record(rec);
    }
    case Layout::kBlock: return mz::format_maze(answer, /*multiline=*/true);
    case Layout::kLine: break;
  }
  return mz::format_maze(answer);
}

// A candidate solution in any layout; for CSV the answer column.
mz::Result<mz::Maze> parse_solution(std::string_view text) {
  auto in = read_instance(text);
  if (!in) return in.error();
  if (in->layout == Layout::kCsv && in->csv.answer) return *in->csv.answer;
  return in->maze;
}

hrm_status* HRM_ABI get_spec(const hrm_encoder* e, hrm_encoder_spec* out) {
  return guard(self_of(e).host, [&] {
    hrm_encoder_spec s{};
    s.caps = HRM_ENCODER_CAN_SOLVE | HRM_ENCODER_CAN_GENERATE | HRM_ENCODER_CAN_AUGMENT | HRM_ENCODER_CAN_RENDER |
             HRM_ENCODER_CAN_MASK;
    s.seq_len = self_of(e).seq_len();
    s.vocab_size = mz::kVocabSize;
    s.pad_id = 0;
    s.ignore_label_id = 0;
    s.num_puzzle_identifiers = 1;
    s.num_augmentations = mz::kDihedralCount;
    write_sized(out, s);
  });
}

hrm_status* HRM_ABI split(const hrm_encoder* e, const hrm_blob* text, size_t* offset, hrm_blob* record) {
  return guard(self_of(e).host, [&] {
    require(offset != nullptr && record != nullptr, HRM_E_INVALID_ARG, "split: NULL offset or record");
    std::string_view s = hrm::plugin::view(text);
    // Line i of the remaining text: [begin, end) without '\r', next = start of the following line.
    auto line_at = [&s](size_t begin, size_t& next) {
      size_t eol = s.find('\n', begin);
      if (eol == std::string_view::npos) eol = s.size();
      next = std::min(eol + 1, s.size() + 1);
      std::string_view line = s.substr(begin, eol - begin);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      return line;
    };
    size_t i = *offset;
    while (i < s.size()) {
      size_t next;
      std::string_view line = line_at(i, next);
      // Only truly empty lines separate records: a line of spaces is an open maze row.
      // There are no comment lines, since maze rows usually start with '#'.
      if (line.empty()) {
        i = next;
        continue;
      }
      size_t end = i + line.size(), after = next;
      const size_t n = line.size();
      if (line.find(',') != std::string_view::npos || line.front() == '"') {
        // A CSV record (RFC 4180): up to the first line break outside quotes, so a quoted field
        // may hold a block maze; the optional header is skipped.
        end = hrm::task::csv::record_end(s, i);
        after = std::min(end + 1, s.size() + 1);
        if (end > i && s[end - 1] == '\r') --end;
        if (hrm::task::csv::is_header(s.substr(i, end - i), "source")) {
          i = after;
          continue;
        }
      } else if (n <= static_cast<size_t>(mz::kMaxSize)) {
        // Block if n-1 more lines of length n follow.
        size_t j = next, k = 1, block_end = end;
        while (k < n && j < s.size()) {
          size_t nj;
          std::string_view l = line_at(j, nj);
          if (l.size() != n || l.find(',') != std::string_view::npos) break;
          block_end = j + l.size();
          j = nj;
          ++k;
        }
        if (k == n) end = block_end, after = j;
      }
      *record = hrm_blob{s.data() + i, end - i};
      *offset = std::min(after, s.size());
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
    Instance in = parse_fitting(enc, instance);
    int32_t* tok = hrm::plugin::checked_data<int32_t>(tokens, HRM_DTYPE_I32, {enc.seq_len()}, "tokens");
    int32_t* lab = labels ? hrm::plugin::checked_data<int32_t>(labels, HRM_DTYPE_I32, {enc.seq_len()}, "labels") : nullptr;
    const bool answer = in.layout == Layout::kCsv && in.csv.answer;
    if (answer) {  // a wrong answer would silently train the model on garbage
      if (auto st = mz::verify(in.maze, *in.csv.answer); !st)
        throw Error(HRM_E_FORMAT, "maze answer: " + st.error().message);
    } else if (auto path = mz::shortest_path(in.maze, 1); !path) {
      throw Error(HRM_E_FORMAT, "maze instance: " + path.error().message);  // e.g. unreachable goal
    }
    auto t = mz::to_tokens(in.maze, enc.canvas);
    std::copy(t.begin(), t.end(), tok);
    if (lab && answer) {
      auto l = mz::to_tokens(*in.csv.answer, enc.canvas);
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
    Instance in = parse_fitting(enc, instance);
    const int32_t* pred = hrm::plugin::checked_data<int32_t>(predictions, HRM_DTYPE_I32, {enc.seq_len()}, "predictions");
    auto m = mz::from_tokens(pred, size_t(enc.seq_len()), in.maze.n, enc.canvas);
    if (!m) throw Error(HRM_E_FORMAT, "maze predictions: " + m.error().message);
    *solution = hrm::plugin::make_blob(enc.host, format_like(*m, in));
  });
}

hrm_status* HRM_ABI verify(const hrm_encoder* e, const hrm_blob* instance, const hrm_blob* solution, int32_t* valid,
                           double* score) {
  const Encoder& enc = self_of(e);
  return guard(enc.host, [&] {
    require(valid != nullptr, HRM_E_INVALID_ARG, "verify: NULL valid");
    Instance in = parse_instance(instance);
    if (auto path = mz::shortest_path(in.maze, 1); !path)
      throw Error(HRM_E_FORMAT, "maze instance: " + path.error().message);
    auto s = parse_solution(hrm::plugin::view(solution));
    const bool ok = s && mz::verify(in.maze, *s).ok();  // unreadable solution = rejected
    *valid = ok ? 1 : 0;
    if (score) *score = ok ? 1.0 : 0.0;
  });
}

hrm_status* HRM_ABI solve(const hrm_encoder* e, const hrm_blob* instance, hrm_blob* solution,
                          hrm_solve_stats* stats) {
  const Encoder& enc = self_of(e);
  return guard(enc.host, [&] {
    require(solution != nullptr, HRM_E_INVALID_ARG, "solve: NULL solution");
    Instance in = parse_instance(instance);
    auto path = mz::shortest_path(in.maze, 2);
    if (!path) throw Error(HRM_E_FORMAT, "maze instance: " + path.error().message);
    if (stats) {
      hrm_solve_stats s{};
      s.solutions = static_cast<int64_t>(path->shortest_paths);  // 1, or 2 = several shortest paths
      s.rating = path->length;  // BFS is exact and cheap; the path length is the difficulty
      write_sized(stats, s);
    }
    *solution = hrm::plugin::make_blob(enc.host, format_like(mz::mark_path(in.maze, path->path), in));
  });
}

// Options (TOML, all optional): size, min_path_length, loop_fraction, carver ("dfs" or
// "prim"), unique_path, max_attempts.
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
    mz::GenerateOptions o;
    o.n = enc.canvas;  // the default size fills the canvas
    auto integer = [&t](const char* key, int fallback) {
      if (!t.contains(key)) return fallback;
      // value_exact: value<int64_t>() converts a float such as 8e39 to int64, undefined behaviour
      // (found by fuzz/config_task); the range check keeps the narrowing below exact.
      auto v = t[key].value_exact<int64_t>();
      require(v.has_value() && *v >= INT32_MIN && *v <= INT32_MAX, HRM_E_INVALID_ARG,
              std::string("option '") + key + "' must be an integer");
      return static_cast<int>(*v);
    };
    for (const auto& [key, value] : t) {
      const std::string_view k = key.str();
      if (k == "size") o.n = integer("size", o.n);
      else if (k == "min_path_length") o.min_path_length = integer("min_path_length", o.min_path_length);
      else if (k == "max_attempts") {
        const auto v = t[key].value_exact<int64_t>();
        require(v && *v >= 1 && *v <= hrm::task::kMaxGenerateAttempts, HRM_E_INVALID_ARG,
                "option 'max_attempts' must be an integer in 1..1000");
        o.max_attempts = static_cast<int>(*v);
      }
      else if (k == "loop_fraction") {
        auto v = value.value<double>();
        require(v.has_value(), HRM_E_INVALID_ARG, "option 'loop_fraction' must be a number");
        o.loop_fraction = *v;
      } else if (k == "unique_path") {
        auto v = value.value<bool>();
        require(v.has_value(), HRM_E_INVALID_ARG, "option 'unique_path' must be true or false");
        o.unique_path = *v;
      } else if (k == "carver") {
        auto v = value.value<std::string>();
        require(v && (*v == "dfs" || *v == "prim"), HRM_E_INVALID_ARG, "option 'carver' must be \"dfs\" or \"prim\"");
        o.carver = *v == "dfs" ? mz::Carver::kDfs : mz::Carver::kPrim;
      } else {
        throw Error(HRM_E_INVALID_ARG, "generate options: unknown key '" + std::string(k) +
                                           "' (size, min_path_length, loop_fraction, carver, unique_path, max_attempts)");
      }
    }
    require(o.n <= enc.canvas || o.n > mz::kMaxSize, HRM_E_INVALID_ARG,  // out of range: the generator says so
            "generate: size " + std::to_string(o.n) + " does not fit the canvas " + std::to_string(enc.canvas));
    o.seed = seed;
    auto g = mz::generate(o);
    if (!g) throw Error(HRM_E_INVALID_ARG, "maze generate: " + g.error().message);
    mz::CsvRecord rec{"generated", g->puzzle, g->solution, std::to_string(g->path.length)};
    *instance = hrm::plugin::make_blob(enc.host, mz::format_csv_record(rec));
  });
}

hrm_status* HRM_ABI augment(const hrm_encoder* e, uint64_t augmentation, int32_t inverse, const hrm_tensor* src,
                            hrm_tensor* dst) {
  const Encoder& enc = self_of(e);
  return guard(enc.host, [&] {
    const int64_t S = enc.seq_len();
    require(src != nullptr && src->ndim == 2, HRM_E_INVALID_ARG, "augment: src must be [N, seq_len]");
    const int64_t N = src->shape[0];
    const int32_t* in = hrm::plugin::checked_data<int32_t>(src, HRM_DTYPE_I32, {N, S}, "src");
    int32_t* out = hrm::plugin::checked_data<int32_t>(dst, HRM_DTYPE_I32, {N, S}, "dst");
    require(in + N * S <= out || out + N * S <= in, HRM_E_INVALID_ARG, "augment: src and dst overlap");
    int id = hrm::task::dihedral_id(augmentation);
    if (inverse) id = mz::dihedral_inverse(id);
    for (int64_t row = 0; row < N; ++row) mz::dihedral_tokens(in + row * S, out + row * S, id, enc.canvas);
  });
}

hrm_status* HRM_ABI render(const hrm_encoder* e, const hrm_blob* instance, const hrm_blob* solution,
                           hrm_render_format format, hrm_blob* picture) {
  const Encoder& enc = self_of(e);
  return guard(enc.host, [&] {
    require(picture != nullptr, HRM_E_INVALID_ARG, "render: NULL picture");
    Instance in = parse_instance(instance);
    mz::Maze shown = in.maze;
    if (solution) {
      auto s = parse_solution(hrm::plugin::view(solution));
      if (!s) throw Error(HRM_E_FORMAT, "maze solution: " + s.error().message);
      shown = *s;
    }
    std::string out;
    switch (format) {
      case HRM_RENDER_TEXT: out = mz::render_text(shown, false); break;
      case HRM_RENDER_ANSI: out = mz::render_text(shown, true); break;
      case HRM_RENDER_SVG: out = mz::render_svg(shown); break;
      default: throw Error(HRM_E_UNSUPPORTED, "render: unknown format " + std::to_string(format));
    }
    *picture = hrm::plugin::make_blob(enc.host, out);
  });
}

// Walls, S and G stay; an open cell is open or on the path; the canvas outside the maze is PAD.
hrm_status* HRM_ABI output_mask(const hrm_encoder* e, const hrm_blob* instance, hrm_tensor* mask) {
  const Encoder& enc = self_of(e);
  return guard(enc.host, [&] {
    const Instance in = parse_fitting(enc, instance);
    const auto tokens = mz::to_tokens(in.maze, enc.canvas);
    const auto token = [](char c) { return static_cast<int32_t>(mz::kCharset.find(c) + 1); };
    hrm::plugin::OutputMask m(enc.seq_len(), mz::kVocabSize);
    for (size_t i = 0; i < tokens.size(); ++i) {
      m.allow(int64_t(i), tokens[i]);
      if (tokens[i] == token(mz::kOpen) || tokens[i] == token(mz::kPath)) {
        m.allow(int64_t(i), token(mz::kOpen));
        m.allow(int64_t(i), token(mz::kPath));
      }
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
    const hrm_descriptor* desc = hrm::plugin::find_class(kClasses, id);
    require(desc != nullptr, HRM_E_NOT_FOUND, std::string("no maze encoder class '") + id + "'");
    const int canvas = parse_canvas(params ? params->config : nullptr);  // before allocating: may throw
    auto* enc = new Encoder;
    enc->host = host;
    enc->canvas = canvas;
    hrm_encoder& v = enc->vt;
    v.struct_size = sizeof(hrm_encoder);
    v.api_version = HRM_API_VERSION;
    v.desc = desc;
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

HRM_PLUGIN_DEFINE_ENTRY("org.hrm-sdk.task.maze", kVersion, HRM_FACTORY_ENCODER, kFactory)
