// The gridnav commands that read MovingAI benchmark files:
//
//   hrm oracle --task gridnav --map M.map --scen S.scen [--moves 4|8] [--radius R] [--terrain]
//       A* on every scenario: one line per scenario with its optimal cost, its path length in
//       moves and whether the cost matches the file's optimal length, then a summary.
//   hrm gridnav windows --map M.map --scen S.scen [--window 30] -o FILE
//       Cuts a window around each scenario whose optimal path fits (see window.hpp) and writes
//       the windows as gridnav instances with their solutions, for `hrm dataset import gridnav`.
//
// Both use the gridnav core library (hrm_task_gridnav_core) directly instead of the plugin:
// a .scen line is not an encoder instance (it is only meaningful with its map, and maps are far
// larger than the model's window), so there is nothing to hand the plugin through the C ABI.
// Everything the model sees still goes through the plugin: the windows file is read by
// `hrm dataset import` like any other instance file.
//
// Move-model defaults come from the config's [task] table (moves, radius, terrain, window), the
// same keys the plugin reads; the command-line flags override them.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "cli.hpp"
#include "commands.hpp"

#include "grid.hpp"
#include "planner.hpp"
#include "window.hpp"

int cmd_gridnav_oracle(int argc, char **argv);
int cmd_gridnav(int argc, char **argv);

using namespace hrm::runner;
namespace gn = hrm::gridnav;

namespace {

// Options shared by both commands: the files and the move model.
struct MapOptions {
    std::string map, scen;
    int moves = 0, radius = -1, window = 0;   // 0 / -1: not given, take the config's or the default
    bool terrain = false;
};

void add_map_options(po::options_description &opts, MapOptions &m) {
    opts.add_options()
        ("map", po::value(&m.map)->required(), "MovingAI .map file")
        ("scen", po::value(&m.scen)->required(), "MovingAI .scen file for that map")
        ("moves", po::value(&m.moves), "4 or 8 (default: config task.moves, else 8)")
        ("radius", po::value(&m.radius), "footprint radius in cells (default: config task.radius, else 0)")
        ("terrain", po::bool_switch(&m.terrain), "swamp cells cost more (default: config task.terrain)");
}

// The move model from config [task] and the flags. Throws on bad values, naming the option.
gn::MoveModel move_model(const MapOptions &m, const Config &config) {
    gn::MoveModel model;
    model.moves = m.moves ? m.moves : static_cast<int>(config.get_int("task.moves", 8));
    model.radius = m.radius >= 0 ? m.radius : static_cast<int>(config.get_int("task.radius", 0));
    model.terrain = m.terrain || config.get_bool("task.terrain", false);
    if (model.moves != 4 && model.moves != 8)
        throw std::runtime_error("--moves must be 4 or 8, got " + std::to_string(model.moves));
    if (model.radius < 0 || model.radius > 10)
        throw std::runtime_error("--radius must be 0..10, got " + std::to_string(model.radius));
    return model;
}

// Reads the map and its scenarios; scenario line errors are printed (file: line N: ...) and
// counted, the good lines returned.
struct Loaded {
    gn::Grid map;
    std::vector<gn::Scenario> scenarios;
    size_t errors = 0;
};

Loaded load(const MapOptions &m) {
    auto grid = gn::parse_map(read_input(m.map));
    if (!grid) throw std::runtime_error(m.map + ": " + grid.error().message);
    Loaded out;
    out.map = std::move(grid).value();
    gn::ScenarioFile f = gn::parse_scen(read_input(m.scen), out.map, m.map);
    for (const auto &e : f.errors) std::cerr << m.scen << ": " << e.message << "\n";
    out.errors = f.errors.size();
    out.scenarios = std::move(f.scenarios);
    return out;
}

std::string xy(gn::Cell c) { return std::to_string(c.x) + "," + std::to_string(c.y); }

}  // namespace

std::vector<std::string> hrm::runner::gridnav_map_windows(const std::vector<std::string> &paths, const Config &config) {
    namespace fs = std::filesystem;
    std::vector<fs::path> maps, scens;
    for (const auto &p : paths) {
        std::vector<fs::path> files;
        if (fs::is_directory(p)) {
            for (const auto &e : fs::directory_iterator(p)) files.push_back(e.path());
        } else if (fs::exists(p)) {
            files.push_back(p);
        } else {
            throw std::runtime_error("--maps: '" + p + "' does not exist");
        }
        for (const auto &f : files) {
            if (f.extension() == ".map") maps.push_back(f);
            if (f.extension() == ".scen") scens.push_back(f);
        }
    }
    std::sort(maps.begin(), maps.end());
    std::sort(scens.begin(), scens.end());
    MapOptions m;
    const gn::MoveModel model = move_model(m, config);
    const int window = static_cast<int>(config.get_int("task.window", 30));
    std::vector<std::string> out;
    for (const auto &map : maps) {
        // MovingAI names scenario files after their map: arena.map.scen, maze-32-32-2-random-1.scen.
        const std::string stem = map.stem().string();
        for (const auto &scen : scens) {
            const std::string name = scen.filename().string();
            if (name.rfind(stem, 0) != 0 || (name.size() > stem.size() && name[stem.size()] != '.' && name[stem.size()] != '-'))
                continue;
            m.map = map.string();
            m.scen = scen.string();
            const Loaded in = load(m);
            for (const auto &w : gn::cut_windows(in.map, in.scenarios, window, model).windows)
                out.push_back(gn::format_instance(w));
        }
    }
    if (out.empty()) throw std::runtime_error("--maps: no window could be cut (need .map files with their .scen files)");
    return out;
}

int cmd_gridnav_oracle(int argc, char **argv) {
    CommonOptions common;
    MapOptions m;
    std::string task_name;
    po::options_description opts("hrm oracle --task gridnav --map options");
    opts.add_options()("task,t", po::value(&task_name)->required(), "gridnav");
    add_map_options(opts, m);
    add_common_options(opts, common);
    po::variables_map vm;
    const char *usage = "hrm oracle --task gridnav --map M.map --scen S.scen [--moves 4|8] [--radius R] [--terrain]";
    if (int rc = parse_args(argc, argv, usage, opts, {}, vm); rc >= 0) return rc;
    if (task_name != "gridnav" && task_name != "org.hrm-sdk.task.gridnav") {
        std::cerr << "hrm oracle: --map/--scen are for --task gridnav, not '" << task_name << "'\n";
        return 2;
    }
    const gn::MoveModel model = move_model(m, load_config(common));
    const Loaded in = load(m);

    // The file's optimal lengths are for 8-connected moves of a point robot without terrain
    // costs (MovingAI convention); under any other model they are shown but not compared.
    const bool comparable = model.moves == 8 && model.radius == 0 && !model.terrain;
    const auto space = gn::free_space(in.map, model);   // once: the map is the same for every line
    size_t matched = 0, mismatched = 0, failed = in.errors;
    const auto t0 = std::chrono::steady_clock::now();
    for (const gn::Scenario &s : in.scenarios) {
        auto path = gn::astar(in.map, s.start, s.goal, model, space);
        if (!path) {
            ++failed;
            std::cerr << m.scen << ": line " << s.line << ": " << path.error().message << "\n";
            continue;
        }
        std::cout << "line " << s.line << "\t" << xy(s.start) << " -> " << xy(s.goal) << "\tcost " << std::fixed
                  << std::setprecision(8) << path->cost << "\tmoves " << path->moves() << "\tfile " << s.optimal;
        if (comparable) {
            const bool ok = std::abs(path->cost - s.optimal) <= 1e-4 * std::max(1.0, s.optimal);
            ++(ok ? matched : mismatched);
            std::cout << (ok ? "\tmatch\n" : "\tMISMATCH\n");
        } else {
            std::cout << "\tnot compared\n";
        }
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const size_t planned = in.scenarios.size() - (failed - in.errors);
    std::cerr << "oracle: " << planned << " scenarios planned";
    if (comparable) std::cerr << ", " << matched << " match the file, " << mismatched << " do not";
    else std::cerr << " (" << model.moves << "-connected, radius " << model.radius
                   << (model.terrain ? ", terrain costs" : "") << ": the file's lengths are not compared)";
    std::cerr << ", " << failed << " failed, in " << std::fixed << std::setprecision(3) << seconds << " s ("
              << std::setprecision(0) << (seconds > 0 ? double(planned) / seconds : 0.0) << " scenarios/s)\n";
    return failed || mismatched ? 1 : 0;
}

int cmd_gridnav(int argc, char **argv) {
    const std::string usage = "usage: hrm gridnav windows --map M.map --scen S.scen [--window 30] -o FILE\n";
    if (argc < 2 || std::string(argv[1]) != "windows") {
        const bool help = argc >= 2 && (std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h");
        (help ? std::cout : std::cerr) << usage;
        return help ? 0 : 2;
    }
    --argc, ++argv;   // argv[0] is now "windows"
    CommonOptions common;
    MapOptions m;
    std::string output;
    po::options_description opts("hrm gridnav windows options");
    opts.add_options()
        ("window", po::value(&m.window), "window side in cells, 4..64 (default: config task.window, else 30)")
        ("output,o", po::value(&output)->required(), "instance file to write, or - for standard output");
    add_map_options(opts, m);
    add_common_options(opts, common);
    po::variables_map vm;
    if (int rc = parse_args(argc, argv, usage.substr(7), opts, {}, vm); rc >= 0) return rc;
    const Config config = load_config(common);
    const gn::MoveModel model = move_model(m, config);
    const int window = m.window ? m.window : static_cast<int>(config.get_int("task.window", 30));
    if (window < 4 || window > 64) {
        std::cerr << "hrm gridnav windows: --window must be 4..64, got " << window << "\n";
        return 2;
    }
    const Loaded in = load(m);
    const gn::WindowResult w = gn::cut_windows(in.map, in.scenarios, window, model);

    std::ostringstream text;
    for (size_t i = 0; i < w.windows.size(); ++i) text << (i ? "\n" : "") << gn::format_instance(w.windows[i]) << "\n";
    if (output == "-") {
        std::cout << text.str();
    } else {
        std::ofstream out(output, std::ios::binary);
        if (!out || !(out << text.str())) throw std::runtime_error("cannot write '" + output + "'");
    }
    if (common.verbose)
        for (const auto &s : w.skipped) std::cerr << m.scen << ": " << s.message << "\n";
    std::cerr << "windows: " << w.windows.size() << " cut (" << window << "x" << window << ") from "
              << in.scenarios.size() << " scenarios, " << w.skipped.size() << " skipped"
              << (common.verbose ? "" : " (-v lists why)") << ", " << in.errors << " bad scenario lines\n";
    return in.errors ? 1 : 0;
}
