// test_hpp.cpp - the C++ wrapper hrm.hpp: exceptions carry the status, RAII frees, helpers build
// valid tensor views.
#include "test_support.hpp"

#include <hrm/hrm.hpp>

#include <type_traits>

static_assert(!std::is_copy_constructible_v<hrm::Runtime> && std::is_nothrow_move_constructible_v<hrm::Runtime>);
static_assert(!std::is_copy_constructible_v<hrm::Instance> && std::is_nothrow_move_constructible_v<hrm::Instance>);
static_assert(!std::is_copy_constructible_v<hrm::Blob> && std::is_nothrow_move_constructible_v<hrm::Blob>);

TEST(Hpp, ErrorsBecomeExceptionsWithCode) {
    hrm::Runtime rt;
    try {
        rt.load_plugin(test::kPluginDir + "/test_no_entry.so");
        FAIL() << "no exception";
    } catch (const hrm::Error &e) {
        EXPECT_EQ(e.code(), HRM_E_PLUGIN);
        EXPECT_NE(std::string(e.what()).find("missing entry symbol"), std::string::npos);
    }
    EXPECT_THROW(rt.load_dir(test::kPluginDir + "/missing"), hrm::Error);
    rt.load_plugin(test::kExample);
    try {
        rt.create(HRM_KIND_ENCODER, "sudoku");
        FAIL() << "no exception";
    } catch (const hrm::Error &e) {
        EXPECT_EQ(e.code(), HRM_E_NOT_FOUND);
    }
    EXPECT_NO_THROW(hrm::check(nullptr));
}

TEST(Hpp, RuntimeInstanceBlobAndTensor) {
    hrm::Runtime rt;
    rt.load_plugin(test::kExample);
    ASSERT_EQ(rt.plugins().size(), 1u);
    EXPECT_EQ(rt.plugins()[0].id, "org.hrm-sdk.examples.reverse");
    ASSERT_EQ(rt.classes().size(), 2u);
    EXPECT_STREQ(rt.classes()[1].descriptor->name, "example-fixed");

    hrm::Instance enc = rt.create(HRM_KIND_ENCODER, "reverse", "length = 6");
    hrm::Runtime moved = std::move(rt);   // handles move; the instance does not care
    EXPECT_EQ(rt.get(), nullptr);
    EXPECT_STREQ(enc.descriptor().name, "reverse");
    EXPECT_THROW(enc.model(), hrm::Error);

    const hrm_encoder *e = enc.encoder();
    std::vector<int32_t> tokens(6);
    hrm::Tensor t = hrm::Tensor::of(tokens, {6});
    hrm::Tensor copy = t;   // the copy points at its own shape array
    EXPECT_EQ(copy.get()->shape[0], 6);
    EXPECT_NE(copy.get()->shape, t.get()->shape);
    EXPECT_THROW(hrm::Tensor::of(tokens, {2, 2}), hrm::Error);
    const float raw[6] = {};
    hrm::Tensor r = hrm::Tensor::of(raw, {2, 3});
    EXPECT_EQ(r.get()->dtype, HRM_DTYPE_F32);
    EXPECT_EQ(r.get()->ndim, 2);
    EXPECT_EQ(r.get()->shape[1], 3);
    EXPECT_EQ(r.get()->data, static_cast<const void *>(raw));

    hrm_blob in = hrm::blob_view("31,13");
    hrm::check(e->encode(e, &in, t.get(), nullptr, nullptr, nullptr));
    EXPECT_EQ(tokens, (std::vector<int32_t>{4, 2, 0, 0, 0, 0}));

    hrm::Blob solution;
    hrm::check(e->solve(e, &in, solution.out(), nullptr));
    EXPECT_EQ(solution.str(), "13");
    hrm::check(e->decode(e, &in, copy.get(), solution.out()));   // out() frees the previous bytes
    EXPECT_EQ(solution.str(), "31");
    hrm::Blob other = std::move(solution);
    EXPECT_EQ(solution.size(), 0u);
    EXPECT_EQ(other.str(), "31");

    hrm_blob bad = hrm::blob_view("x");
    try {
        hrm::check(e->encode(e, &bad, t.get(), nullptr, nullptr, nullptr));
        FAIL() << "no exception";
    } catch (const hrm::Error &err) {
        EXPECT_EQ(err.code(), HRM_E_FORMAT);
    }
}
