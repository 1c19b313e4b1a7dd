// The ARC core library in one include, for hosts such as the runner's cmd_arc.cpp. Hosts link
// several task libraries whose folders all hold a render.hpp or an augment.hpp; this name is the
// one no other task folder shadows, and the includes below resolve next to this file.
#pragma once

#include "augment.hpp"
#include "dataset.hpp"
#include "encode.hpp"
#include "render.hpp"
#include "task.hpp"
#include "vote.hpp"
