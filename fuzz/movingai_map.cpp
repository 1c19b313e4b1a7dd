// MovingAI .map files (`hrm oracle --map`, `hrm gridnav windows`): the header, the rows, the
// terrain characters; a map that parses is then planned on (free space with a footprint, A* corner
// to corner) as the oracle does.
#include "fuzz_util.hpp"
#include "grid.hpp"
#include "planner.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    namespace gn = hrm::gridnav;
    const auto map = gn::parse_map(std::string_view(reinterpret_cast<const char *>(data), size));
    if (!map) return 0;
    const gn::Grid &g = map.value();
    if (g.width <= 0 || g.height <= 0 || g.cells.size() != std::size_t(g.width) * std::size_t(g.height)) std::abort();
    const gn::MoveModel model{size % 2 ? 4 : 8, int(size % 3), size % 5 == 0};
    (void)gn::astar(g, {0, 0}, {g.width - 1, g.height - 1}, model);
    return 0;
}
