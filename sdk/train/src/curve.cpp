#include "hrm/train/curve.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <vector>

#include <hrm/common/error.hpp>
#include <hrm/common/json.hpp>

namespace hrm::train {

namespace {

struct Series {
    std::vector<std::pair<double, double>> points;
    const char *color;
    const char *label;
};

std::string fmt(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4g", v);
    return buf;
}

// One panel at (x0, y0) of size w x h, axes from 0..max_step and lo..hi.
void panel(std::ostringstream &svg, double x0, double y0, double w, double h, const std::string &title,
           const std::vector<Series> &series, double max_step, double lo, double hi) {
    if (hi <= lo) hi = lo + 1;
    const double left = x0 + 60, right = x0 + w - 10, top = y0 + 30, bottom = y0 + h - 40;
    auto X = [&](double s) { return left + (right - left) * (max_step > 0 ? s / max_step : 0); };
    auto Y = [&](double v) { return bottom - (bottom - top) * (v - lo) / (hi - lo); };
    svg << "<text x='" << (left + right) / 2 << "' y='" << y0 + 18 << "' text-anchor='middle' font-size='14'>" << title << "</text>\n";
    svg << "<rect x='" << left << "' y='" << top << "' width='" << right - left << "' height='" << bottom - top
        << "' fill='none' stroke='#888'/>\n";
    for (int i = 0; i <= 4; ++i) {
        const double v = lo + (hi - lo) * i / 4, s = max_step * i / 4;
        svg << "<text x='" << left - 5 << "' y='" << Y(v) + 4 << "' text-anchor='end' font-size='10'>" << fmt(v) << "</text>\n";
        svg << "<text x='" << X(s) << "' y='" << bottom + 14 << "' text-anchor='middle' font-size='10'>" << fmt(s) << "</text>\n";
    }
    svg << "<text x='" << (left + right) / 2 << "' y='" << bottom + 30 << "' text-anchor='middle' font-size='11'>step</text>\n";
    int legend = 0;
    for (const Series &s : series) {
        if (s.points.empty()) continue;
        svg << "<polyline fill='none' stroke='" << s.color << "' stroke-width='1.5' points='";
        for (const auto &[x, y] : s.points) svg << X(x) << "," << Y(y) << " ";
        svg << "'/>\n";
        svg << "<text x='" << right - 5 << "' y='" << top + 14 + 14 * legend++ << "' text-anchor='end' font-size='11' fill='"
            << s.color << "'>" << s.label << "</text>\n";
    }
}

}  // namespace

int write_training_curve(const std::string &metrics_jsonl, const std::string &svg_path) {
    std::ifstream in(metrics_jsonl);
    if (!in) throw common::Error(HRM_E_IO, "cannot read " + metrics_jsonl);
    Series loss{{}, "#1f77b4", "train loss"}, train_exact{{}, "#1f77b4", "train exact"},
        eval_exact{{}, "#d62728", "eval exact"};
    std::string line;
    double max_step = 0;
    while (std::getline(in, line)) {
        if (line.empty()) continue;
        const auto v = common::json::parse(line, metrics_jsonl);
        const auto *type = v.find("type");
        const auto *step = v.find("step");
        if (!type || !step) continue;
        const double s = step->number;
        max_step = std::max(max_step, s);
        auto number = [&](const char *key) {   // null (a NaN in training) is skipped
            const auto *x = v.find(key);
            return x && x->type == common::json::Value::Type::Number ? x : nullptr;
        };
        if (type->string == "train") {
            if (const auto *l = number("loss")) loss.points.push_back({s, l->number});
            if (const auto *e = number("exact_accuracy")) train_exact.points.push_back({s, e->number});
        } else if (type->string == "eval") {
            if (const auto *e = number("exact_accuracy")) eval_exact.points.push_back({s, e->number});
        }
    }
    // A resumed run may repeat steps written after the last checkpoint: keep the last value per step.
    for (Series *s : {&loss, &train_exact, &eval_exact}) {
        std::stable_sort(s->points.begin(), s->points.end(), [](auto &a, auto &b) { return a.first < b.first; });
        std::vector<std::pair<double, double>> unique;
        for (const auto &p : s->points) {
            if (!unique.empty() && unique.back().first == p.first) unique.back() = p;
            else unique.push_back(p);
        }
        s->points = unique;
    }
    double lo = 0, hi = 0;
    for (const auto &p : loss.points) hi = std::max(hi, p.second);
    std::ostringstream svg;
    svg << "<svg xmlns='http://www.w3.org/2000/svg' width='900' height='340' font-family='sans-serif'>\n"
        << "<rect width='900' height='340' fill='white'/>\n";
    panel(svg, 0, 0, 450, 340, "loss", {loss}, max_step, lo, hi);
    panel(svg, 450, 0, 450, 340, "exact accuracy", {train_exact, eval_exact}, max_step, 0, 1);
    svg << "</svg>\n";
    const std::string text = svg.str();
    common::AtomicWriter w(svg_path);
    w.write(text.data(), text.size());
    w.commit();
    return int(loss.points.size() + train_exact.points.size() + eval_exact.points.size());
}

}  // namespace hrm::train
