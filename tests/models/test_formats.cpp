// hrm_common file formats: safetensors, .npy and torch.save zip checkpoints. Round trips plus every
// corruption case the readers must report (with the tensor / problem named in the message).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "hrm/common/checkpoint.hpp"
#include "hrm/common/json.hpp"
#include "hrm/common/npy.hpp"
#include "hrm/common/safetensors.hpp"
#include "hrm/common/torch_zip.hpp"

using namespace hrm::common;

namespace {

std::string tmp_path(const std::string &name) {
    return ::testing::TempDir() + "hrm_models_" + std::to_string(::getpid()) + "_" + name;
}

std::string read_all(const std::string &path) {
    std::ifstream f(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
}

void write_all(const std::string &path, const std::string &bytes) {
    std::ofstream f(path, std::ios::binary);
    f.write(bytes.data(), std::streamsize(bytes.size()));
}

// A safetensors file from a raw header and data section.
std::string st_bytes(const std::string &header, const std::string &data) {
    std::string out(8, '\0');
    uint64_t n = header.size();
    for (int i = 0; i < 8; ++i) out[size_t(i)] = char((n >> (8 * i)) & 0xFF);
    return out + header + data;
}

// Expects construction to throw an Error whose message contains every fragment.
template <class F>
void expect_error(F &&f, std::vector<std::string> fragments, hrm_code code = HRM_E_FORMAT) {
    try {
        f();
        FAIL() << "no error";
    } catch (const Error &e) {
        EXPECT_EQ(e.code(), code) << e.what();
        for (const auto &frag : fragments) EXPECT_NE(std::string(e.what()).find(frag), std::string::npos) << e.what();
    }
}

}  // namespace

TEST(Json, ParsesNestedValuesInOrder) {
    auto v = json::parse(R"({"b": [1, -2.5e1, "x\u00e9\n"], "a": {"t": true, "n": null}})");
    ASSERT_TRUE(v.is_object());
    EXPECT_EQ(v.object[0].first, "b");
    EXPECT_TRUE(v.object[0].second.array[0].is_integer);
    EXPECT_EQ(v.object[0].second.array[0].integer, 1);
    EXPECT_DOUBLE_EQ(v.object[0].second.array[1].number, -25.0);
    EXPECT_EQ(v.object[0].second.array[2].string, "x\xc3\xa9\n");
    EXPECT_TRUE(v.find("a")->find("t")->boolean);
    expect_error([] { json::parse("{\"a\": 1,}"); }, {"byte"});
    expect_error([] { json::parse("{\"a\": 1} x"); }, {"trailing"});
    expect_error([] { json::parse("{\"a\": 1, \"a\": 2}"); }, {"duplicate"});
}

// Hostile input echoed into JSON lines (hrm solve, oracle) must still parse back: whole UTF-8
// characters are kept, stray bytes become U+FFFD, control characters are escaped (issue #24).
TEST(Json, QuoteAlwaysWritesValidJson) {
    const std::string hostile = std::string("a\xc3\xa9" "b\xc3") + '\0' + "\xff\xed\xa0\x80\x01\"\xf0\x9f\x98\x80";
    const std::string text = "{\"s\": " + json::quote(hostile) + "}";
    const auto v = json::parse(text);
    EXPECT_EQ(v.find("s")->string, std::string("a\xc3\xa9" "b\xef\xbf\xbd") + '\0' +
                                        "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\x01\"\xf0\x9f\x98\x80");
}

TEST(Safetensors, RoundTripWithMetadata) {
    const std::string path = tmp_path("rt.safetensors");
    std::vector<float> a = {1.5f, -2.0f, 3.25f, 0.0f, 5.0f, 6.0f};
    std::vector<uint16_t> b = {0x3F80, 0xC000};
    std::vector<int32_t> c = {7};
    std::vector<int64_t> d = {-1, 1LL << 40};
    std::vector<uint8_t> e = {1, 2, 3};
    write_safetensors(path,
                      {{"a", DType::F32, {2, 3}, a.data()}, {"b", DType::BF16, {2}, b.data()}, {"c", DType::I32, {}, c.data()},
                       {"d", DType::I64, {2}, d.data()}, {"e", DType::U8, {3}, e.data()}, {"empty", DType::F32, {0, 4}, nullptr}},
                      {{"config", "[model]\nx = \"q\"\n"}, {"k", "v"}});
    SafetensorsFile f(path);
    ASSERT_EQ(f.tensors().size(), 6u);
    EXPECT_EQ(f.metadata().at("config"), "[model]\nx = \"q\"\n");
    const auto &ta = f.get("a", DType::F32, {2, 3});
    EXPECT_EQ(std::memcmp(ta.data, a.data(), 24), 0);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(ta.data) % 8, 0u) << "data section must be 8-byte aligned";
    EXPECT_EQ(std::memcmp(f.get("b", DType::BF16, {2}).data, b.data(), 4), 0);
    EXPECT_EQ(*static_cast<const int32_t *>(f.get("c", DType::I32, {}).data), 7);
    EXPECT_EQ(static_cast<const int64_t *>(f.get("d").data)[1], 1LL << 40);
    EXPECT_EQ(static_cast<const uint8_t *>(f.get("e").data)[2], 3);
    EXPECT_EQ(f.get("empty").nbytes, 0u);
    expect_error([&] { f.get("zzz"); }, {"missing tensor \"zzz\""}, HRM_E_NOT_FOUND);
    expect_error([&] { f.get("a", DType::F32, {3, 2}); }, {"\"a\"", "[2, 3]", "[3, 2]"});
    expect_error([&] { f.get("a", DType::BF16, {2, 3}); }, {"\"a\"", "F32", "BF16"});
    std::remove(path.c_str());
}

TEST(Safetensors, WriteIsAtomic) {
    // A failed write leaves no file and no temp file behind.
    const std::string path = tmp_path("no_such_dir/x.safetensors");
    float v = 1.0f;
    expect_error([&] { write_safetensors(path, {{"a", DType::F32, {1}, &v}}); }, {"cannot create"}, HRM_E_IO);
}

TEST(Safetensors, CorruptFilesNameTheProblem) {
    const std::string path = tmp_path("bad.safetensors");
    const std::string ok_header = R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
    auto open = [&] { SafetensorsFile f(path); };

    write_all(path, "abc");
    expect_error(open, {"truncated header length"});
    write_all(path, st_bytes(ok_header, std::string(8, '\0')).substr(0, 20));
    expect_error(open, {"header length", "truncated"});
    write_all(path, st_bytes(ok_header, std::string(4, '\0')));   // data cut short
    expect_error(open, {"tensor \"w\"", "out of range", "truncated"});
    write_all(path, st_bytes(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})", std::string(8, '\0')));
    expect_error(open, {"header", "byte"});
    write_all(path, st_bytes(R"({"w":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}})", std::string(4, '\0')));
    expect_error(open, {"tensor \"w\"", "unsupported dtype \"F16\""});
    write_all(path, st_bytes(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", std::string(12, '\0')));
    expect_error(open, {"tensor \"w\"", "8 bytes for shape [3]"});
    write_all(path, st_bytes(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,800]}})", std::string(8, '\0')));
    expect_error(open, {"tensor \"w\"", "out of range"});
    write_all(path, st_bytes(R"({"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", std::string(8, '\0')));
    expect_error(open, {"tensor \"w\"", "non-negative"});
    write_all(path, st_bytes(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                             R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                             std::string(12, '\0')));
    expect_error(open, {"\"a\"", "\"b\"", "overlap"});
    write_all(path, st_bytes(R"({"__metadata__":{"k":1}})", ""));
    expect_error(open, {"__metadata__"});
    write_all(path, st_bytes(R"({"w":{"shape":[2],"data_offsets":[0,8]}})", std::string(8, '\0')));
    expect_error(open, {"tensor \"w\"", "dtype"});
    expect_error([&] { SafetensorsFile f(tmp_path("does-not-exist")); }, {"cannot open"}, HRM_E_IO);
    std::remove(path.c_str());
}

TEST(Npy, RoundTripAllDtypes) {
    const std::string path = tmp_path("a.npy");
    std::vector<int32_t> i32 = {1, -2, 3, 4, 5, 6};
    write_npy(path, DType::I32, {2, 3}, i32.data());
    NpyArray a = read_npy(path);
    EXPECT_EQ(a.shape, (std::vector<int64_t>{2, 3}));
    EXPECT_EQ(a.as<int32_t>(DType::I32, "a"), i32);
    EXPECT_EQ(read_all(path).size() % 64, 24u + 0u) << "header padded to 64 bytes";

    std::vector<double> f64 = {0.1, 2.5};
    write_npy(path, DType::F64, {2}, f64.data());
    EXPECT_EQ(read_npy(path).as<double>(DType::F64, "a"), f64);
    EXPECT_NE(read_all(path).find("'shape': (2,)"), std::string::npos);
    std::vector<uint8_t> u8 = {9};
    write_npy(path, DType::U8, {}, u8.data());
    EXPECT_EQ(read_npy(path).as<uint8_t>(DType::U8, "a"), u8);
    std::vector<int64_t> i64 = {1, 2, 3, 4};
    write_npy(path, DType::I64, {1, 4}, i64.data());
    EXPECT_EQ(read_npy(path).as<int64_t>(DType::I64, "a"), i64);
    std::vector<float> f32 = {1.0f, 2.0f};
    write_npy(path, DType::F32, {2, 1}, f32.data());
    EXPECT_EQ(read_npy(path).as<float>(DType::F32, "a"), f32);
    expect_error([&] { read_npy(path).as<int32_t>(DType::I32, "x.npy"); }, {"x.npy", "F32", "I32"});
    std::remove(path.c_str());
}

TEST(Npy, ReadsNumpyWrittenFixtures) {
    // Written by numpy (tests/data/parity); skipped if the fixtures are absent.
    const std::string path = std::string(HRM_PARITY_DATA) + "/small/inputs.npy";
    if (!std::ifstream(path)) GTEST_SKIP() << "no parity fixtures";
    NpyArray a = read_npy(path);
    EXPECT_EQ(a.dtype, DType::I32);
    EXPECT_EQ(a.shape.size(), 2u);
}

TEST(Npy, CorruptFiles) {
    const std::string path = tmp_path("bad.npy");
    std::vector<int32_t> v = {1, 2, 3, 4};
    write_npy(path, DType::I32, {4}, v.data());
    const std::string good = read_all(path);
    write_all(path, good.substr(0, good.size() - 3));
    expect_error([&] { read_npy(path); }, {"truncated data"});
    write_all(path, "NOTNUMPY");
    expect_error([&] { read_npy(path); }, {"bad magic"});
    std::string fortran = good;
    fortran.replace(fortran.find("False"), 5, "True ");
    write_all(path, fortran);
    expect_error([&] { read_npy(path); }, {"Fortran"});
    std::string f16 = good;
    f16.replace(f16.find("<i4"), 3, "<f2");
    write_all(path, f16);
    expect_error([&] { read_npy(path); }, {"unsupported dtype '<f2'"});
    std::string badshape = good;
    badshape.replace(badshape.find("(4,)"), 4, "(x,)");
    write_all(path, badshape);
    expect_error([&] { read_npy(path); }, {"shape"});
    std::remove(path.c_str());
}

TEST(TorchZip, ReadsAStateDict) {
    auto t = read_torch_state_dict(std::string(HRM_MODELS_TEST_DATA) + "/tiny_state_dict.pt");
    ASSERT_EQ(t.size(), 6u);
    EXPECT_EQ(t[0].name, "_orig_mod.model.inner.w");   // insertion order kept
    EXPECT_EQ(t[0].dtype, DType::F32);
    EXPECT_EQ(t[0].shape, (std::vector<int64_t>{2, 3}));
    const float *w = reinterpret_cast<const float *>(t[0].bytes.data());
    for (int i = 0; i < 6; ++i) EXPECT_EQ(w[i], 0.5f * float(i));
    EXPECT_EQ(t[1].dtype, DType::BF16);
    const uint16_t *h = reinterpret_cast<const uint16_t *>(t[1].bytes.data());
    EXPECT_EQ(h[0], 0x3F80);   // 1.0
    EXPECT_EQ(h[1], 0xC000);   // -2.0
    EXPECT_EQ(t[2].dtype, DType::I64);
    EXPECT_EQ(reinterpret_cast<const int64_t *>(t[2].bytes.data())[0], -2);
    // base.t(): [4, 3] with strides (1, 4) -> contiguous copy: row r = [r, r+4, r+8].
    EXPECT_EQ(t[3].shape, (std::vector<int64_t>{4, 3}));
    const float *tt = reinterpret_cast<const float *>(t[3].bytes.data());
    EXPECT_EQ(tt[0 * 3 + 1], 4.0f);
    EXPECT_EQ(tt[2 * 3 + 2], 10.0f);
    const float *sl = reinterpret_cast<const float *>(t[4].bytes.data());
    EXPECT_EQ(sl[0], 4.0f);   // storage offset 4
    EXPECT_EQ(sl[3], 7.0f);
    EXPECT_TRUE(t[5].shape.empty());
    EXPECT_EQ(*reinterpret_cast<const float *>(t[5].bytes.data()), 7.25f);

    auto entries = list_zip(std::string(HRM_MODELS_TEST_DATA) + "/tiny_state_dict.pt");
    for (const auto &e : entries) EXPECT_EQ(e.method, 0) << e.name;
}

TEST(TorchZip, Zip64CentralDirectory) {
    // Same archive with a zip64 central directory (torch.save writes one above 4 GB).
    const auto plain = read_torch_state_dict(std::string(HRM_MODELS_TEST_DATA) + "/tiny_state_dict.pt");
    const auto z64 = read_torch_state_dict(std::string(HRM_MODELS_TEST_DATA) + "/tiny_state_dict_zip64.pt");
    ASSERT_EQ(plain.size(), z64.size());
    for (size_t i = 0; i < plain.size(); ++i) {
        EXPECT_EQ(plain[i].name, z64[i].name);
        EXPECT_EQ(plain[i].shape, z64[i].shape);
        EXPECT_EQ(plain[i].bytes, z64[i].bytes);
    }
    const auto entries = list_zip(std::string(HRM_MODELS_TEST_DATA) + "/tiny_state_dict_zip64.pt");
    ASSERT_FALSE(entries.empty());
    EXPECT_GT(entries.back().local_header_offset, 0u);
    EXPECT_NE(entries.back().size, 0xFFFFFFFFu);
}

TEST(TorchZip, RefusesOtherPickles) {
    expect_error([] { read_torch_state_dict(std::string(HRM_MODELS_TEST_DATA) + "/nested_dict.pt"); },
                 {"not a state dict", "\"model\""});
    expect_error([] { read_torch_state_dict(std::string(HRM_MODELS_TEST_DATA) + "/custom_object.pt"); },
                 {"refusing global __main__.Foo"});
}

TEST(TorchZip, CorruptArchives) {
    const std::string good = read_all(std::string(HRM_MODELS_TEST_DATA) + "/tiny_state_dict.pt");
    const std::string path = tmp_path("bad.pt");
    write_all(path, good.substr(0, good.size() / 2));
    expect_error([&] { read_torch_state_dict(path); }, {"end-of-central-directory"});
    write_all(path, "not a zip at all, just some text that is long enough");
    expect_error([&] { read_torch_state_dict(path); }, {"not a zip"});
    // Flip the pickle's STOP into an unknown opcode.
    std::string bad = good;
    const size_t stop = bad.find(".PK");   // the pickle ends with '.' right before the next local header
    ASSERT_NE(stop, std::string::npos);
    bad[stop] = '\xff';
    write_all(path, bad);
    expect_error([&] { read_torch_state_dict(path); }, {"data.pkl", "opcode 0xff"});
    std::remove(path.c_str());
}

TEST(Checkpoint, SaveModelCheckpointStoresConfig) {
    const std::string path = tmp_path("ckpt.safetensors");
    std::vector<float> w = {1, 2, 3, 4};
    int64_t shape[2] = {2, 2};
    hrm_tensor t{};
    t.data = w.data();
    t.dtype = HRM_DTYPE_F32;
    t.ndim = 2;
    t.shape = shape;
    t.device = HRM_DEVICE_CPU;
    save_model_checkpoint(path, {{"inner.w", t}}, "[model]\nhidden_size = 2\n");
    SafetensorsFile f(path);
    EXPECT_EQ(checkpoint_config(f), "[model]\nhidden_size = 2\n");
    EXPECT_EQ(f.metadata().at("format"), "hrm-sdk/1");
    EXPECT_EQ(static_cast<const float *>(f.get("inner.w", DType::F32, {2, 2}).data)[3], 4.0f);
    int64_t strides[2] = {1, 2};
    t.strides = strides;
    expect_error([&] { save_model_checkpoint(path, {{"inner.w", t}}, ""); }, {"strided"}, HRM_E_UNSUPPORTED);
    std::remove(path.c_str());
}

// Random byte corruption and truncation of valid files: every reader either succeeds or throws
// hrm::plugin::Error; none may crash or read out of bounds (run under ASan in CI builds).
TEST(Formats, RandomCorruptionOnlyEverThrowsErrors) {
    const std::string st_path = tmp_path("fuzz.safetensors"), pt_path = tmp_path("fuzz.pt"), npy_path = tmp_path("fuzz.npy");
    std::vector<float> w(16, 1.5f);
    std::vector<uint16_t> h(4, 0x3F80);
    write_safetensors(st_path, {{"w", DType::F32, {4, 4}, w.data()}, {"h", DType::BF16, {4}, h.data()}}, {{"config", "x"}});
    write_npy(npy_path, DType::F32, {4, 4}, w.data());
    const std::string files[3][2] = {{st_path, read_all(st_path)},
                                     {pt_path, read_all(std::string(HRM_MODELS_TEST_DATA) + "/tiny_state_dict.pt")},
                                     {npy_path, read_all(npy_path)}};
    uint64_t state = 12345;
    auto next = [&state] {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        return uint32_t(state >> 33);
    };
    for (int k = 0; k < 3; ++k) {
        const std::string &path = files[k][0], &good = files[k][1];
        for (int trial = 0; trial < 300; ++trial) {
            std::string bad = good;
            if (trial % 3 == 0) {
                bad.resize(next() % good.size());   // truncation
            } else {
                for (int flips = 1 + int(next() % 4); flips > 0; --flips) bad[next() % bad.size()] = char(next());
            }
            write_all(path, bad);
            try {
                if (k == 0) SafetensorsFile f(path);
                else if (k == 1) read_torch_state_dict(path);
                else read_npy(path);
            } catch (const Error &) {
            }
        }
        std::remove(path.c_str());
    }
}
