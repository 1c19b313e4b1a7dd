// version.cpp - the library's versions, for bindings that must check what they were given.
#include "hrm/hrm.h"

extern "C" {

HRM_API uint32_t hrm_api_version(void) { return HRM_API_VERSION; }

HRM_API uint32_t hrm_abi_major(void) { return HRM_ABI_MAJOR; }

HRM_API const char *hrm_version_string(void) { return HRM_VERSION_STRING; }

}  // extern "C"
