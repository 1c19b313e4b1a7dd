// runtime.hpp - the hrm_runtime object: its log/arena core and the plugin libraries it loaded.
#pragma once

#include "loader.hpp"

#include <memory>
#include <vector>

struct hrm_runtime {
    std::shared_ptr<hrm::detail::RuntimeCore> core;
    std::string plugin_path;   // params.plugin_path, copied
    std::vector<std::shared_ptr<hrm::detail::Library>> libraries;

    // Every class of every library, flattened in load order: hrm_runtime_class indexes this.
    struct Class {
        hrm::detail::ClassInfo info;
        int32_t library;   // index into libraries
    };
    std::vector<Class> classes;
};
