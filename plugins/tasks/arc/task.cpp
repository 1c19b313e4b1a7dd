#include "task.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <hrm/common/error.hpp>
#include <hrm/hrm_plugin.hpp>

namespace hrm::arc {

namespace json = common::json;
using hrm::plugin::Error;

namespace {

[[noreturn]] void fail(const std::string& message) { throw Error(HRM_E_FORMAT, message); }

// The members of an object, refusing duplicates and keys outside `allowed` (a typo such as
// "ouput" must not silently drop a grid).
void check_keys(const json::Value& v, const std::string& where, std::initializer_list<std::string_view> allowed) {
  if (!v.is_object()) fail(where + ": expected a JSON object");
  for (size_t i = 0; i < v.object.size(); ++i) {
    const std::string& key = v.object[i].first;
    bool known = false;
    for (auto a : allowed) known = known || key == a;
    if (!known) fail(where + ": unknown key \"" + common::printable(key) + "\"");
    for (size_t j = 0; j < i; ++j)
      if (v.object[j].first == key) fail(where + ": duplicate key \"" + common::printable(key) + "\"");
  }
}

std::vector<Pair> pairs_from_json(const json::Value& v, const std::string& where, bool output_required) {
  if (!v.is_array()) fail(where + ": expected a list of pairs");
  std::vector<Pair> out;
  for (size_t i = 0; i < v.array.size(); ++i) {
    const std::string at = where + "[" + std::to_string(i) + "]";
    const json::Value& p = v.array[i];
    check_keys(p, at, {"input", "output"});
    const json::Value* in = p.find("input");
    if (!in) fail(at + ": missing \"input\"");
    Pair pair;
    pair.input = grid_from_json(*in, at + ".input");
    if (const json::Value* o = p.find("output")) pair.output = grid_from_json(*o, at + ".output");
    else if (output_required) fail(at + ": missing \"output\"");
    out.push_back(std::move(pair));
  }
  return out;
}

}  // namespace

Grid grid_from_json(const json::Value& v, const std::string& where) {
  if (!v.is_array()) fail(where + ": a grid must be a list of rows");
  const size_t h = v.array.size();
  if (h < 1 || h > size_t(kMaxSide)) fail(where + ": " + std::to_string(h) + " rows, expected 1..30");
  for (size_t r = 0; r < h; ++r)
    if (!v.array[r].is_array()) fail(where + ": row " + std::to_string(r) + " is not a list");
  const size_t w = v.array[0].array.size();
  if (w < 1 || w > size_t(kMaxSide)) fail(where + ": row 0 has " + std::to_string(w) + " cells, expected 1..30");
  Grid g{int(h), int(w)};
  for (size_t r = 0; r < h; ++r) {
    const auto& row = v.array[r].array;
    if (row.size() != w)
      fail(where + ": row " + std::to_string(r) + " has " + std::to_string(row.size()) + " cells, row 0 has " +
           std::to_string(w) + " (grids are rectangular)");
    for (size_t c = 0; c < w; ++c) {
      const json::Value& x = row[c];
      const std::string pos = where + ": row " + std::to_string(r) + " column " + std::to_string(c) + ": ";
      if (x.type != json::Value::Type::Number || !x.is_integer) fail(pos + "expected an integer colour 0-9");
      if (x.integer < 0 || x.integer >= kColours) fail(pos + std::to_string(x.integer) + " is not a colour 0-9");
      g.at(int(r), int(c)) = uint8_t(x.integer);
    }
  }
  return g;
}

void check_text_size(std::string_view text, const std::string& where) {
  if (text.size() > kMaxTextBytes)
    fail(where + ": " + std::to_string(text.size()) + " bytes, more than any ARC task (at most " +
         std::to_string(kMaxTextBytes) + ")");
}

Grid parse_grid(std::string_view text, const std::string& where) {
  check_text_size(text, where);
  return grid_from_json(json::parse(text, where), where);
}

std::string grid_to_json(const Grid& g) {
  std::string s = "[";
  for (int r = 0; r < g.height; ++r) {
    s += r ? ",[" : "[";
    for (int c = 0; c < g.width; ++c) {
      if (c) s += ',';
      s += char('0' + g.at(r, c));
    }
    s += ']';
  }
  return s + "]";
}

Task parse_task(std::string_view text, const std::string& id) {
  check_text_size(text, id);
  return task_from_json(json::parse(text, id), id);
}

Task task_from_json(const json::Value& doc, const std::string& id) {
  check_keys(doc, id, {"train", "test", "name"});
  const json::Value* train = doc.find("train");
  const json::Value* test = doc.find("test");
  if (!train) fail(id + ": missing \"train\"");
  if (!test) fail(id + ": missing \"test\"");
  if (const json::Value* name = doc.find("name"); name && !name->is_string()) fail(id + ": \"name\" must be a string");
  Task t;
  t.id = id;
  t.train = pairs_from_json(*train, id + ": train", true);
  t.test = pairs_from_json(*test, id + ": test", false);
  if (t.train.empty()) fail(id + ": train: no demonstration pairs");
  if (t.test.empty()) fail(id + ": test: no test pairs");
  return t;
}

namespace {

std::string read_all(const std::string& path, std::size_t max) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error(HRM_E_IO, "cannot read " + path);
  std::ostringstream s;
  s << f.rdbuf();
  if (s.str().size() > max)
    fail(path + ": " + std::to_string(s.str().size()) + " bytes, more than " + std::to_string(max) + " (not an ARC file)");
  return s.str();
}

}  // namespace

std::vector<Task> read_challenges_file(const std::string& path) {
  constexpr std::size_t kMaxCollection = std::size_t(64) << 20;  // the published files are a few MB
  const json::Value doc = json::parse(read_all(path, kMaxCollection), path);
  if (!doc.is_object()) fail(path + ": expected a JSON object of tasks by id");
  std::vector<Task> tasks;
  for (const auto& [id, v] : doc.object) {
    for (const Task& t : tasks)
      if (t.id == id) fail(path + ": duplicate task \"" + common::printable(id) + "\"");
    if (id.empty() || id.find_first_of("/\\") != std::string::npos) fail(path + ": bad task id \"" + common::printable(id) + "\"");
    tasks.push_back(task_from_json(v, id));
  }
  const std::string suffix = "_challenges.json";
  if (path.size() > suffix.size() && path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0) {
    const std::string solutions = path.substr(0, path.size() - suffix.size()) + "_solutions.json";
    if (std::filesystem::is_regular_file(solutions)) {
      const json::Value sol = json::parse(read_all(solutions, kMaxCollection), solutions);
      if (!sol.is_object()) fail(solutions + ": expected a JSON object of test outputs by task id");
      for (Task& t : tasks) {
        const json::Value* outs = sol.find(t.id);
        if (!outs) fail(solutions + ": no outputs for task " + t.id);
        if (!outs->is_array() || outs->array.size() != t.test.size())
          fail(solutions + ": task " + t.id + ": expected a list of " + std::to_string(t.test.size()) + " test outputs");
        for (std::size_t i = 0; i < t.test.size(); ++i)
          t.test[i].output = grid_from_json(outs->array[i], solutions + ": " + t.id + "[" + std::to_string(i) + "]");
      }
    }
  }
  return tasks;
}

Task read_task_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error(HRM_E_IO, "cannot read " + path);
  std::ostringstream s;
  s << f.rdbuf();
  return parse_task(s.str(), std::filesystem::path(path).stem().string());
}

}  // namespace hrm::arc
