// ARC task plugin: the hrm_encoder ABI (sdk/include/hrm/hrm_encoder.h) over the plain C++ task
// library in this folder. Everything here is glue.
//
// Class: name "arc", id org.hrm-sdk.task.arc; seq_len 900, vocab 12 (reference ARC encoding,
// hrm-reference.md 4.4: PAD 0, EOS 1, colour c as c + 2 on a 30x30 canvas).
//
// Instances: one JSON object per line (blank lines are skipped), one test input of a task:
//   {"task": "007bbfb7", "test_index": 0, "input": [[...]], "output": [[...]], "puzzle": "007bbfb7"}
// "task" and "input" are required; "output" (the expected answer: gives labels and lets verify
// check it), "test_index" (>= 0, informative) and "puzzle" (the identifier name; default: the task
// id) are optional. The grid goes at (0, 0), as the reference's test split. The demonstration
// pairs are not part of an instance: a model knows a task only through its puzzle embedding,
// which was trained on them.
//
// Config ([task] table): identifiers = "path/to/identifiers.json", the dataset's identifier table
// (a JSON list of names, "<blank>" at 0). encode's puzzle id is the index of the instance's
// puzzle name there, 0 (blank) when unknown or without a table.
//
// Solutions (decode's output, verify's and render's input) are grids as JSON: [[0,1],[1,0]].
//
// Augmentation id k < 8 * 9!: dihedral id k % 8 times the colour permutation of Lehmer rank
// k / 8 (0 fixed); 0 is the identity. Larger ids map to a non-identity one by a hash. Each row is
// re-encoded at its own top-left corner (moved up/left only when the transformed grid would not
// fit), so the inverse restores the original exactly whenever that move was not needed, which is
// always the case for grids at (0, 0) and for square grids.
#include <atomic>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <unordered_map>

#include <toml++/toml.h>

#include "hrm/hrm_encoder.h"
#include "hrm/hrm_plugin.hpp"

#include "common/config.hpp"

#include <hrm/common/json.hpp>

#include "augment.hpp"
#include "encode.hpp"
#include "render.hpp"
#include "task.hpp"

namespace {

namespace arc = hrm::arc;
namespace json = hrm::common::json;
using hrm::plugin::Error;
using hrm::plugin::guard;
using hrm::plugin::require;
using hrm::plugin::write_sized;

constexpr const char* kVersion = "1.0.0";
const char* const kFeatures[] = {"task:arc", "augment", nullptr};
// One class; a table so the shared factory helpers (hrm_plugin.hpp) serve it.
const hrm_descriptor kClasses[] = {{sizeof(hrm_descriptor), HRM_KIND_ENCODER, "org.hrm-sdk.task.arc", "arc",
                                    kVersion, "hrm-sdk", "ARC-AGI grid puzzles (reference 30x30 encoding)", "",
                                    kFeatures}};

struct Encoder {
  hrm_encoder vt{};
  const hrm_host* host = nullptr;
  std::unordered_map<std::string, int32_t> identifiers;  // puzzle name -> id; empty without a table
  int64_t num_identifiers = 1;                           // table size, 1 (blank only) without one
};

const Encoder& self_of(const hrm_encoder* e) { return *static_cast<const Encoder*>(e->plugin_data); }

struct Instance {
  std::string task, puzzle;
  int64_t test_index = 0;
  arc::Grid input;
  std::optional<arc::Grid> output;
};

Instance parse_instance(const hrm_blob* blob) {
  const std::string what = "arc instance";
  arc::check_text_size(hrm::plugin::view(blob), what);   // before parsing (issue #24 item 7)
  const json::Value v = json::parse(hrm::plugin::view(blob), what);
  require(v.is_object(), HRM_E_FORMAT, what + ": expected a JSON object");
  Instance in;
  bool has_task = false, has_input = false;
  for (const auto& [key, value] : v.object) {
    if (key == "task") {
      require(value.is_string() && !value.string.empty(), HRM_E_FORMAT, what + ": \"task\" must be a non-empty string");
      in.task = value.string, has_task = true;
    } else if (key == "puzzle") {
      require(value.is_string() && !value.string.empty(), HRM_E_FORMAT, what + ": \"puzzle\" must be a non-empty string");
      in.puzzle = value.string;
    } else if (key == "test_index") {
      require(value.is_integer && value.integer >= 0, HRM_E_FORMAT, what + ": \"test_index\" must be an integer >= 0");
      in.test_index = value.integer;
    } else if (key == "input") {
      in.input = arc::grid_from_json(value, what + " input"), has_input = true;
    } else if (key == "output") {
      in.output = arc::grid_from_json(value, what + " output");
    } else {
      throw Error(HRM_E_FORMAT, what + ": unknown key \"" + key + "\" (task, test_index, input, output, puzzle)");
    }
  }
  require(has_task, HRM_E_FORMAT, what + ": missing \"task\"");
  require(has_input, HRM_E_FORMAT, what + ": missing \"input\"");
  if (in.puzzle.empty()) in.puzzle = in.task;
  return in;
}

void read_config(const char* config, Encoder& enc) {
  for (const auto& [key, value] : hrm::task::task_table(config, "arc config")) {
    const std::string k(key.str());
    if (k != "identifiers") continue;  // [task] may hold the runner's own keys too
    auto path = value.value<std::string>();
    require(path.has_value(), HRM_E_INVALID_ARG, "arc config: [task].identifiers must be a path string");
    std::ifstream f(*path, std::ios::binary);
    require(bool(f), HRM_E_IO, "arc config: cannot read identifiers file " + *path);
    std::ostringstream text;
    text << f.rdbuf();
    const json::Value names = json::parse(text.str(), *path);
    require(names.is_array() && !names.array.empty(), HRM_E_FORMAT, *path + ": expected a non-empty list of names");
    for (size_t i = 0; i < names.array.size(); ++i) {
      require(names.array[i].is_string(), HRM_E_FORMAT, *path + ": entry " + std::to_string(i) + " is not a string");
      if (i > 0) enc.identifiers.emplace(names.array[i].string, int32_t(i));  // 0 is "<blank>"
    }
    enc.num_identifiers = int64_t(names.array.size());
  }
}

hrm_status* HRM_ABI get_spec(const hrm_encoder* e, hrm_encoder_spec* out) {
  const Encoder& enc = self_of(e);
  return guard(enc.host, [&] {
    hrm_encoder_spec s{};
    s.caps = HRM_ENCODER_CAN_AUGMENT | HRM_ENCODER_CAN_RENDER | HRM_ENCODER_CAN_MASK;
    s.seq_len = arc::kSeqLen;
    s.vocab_size = arc::kVocabSize;
    s.pad_id = arc::kPad;
    s.ignore_label_id = arc::kPad;
    s.num_puzzle_identifiers = enc.num_identifiers;
    s.num_augmentations = int64_t(arc::kAugmentationCount);
    write_sized(out, s);
  });
}

hrm_status* HRM_ABI split(const hrm_encoder* e, const hrm_blob* text, size_t* offset, hrm_blob* record) {
  return guard(self_of(e).host, [&] {
    require(offset != nullptr && record != nullptr, HRM_E_INVALID_ARG, "split: NULL offset or record");
    const std::string_view s = hrm::plugin::view(text);
    size_t i = *offset;
    while (i < s.size()) {
      size_t eol = s.find('\n', i);
      if (eol == std::string_view::npos) eol = s.size();
      std::string_view line = s.substr(i, eol - i);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.find_first_not_of(" \t") != std::string_view::npos) {
        *record = hrm_blob{s.data() + i, line.size()};
        *offset = std::min(eol + 1, s.size());
        return;
      }
      i = eol + 1;
    }
    *record = hrm_blob{nullptr, 0};
    *offset = s.size();
  });
}

hrm_status* HRM_ABI encode(const hrm_encoder* e, const hrm_blob* instance, hrm_tensor* tokens, hrm_tensor* labels,
                           int32_t* has_labels, int32_t* puzzle_id) {
  const Encoder& enc = self_of(e);
  return guard(enc.host, [&] {
    const Instance in = parse_instance(instance);
    int32_t* tok = hrm::plugin::checked_data<int32_t>(tokens, HRM_DTYPE_I32, {arc::kSeqLen}, "tokens");
    int32_t* lab = labels ? hrm::plugin::checked_data<int32_t>(labels, HRM_DTYPE_I32, {arc::kSeqLen}, "labels") : nullptr;
    const auto t = arc::encode_grid(in.input);
    std::copy(t.begin(), t.end(), tok);
    if (lab && in.output) {
      const auto l = arc::encode_grid(*in.output);
      std::copy(l.begin(), l.end(), lab);
    }
    if (has_labels) *has_labels = (lab && in.output) ? 1 : 0;
    if (puzzle_id) {
      const auto it = enc.identifiers.find(in.puzzle);
      *puzzle_id = it == enc.identifiers.end() ? 0 : it->second;
    }
  });
}

hrm_status* HRM_ABI decode(const hrm_encoder* e, const hrm_blob* instance, const hrm_tensor* predictions,
                           hrm_blob* solution) {
  const Encoder& enc = self_of(e);
  return guard(enc.host, [&] {
    require(solution != nullptr, HRM_E_INVALID_ARG, "decode: NULL solution");
    parse_instance(instance);  // a malformed instance is an error even when the prediction is fine
    const int32_t* pred = hrm::plugin::checked_data<int32_t>(predictions, HRM_DTYPE_I32, {arc::kSeqLen}, "predictions");
    const arc::Grid g = arc::crop(pred);
    require(!g.empty(), HRM_E_FORMAT, "arc predictions: the top-left token " + std::to_string(pred[0]) +
                                          " is not a colour (2..11), so there is no grid to crop");
    *solution = hrm::plugin::make_blob(enc.host, arc::grid_to_json(g));
  });
}

hrm_status* HRM_ABI verify(const hrm_encoder* e, const hrm_blob* instance, const hrm_blob* solution, int32_t* valid,
                           double* score) {
  const Encoder& enc = self_of(e);
  return guard(enc.host, [&] {
    require(valid != nullptr, HRM_E_INVALID_ARG, "verify: NULL valid");
    const Instance in = parse_instance(instance);
    bool ok = false;
    try {  // an unreadable grid (bad shape or colour) is a rejected solution, not an error
      const arc::Grid g = arc::parse_grid(hrm::plugin::view(solution), "arc solution");
      ok = !in.output || g == *in.output;
    } catch (const Error&) {
      ok = false;
    }
    *valid = ok ? 1 : 0;
    if (score) *score = ok ? 1.0 : 0.0;
  });
}

arc::Augmentation augmentation_of(uint64_t k) {
  if (k >= arc::kAugmentationCount) k = 1 + arc::mix64(k) % (arc::kAugmentationCount - 1);
  return arc::Augmentation::from_id(k);
}

// One canvas row through an augmentation: find the grid, transform it, re-encode it at the same
// top-left corner (moved up/left if it no longer fits). A row without colours (padding) is copied.
void augment_row(const int32_t* in, int32_t* out, const arc::Augmentation& a, int64_t row) {
  for (int64_t i = 0; i < arc::kSeqLen; ++i)
    require(in[i] >= 0 && in[i] < arc::kVocabSize, HRM_E_FORMAT,
            "augment: row " + std::to_string(row) + " token " + std::to_string(i) + " is " + std::to_string(in[i]) +
                ", outside the vocabulary 0..11");
  const arc::Placement p = arc::locate(in);
  if (p.height == 0) {
    std::copy(in, in + arc::kSeqLen, out);
    return;
  }
  arc::Grid g(p.height, p.width);
  for (int r = 0; r < p.height; ++r)
    for (int c = 0; c < p.width; ++c) {
      const int32_t x = in[(p.r0 + r) * arc::kCanvas + p.c0 + c];
      require(x >= arc::kColourOffset, HRM_E_FORMAT,
              "augment: row " + std::to_string(row) + " is not an ARC grid (a PAD or EOS token inside the grid)");
      g.at(r, c) = uint8_t(x - arc::kColourOffset);
    }
  const arc::Grid t = a.apply(g);
  const auto enc = arc::encode_grid(t, std::min(p.r0, arc::kCanvas - t.height), std::min(p.c0, arc::kCanvas - t.width));
  std::copy(enc.begin(), enc.end(), out);
}

hrm_status* HRM_ABI augment(const hrm_encoder* e, uint64_t augmentation, int32_t inverse, const hrm_tensor* src,
                            hrm_tensor* dst) {
  const Encoder& enc = self_of(e);
  return guard(enc.host, [&] {
    const int64_t S = arc::kSeqLen;
    require(src != nullptr && src->ndim == 2, HRM_E_INVALID_ARG, "augment: src must be [N, 900]");
    const int64_t N = src->shape[0];
    const int32_t* in = hrm::plugin::checked_data<int32_t>(src, HRM_DTYPE_I32, {N, S}, "src");
    int32_t* out = hrm::plugin::checked_data<int32_t>(dst, HRM_DTYPE_I32, {N, S}, "dst");
    require(in + N * S <= out || out + N * S <= in, HRM_E_INVALID_ARG, "augment: src and dst overlap");
    arc::Augmentation a = augmentation_of(augmentation);
    if (inverse) a = a.inverse();
    for (int64_t row = 0; row < N; ++row) augment_row(in + row * S, out + row * S, a, row);
  });
}

hrm_status* HRM_ABI render(const hrm_encoder* e, const hrm_blob* instance, const hrm_blob* solution,
                           hrm_render_format format, hrm_blob* picture) {
  const Encoder& enc = self_of(e);
  return guard(enc.host, [&] {
    require(picture != nullptr, HRM_E_INVALID_ARG, "render: NULL picture");
    const Instance in = parse_instance(instance);
    std::vector<arc::Panel> panels{{"input", in.input}};
    if (solution) panels.push_back({"prediction", arc::parse_grid(hrm::plugin::view(solution), "arc solution")});
    if (in.output) panels.push_back({"expected", *in.output});
    std::string out;
    switch (format) {
      case HRM_RENDER_TEXT: out = arc::render_text(panels, false); break;
      case HRM_RENDER_ANSI: out = arc::render_text(panels, true); break;
      case HRM_RENDER_SVG: out = arc::render_svg(panels); break;
      default: throw Error(HRM_E_UNSUPPORTED, "render: unknown format " + std::to_string(format));
    }
    *picture = hrm::plugin::make_blob(enc.host, out);
  });
}

// The answer's size is the model's to choose, so most positions allow every token; only the
// top-left cell must be a colour: without one crop() finds no grid and decode has no answer.
hrm_status* HRM_ABI output_mask(const hrm_encoder* e, const hrm_blob* instance, hrm_tensor* mask) {
  const Encoder& enc = self_of(e);
  return guard(enc.host, [&] {
    parse_instance(instance);  // a malformed instance is an error, as in encode
    hrm::plugin::OutputMask m(arc::kSeqLen, arc::kVocabSize);
    m.allow_range(0, arc::kColourOffset, int32_t(arc::kVocabSize) - 1);
    for (int64_t i = 1; i < arc::kSeqLen; ++i) m.allow_range(i, 0, int32_t(arc::kVocabSize) - 1);
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
    require(hrm::plugin::find_class(kClasses, id) != nullptr, HRM_E_NOT_FOUND,
            std::string("no arc encoder class '") + id + "'");
    auto enc = std::make_unique<Encoder>();
    read_config(params ? params->config : nullptr, *enc);  // may throw: before anything is handed out
    enc->host = host;
    hrm_encoder& v = enc->vt;
    v.struct_size = sizeof(hrm_encoder);
    v.api_version = HRM_API_VERSION;
    v.desc = &kClasses[0];
    v.plugin_data = enc.get();
    v.get_spec = get_spec;
    v.split = split;
    v.encode = encode;
    v.decode = decode;
    v.verify = verify;
    v.solve = nullptr;
    v.generate = nullptr;
    v.augment = augment;
    v.render = render;
    v.get_extension = get_extension;
    v.destroy = destroy;
    v.output_mask = output_mask;
    *out = &enc.release()->vt;
  });
}

const hrm_factory kFactory = {sizeof(hrm_factory),
                              HRM_API_VERSION,
                              nullptr,
                              hrm::plugin::class_count<kClasses>,
                              hrm::plugin::class_descriptor<kClasses>,
                              factory_create};

}  // namespace

HRM_PLUGIN_DEFINE_ENTRY("org.hrm-sdk.task.arc", kVersion, HRM_FACTORY_ENCODER, kFactory)
