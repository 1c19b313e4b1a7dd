// Gridnav task plugin: the hrm_encoder ABI (sdk/include/hrm/hrm_encoder.h) over the plain
// C++ task library in this folder. Everything here is glue; docs/gridnav.md has the details.
//
// Class: name "gridnav", id org.hrm-sdk.task.gridnav. seq_len = window^2 (900 by default),
// vocab 6 (7 with terrain costs: token 6 = swamp).
//
// Instance config (TOML, table [task], every key optional):
//   moves = 4 | 8 (8), radius = footprint radius >= 0 (0), window = canvas side 4..64 (30),
//   terrain = true | false (false), accept_suboptimal = ratio >= 1 accepted by verify (1.0).
//
// Instances (split() finds them): the compact text grid, rows of equal length; instances are
// separated by empty lines. A solution is the same grid with the path cells written 'o'
// ('*' on swamp).
// Augmentation k: 0..7 are the dihedral ids of the reference; larger ids map to one of the 7
// non-identity transforms by a hash of k.
#include <algorithm>
#include <cstring>
#include <string>

#include <toml++/toml.h>

#include "common/limits.hpp"

#include "hrm/hrm_encoder.h"
#include "hrm/hrm_plugin.hpp"

#include "common/config.hpp"
#include "common/dihedral.hpp"

#include "augment.hpp"
#include "generator.hpp"
#include "grid.hpp"
#include "planner.hpp"
#include "render.hpp"

namespace {

namespace gn = hrm::gridnav;
using hrm::plugin::Error;
using hrm::plugin::guard;
using hrm::plugin::require;
using hrm::plugin::write_sized;

constexpr const char* kVersion = "1.0.0";
const char* const kFeatures[] = {"task:gridnav", "oracle", "generator", "augment", nullptr};
const hrm_descriptor kClasses[] = {{sizeof(hrm_descriptor), HRM_KIND_ENCODER, "org.hrm-sdk.task.gridnav", "gridnav",
                                     kVersion, "hrm-sdk",
                                     "Grid robot path planning (4/8-connected, footprint, A* oracle, MovingAI maps)",
                                     "", kFeatures}};

struct Options {
  gn::MoveModel model;
  int window = 30;
  double accept_suboptimal = 1.0;
};

struct Encoder {
  hrm_encoder vt{};
  const hrm_host* host = nullptr;
  Options opt;
  int64_t seq_len() const { return int64_t{opt.window} * opt.window; }
  int64_t vocab_size() const { return opt.model.terrain ? 7 : 6; }  // swamp has its own token
};

const Encoder& self_of(const hrm_encoder* e) { return *static_cast<const Encoder*>(e->plugin_data); }

toml::table parse_toml(const char* text, const std::string& what) {
  if (!text || !*text) return {};
  try {
    return toml::parse(text);
  } catch (const toml::parse_error& err) {
    throw Error(HRM_E_INVALID_ARG, what + ": " + std::string(err.description()) + " (line " +
                                       std::to_string(err.source().begin.line) + ")");
  }
}

// A config or option value as an integer or a number; the error names it (`name`).
int64_t get_int(const toml::node& v, const std::string& name) {
  auto i = v.value_exact<int64_t>();
  require(i.has_value(), HRM_E_INVALID_ARG, name + " must be an integer");
  return *i;
}
double get_number(const toml::node& v, const std::string& name) {
  auto d = v.value<double>();
  require(d.has_value(), HRM_E_INVALID_ARG, name + " must be a number");
  return *d;
}

Options parse_config(const char* config) {
  Options o;
  for (const auto& [key, value] : hrm::task::task_table(config, "gridnav config")) {
    const std::string k(key.str()), name = "config [task]." + k;
    if (k == "moves") {
      const int64_t m = get_int(value, name);
      require(m == 4 || m == 8, HRM_E_INVALID_ARG, name + " must be 4 or 8, got " + std::to_string(m));
      o.model.moves = static_cast<int>(m);
    } else if (k == "radius") {
      const int64_t r = get_int(value, name);
      require(r >= 0 && r <= 10, HRM_E_INVALID_ARG, name + " must be 0..10, got " + std::to_string(r));
      o.model.radius = static_cast<int>(r);
    } else if (k == "window") {
      const int64_t w = get_int(value, name);
      require(w >= 4 && w <= 64, HRM_E_INVALID_ARG, name + " must be 4..64, got " + std::to_string(w));
      o.window = static_cast<int>(w);
    } else if (k == "terrain") {
      auto b = value.value_exact<bool>();
      require(b.has_value(), HRM_E_INVALID_ARG, name + " must be true or false");
      o.model.terrain = *b;
    } else if (k == "accept_suboptimal") {
      const double a = get_number(value, name);
      require(a >= 1.0, HRM_E_INVALID_ARG, name + " must be >= 1.0, got " + std::to_string(a));
      o.accept_suboptimal = a;
    } else {
      throw Error(HRM_E_INVALID_ARG,
                  "gridnav config: unknown key [task]." + k + " (moves, radius, window, terrain, accept_suboptimal)");
    }
  }
  return o;
}

// Parses an instance and checks that it fits the window.
gn::Instance parse_instance(const Encoder& enc, const hrm_blob* blob) {
  auto in = gn::parse_instance(hrm::plugin::view(blob));
  if (!in) throw Error(HRM_E_FORMAT, "gridnav instance: " + in.error().message);
  const gn::Grid& g = in->grid;
  require(g.width <= enc.opt.window && g.height <= enc.opt.window, HRM_E_FORMAT,
          "gridnav instance: " + std::to_string(g.width) + "x" + std::to_string(g.height) +
              " grid does not fit the " + std::to_string(enc.opt.window) + "x" + std::to_string(enc.opt.window) +
              " window");
  return std::move(in).value();
}

hrm_status* HRM_ABI get_spec(const hrm_encoder* e, hrm_encoder_spec* out) {
  const Encoder& enc = self_of(e);
  return guard(enc.host, [&] {
    hrm_encoder_spec s{};
    s.caps = HRM_ENCODER_CAN_SOLVE | HRM_ENCODER_CAN_GENERATE | HRM_ENCODER_CAN_AUGMENT | HRM_ENCODER_CAN_RENDER |
             HRM_ENCODER_CAN_MASK;
    s.seq_len = enc.seq_len();
    s.vocab_size = enc.vocab_size();
    s.pad_id = gn::kPad;
    s.ignore_label_id = 0;
    s.num_puzzle_identifiers = 1;
    s.num_augmentations = gn::kDihedralCount;
    write_sized(out, s);
  });
}

hrm_status* HRM_ABI split(const hrm_encoder* e, const hrm_blob* text, size_t* offset, hrm_blob* record) {
  return guard(self_of(e).host, [&] {
    require(offset != nullptr && record != nullptr, HRM_E_INVALID_ARG, "split: NULL offset or record");
    const std::string_view s = hrm::plugin::view(text);
    // A record is a run of non-empty lines; empty lines (or lines of only '\r') separate them.
    auto line_end = [&s](size_t i) { return std::min(s.find('\n', i), s.size()); };
    auto is_empty = [&s](size_t b, size_t e) { return e == b || (e == b + 1 && s[b] == '\r'); };
    size_t i = *offset;
    while (i < s.size() && is_empty(i, line_end(i))) i = line_end(i) + 1;
    if (i >= s.size()) {
      *record = hrm_blob{nullptr, 0};
      *offset = s.size();
      return;
    }
    size_t end = line_end(i), next = end + 1;
    while (next < s.size() && !is_empty(next, line_end(next))) {
      end = line_end(next);
      next = end + 1;
    }
    *record = hrm_blob{s.data() + i, end - i};
    *offset = std::min(next, s.size());
  });
}

// The model's tokens of an instance: its inputs, or with_marks its labels (the path). What the
// robot's centre cannot enter (the footprint inflation) is encoded as blocked.
std::vector<int32_t> tokens_of(const Encoder& enc, const gn::Instance& in, bool with_marks) {
  std::vector<uint8_t> inflated = gn::free_space(in.grid, enc.opt.model);
  for (auto& c : inflated) c = !c;
  gn::Instance shown = in;
  if (!with_marks) shown.marks.assign(in.grid.cells.size(), 0);
  return gn::to_tokens(shown, enc.opt.window, inflated, with_marks, enc.opt.model.terrain);
}

hrm_status* HRM_ABI encode(const hrm_encoder* e, const hrm_blob* instance, hrm_tensor* tokens, hrm_tensor* labels,
                           int32_t* has_labels, int32_t* puzzle_id) {
  const Encoder& enc = self_of(e);
  return guard(enc.host, [&] {
    const gn::Instance in = parse_instance(enc, instance);
    const int64_t S = enc.seq_len();
    int32_t* tok = hrm::plugin::checked_data<int32_t>(tokens, HRM_DTYPE_I32, {S}, "tokens");
    int32_t* lab = labels ? hrm::plugin::checked_data<int32_t>(labels, HRM_DTYPE_I32, {S}, "labels") : nullptr;
    gn::Instance puzzle = in;
    puzzle.marks.assign(in.grid.cells.size(), 0);
    const bool answer = in.has_marks();
    if (answer) {  // a wrong label would silently train the model on garbage
      auto v = gn::verify(puzzle, in, enc.opt.model, 1.0);
      if (!v) throw Error(HRM_E_FORMAT, "gridnav instance: " + v.error().message);
      if (!v->valid) throw Error(HRM_E_FORMAT, "gridnav answer: " + v->reason);
    } else if (auto path = gn::astar(in.grid, in.start, in.goal, enc.opt.model); !path) {
      throw Error(HRM_E_FORMAT, "gridnav instance: " + path.error().message);
    }
    auto t = tokens_of(enc, puzzle, false);
    std::copy(t.begin(), t.end(), tok);
    if (lab && answer) {
      auto l = tokens_of(enc, in, true);
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
    gn::Instance in = parse_instance(enc, instance);
    const int32_t* pred = hrm::plugin::checked_data<int32_t>(predictions, HRM_DTYPE_I32, {enc.seq_len()}, "predictions");
    // Only the path tokens matter: the grid, S and G come from the instance. A path predicted on
    // a blocked cell is kept (as 'o'), so verify names it instead of it silently vanishing.
    in.marks.assign(in.grid.cells.size(), 0);
    for (int y = 0; y < in.grid.height; ++y)
      for (int x = 0; x < in.grid.width; ++x) {
        const gn::Cell c{x, y};
        if (pred[y * enc.opt.window + x] == gn::kPathToken && c != in.start && c != in.goal)
          in.marks[static_cast<size_t>(in.grid.index(c))] = 1;
      }
    *solution = hrm::plugin::make_blob(enc.host, gn::format_instance(in));
  });
}

hrm_status* HRM_ABI verify(const hrm_encoder* e, const hrm_blob* instance, const hrm_blob* solution, int32_t* valid,
                           double* score) {
  const Encoder& enc = self_of(e);
  return guard(enc.host, [&] {
    require(valid != nullptr, HRM_E_INVALID_ARG, "verify: NULL valid");
    gn::Instance puzzle = parse_instance(enc, instance);
    puzzle.marks.assign(puzzle.grid.cells.size(), 0);
    auto answer = gn::parse_instance(hrm::plugin::view(solution));
    if (!answer) {  // an unreadable solution is rejected, not an error
      if (auto path = gn::astar(puzzle.grid, puzzle.start, puzzle.goal, enc.opt.model); !path)
        throw Error(HRM_E_FORMAT, "gridnav instance: " + path.error().message);
      *valid = 0;
      if (score) *score = 0.0;
      return;
    }
    auto v = gn::verify(puzzle, *answer, enc.opt.model, enc.opt.accept_suboptimal);
    if (!v) throw Error(HRM_E_FORMAT, "gridnav instance: " + v.error().message);
    *valid = v->valid ? 1 : 0;
    // The suboptimality ratio (path cost / optimal cost, 1.0 = optimal) for any collision-free
    // S-G path, accepted or not; 0 when the marks are not such a path.
    if (score) *score = v->is_path ? v->ratio : 0.0;
  });
}

hrm_status* HRM_ABI solve(const hrm_encoder* e, const hrm_blob* instance, hrm_blob* solution,
                          hrm_solve_stats* stats) {
  const Encoder& enc = self_of(e);
  return guard(enc.host, [&] {
    require(solution != nullptr, HRM_E_INVALID_ARG, "solve: NULL solution");
    gn::Instance in = parse_instance(enc, instance);
    const auto space = gn::free_space(in.grid, enc.opt.model);
    auto path = gn::astar(in.grid, in.start, in.goal, enc.opt.model, space);
    if (!path) throw Error(HRM_E_FORMAT, "gridnav instance: " + path.error().message);
    if (stats) {
      hrm_solve_stats s{};
      s.solutions = gn::count_optimal_paths(in.grid, in.start, in.goal, enc.opt.model, space);  // 2 = not unique
      s.rating = static_cast<double>(path->expanded);
      write_sized(stats, s);
    }
    *solution = hrm::plugin::make_blob(enc.host, gn::format_instance(gn::mark_path(in, *path)));
  });
}

// Options (TOML, all optional): kind, size (or width and height), density, room, min_path,
// unique_path, max_attempts. The move model comes from the instance config.
hrm_status* HRM_ABI generate(const hrm_encoder* e, uint64_t seed, const char* options, hrm_blob* instance) {
  const Encoder& enc = self_of(e);
  return guard(enc.host, [&] {
    require(instance != nullptr, HRM_E_INVALID_ARG, "generate: NULL instance");
    const toml::table t = parse_toml(options, "generate options");
    gn::GenerateOptions o;
    o.width = o.height = enc.opt.window;
    for (const auto& [key, value] : t) {
      const std::string k(key.str()), name = "generate option '" + k + "'";
      if (k == "kind") {
        auto v = value.value_exact<std::string>();
        require(v && gn::parse_kind(*v, o.kind), HRM_E_INVALID_ARG,
                name + " must be \"obstacles\", \"rooms\", \"maze\" or \"warehouse\"");
      } else if (k == "size") {
        o.width = o.height = static_cast<int>(get_int(value, name));
      } else if (k == "width") {
        o.width = static_cast<int>(get_int(value, name));
      } else if (k == "height") {
        o.height = static_cast<int>(get_int(value, name));
      } else if (k == "density") {
        o.density = get_number(value, name);
      } else if (k == "room") {
        o.room = static_cast<int>(get_int(value, name));
      } else if (k == "min_path") {
        o.min_path = get_number(value, name);
      } else if (k == "unique_path") {
        auto b = value.value_exact<bool>();
        require(b.has_value(), HRM_E_INVALID_ARG, name + " must be true or false");
        o.unique_path = *b;
      } else if (k == "max_attempts") {
        const int64_t v = get_int(value, name);
        require(v >= 1 && v <= hrm::task::kMaxGenerateAttempts, HRM_E_INVALID_ARG, name + " must be in 1..1000");
        o.max_attempts = static_cast<int>(v);
      } else {
        throw Error(HRM_E_INVALID_ARG, "generate options: unknown key '" + k +
                                           "' (kind, size, width, height, density, room, min_path, unique_path, "
                                           "max_attempts)");
      }
    }
    require(o.width <= enc.opt.window && o.height <= enc.opt.window, HRM_E_INVALID_ARG,
            "generate: " + std::to_string(o.width) + "x" + std::to_string(o.height) + " does not fit the window " +
                std::to_string(enc.opt.window));
    o.model = enc.opt.model;
    o.seed = seed;
    auto g = gn::generate(o);
    if (!g) throw Error(HRM_E_INVALID_ARG, "gridnav generate: " + g.error().message);
    *instance = hrm::plugin::make_blob(enc.host, gn::format_instance(g->solution));
  });
}

hrm_status* HRM_ABI augment(const hrm_encoder* e, uint64_t augmentation, int32_t inverse, const hrm_tensor* src,
                            hrm_tensor* dst) {
  const Encoder& enc = self_of(e);
  return guard(enc.host, [&] {
    const int64_t S = enc.seq_len();
    require(src != nullptr && src->ndim == 2, HRM_E_INVALID_ARG, "augment: src must be [N, " + std::to_string(S) + "]");
    const int64_t N = src->shape[0];
    const int32_t* in = hrm::plugin::checked_data<int32_t>(src, HRM_DTYPE_I32, {N, S}, "src");
    int32_t* out = hrm::plugin::checked_data<int32_t>(dst, HRM_DTYPE_I32, {N, S}, "dst");
    require(in + N * S <= out || out + N * S <= in, HRM_E_INVALID_ARG, "augment: src and dst overlap");
    int id = hrm::task::dihedral_id(augmentation);
    if (inverse) id = gn::dihedral_inverse(id);
    for (int64_t row = 0; row < N; ++row) gn::dihedral_tokens(in + row * S, out + row * S, enc.opt.window, id);
  });
}

hrm_status* HRM_ABI render(const hrm_encoder* e, const hrm_blob* instance, const hrm_blob* solution,
                           hrm_render_format format, hrm_blob* picture) {
  const Encoder& enc = self_of(e);
  return guard(enc.host, [&] {
    require(picture != nullptr, HRM_E_INVALID_ARG, "render: NULL picture");
    gn::Instance shown = parse_instance(enc, instance);
    if (solution) {
      auto s = gn::parse_instance(hrm::plugin::view(solution));
      if (!s) throw Error(HRM_E_FORMAT, "gridnav solution: " + s.error().message);
      shown = std::move(s).value();
    }
    std::string out;
    switch (format) {
      case HRM_RENDER_TEXT: out = gn::render_text(shown, false); break;
      case HRM_RENDER_ANSI: out = gn::render_text(shown, true); break;
      case HRM_RENDER_SVG: out = gn::render_svg(shown); break;
      default: throw Error(HRM_E_UNSUPPORTED, "render: unknown format " + std::to_string(format));
    }
    *picture = hrm::plugin::make_blob(enc.host, out);
  });
}

// A cell the robot can stand on is free (or swamp) or on the path; blocked cells, S, G and the
// window outside the grid (PAD) keep their input token.
hrm_status* HRM_ABI output_mask(const hrm_encoder* e, const hrm_blob* instance, hrm_tensor* mask) {
  const Encoder& enc = self_of(e);
  return guard(enc.host, [&] {
    const auto tokens = tokens_of(enc, parse_instance(enc, instance), false);
    hrm::plugin::OutputMask m(enc.seq_len(), enc.vocab_size());
    for (size_t i = 0; i < tokens.size(); ++i) {
      m.allow(int64_t(i), tokens[i]);
      if (tokens[i] == gn::kFreeToken || tokens[i] == gn::kSwampToken) m.allow(int64_t(i), gn::kPathToken);
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
    require(desc != nullptr, HRM_E_NOT_FOUND, std::string("no gridnav encoder class '") + id + "'");
    const Options opt = parse_config(params ? params->config : nullptr);  // before allocating: may throw
    auto* enc = new Encoder;
    enc->host = host;
    enc->opt = opt;
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

HRM_PLUGIN_DEFINE_ENTRY("org.hrm-sdk.task.gridnav", kVersion, HRM_FACTORY_ENCODER, kFactory)
