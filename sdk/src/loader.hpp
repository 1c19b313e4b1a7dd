// loader.hpp - one loaded plugin library: negotiation, init/deinit and its factories.
#pragma once

#include "host.hpp"
#include "status.hpp"

#include <memory>
#include <string>
#include <vector>

#include <boost/dll/shared_library.hpp>

namespace hrm::detail {

// A class a plugin can instantiate (one descriptor of one factory).
struct ClassInfo {
    hrm_kind kind;
    const hrm_descriptor *desc;   // owned by the plugin, valid while its Library lives
    const hrm_factory *factory;
};

// A loaded, negotiated and initialised plugin. Shared by the runtime and by every instance made
// from it: the destructor (deinit, then dlclose) runs only when the last of them lets go.
class Library {
public:
    Library(const Library &) = delete;
    Library &operator=(const Library &) = delete;
    ~Library();

    const std::string &path() const { return path_; }
    const std::string &id() const { return id_; }
    const std::string &version() const { return version_; }
    uint32_t api_version() const { return info_.api_version; }
    uint32_t abi_major() const { return info_.abi_major; }
    const hrm_host *host() const { return host_->table(); }
    const std::vector<ClassInfo> &classes() const { return classes_; }

    // Thrown by load_library when the plugin id is already taken: callers searching several
    // folders treat that case as "already have it", not as a broken plugin.
    class DuplicateId;

    // Load, negotiate and initialise the library at path (absolute). `loaded` are the libraries
    // already in the runtime, so that a duplicate id is refused before its init runs.
    // Throws Error (DuplicateId for a duplicate id) with a message naming the file and the reason.
    static std::shared_ptr<Library> load(const std::string &path, std::shared_ptr<RuntimeCore> core,
                                         const std::vector<std::shared_ptr<Library>> &loaded);

private:
    Library() = default;
    void negotiate();
    void check_info() const;
    void enumerate_factories();

    // Declaration order matters: members are destroyed in reverse, after ~Library has called
    // deinit, so the host table outlives deinit and the code is unmapped last.
    boost::dll::shared_library lib_;
    std::unique_ptr<PluginHost> host_;
    hrm_plugin_info info_{};
    bool initialised_ = false;
    std::string path_, id_, version_;
    std::vector<ClassInfo> classes_;
};

class Library::DuplicateId : public Error {
public:
    using Error::Error;
};

}  // namespace hrm::detail
