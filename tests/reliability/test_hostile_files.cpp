// Regression tests for the readers of outside files (issue #24, docs/reliability.md): each case is
// a crafted file that once crashed, hung or misread, rebuilt here byte by byte. All must end in
// an hrm::plugin::Error naming the problem.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "grid.hpp"   // plugins/tasks/gridnav
#include "../../plugins/tasks/arc/task.hpp"   // not "task.hpp": hosts/hrm has one too
#include "hrm/common/json.hpp"
#include "hrm/hrm_encoder.h"
#include "hrm/common/npy.hpp"
#include "hrm/common/safetensors.hpp"
#include "hrm/common/torch_zip.hpp"
#include "hrm/data/dataset.hpp"
#include "pickle_builder.hpp"
#include "plugin_host.hpp"   // tests/common: dlopen a plugin with a fake host

namespace fs = std::filesystem;
using reliability::archive;
using reliability::Pickle;

namespace {

std::string temp_file(const std::string &name, const std::string &bytes) {
    const std::string path = ::testing::TempDir() + "hrm_reliability_" + std::to_string(::getpid()) + "_" + name;
    std::ofstream(path, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size()));
    return path;
}

// The message of the Error reading path throws, "" if it reads.
std::string torch_error(const std::string &bytes, const std::string &name) {
    const std::string path = temp_file(name, bytes);
    try {
        (void)hrm::common::read_torch_state_dict(path);
    } catch (const hrm::plugin::Error &e) {
        fs::remove(path);
        return e.what();
    }
    fs::remove(path);
    return "";
}

uint64_t rd(const std::string &s, size_t at, int n) {
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | uint8_t(s[at + size_t(i)]);
    return v;
}
void wr(std::string &s, size_t at, uint64_t v, int n) {
    for (int i = 0; i < n; ++i) s[at + size_t(i)] = char((v >> (8 * i)) & 0xff);
}

std::string one_tensor_state_dict() {
    Pickle p;
    p.op("}(").str("w").tensor("0", 4, 0, {4}, {1}).op("u.");
    return archive(p.bytes(), {{"0", std::string(16, '\0')}});
}

}  // namespace

TEST(HostileTorchZip, ValidArchiveStillReads) {
    const std::string path = temp_file("valid.pt", one_tensor_state_dict());
    const auto t = hrm::common::read_torch_state_dict(path);
    ASSERT_EQ(t.size(), 1u);
    EXPECT_EQ(t[0].name, "w");
    EXPECT_EQ(t[0].bytes.size(), 16u);
    fs::remove(path);
}

// A zip64 locator whose record offset is near 2^64: offset + 56 wrapped, passed the bounds
// check and the reader dereferenced it (SIGSEGV).
TEST(HostileTorchZip, Zip64LocatorOffsetThatWraps) {
    std::string zip = one_tensor_state_dict();
    std::string locator;
    hrm::fuzz::put_le(locator, 0x07064b50, 4);
    hrm::fuzz::put_le(locator, 0, 4);
    hrm::fuzz::put_le(locator, UINT64_MAX - 20, 8);
    hrm::fuzz::put_le(locator, 1, 4);
    zip.insert(zip.size() - 22, locator);
    EXPECT_NE(torch_error(zip, "zip64.pt").find("bad zip64 end-of-central-directory record"), std::string::npos);
}

// A local-header offset near 2^64 given in the zip64 extra field: offset + 30 wrapped (SIGSEGV).
TEST(HostileTorchZip, LocalHeaderOffsetThatWraps) {
    std::string zip = one_tensor_state_dict();
    const size_t eocd = zip.size() - 22, cd = size_t(rd(zip, eocd + 16, 4));
    ASSERT_EQ(rd(zip, cd, 4), 0x02014b50u);   // the first entry: data.pkl
    const size_t name_len = size_t(rd(zip, cd + 28, 2));
    wr(zip, cd + 42, 0xFFFFFFFFu, 4);   // "see the zip64 extra field"
    std::string extra;
    hrm::fuzz::put_le(extra, 0x0001, 2);
    hrm::fuzz::put_le(extra, 8, 2);
    hrm::fuzz::put_le(extra, UINT64_MAX - 10, 8);
    wr(zip, cd + 30, extra.size(), 2);
    zip.insert(cd + 46 + name_len, extra);
    wr(zip, zip.size() - 22 + 12, rd(zip, zip.size() - 22 + 12, 4) + extra.size(), 4);   // central directory size
    EXPECT_NE(torch_error(zip, "local.pt").find("bad local header"), std::string::npos);
}

// numel * element size wrapping to 0 passed the storage-size check; the copy then read 184 MB
// past the file (SIGBUS).
TEST(HostileTorchZip, StorageNumelTimesElementSizeWraps) {
    Pickle p;
    p.op("}(").str("w").tensor("0", int64_t(1) << 62, 0, {int64_t(1) << 24}, {1}, "LongStorage").op("u.");
    const std::string err = torch_error(archive(p.bytes(), {{"0", std::string(16, '\0')}}), "numel.pt");
    EXPECT_NE(err.find("overflows"), std::string::npos) << err;
}

// offset + n overflowed int64 (undefined; in Release the check passed and 4 bytes before the
// storage were read).
TEST(HostileTorchZip, StorageOffsetPlusNumelOverflows) {
    Pickle p;
    p.op("}(").str("w").tensor("0", 4, INT64_MAX - 1, {4}, {1}).op("u.");
    const std::string err = torch_error(archive(p.bytes(), {{"0", std::string(16, '\0')}}), "offset.pt");
    EXPECT_NE(err.find("reaches outside its storage"), std::string::npos) << err;
}

// Strides whose products overflow int64 in a non-contiguous view.
TEST(HostileTorchZip, HugeStridesAreRefused) {
    Pickle p;
    p.op("}(").str("w").tensor("0", 4, 0, {2, 2}, {INT64_MAX / 2 + 1, 1}).op("u.");
    const std::string err = torch_error(archive(p.bytes(), {{"0", std::string(16, '\0')}}), "stride.pt");
    EXPECT_NE(err.find("reaches outside its storage"), std::string::npos) << err;
}

// 10^6 nested lists: the recursive destructor of the pickle objects overflowed the stack.
TEST(HostileTorchZip, DeeplyNestedPickleDoesNotOverflowTheStack) {
    const int n = 1000000;
    Pickle p;
    p.op(std::string(size_t(n), ']')).op(std::string(size_t(n - 1), 'a')).op(".");
    const std::string err = torch_error(archive(p.bytes(), {}), "nested.pt");
    EXPECT_NE(err.find("not a state dict"), std::string::npos) << err;
}

// Thousands of tensors viewing one storage: a 4.6 MB file asked for 12 GB. Every tensor's bytes
// together are bounded by the file's size.
TEST(HostileTorchZip, TensorsSharingOneStorageAreBoundedByTheFileSize) {
    Pickle p;
    p.op("}(");
    for (int i = 0; i < 3000; ++i) p.str("t" + std::to_string(i)).tensor("0", 1024, 0, {1024}, {1});
    p.op("u.");
    const std::string err = torch_error(archive(p.bytes(), {{"0", std::string(4096, '\0')}}), "shared.pt");
    EXPECT_NE(err.find("more bytes"), std::string::npos) << err;
}

// A shape whose element count overflows int64 (safetensors checks its own shapes; numel() is what
// every other caller uses).
TEST(HostileShapes, NumelRefusesOverflow) {
    EXPECT_THROW((void)hrm::common::numel({int64_t(1) << 40, int64_t(1) << 40}), hrm::plugin::Error);
    EXPECT_EQ(hrm::common::numel({0, int64_t(1) << 40}), 0);
}

// dataset.json whose pad_id / blank_identifier_id lie outside the vocabulary / identifiers:
// `dataset info` said valid and training failed at its first evaluation.
TEST(HostileDataset, PadAndBlankIdentifierAreValidated) {
    const fs::path sample = fs::path(HRM_TEST_DATA_DIR) / "dataset/sudoku-reference-sample/train";
    const fs::path dir = fs::path(::testing::TempDir()) / ("hrm_reliability_ds_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::copy(sample, dir);
    std::ifstream in(dir / "dataset.json");
    const std::string json((std::istreambuf_iterator<char>(in)), {});
    EXPECT_NO_THROW((void)hrm::data::read_split(dir.string()));
    auto with = [&](const std::string &from, const std::string &to) {
        std::string j = json;
        j.replace(j.find(from), from.size(), to);
        std::ofstream(dir / "dataset.json", std::ios::trunc) << j;
        try {
            (void)hrm::data::read_split(dir.string());
        } catch (const hrm::plugin::Error &e) {
            return std::string(e.what());
        }
        return std::string();
    };
    EXPECT_NE(with("\"pad_id\": 0", "\"pad_id\": 11").find("pad_id 11"), std::string::npos);
    EXPECT_NE(with("\"pad_id\": 0", "\"pad_id\": 4294967296").find("int32"), std::string::npos);
    EXPECT_NE(with("\"blank_identifier_id\": 0", "\"blank_identifier_id\": 1").find("blank_identifier_id 1"),
              std::string::npos);
    fs::remove_all(dir);
}

// A .scen optimal length of "inf" or "nan" was read as a number and then matched every path.
TEST(HostileScenario, NonFiniteOptimalLengthIsALineError) {
    const auto map = hrm::gridnav::parse_map("type octile\nheight 2\nwidth 2\nmap\n..\n..\n");
    ASSERT_TRUE(map.ok());
    for (const char *bad : {"inf", "nan", "-inf"}) {
        const std::string scen = std::string("version 1\n0\tm.map\t2\t2\t0\t0\t1\t1\t") + bad + "\n";
        const auto file = hrm::gridnav::parse_scen(scen, map.value(), "");
        EXPECT_TRUE(file.scenarios.empty()) << bad;
        ASSERT_EQ(file.errors.size(), 1u) << bad;
        EXPECT_NE(file.errors[0].message.find("finite"), std::string::npos) << file.errors[0].message;
    }
}

// `--model DIR` said "cannot map: No such device"; a FIFO would block or fail the same way.
TEST(HostileFiles, AFolderOrAFifoIsNamedAsSuch) {
    const fs::path dir = fs::path(::testing::TempDir()) / ("hrm_reliability_dir_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    try {
        hrm::common::SafetensorsFile f(dir.string());
        FAIL() << "read a folder";
    } catch (const hrm::plugin::Error &e) {
        EXPECT_NE(std::string(e.what()).find("is a folder, not a file"), std::string::npos) << e.what();
    }
    const fs::path fifo = dir / "fifo";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    // No writer: a blocking open would hang here (the reader opens with O_NONBLOCK).
    try {
        (void)hrm::common::read_npy(fifo.string());
        FAIL() << "read a FIFO";
    } catch (const hrm::plugin::Error &e) {
        EXPECT_NE(std::string(e.what()).find("not a regular file"), std::string::npos) << e.what();
    }
    fs::remove_all(dir);
}

// Error messages quote file bytes; they must stay valid UTF-8 text a program can read back:
// "unknown character '\xc3'" cut a character in half, a NUL cut the message short.
TEST(HostileText, ErrorMessagesAreValidUtf8) {
    auto message = [](const std::string &text) {
        try {
            (void)hrm::common::json::parse(text, "t.json");
        } catch (const hrm::plugin::Error &e) {
            return std::string(e.what());
        }
        return std::string();
    };
    EXPECT_EQ(message("\xc3\xa9"), "t.json: unexpected character '\xc3\xa9' at byte 0");    // the whole é
    EXPECT_EQ(message(std::string("\0", 1)), "t.json: unexpected character '\\x00' at byte 0");   // no truncation
    EXPECT_EQ(message("\"a\xc3\""), "t.json: invalid UTF-8 in string at byte 2");          // RFC 8259: UTF-8 only
    EXPECT_EQ(message("{\"k\\u0000\": 1, \"k\\u0000\": 2}"), "t.json: duplicate key \"k\\x00\" at byte 27");
    EXPECT_EQ(hrm::common::printable("ok \xe2\x82\xac \xff\x01"), "ok \xe2\x82\xac \\xff\\x01");
}

// The task plugins' grid parsers quoted the bad byte itself ("illegal character '\xcf'"): a byte
// is named by its value, a valid multi-byte character is quoted whole, a NUL keeps the position.
TEST(HostileText, TaskParserMessagesNameBadBytes) {
    const auto encode_error = [](const char *plugin, const char *cls, const std::string &text) {
        test_host::Library lib(plugin, HRM_FACTORY_ENCODER);
        hrm_instance_params params;
        hrm_instance_params_init(&params, sizeof params);
        const void *out = nullptr;
        EXPECT_EQ(test_host::take(lib.factory->create(lib.factory, cls, &test_host::kHost, &params, &out)), "");
        const auto *enc = static_cast<const hrm_encoder *>(out);
        hrm_encoder_spec spec{};
        spec.struct_size = sizeof spec;
        EXPECT_EQ(test_host::take(enc->get_spec(enc, &spec)), "");
        std::vector<int32_t> tokens(size_t(spec.seq_len)), labels(size_t(spec.seq_len));
        const int64_t shape[1] = {spec.seq_len};
        hrm_tensor t{}, l{};
        for (auto [tensor, data] : {std::pair{&t, &tokens}, std::pair{&l, &labels}}) {
            tensor->data = data->data();
            tensor->dtype = HRM_DTYPE_I32;
            tensor->ndim = 1;
            tensor->shape = shape;
        }
        const hrm_blob in{text.data(), text.size()};
        int32_t has_labels = 0, puzzle_id = 0;
        const std::string err = test_host::take(enc->encode(enc, &in, &t, &l, &has_labels, &puzzle_id));
        enc->destroy(enc);
        for (size_t i = 0; i < err.size(); i += hrm::common::utf8_length(std::string_view(err).substr(i)))
            EXPECT_FALSE(err[i] == '\0' || (static_cast<unsigned char>(err[i]) >= 0x80 &&
                                            hrm::common::utf8_length(std::string_view(err).substr(i)) == 1))
                << "not valid UTF-8 text: " << hrm::common::printable(err, 200);
        return err;
    };
    const auto has = [](const std::string &s, const std::string &part) { return s.find(part) != std::string::npos; };
    const std::string dots(11, '.');
    std::string e = encode_error(HRM_SUDOKU_PLUGIN, "sudoku4", "123\xcf" + dots + ".");
    EXPECT_TRUE(has(e, "illegal character byte 0xCF at")) << e;
    e = encode_error(HRM_SUDOKU_PLUGIN, "sudoku4", "123\xc3\xa9" + dots);   // é: 2 bytes, 16 in all
    EXPECT_TRUE(has(e, "illegal character '\xc3\xa9' at")) << e;
    e = encode_error(HRM_SUDOKU_PLUGIN, "sudoku4", std::string("123\0", 4) + dots + ".");
    EXPECT_TRUE(has(e, "illegal character byte 0x00 at") && has(e, "column 4")) << e;
    e = encode_error(HRM_MAZE_PLUGIN, "maze", "S\xcf  \n    \n    \n   G\n");
    EXPECT_TRUE(has(e, "illegal character byte 0xCF at")) << e;
    e = encode_error(HRM_MAZE_PLUGIN, "maze", "S\xe2\x82\xac" + std::string(11, ' ') + "G");   // € is 3 of the 16 bytes
    EXPECT_TRUE(has(e, "illegal character '\xe2\x82\xac' at")) << e;
    e = encode_error(HRM_GRIDNAV_PLUGIN, "gridnav", "S.\xcf\n..G\n");
    EXPECT_TRUE(has(e, "unknown character byte 0xCF at")) << e;
    e = encode_error(HRM_SUDOKU_PLUGIN, "sudoku4", "\"1\"\xff,2\n");   // the CSV reader
    EXPECT_TRUE(has(e, "unexpected character byte 0xFF")) << e;
}

// A 6 MB ARC line cost 10 s and 480 MB of JSON values before it was refused for its 30+ columns:
// oversized text is refused before it is parsed.
TEST(HostileArc, OversizedTextIsRefusedBeforeParsing) {
    const std::string row = "[" + std::string(3000000, '0') + "]";
    try {
        (void)hrm::arc::parse_task("{\"train\": [{\"input\": [" + row + "], \"output\": [[1]]}], \"test\": []}", "big");
        FAIL() << "accepted";
    } catch (const hrm::plugin::Error &e) {
        EXPECT_NE(std::string(e.what()).find("more than any ARC task"), std::string::npos) << e.what();
    }
}
