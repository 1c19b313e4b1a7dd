// MovingAI .scen files for a map: "version 1" then tab-separated scenario lines, each checked
// against the map (bounds, blocked cells, size); every scenario that parses is planned with A*
// like `hrm oracle --map M --scen S`. The input is "<map text>\0<scen text>"; without a NUL it is
// a scenario file for a fixed 32x32 map with a wall.
#include <cmath>

#include "fuzz_util.hpp"
#include "grid.hpp"
#include "planner.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    namespace gn = hrm::gridnav;
    static const gn::Grid fixed = [] {
        std::string text = "type octile\nheight 32\nwidth 32\nmap\n";
        for (int y = 0; y < 32; ++y) text += (y == 16 ? std::string(28, '@') + "...." : std::string(32, '.')) + "\n";
        return gn::parse_map(text).value();
    }();
    const std::string_view in(reinterpret_cast<const char *>(data), size);
    const auto nul = in.find('\0');
    gn::Grid map = fixed;
    std::string_view scen = in;
    if (nul != std::string_view::npos) {
        auto parsed = gn::parse_map(in.substr(0, nul));
        if (!parsed) return 0;
        map = std::move(parsed).value();
        scen = in.substr(nul + 1);
    }
    const gn::ScenarioFile file = gn::parse_scen(scen, map, size % 2 ? "" : "fixed.map");
    int planned = 0;
    for (const gn::Scenario &s : file.scenarios) {
        // What a scenario promises: on the map, an optimal length that is a finite number.
        if (!map.inside(s.start) || !map.inside(s.goal) || !std::isfinite(s.optimal) || s.optimal < 0) std::abort();
        if (planned++ < 4) (void)gn::astar(map, s.start, s.goal, gn::MoveModel{});
    }
    return 0;
}
