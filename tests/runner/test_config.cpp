// Config files and --set overrides: merging, typed reads, and errors that name file, line and key.
#include <fstream>

#include <gtest/gtest.h>

#include "config.hpp"

using hrm::runner::Config;
using hrm::runner::ConfigError;

namespace {

std::string write_file(const std::string &name, const std::string &text) {
    const std::string path = ::testing::TempDir() + name;
    std::ofstream(path) << text;
    return path;
}

std::string error_of(const std::vector<std::string> &files, const std::vector<std::string> &sets,
                     void (*use)(const Config &) = nullptr) {
    try {
        const Config c = Config::load(files, sets);
        if (use) use(c);
    } catch (const ConfigError &e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST(Config, LaterFilesOverrideKeyByKey) {
    const auto a = write_file("a.toml", "[model]\nhidden_size = 512\nnum_heads = 8\n");
    const auto b = write_file("b.toml", "[model]\nhidden_size = 128\n");
    const Config c = Config::load({a, b}, {});
    EXPECT_EQ(c.get_int("model.hidden_size", 0), 128);
    EXPECT_EQ(c.get_int("model.num_heads", 0), 8);
    EXPECT_EQ(c.get_int("model.missing", 7), 7);
}

TEST(Config, SetOverridesParseTomlValuesOrFallBackToStrings) {
    const auto a = write_file("c.toml", "[train]\nlr = 1e-4\n");
    const Config c = Config::load({a}, {"train.lr=3e-4", "train.steps=10", "model.pos_encodings=learned",
                                        "train.ema=true", "new.deep.key=\"x\""});
    EXPECT_DOUBLE_EQ(c.get_double("train.lr", 0), 3e-4);
    EXPECT_EQ(c.get_int("train.steps", 0), 10);
    EXPECT_EQ(c.get_string("model.pos_encodings", ""), "learned");
    EXPECT_TRUE(c.get_bool("train.ema", false));
    EXPECT_EQ(c.get_string("new.deep.key", ""), "x");
}

TEST(Config, SyntaxErrorNamesFileAndLine) {
    const auto bad = write_file("bad.toml", "[model]\nhidden_size = 512\nnum_heads = = 8\n");
    const std::string e = error_of({bad}, {});
    EXPECT_NE(e.find("bad.toml:3"), std::string::npos) << e;
}

TEST(Config, WrongTypeNamesFileLineAndKey) {
    const auto f = write_file("type.toml", "[model]\n\nhidden_size = \"big\"\n");
    const std::string e = error_of({f}, {}, [](const Config &c) { c.get_int("model.hidden_size", 0); });
    EXPECT_NE(e.find("type.toml:3"), std::string::npos) << e;
    EXPECT_NE(e.find("model.hidden_size"), std::string::npos) << e;
    EXPECT_NE(e.find("integer"), std::string::npos) << e;
}

TEST(Config, MalformedOverridesAreRejected) {
    EXPECT_NE(error_of({}, {"novalue"}).find("expected key=value"), std::string::npos);
    EXPECT_NE(error_of({}, {"=3"}).find("expected key=value"), std::string::npos);
    const auto f = write_file("scalar.toml", "model = 3\n");
    EXPECT_NE(error_of({f}, {"model.x=1"}).find("'model' is not a table"), std::string::npos);
}

TEST(Config, SectionTextRoundTrips) {
    const auto f = write_file("sec.toml", "[policy]\nsegments = 8\n[model]\nhidden_size = 64\n");
    const Config c = Config::load({f}, {});
    const Config again = Config::load({write_file("sec2.toml", c.section_text("policy"))}, {});
    EXPECT_EQ(again.get_int("policy.segments", 0), 8);
    EXPECT_FALSE(again.has("model.hidden_size"));
    EXPECT_EQ(c.section_text("absent"), "");
}
