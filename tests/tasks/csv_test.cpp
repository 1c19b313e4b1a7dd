// The RFC 4180 record reader the task plugins share (plugins/tasks/common/csv.hpp).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/csv.hpp"

namespace {

using hrm::task::csv::is_header;
using hrm::task::csv::parse_record;
using hrm::task::csv::quote;
using hrm::task::csv::record_end;
using Fields = std::vector<std::string>;

Fields fields(const std::string &record) {
    auto r = parse_record(record);
    EXPECT_TRUE(r.ok()) << record << ": " << r.error().message;
    return r.ok() ? *r : Fields{};
}

std::string error(const std::string &record) {
    auto r = parse_record(record);
    EXPECT_FALSE(r.ok()) << record;
    return r.ok() ? "" : r.error().message;
}

bool contains(const std::string &s, const std::string &part) {
    return s.find(part) != std::string::npos;
}

}  // namespace

TEST(Csv, PlainFieldsAreKeptVerbatim) {
    EXPECT_EQ(fields("a,b,,d"), (Fields{"a", "b", "", "d"}));
    EXPECT_EQ(fields("#S  G#,  x "), (Fields{"#S  G#", "  x "}));  // spaces are content (maze cells)
    EXPECT_EQ(fields(""), (Fields{""}));
    EXPECT_EQ(fields("a,b\r\n"), (Fields{"a", "b"}));  // a CRLF line end is not part of the record
}

TEST(Csv, QuotedFields) {
    EXPECT_EQ(fields(R"("question","answer")"), (Fields{"question", "answer"}));
    EXPECT_EQ(fields(R"("a,b","say ""hi""",c)"), (Fields{"a,b", R"(say "hi")", "c"}));
    EXPECT_EQ(fields("\"two\nlines\",x"), (Fields{"two\nlines", "x"}));
    EXPECT_EQ(fields(R"( "a" , "b" )"), (Fields{"a", "b"}));  // blanks around quotes are dropped
    EXPECT_EQ(fields(R"("",x)"), (Fields{"", "x"}));
}

TEST(Csv, MalformedRecordsAreClearErrors) {
    EXPECT_TRUE(contains(error(R"(a,"unterminated)"), "unterminated quoted field in field 2 at character 3"));
    EXPECT_TRUE(
        contains(error(R"("a"b,c)"), "unexpected character 'b' after a closing quote in field 1 at character 4"));
    EXPECT_TRUE(contains(error(R"(x,ab"c)"), "a '\"' inside an unquoted field in field 2 at character 5"));
}

TEST(Csv, RecordEndHonoursQuotes) {
    const std::string text = "a,\"b\nc\"\r\nnext\n\"open";
    const size_t end = record_end(text, 0);
    EXPECT_EQ(text.substr(0, end), "a,\"b\nc\"\r");
    EXPECT_EQ(record_end(text, end + 1), text.find("next") + 4);
    EXPECT_EQ(record_end(text, text.find("\"open")), text.size());  // never fails: parse reports it
}

TEST(Csv, QuoteRoundTrips) {
    for (const std::string &f : {std::string("plain"), std::string("a,b"), std::string("say \"hi\""),
                                 std::string("two\nlines"), std::string("  #S G ")}) {
        EXPECT_EQ(fields(quote(f) + ",end"), (Fields{f, "end"})) << quote(f);
    }
    EXPECT_EQ(quote("plain"), "plain");
    EXPECT_EQ(quote("a\"b"), "\"a\"\"b\"");
}

TEST(Csv, Header) {
    EXPECT_TRUE(is_header("source,question,answer,rating", "source"));
    EXPECT_TRUE(is_header(R"("Source","question","answer","rating")", "source"));
    EXPECT_FALSE(is_header("sourcey,q,a,r", "source"));
    EXPECT_FALSE(is_header("source", "source"));  // one field: not a CSV header
    EXPECT_FALSE(is_header(R"("source,q)", "source"));
}
