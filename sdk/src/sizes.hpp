// sizes.hpp - the smallest struct_size libhrm accepts for each size-tagged struct.
//
// A struct is valid when it reaches the end of the last member of the API version that
// introduced it (API 1 for all of these). Later appends must not raise these minimums: a member
// added in API N is read only when struct_size (or api_version) says it is there.
#pragma once

#include "hrm/hrm.h"

#include <cstddef>

#define HRM_SIZE_THROUGH(type, member) (offsetof(type, member) + sizeof(((type *)nullptr)->member))

namespace hrm::detail {

constexpr size_t kPluginInfoMinSize = HRM_SIZE_THROUGH(hrm_plugin_info, get_factory);
constexpr size_t kFactoryMinSize = HRM_SIZE_THROUGH(hrm_factory, create);
constexpr size_t kDescriptorMinSize = HRM_SIZE_THROUGH(hrm_descriptor, features);
constexpr size_t kModelMinSize = HRM_SIZE_THROUGH(hrm_model, destroy);
constexpr size_t kEncoderMinSize = HRM_SIZE_THROUGH(hrm_encoder, destroy);
constexpr size_t kPolicyMinSize = HRM_SIZE_THROUGH(hrm_policy, destroy);
// Caller-filled structs: the caller's struct_size must reach at least the API 1 members.
constexpr size_t kPluginRecordMinSize = HRM_SIZE_THROUGH(hrm_plugin_record, path);

}  // namespace hrm::detail
