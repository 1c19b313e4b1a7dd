// Sudoku solver benchmark and correctness check.
//
// Usage: hrm_sudoku_solver_bench <dir-or-file> [more ...]
//
// A directory is scanned for puzzle sets (*.txt, except *.solutions.txt and
// LICENSE*). Each line of a set is one of:
//   <puzzle>                                 plain line ('#' lines are comments)
//   <puzzle>:<count>[:<solution>]            tdoku test format: expected solution count
//   <hash> <81 digits> <rating>              Sudoku Exchange puzzle bank record
// If <set>.solutions.txt exists, its lines are the expected solutions, in order.
//
// For every set it reports puzzles/s for solving (limit 1) and for a uniqueness
// check (limit 2), and checks the results: stored solutions must match, stored
// counts must match, and a set without solutions must have >= 2 solutions per
// puzzle (Serg's benchmark). Exit status 1 if any check fails.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "grid.hpp"
#include "solver.hpp"

namespace fs = std::filesystem;
using namespace hrm::sudoku;

namespace {

struct Item {
  Grid puzzle;
  int expected_count = -1;  // -1 = unknown
  std::string expected_solution;
};

std::vector<std::string> read_lines(const fs::path& p) {
  std::vector<std::string> lines;
  std::ifstream in(p);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    lines.push_back(line);
  }
  return lines;
}

bool load_set(const fs::path& file, std::vector<Item>& items) {
  auto lines = read_lines(file);
  fs::path sol_path = file;
  sol_path.replace_extension(".solutions.txt");
  std::vector<std::string> solutions;
  if (fs::exists(sol_path)) solutions = read_lines(sol_path);
  if (!solutions.empty() && solutions.size() != lines.size()) {
    std::cerr << file << ": " << lines.size() << " puzzles but " << solutions.size() << " solutions\n";
    return false;
  }
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    Item item;
    std::string text = line;
    if (auto colon = line.find(':'); colon != std::string::npos) {
      text = line.substr(0, colon);
      std::string rest = line.substr(colon + 1);
      auto colon2 = rest.find(':');
      item.expected_count = std::stoi(rest.substr(0, colon2));
      if (colon2 != std::string::npos) item.expected_solution = rest.substr(colon2 + 1);
    } else if (line.find(' ') != std::string::npos) {
      std::istringstream fields(line);
      std::string hash;
      fields >> hash >> text;
    }
    // Puzzles with no solution are part of the test set, so contradictions are not a parse error.
    auto g = parse_line(text, /*check_contradictions=*/false);
    if (!g) {
      std::cerr << file << ": puzzle " << i + 1 << ": " << g.error().message << "\n";
      return false;
    }
    item.puzzle = g.value();
    if (!solutions.empty()) {
      item.expected_solution = solutions[i];
      item.expected_count = 1;
    }
    items.push_back(std::move(item));
  }
  return true;
}

// Returns the number of failed checks.
int bench_set(const fs::path& file) {
  std::vector<Item> items;
  if (!load_set(file, items)) return 1;
  if (items.empty()) return 0;
  using clock = std::chrono::steady_clock;

  // Pass 1: plain solve (first solution), the usual benchmark figure.
  std::vector<SolveResult> first(items.size());
  auto t0 = clock::now();
  for (std::size_t i = 0; i < items.size(); ++i) first[i] = solve(items[i].puzzle);
  double solve_s = std::chrono::duration<double>(clock::now() - t0).count();

  // Pass 2: count solutions; up to 2 normally, higher where the set states larger counts.
  int count_limit = 2;
  for (const auto& it : items) count_limit = std::max(count_limit, it.expected_count + 1);
  std::vector<SolveResult> counted(items.size());
  SolveOptions opt;
  opt.limit = count_limit;
  auto t1 = clock::now();
  for (std::size_t i = 0; i < items.size(); ++i) counted[i] = solve(items[i].puzzle, opt);
  double count_s = std::chrono::duration<double>(clock::now() - t1).count();

  int failures = 0;
  std::uint64_t guesses = 0, max_guesses = 0;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const Item& it = items[i];
    guesses += counted[i].guesses;
    max_guesses = std::max(max_guesses, counted[i].guesses);
    bool ok = true;
    if (it.expected_count >= 0) {
      ok = counted[i].solutions == std::min(it.expected_count, count_limit);
    } else {
      ok = counted[i].solutions >= 2;  // sets without stored solutions are multi-solution sets
    }
    if (ok && !it.expected_solution.empty()) {
      ok = format_line(first[i].solution) == it.expected_solution &&
           verify_solution(it.puzzle, first[i].solution).ok();
    }
    if (!ok) {
      ++failures;
      if (failures <= 5)
        std::cerr << file.filename().string() << " puzzle " << i + 1 << ": MISMATCH (found "
                  << counted[i].solutions << " solutions)\n";
    }
  }
  const double count = static_cast<double>(items.size());
  std::printf("%-40s %6zu  %10.0f/s solve  %10.0f/s count<=%d  guesses avg %8.1f max %8llu  %s\n",
              file.filename().string().c_str(), items.size(), count / solve_s, count / count_s, count_limit,
              static_cast<double>(guesses) / count,
              static_cast<unsigned long long>(max_guesses), failures ? "FAIL" : "ok");
  return failures;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: " << argv[0] << " <dir-or-file> [more ...]\n";
    return 2;
  }
  std::vector<fs::path> files;
  for (int a = 1; a < argc; ++a) {
    fs::path p = argv[a];
    if (fs::is_directory(p)) {
      std::vector<fs::path> found;
      for (const auto& e : fs::directory_iterator(p)) {
        std::string name = e.path().filename().string();
        if (e.path().extension() == ".txt" && name.find(".solutions.") == std::string::npos &&
            name.rfind("LICENSE", 0) != 0)
          found.push_back(e.path());
      }
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else {
      files.push_back(p);
    }
  }
  int failures = 0;
  for (const auto& f : files) failures += bench_set(f);
  std::printf("%s\n", failures ? "SOME CHECKS FAILED" : "all checks passed");
  return failures ? 1 : 0;
}
