// CSV records as users have them (RFC 4180), for the task plugins that read CSV (sudoku, maze):
// fields separated by ',', records by CRLF or LF, and a field in double quotes may hold ',', line
// breaks and doubled quotes ("" for one "). One reader, so that every task's split() and parse
// agree on where a record ends and what its fields are.
//
// Leniencies, because hand-edited files have them: spaces or tabs around a quoted field are
// dropped ( "a" , "b" ), a bare CR or LF at the end of a record is ignored. An unquoted field is
// kept verbatim, spaces included (a maze row of spaces is open cells).
#pragma once

#include <cctype>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "hrm/common/error.hpp"

namespace hrm::task::csv {

// Where the record that starts at `begin` ends: the first line break outside quotes, or the end of
// text. It never fails, because split() must not validate: an unterminated quote runs to the end
// of text, and parse_record reports it.
inline std::size_t record_end(std::string_view text, std::size_t begin) {
    bool quoted = false;
    for (std::size_t i = begin; i < text.size(); ++i) {
        if (text[i] == '"')
            quoted = !quoted;  // a doubled quote toggles twice
        else if (text[i] == '\n' && !quoted)
            return i;
    }
    return text.size();
}

// The fields of one record: its text without the line break (a trailing CR or LF is ignored).
// Errors name the field (1-based) and the character (1-based) of the problem.
inline Result<std::vector<std::string>> parse_record(std::string_view record) {
    while (!record.empty() && (record.back() == '\n' || record.back() == '\r')) record.remove_suffix(1);
    auto at = [](std::size_t field, std::size_t i) {
        return " in field " + std::to_string(field) + " at character " + std::to_string(i + 1);
    };
    auto blank = [](char c) { return c == ' ' || c == '\t'; };
    std::vector<std::string> fields;
    std::size_t i = 0;
    for (;;) {
        const std::size_t start = i, n = fields.size() + 1;
        std::size_t j = i;
        while (j < record.size() && blank(record[j])) ++j;
        std::string field;
        if (j < record.size() && record[j] == '"') {
            const std::size_t open = j++;
            for (;; ++j) {
                if (j >= record.size())
                    return Error{"CSV: unterminated quoted field" + at(n, open) +
                                 " (a '\"' opens it and none closes it)"};
                if (record[j] != '"') {
                    field += record[j];
                } else if (j + 1 < record.size() && record[j + 1] == '"') {
                    field += '"';
                    ++j;
                } else {
                    break;
                }
            }
            for (++j; j < record.size() && blank(record[j]);) ++j;
            if (j < record.size() && record[j] != ',')
                return Error{"CSV: unexpected character " + hrm::common::quote_character(record.substr(j)) + " after a closing quote" +
                             at(n, j) + " (expected ',' or the end of the record)"};
        } else {
            j = record.find(',', start);
            if (j == std::string_view::npos) j = record.size();
            field.assign(record.substr(start, j - start));
            if (const std::size_t q = field.find('"'); q != std::string::npos)
                return Error{"CSV: a '\"' inside an unquoted field" + at(n, start + q) +
                             " (quote the whole field and double the quote: \"a\"\"b\")"};
        }
        fields.push_back(std::move(field));
        if (j >= record.size()) return fields;
        i = j + 1;  // past the ','
    }
}

// A field written so that parse_record reads it back unchanged: in quotes, with quotes doubled,
// when it holds ',', '"' or a line break; else as it is.
inline std::string quote(std::string_view field) {
    if (field.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(field);
    std::string out = "\"";
    for (char c : field) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

// Whether record is the optional header row: its first field is `first_column`, in any case.
inline bool is_header(std::string_view record, std::string_view first_column) {
    const auto fields = parse_record(record);
    if (!fields || fields->size() < 2) return false;
    std::string_view first = (*fields)[0];
    while (!first.empty() && std::isspace(static_cast<unsigned char>(first.front()))) first.remove_prefix(1);
    while (!first.empty() && std::isspace(static_cast<unsigned char>(first.back()))) first.remove_suffix(1);
    if (first.size() != first_column.size()) return false;
    for (std::size_t k = 0; k < first.size(); ++k)
        if (std::tolower(static_cast<unsigned char>(first[k])) !=
            std::tolower(static_cast<unsigned char>(first_column[k])))
            return false;
    return true;
}

}  // namespace hrm::task::csv
