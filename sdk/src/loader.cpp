// loader.cpp - loading one plugin library: dlopen, negotiation, checks, init, factories.
//
// Every refusal throws Error with a message "<file>: <reason>", and whatever was done so far is
// undone by ~Library (deinit only if init succeeded, then dlclose).
#include "loader.hpp"

#include "sizes.hpp"
#include "status.hpp"

#include <dlfcn.h>

#include <filesystem>

namespace hrm::detail {

namespace {

struct FactoryKind {
    const char *id;
    hrm_kind kind;
};
constexpr FactoryKind kFactories[] = {
    {HRM_FACTORY_MODEL, HRM_KIND_MODEL},
    {HRM_FACTORY_ENCODER, HRM_KIND_ENCODER},
    {HRM_FACTORY_POLICY, HRM_KIND_POLICY},
};

std::string str(const char *s) { return s ? s : ""; }

}  // namespace

Library::~Library() {
    if (initialised_ && info_.deinit) info_.deinit();
}

std::shared_ptr<Library> Library::load(const std::string &path, std::shared_ptr<RuntimeCore> core,
                                       const std::vector<std::shared_ptr<Library>> &loaded) {
    std::shared_ptr<Library> lib(new Library());
    lib->path_ = path;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
        throw Error(HRM_E_NOT_FOUND, path + ": no such file");

    // RTLD_NOW: an unresolved symbol fails here, with a message, not later in a call.
    lib->lib_.load(path, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local, ec);
    if (ec) {
        const char *why = dlerror();   // Boost.DLL leaves dlopen's reason in place
        throw Error(HRM_E_PLUGIN, path + ": not a loadable shared library (" + (why ? why : ec.message()) + ")");
    }
    if (!lib->lib_.has(HRM_PLUGIN_ENTRY_SYMBOL))
        throw Error(HRM_E_PLUGIN, path + ": missing entry symbol " HRM_PLUGIN_ENTRY_SYMBOL " (not an hrm plugin)");

    // Until negotiation names the plugin, its log lines carry the file name.
    lib->host_ = std::make_unique<PluginHost>(std::move(core), std::filesystem::path(path).filename().string());
    lib->negotiate();
    lib->check_info();
    lib->id_ = lib->info_.plugin_id;
    lib->version_ = str(lib->info_.plugin_version);
    lib->host_->set_log_prefix(lib->id_);

    for (const auto &other : loaded)
        if (other->id() == lib->id_)
            throw DuplicateId(HRM_E_PLUGIN,
                              path + ": duplicate plugin id '" + lib->id_ + "' (already loaded from " + other->path() + ")");

    if (!lib->info_.init(lib->host(), path.c_str()))
        throw Error(HRM_E_PLUGIN, path + ": init of plugin '" + lib->id_ + "' failed");
    lib->initialised_ = true;

    lib->enumerate_factories();
    for (const ClassInfo &mine : lib->classes_)
        for (const auto &other : loaded)
            for (const ClassInfo &theirs : other->classes())
                if (std::string(mine.desc->id) == theirs.desc->id)
                    throw Error(HRM_E_PLUGIN, path + ": class id '" + mine.desc->id + "' is already provided by plugin '" +
                                                  other->id() + "' (" + other->path() + ")");
    return lib;
}

void Library::negotiate() {
    auto entry = lib_.get<hrm_status *HRM_ABI(const hrm_loader_info *, hrm_plugin_info *)>(HRM_PLUGIN_ENTRY_SYMBOL);
    hrm_loader_info loader{};
    loader.struct_size = sizeof(hrm_loader_info);
    loader.abi_major_min = HRM_ABI_MAJOR_MIN;
    loader.abi_major_max = HRM_ABI_MAJOR;
    loader.api_version = HRM_API_VERSION;
    loader.host = host_->table();
    info_ = hrm_plugin_info{};
    info_.struct_size = sizeof(hrm_plugin_info);

    hrm_status *refused = nullptr;
    try {   // a C++ plugin breaking the no-exception rule must not take the host down
        refused = entry(&loader, &info_);
    } catch (...) {
        throw Error(HRM_E_PLUGIN, path_ + ": " HRM_PLUGIN_ENTRY_SYMBOL " threw an exception");
    }
    if (refused) {
        TakenStatus s = take_status(refused);
        throw Error(s.code == HRM_E_VERSION ? HRM_E_VERSION : HRM_E_PLUGIN,
                    path_ + ": plugin refused negotiation (" + s.message + ")");
    }
}

void Library::check_info() const {
    // A plugin built against an older header lowers struct_size to what it filled.
    if (info_.struct_size < kPluginInfoMinSize)
        throw Error(HRM_E_VERSION, path_ + ": hrm_plugin_info.struct_size " + std::to_string(info_.struct_size) +
                                       " is smaller than the " + std::to_string(kPluginInfoMinSize) + " bytes required");
    if (info_.abi_major < HRM_ABI_MAJOR_MIN || info_.abi_major > HRM_ABI_MAJOR)
        throw Error(HRM_E_VERSION, path_ + ": plugin chose ABI major " + std::to_string(info_.abi_major) +
                                       ", outside the supported range [" + std::to_string(HRM_ABI_MAJOR_MIN) + ", " +
                                       std::to_string(HRM_ABI_MAJOR) + "]");
    if (info_.api_version < 1)
        throw Error(HRM_E_VERSION, path_ + ": plugin reports API version 0");
    if (!info_.plugin_id || !*info_.plugin_id) throw Error(HRM_E_PLUGIN, path_ + ": plugin_id is empty");
    if (!info_.init || !info_.deinit || !info_.get_factory)
        throw Error(HRM_E_PLUGIN, path_ + ": plugin '" + info_.plugin_id + "' left init, deinit or get_factory NULL");
}

void Library::enumerate_factories() {
    for (const FactoryKind &fk : kFactories) {
        const hrm_factory *f = info_.get_factory(fk.id);
        if (!f) continue;
        const std::string where = path_ + ": factory " + fk.id;
        if (f->struct_size < kFactoryMinSize || f->api_version < 1)
            throw Error(HRM_E_VERSION, where + " has struct_size " + std::to_string(f->struct_size) + " and api_version " +
                                           std::to_string(f->api_version) + " (too old or not filled in)");
        if (!f->count || !f->get_descriptor || !f->create)
            throw Error(HRM_E_PLUGIN, where + " leaves a required slot (count, get_descriptor, create) NULL");
        const uint32_t n = f->count(f);
        for (uint32_t i = 0; i < n; ++i) {
            const hrm_descriptor *d = f->get_descriptor(f, i);
            const std::string which = where + " descriptor " + std::to_string(i);
            if (!d) throw Error(HRM_E_PLUGIN, which + " is NULL");
            if (d->struct_size < kDescriptorMinSize)
                throw Error(HRM_E_VERSION, which + " has struct_size " + std::to_string(d->struct_size) + ", below " +
                                               std::to_string(kDescriptorMinSize));
            if (d->kind != fk.kind)
                throw Error(HRM_E_PLUGIN, which + " ('" + str(d->id) + "') has kind " + std::to_string(d->kind) +
                                              ", expected " + std::to_string(fk.kind));
            if (!d->id || !*d->id || !d->name || !*d->name)
                throw Error(HRM_E_PLUGIN, which + " has an empty id or name");
            for (const ClassInfo &c : classes_)
                if (std::string(c.desc->id) == d->id)
                    throw Error(HRM_E_PLUGIN, which + " repeats class id '" + d->id + "'");
            classes_.push_back(ClassInfo{fk.kind, d, f});
        }
    }
}

}  // namespace hrm::detail
