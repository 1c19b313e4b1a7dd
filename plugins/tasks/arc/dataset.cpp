#include "dataset.hpp"

#include <algorithm>
#include <filesystem>
#include <map>

#include <hrm/hrm_plugin.hpp>

#include "encode.hpp"

namespace hrm::arc {

namespace fs = std::filesystem;
using hrm::plugin::Error;

std::vector<SourceTask> load_sources(const std::vector<std::string>& roots) {
  std::vector<SourceTask> out;
  for (const std::string& root : roots) {
    if (fs::is_regular_file(root)) {
      // TRM's Kaggle-style files: the subset named evaluation / evaluation2 is its test set.
      const std::string stem = fs::path(root).stem().string();
      const bool evaluation = stem.find("_evaluation_") != std::string::npos || stem.find("_evaluation2_") != std::string::npos;
      for (Task& t : read_challenges_file(root)) out.push_back({std::move(t), evaluation, root});
      continue;
    }
    bool any = false;
    for (const char* folder : {"training", "evaluation"}) {
      const fs::path dir = fs::path(root) / folder;
      if (!fs::is_directory(dir)) continue;
      any = true;
      std::vector<fs::path> files;
      for (const auto& entry : fs::directory_iterator(dir))
        if (entry.is_regular_file() && entry.path().extension() == ".json") files.push_back(entry.path());
      std::sort(files.begin(), files.end());  // directory order differs between machines
      for (const fs::path& f : files) out.push_back({read_task_file(f.string()), std::string(folder) == "evaluation", f.string()});
    }
    if (!any) throw Error(HRM_E_NOT_FOUND, root + ": has neither a training/ nor an evaluation/ folder");
  }
  return out;
}

namespace {

// Every grid of a task in list order: two copies with the same content hash may still list their
// pairs in a different order or split, and the kept copy must not depend on the folder order.
std::string serialise(const Task& t) {
  std::string s;
  for (const auto* list : {&t.train, &t.test}) {
    for (const Pair& p : *list) s += grid_to_json(p.input) + (p.output ? grid_to_json(*p.output) : "-") + ";";
    s += "|";
  }
  return s;
}

}  // namespace

Merged merge_sources(std::vector<SourceTask> sources) {
  // A canonical order first (id, evaluation copies first, then content), so which copy is kept
  // and which id gets renamed never depends on the order of the folders.
  std::vector<std::string> keys;
  for (const SourceTask& s : sources) keys.push_back(s.task.id + '\n' + (s.evaluation ? "0" : "1") + serialise(s.task));
  std::vector<size_t> order(sources.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&keys](size_t a, size_t b) { return keys[a] < keys[b]; });
  std::vector<SourceTask> sorted;
  for (size_t i : order) sorted.push_back(std::move(sources[i]));
  sources = std::move(sorted);

  Merged m;
  std::map<uint64_t, size_t> by_content;  // task_hash -> index in m.tasks
  std::map<std::string, int> id_uses;     // id -> how many distinct tasks used it
  for (SourceTask& s : sources) {
    const uint64_t h = task_hash(s.task);
    if (auto it = by_content.find(h); it != by_content.end()) {
      SourceTask& kept = m.tasks[it->second];
      if (s.evaluation && !kept.evaluation) {  // keep the held-out role, its pair lists and its id
        if (id_uses.count(s.task.id)) s.task.id = kept.task.id;  // its id names another task already
        else id_uses[s.task.id] = 1;
        kept = std::move(s);
      }
      ++m.duplicates;
      continue;
    }
    if (int n = ++id_uses[s.task.id]; n > 1) {
      s.task.id += "-" + std::to_string(n);
      ++m.renamed;
    }
    by_content.emplace(h, m.tasks.size());
    m.tasks.push_back(std::move(s));
  }
  std::sort(m.tasks.begin(), m.tasks.end(), [](const SourceTask& a, const SourceTask& b) { return a.task.id < b.task.id; });
  return m;
}

std::vector<TaskPlan> plan_augmentations(const std::vector<SourceTask>& tasks, int count, uint64_t seed) {
  std::vector<TaskPlan> plans;
  for (const SourceTask& t : tasks) {
    Rng rng(mix64(seed) ^ hash_bytes(t.task.id));  // independent of the other tasks and their order
    plans.push_back({&t, distinct_augmentations(t.task, count, rng)});
  }
  return plans;
}

std::vector<std::string> identifier_names(const std::vector<TaskPlan>& plans) {
  std::vector<std::string> names{"<blank>"};
  for (const TaskPlan& p : plans)
    for (const Augmentation& a : p.augmentations) names.push_back(puzzle_name(p.source->task.id, a));
  return names;
}

std::vector<TaskPlan> plans_from_identifiers(const std::vector<SourceTask>& tasks,
                                             const std::vector<std::string>& names, int& unused) {
  if (names.empty() || names[0] != "<blank>")
    throw Error(HRM_E_FORMAT, "identifiers: entry 0 must be \"<blank>\" (a reference identifiers.json)");
  std::map<std::string, const SourceTask*> by_id;
  for (const SourceTask& t : tasks) {
    auto [it, fresh] = by_id.emplace(t.task.id, &t);
    // The reference names puzzles by file name only: two different files with one name would
    // share identifiers there, and which one a row means cannot be told here.
    if (!fresh && (task_hash(it->second->task) != task_hash(t.task) || it->second->evaluation != t.evaluation))
      throw Error(HRM_E_INVALID_ARG, "task " + t.task.id + " is in " + it->second->origin + " and " + t.origin +
                                         " with different content or role: give the folders the reference dataset was built from");
  }
  std::vector<TaskPlan> plans;
  std::map<std::string, size_t> seen_task;  // task id -> its plan
  std::map<std::string, size_t> seen_name;
  for (size_t i = 1; i < names.size(); ++i) {
    const std::string& name = names[i];
    if (!seen_name.emplace(name, i).second)
      throw Error(HRM_E_FORMAT, "identifiers[" + std::to_string(i) + "]: \"" + name + "\" repeats identifiers[" +
                                    std::to_string(seen_name[name]) + "]");
    const auto parsed = parse_puzzle_name(name);
    if (!parsed) throw Error(HRM_E_FORMAT, "identifiers[" + std::to_string(i) + "]: \"" + name + "\" is not a puzzle name ({task}_t{0-7}_{colour mapping})");
    auto task = by_id.find(parsed->task);
    if (task == by_id.end())
      throw Error(HRM_E_NOT_FOUND, "identifiers[" + std::to_string(i) + "]: task " + parsed->task + " (\"" + name +
                                       "\") is in none of the --data folders");
    if (auto it = seen_task.find(parsed->task); it != seen_task.end()) {
      if (it->second + 1 != plans.size())
        throw Error(HRM_E_FORMAT, "identifiers[" + std::to_string(i) + "]: task " + parsed->task +
                                      "'s puzzles are not consecutive (a reference table lists a task with its augmentations)");
    } else {
      seen_task[parsed->task] = plans.size();
      plans.push_back({task->second, {}});
    }
    if (puzzle_name(parsed->task, parsed->augmentation, parsed->style) != name)
      throw Error(HRM_E_FORMAT, "identifiers[" + std::to_string(i) + "]: \"" + name + "\" is not in canonical form");
    plans.back().augmentations.push_back(parsed->augmentation);
  }
  unused = int(by_id.size() - seen_task.size());
  return plans;
}

namespace {

void append(Examples& ex, const Grid& in, const Grid& out, int r0, int c0) {
  const auto i = encode_grid(in, r0, c0), l = encode_grid(out, r0, c0);
  ex.inputs.insert(ex.inputs.end(), i.begin(), i.end());
  ex.labels.insert(ex.labels.end(), l.begin(), l.end());
  ++ex.count;
}

const Grid& output_of(const Task& t, const Pair& p, const char* list, size_t i) {
  if (!p.output) throw Error(HRM_E_FORMAT, t.id + ": " + list + "[" + std::to_string(i) + "] has no output (a dataset needs labels)");
  return *p.output;
}

}  // namespace

Examples train_examples(const Task& augmented, bool include_test, Rng& rng) {
  std::vector<std::pair<const Pair*, size_t>> pairs;
  for (size_t i = 0; i < augmented.train.size(); ++i) pairs.push_back({&augmented.train[i], i});
  const size_t n_train = pairs.size();
  if (include_test)
    for (size_t i = 0; i < augmented.test.size(); ++i) pairs.push_back({&augmented.test[i], i});
  const size_t no_aug = size_t(rng.below(pairs.size()));  // this example keeps the plain (0, 0) layout
  Examples ex;
  for (size_t k = 0; k < pairs.size(); ++k) {
    const Pair& p = *pairs[k].first;
    const Grid& out = output_of(augmented, p, k < n_train ? "train" : "test", pairs[k].second);
    auto [r0, c0] = k == no_aug ? std::pair<int, int>{0, 0} : random_offset(p.input, out, [&rng](int n) { return rng.below(uint64_t(n)); });
    append(ex, p.input, out, r0, c0);
  }
  return ex;
}

Examples test_examples(const Task& augmented) {
  Examples ex;
  for (size_t i = 0; i < augmented.test.size(); ++i) append(ex, augmented.test[i].input, output_of(augmented, augmented.test[i], "test", i), 0, 0);
  return ex;
}

}  // namespace hrm::arc
