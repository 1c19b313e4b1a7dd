// What `hrm dataset build arc` builds (hrm-reference.md 4.4), as plain data so it can be tested
// without the runner: which tasks, which augmentations, which identifier each puzzle gets, and the
// encoded examples. The runner writes them with hrm::data::SplitBuilder.
//
// Reference split: a task from a `training/` folder trains on all its pairs; a task from an
// `evaluation/` folder trains on its demonstration pairs and is tested on its test pairs.
//
// Unlike the reference, everything is deterministic: tasks are sorted by id, each task's
// augmentations come from a generator seeded by (seed, task id) alone, and identifiers are given
// in that order. The same folders and seed give the same identifiers.json on every machine, so a
// checkpoint's puzzle embeddings always match the data.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "augment.hpp"
#include "task.hpp"

namespace hrm::arc {

struct SourceTask {
  Task task;
  bool evaluation = false;  // from an evaluation/ folder: its test pairs are held out
  std::string origin;       // the file it came from, for messages
};

// Every *.json task under <root>/training and <root>/evaluation of each root (a root must have at
// least one of them), in root order, then folder order, then sorted file name. A root that is a
// file is a Kaggle-style `*_challenges.json` collection (read_challenges_file, TRM's input); its
// tasks are evaluation tasks when the file's subset is `evaluation` or `evaluation2`
// (`..._evaluation_challenges.json`), training tasks otherwise.
std::vector<SourceTask> load_sources(const std::vector<std::string>& roots);

// Tasks that occur more than once (ARC-AGI-2 repeats most ARC-AGI-1 tasks) are merged:
//  - same content (task_hash) = one task. An evaluation copy wins over a training copy, so a
//    task evaluated in one version is never trained on its test pairs because the other version
//    lists it under training. The kept copy keeps its own id (the evaluation copy's, so that
//    submissions name the evaluated task), unless that id already names another task.
//  - same id, different content: both are kept; the evaluation copy (else the one whose content
//    sorts first) keeps the id and the others get "<id>-<n>" (n = 2, 3, ...).
// Which copy is kept and the names do not depend on the order of `sources`. The result is sorted
// by id.
struct Merged {
  std::vector<SourceTask> tasks;
  int duplicates = 0;  // copies dropped
  int renamed = 0;     // ids suffixed
};
Merged merge_sources(std::vector<SourceTask> sources);

// One task's puzzles: its augmentations in order, the identity first.
struct TaskPlan {
  const SourceTask* source = nullptr;
  std::vector<Augmentation> augmentations;
};

// The augmentations of each task (distinct_augmentations with a generator seeded by seed and the
// task id), in the order of tasks.
std::vector<TaskPlan> plan_augmentations(const std::vector<SourceTask>& tasks, int count, uint64_t seed);

// identifiers.json: "<blank>" at 0, then every puzzle name of every plan, in order.
std::vector<std::string> identifier_names(const std::vector<TaskPlan>& plans);

// The puzzles of a reference builder's identifiers.json, in its order, so that a checkpoint
// trained on the reference's dataset finds its puzzle embedding rows (hrm-reference.md 4.4: the
// reference assigns identifiers in the order of its os.scandir/glob/np.random draws, which
// cannot be reproduced elsewhere, but every name spells its task and augmentation). names[0] is
// "<blank>", then "{task}" or "{task}_t{tid}_{mapping}" (TRM: "{task}|||t{tid}|||{mapping}");
// a task's names are consecutive (the
// reference's group: the task and its augmentations). Throws naming the entry for a malformed
// name, a task not in `tasks`, a repeated name or a task whose names are not consecutive.
// `tasks` must outlive the plans; `unused` counts the tasks no name refers to.
std::vector<TaskPlan> plans_from_identifiers(const std::vector<SourceTask>& tasks,
                                             const std::vector<std::string>& names, int& unused);

// The examples of one puzzle, encoded. Train: the training pairs (and the test pairs of a
// non-evaluation task), each at a random offset shared by its input and output, except one example
// drawn at random that stays at (0, 0), as the reference. Test: the test pairs at (0, 0). Throws
// when a needed output is missing.
struct Examples {
  std::vector<int32_t> inputs, labels;  // [n * 900] each
  int64_t count = 0;
};
Examples train_examples(const Task& augmented, bool include_test, Rng& rng);
Examples test_examples(const Task& augmented);

}  // namespace hrm::arc
