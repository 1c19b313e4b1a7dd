/*
 * hrm_base.h - what every other hrm header stands on: calling-convention and export macros,
 * versions, status codes, tensor views and byte blobs.
 *
 * Compiles as C11 and C++17. Only fixed-width types appear in public layouts; enum-valued fields
 * are int32_t typedefs whose constants live in anonymous enums, so no enum size is part of the ABI.
 */
#ifndef HRM_BASE_H
#define HRM_BASE_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#if defined(_WIN32)
#  define HRM_ABI __cdecl
#  define HRM_EXPORT __declspec(dllexport)
#else
#  define HRM_ABI
#  define HRM_EXPORT __attribute__((visibility("default")))
#endif

/* HRM_API marks functions implemented by libhrm (the host library). */
#if defined(HRM_BUILDING_LIBRARY)
#  define HRM_API HRM_EXPORT
#else
#  define HRM_API
#endif

#if defined(__GNUC__) || defined(__clang__)
#  define HRM_NODISCARD __attribute__((warn_unused_result))
#else
#  define HRM_NODISCARD
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Versions ------------------------------------------------------------------------------
 * HRM_ABI_MAJOR changes only when a published layout or signature breaks. HRM_API_VERSION grows
 * by one with every append to any table or size-tagged struct (the "table version"); each
 * appended member is documented with "since API N". Both sides record the api_version they were
 * compiled with and never read or call past the other side's. */
#define HRM_ABI_MAJOR 1
#define HRM_ABI_MAJOR_MIN 1
#define HRM_API_VERSION 2

/* ---- Status codes ---------------------------------------------------------------------------- */
typedef int32_t hrm_code;
enum {
    HRM_OK = 0,
    HRM_E_INVALID_ARG = 1,   /* a caller error: bad pointer, shape, id, option value */
    HRM_E_NOT_FOUND = 2,     /* unknown plugin id, file, tensor name */
    HRM_E_UNSUPPORTED = 3,   /* the callee does not implement this (optional slot, dtype, size) */
    HRM_E_VERSION = 4,       /* ABI or API version outside the supported range */
    HRM_E_PLUGIN = 5,        /* a plugin failed to load, negotiate or initialise */
    HRM_E_IO = 6,            /* a file could not be read or written */
    HRM_E_FORMAT = 7,        /* malformed input: puzzle text, checkpoint, dataset, config */
    HRM_E_OUT_OF_MEMORY = 8,
    HRM_E_CANCELLED = 9,     /* the host asked to stop (progress callback returned false) */
    HRM_E_INTERNAL = 10      /* a bug: an invariant broke or an unexpected exception was caught */
};

/* A status is an opaque error object: NULL means success. Fallible calls return one; on failure
 * out-parameters are left untouched and nothing else needs releasing. Hosts read and free it with
 * hrm_status_code / hrm_status_message / hrm_status_free (hrm.h); plugins create them only through
 * hrm_host.status_create (hrm_plugin.h). */
typedef struct hrm_status hrm_status;

/* ---- Log levels ------------------------------------------------------------------------------- */
typedef int32_t hrm_log_level;
enum { HRM_LOG_DEBUG = 0, HRM_LOG_INFO = 1, HRM_LOG_WARN = 2, HRM_LOG_ERROR = 3 };

/* ---- Tensor views (DLPack field semantics) -----------------------------------------------------
 * A view never owns memory. Shape dim 0 is outermost (batch), row-major like NumPy and DLPack;
 * strides are in ELEMENTS, NULL meaning compact row-major. Views passed as arguments are borrowed
 * for the duration of the call: inputs are const, outputs are caller-allocated and the callee checks
 * their dtype and shape before writing. dtype codes are DLPack's (code << 8 | bits). */
typedef int32_t hrm_dtype;
enum {
    HRM_DTYPE_I32 = (0 << 8) | 32,
    HRM_DTYPE_I64 = (0 << 8) | 64,
    HRM_DTYPE_U8 = (1 << 8) | 8,
    HRM_DTYPE_F32 = (2 << 8) | 32,
    HRM_DTYPE_F64 = (2 << 8) | 64,
    HRM_DTYPE_BF16 = (4 << 8) | 16
};

typedef int32_t hrm_device_type;
enum { HRM_DEVICE_CPU = 1 };   /* DLPack's kDLCPU */

#define HRM_MAX_DIMS 8

typedef struct hrm_tensor {
    void *data;               /* first element (before byte_offset) */
    hrm_dtype dtype;
    int32_t ndim;             /* 0 .. HRM_MAX_DIMS */
    const int64_t *shape;     /* [ndim]; owned by whoever owns the view */
    const int64_t *strides;   /* [ndim] in elements, or NULL for compact row-major */
    hrm_device_type device;   /* HRM_DEVICE_CPU */
    int32_t device_id;
    uint64_t byte_offset;
} hrm_tensor;

/* ---- Byte blobs -------------------------------------------------------------------------------
 * A borrowed run of bytes (puzzle text, a decoded solution). Text is UTF-8 and NOT necessarily
 * NUL-terminated: always use size. A blob returned through an out-parameter is allocated with the
 * host allocator (hrm_host.alloc); the receiver frees it with hrm_host.free, or hrm_free() in hosts. */
typedef struct hrm_blob {
    const void *data;
    size_t size;
} hrm_blob;

/* ---- Plugin kinds ----------------------------------------------------------------------------- */
typedef int32_t hrm_kind;
enum { HRM_KIND_MODEL = 1, HRM_KIND_ENCODER = 2, HRM_KIND_POLICY = 3 };

/* ---- Descriptors ------------------------------------------------------------------------------
 * Describes one class a plugin can instantiate. Owned by the plugin, valid until its deinit. */
typedef struct hrm_descriptor {
    uint32_t struct_size;          /* sizeof(hrm_descriptor) as the plugin was compiled */
    hrm_kind kind;
    const char *id;                /* unique, reverse-DNS: "org.hrm-sdk.task.sudoku" */
    const char *name;              /* short name for command lines: "sudoku"; unique per kind */
    const char *version;           /* "1.0.0" */
    const char *vendor;
    const char *description;       /* one line */
    const char *url;               /* may be "" */
    const char *const *features;   /* NULL-terminated tags: "arch:hrm", "dtype:bf16", "oracle" */
} hrm_descriptor;

/* ---- Instance parameters -----------------------------------------------------------------------
 * Handed to every factory create call (all three kinds). Initialise with hrm_instance_params_init
 * so fields added later get their defaults. */
typedef struct hrm_instance_params {
    uint32_t struct_size;
    uint32_t reserved;
    const char *config;     /* TOML text with the instance's options; NULL or "" = defaults */
    const char *weights;    /* models: path of a checkpoint to load; NULL = fresh init from config */
    uint64_t seed;          /* seeds initialisation and any randomness of the instance */
} hrm_instance_params;

static inline void hrm_instance_params_init(hrm_instance_params *p, size_t size) {
    size_t i;
    for (i = 0; i < size; ++i) ((unsigned char *)p)[i] = 0;
    if (size >= sizeof(uint32_t)) p->struct_size = (uint32_t)size;
}

#ifdef __cplusplus
}
#endif

#endif /* HRM_BASE_H */
