// A training-curve picture from the engine's metrics JSONL: two panels, the training loss and the
// exact accuracy (training and, where present, evaluation) against the step. Plain SVG, no deps.
#pragma once

#include <string>

namespace hrm::train {

// Reads metrics_jsonl (lines with "type" "train" or "eval") and writes svg_path atomically.
// Returns the number of points drawn.
int write_training_curve(const std::string &metrics_jsonl, const std::string &svg_path);

}  // namespace hrm::train
