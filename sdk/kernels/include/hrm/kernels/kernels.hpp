// Umbrella header for the hrm_kernels library.
#pragma once

#include "hrm/kernels/attention.hpp"
#include "hrm/kernels/bf16.hpp"
#include "hrm/kernels/elementwise.hpp"
#include "hrm/kernels/int8.hpp"
#include "hrm/kernels/loss.hpp"
#include "hrm/kernels/matmul.hpp"
#include "hrm/kernels/norm.hpp"
#include "hrm/kernels/rope.hpp"
#include "hrm/kernels/swiglu.hpp"
