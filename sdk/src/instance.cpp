// instance.cpp - instances of plugin classes: lookup by id or short name, creation through the
// plugin's factory, vtable checks, and the hold on the library that keeps its code mapped.
#include "runtime.hpp"
#include "sizes.hpp"
#include "status.hpp"

#include <algorithm>
#include <cstring>

using hrm::detail::Error;
using hrm::detail::guard;

struct hrm_instance {
    hrm_kind kind;
    const void *vtable;   // const hrm_model / hrm_encoder / hrm_policy *
    // Keeps the plugin initialised and its code mapped while the instance lives, even after
    // hrm_runtime_free. Released after destroy (see hrm_instance_free).
    std::shared_ptr<hrm::detail::Library> library;
};

namespace {

const char *kind_name(hrm_kind kind) {
    switch (kind) {
    case HRM_KIND_MODEL: return "model";
    case HRM_KIND_ENCODER: return "encoder";
    case HRM_KIND_POLICY: return "policy";
    default: return "unknown kind";
    }
}

// The class of `kind` whose id is key, else the one whose short name is key. Ambiguous names and
// unknown keys are errors that list the candidates.
const hrm_runtime::Class &find_class(const hrm_runtime &rt, hrm_kind kind, const std::string &key) {
    std::vector<const hrm_runtime::Class *> by_name;
    for (const auto &c : rt.classes) {
        if (c.info.kind != kind) continue;
        if (key == c.info.desc->id) return c;
        if (key == c.info.desc->name) by_name.push_back(&c);
    }
    if (by_name.size() == 1) return *by_name[0];
    std::string list;
    if (by_name.size() > 1) {
        for (const auto *c : by_name)
            list += std::string(list.empty() ? "" : ", ") + c->info.desc->id + " (plugin " +
                    rt.libraries[static_cast<size_t>(c->library)]->id() + ")";
        throw Error(HRM_E_INVALID_ARG, std::string(kind_name(kind)) + " name '" + key +
                                           "' is ambiguous; use one of the ids: " + list);
    }
    for (const auto &c : rt.classes)
        if (c.info.kind == kind)
            list += std::string(list.empty() ? "" : ", ") + c.info.desc->id + " (" + c.info.desc->name + ")";
    throw Error(HRM_E_NOT_FOUND, "no " + std::string(kind_name(kind)) + " class '" + key +
                                     "'; available: " + (list.empty() ? "none" : list));
}

// Check the vtable a factory returned: header fields, then the slots that must not be NULL.
// Returns an empty string when it is usable, else the reason.
template <class T>
std::string vtable_problem(const T *v, size_t min_size, std::initializer_list<bool> required_present) {
    if (!v) return "create succeeded but returned NULL";
    if (v->struct_size < min_size || v->api_version < 1)
        return "vtable has struct_size " + std::to_string(v->struct_size) + " and api_version " +
               std::to_string(v->api_version) + " (needs at least " + std::to_string(min_size) + " and 1)";
    if (std::find(required_present.begin(), required_present.end(), false) != required_present.end())
        return "vtable leaves a required slot NULL";
    return {};
}

std::string check_vtable(hrm_kind kind, const void *p) {
    switch (kind) {
    case HRM_KIND_MODEL: {
        auto *m = static_cast<const hrm_model *>(p);
        return vtable_problem(m, hrm::detail::kModelMinSize,
                              {m && m->get_spec, m && m->state_create, m && m->state_free, m && m->reset,
                               m && m->set_inputs, m && m->update, m && m->readout, m && m->param_count,
                               m && m->param_get, m && m->destroy});
    }
    case HRM_KIND_ENCODER: {
        auto *e = static_cast<const hrm_encoder *>(p);
        return vtable_problem(e, hrm::detail::kEncoderMinSize,
                              {e && e->get_spec, e && e->split, e && e->encode, e && e->decode, e && e->verify,
                               e && e->destroy});
    }
    default: {
        auto *q = static_cast<const hrm_policy *>(p);
        return vtable_problem(q, hrm::detail::kPolicyMinSize,
                              {q && q->get_spec, q && q->state_create, q && q->state_free, q && q->decide,
                               q && q->destroy});
    }
    }
}

// Call the vtable's destroy slot, if the vtable is large enough to have one and it is set.
void destroy_vtable(hrm_kind kind, const void *p) {
    switch (kind) {
    case HRM_KIND_MODEL: {
        auto *m = static_cast<const hrm_model *>(p);
        if (m->struct_size >= hrm::detail::kModelMinSize && m->destroy) m->destroy(m);
        break;
    }
    case HRM_KIND_ENCODER: {
        auto *e = static_cast<const hrm_encoder *>(p);
        if (e->struct_size >= hrm::detail::kEncoderMinSize && e->destroy) e->destroy(e);
        break;
    }
    default: {
        auto *q = static_cast<const hrm_policy *>(p);
        if (q->struct_size >= hrm::detail::kPolicyMinSize && q->destroy) q->destroy(q);
        break;
    }
    }
}

}  // namespace

extern "C" {

HRM_API hrm_status *hrm_instance_create(hrm_runtime *runtime, hrm_kind kind, const char *id_or_name,
                                        const hrm_instance_params *params, hrm_instance **out) {
    return guard([&] {
        if (!runtime || !id_or_name || !out)
            throw Error(HRM_E_INVALID_ARG, "hrm_instance_create: runtime, id_or_name or out is NULL");
        if (kind != HRM_KIND_MODEL && kind != HRM_KIND_ENCODER && kind != HRM_KIND_POLICY)
            throw Error(HRM_E_INVALID_ARG, "hrm_instance_create: unknown kind " + std::to_string(kind));
        const hrm_runtime::Class &cls = find_class(*runtime, kind, id_or_name);
        const auto &library = runtime->libraries[static_cast<size_t>(cls.library)];

        // The plugin gets a full-size params struct: fields the caller's older struct lacks keep
        // their defaults.
        hrm_instance_params p;
        hrm_instance_params_init(&p, sizeof p);
        if (params) {
            if (params->struct_size < sizeof(uint32_t))
                throw Error(HRM_E_INVALID_ARG, "hrm_instance_create: params->struct_size not set (use hrm_instance_params_init)");
            std::memcpy(&p, params, std::min<size_t>(params->struct_size, sizeof p));
            p.struct_size = sizeof p;
        }

        auto instance = std::make_unique<hrm_instance>();   // before create: nothing can leak after it
        const std::string what = std::string(kind_name(kind)) + " '" + cls.info.desc->id + "' (plugin " +
                                 library->id() + ")";
        const void *vtable = nullptr;
        hrm_status *failed = cls.info.factory->create(cls.info.factory, cls.info.desc->id, library->host(), &p, &vtable);
        if (failed) {
            auto s = hrm::detail::take_status(failed);
            throw Error(s.code, "cannot create " + what + ": " + s.message);
        }
        if (std::string problem = check_vtable(kind, vtable); !problem.empty()) {
            if (vtable) destroy_vtable(kind, vtable);
            throw Error(HRM_E_PLUGIN, "cannot create " + what + ": " + problem);
        }
        instance->kind = kind;
        instance->vtable = vtable;
        instance->library = library;
        *out = instance.release();
    });
}

HRM_API void hrm_instance_free(hrm_instance *instance) {
    if (!instance) return;
    destroy_vtable(instance->kind, instance->vtable);   // plugin code runs while the library is held...
    delete instance;                                    // ...then the hold goes (maybe deinit + dlclose)
}

HRM_API hrm_kind hrm_instance_kind(const hrm_instance *instance) { return instance ? instance->kind : 0; }

HRM_API const hrm_model *hrm_instance_model(const hrm_instance *instance) {
    return instance && instance->kind == HRM_KIND_MODEL ? static_cast<const hrm_model *>(instance->vtable) : nullptr;
}

HRM_API const hrm_encoder *hrm_instance_encoder(const hrm_instance *instance) {
    return instance && instance->kind == HRM_KIND_ENCODER ? static_cast<const hrm_encoder *>(instance->vtable)
                                                          : nullptr;
}

HRM_API const hrm_policy *hrm_instance_policy(const hrm_instance *instance) {
    return instance && instance->kind == HRM_KIND_POLICY ? static_cast<const hrm_policy *>(instance->vtable)
                                                         : nullptr;
}

}  // extern "C"
