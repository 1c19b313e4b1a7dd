// The GoogleTest main of every test binary. After the tests it waits for oneTBB's worker threads to
// end before the process exits. Without that, the workers are still shutting down when
// LeakSanitizer's exit-time check stops every thread with ptrace, and the sanitizer's own tracer can
// crash on a thread half gone ("Tracer caught signal 11 ... LeakSanitizer has encountered a fatal
// error", google/sanitizers#1353): a test that passed then fails, about one run in ten on a loaded
// machine. Joining the workers first makes the check see only live threads.
#include <gtest/gtest.h>

#include <new>

#include <oneapi/tbb/global_control.h>

int main(int argc, char **argv) {
    testing::InitGoogleTest(&argc, argv);
    oneapi::tbb::task_scheduler_handle workers{oneapi::tbb::attach{}};
    const int rc = RUN_ALL_TESTS();
    // false when something still holds the scheduler (a test leaked a session): nothing to wait for
    // then but the exit itself, as before.
    oneapi::tbb::finalize(workers, std::nothrow);
    return rc;
}
