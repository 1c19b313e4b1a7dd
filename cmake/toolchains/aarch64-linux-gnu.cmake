# Cross-compiling for 64-bit Arm Linux with Debian's toolchain (crossbuild-essential-arm64) against
# Debian's multiarch :arm64 packages (libraries in /usr/lib/aarch64-linux-gnu, which CMake searches
# through CMAKE_LIBRARY_ARCHITECTURE). The binaries run on an x86 machine under qemu-aarch64-static,
# which CTest uses as the emulator. scripts/test-arm64.sh sets it all up.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

find_program(HRM_QEMU_AARCH64 qemu-aarch64-static)
if(HRM_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${HRM_QEMU_AARCH64})
endif()
