"""Sessions: batch solving through the scheduler, per-instance errors, progress, cancellation."""
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import unittest

import support
import hrm
from hrm import _toml


@unittest.skipUnless(hrm.has_sessions(), "this libhrm has no session API")
class SessionTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rt = support.runtime()
        cls.task = cls.rt.encoder("sudoku4")
        cls.model = cls.rt.model(config=support.TINY_SUDOKU4_MODEL, seed=1)
        cls.policy = cls.rt.policy("example-fixed", config={"segments": 3})
        cls.puzzles = [cls.task.generate(i) for i in range(6)]

    @classmethod
    def tearDownClass(cls):
        for x in (cls.policy, cls.model, cls.task, cls.rt):
            x.close()

    def session(self, **kwargs):
        kwargs.setdefault("batch_size", 4)
        kwargs.setdefault("threads", 2)
        s = self.rt.session(model=self.model, task=self.task, policy=self.policy, **kwargs)
        self.addCleanup(s.close)
        return s

    def test_full_solve(self):
        results = self.session().solve(self.puzzles)
        self.assertEqual(len(results), 6)
        for puzzle, r in zip(self.puzzles, results):
            self.assertEqual(r.instance, puzzle)
            if r.ok:
                self.assertEqual(r.segments, 3)   # the policy halts every row after 3 segments
                self.assertIsInstance(r.verified, bool)
                # The session's verdict is the task's verdict on the decoded solution.
                self.assertEqual(r.verified, self.task.verify(puzzle, r.solution))
                self.assertEqual(len(r.q), 2)
                self.assertGreaterEqual(r.seconds, 0.0)
            else:
                # An untrained model may predict padding, which the task cannot decode.
                self.assertIsInstance(r.error, hrm.Error)
        # Same seed, same model: results do not depend on batch size or threads.
        again = self.session(batch_size=2, threads=1).solve(self.puzzles)
        self.assertEqual([(r.solution, r.verified) for r in again], [(r.solution, r.verified) for r in results])

    def test_bad_puzzle_fails_alone(self):
        results = self.session().solve([self.puzzles[0], "1x3", self.puzzles[1]])
        self.assertIsInstance(results[1].error, hrm.FormatError)
        self.assertIn("sudoku instance", str(results[1].error))
        self.assertIsNone(results[1].solution)
        self.assertEqual(results[0].segments, 3)
        self.assertEqual(results[2].segments, 3)

    def test_progress(self):
        calls = []
        self.session().solve(self.puzzles, progress=lambda done, total: calls.append((done, total)))
        self.assertTrue(calls)
        self.assertEqual(calls[-1], (6, 6))
        self.assertEqual([d for d, _ in calls], sorted(d for d, _ in calls))

    def test_cancel_by_returning_false(self):
        with self.assertRaises(hrm.CancelledError) as cm:
            self.session(batch_size=2).solve(self.puzzles, progress=lambda done, total: False)
        results = cm.exception.results
        self.assertEqual(len(results), 6)
        self.assertTrue(any(isinstance(r.error, hrm.CancelledError) for r in results))

    def test_ctrl_c_in_progress_keeps_finished_results(self):
        def progress(done, total):
            if done >= 2:
                raise KeyboardInterrupt
        with self.assertRaises(KeyboardInterrupt) as cm:
            self.session(batch_size=2).solve(self.puzzles, progress=progress)
        results = cm.exception.results
        finished = [r for r in results if not isinstance(r.error, hrm.CancelledError)]
        cancelled = [r for r in results if isinstance(r.error, hrm.CancelledError)]
        self.assertGreaterEqual(len(finished), 2)
        self.assertTrue(cancelled)
        self.assertTrue(all(r.segments == 3 for r in finished if r.ok))

    def long_session(self):
        """A session whose solve would take minutes: 100,000 segments per puzzle."""
        policy = self.rt.policy("fixed", config={"policy": {"segments": 100000}})
        self.addCleanup(policy.close)
        s = self.rt.session(model=self.model, task=self.task, policy=policy, batch_size=2, threads=1)
        self.addCleanup(s.close)
        return s

    @unittest.skipUnless(threading.current_thread() is threading.main_thread(), "signals need the main thread")
    def test_real_sigint_while_c_code_runs(self):
        # A real SIGINT from another thread, as Ctrl-C delivers it, lands while the C solve runs.
        # It must raise KeyboardInterrupt promptly, with no "Exception ignored on calling ctypes
        # callback" (an unraisable exception) and no CancelledError instead.
        unraisable = []
        old_hook = sys.unraisablehook
        sys.unraisablehook = unraisable.append
        self.addCleanup(setattr, sys, "unraisablehook", old_hook)
        s = self.long_session()
        for attempt in range(3):   # the same session is usable after every interruption
            timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
            timer.start()
            t0 = time.monotonic()
            with self.assertRaises(KeyboardInterrupt) as cm:
                s.solve(self.puzzles[:4])
            timer.join()
            self.assertLess(time.monotonic() - t0, 20.0)
            results = cm.exception.results
            self.assertEqual(len(results), 4)
            self.assertTrue(all(isinstance(r.error, hrm.CancelledError) for r in results))
        self.assertEqual(unraisable, [])

    @unittest.skipUnless(threading.current_thread() is threading.main_thread(), "signals need the main thread")
    def test_real_sigint_with_a_progress_function(self):
        calls = []
        s = self.long_session()
        timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
        timer.start()
        with self.assertRaises(KeyboardInterrupt):
            s.solve(self.puzzles[:2], progress=lambda done, total: calls.append(threading.current_thread()))
        timer.join()
        self.assertTrue(calls)
        self.assertTrue(all(t is threading.main_thread() for t in calls))   # progress runs on the caller's thread

    def test_ctrl_c_in_a_child_process(self):
        # What a user sees: Ctrl-C (SIGINT to the process) during solve() ends the program with a
        # KeyboardInterrupt traceback, and nothing about ignored exceptions or cancellation.
        code = textwrap.dedent("""
            import support, hrm, sys
            rt = support.runtime()
            task = rt.encoder("sudoku4")
            model = rt.model(config=support.TINY_SUDOKU4_MODEL, seed=1)
            policy = rt.policy("fixed", config={"policy": {"segments": 100000}})
            s = rt.session(model=model, task=task, policy=policy, batch_size=2, threads=1)
            print("solving", flush=True)
            s.solve([task.generate(0), task.generate(1)])
        """)
        child = subprocess.Popen([sys.executable, "-c", code], cwd=os.path.dirname(os.path.abspath(__file__)),
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            self.assertEqual(child.stdout.readline(), "solving\n", child.stderr.read() if child.poll() else "")
            time.sleep(0.3)
            child.send_signal(signal.SIGINT)
            _, err = child.communicate(timeout=60)
        finally:
            if child.poll() is None:
                child.kill()
                child.communicate()
        self.assertTrue(err.rstrip().endswith("KeyboardInterrupt"), err)
        self.assertNotIn("Exception ignored", err)
        self.assertNotIn("CancelledError", err)
        self.assertNotEqual(child.returncode, 0)

    def test_solve_iter_streams_results(self):
        s = self.session(batch_size=2)
        got = list(s.solve_iter(self.puzzles + ["1x3"]))
        self.assertEqual(sorted(r.index for r in got), list(range(7)))
        for r in got:
            self.assertEqual(r.instance, (self.puzzles + ["1x3"])[r.index])
        self.assertIsInstance(next(r for r in got if r.index == 6).error, hrm.FormatError)
        # Same answers as solve().
        by_index = {r.index: (r.solution, r.verified, r.segments) for r in got}
        self.assertEqual(by_index, {r.index: (r.solution, r.verified, r.segments)
                                    for r in s.solve(self.puzzles + ["1x3"])})

    def test_solve_iter_yields_before_the_solve_ends(self):
        # With 2 slots and 3 segments per puzzle, the first two puzzles finish long before the
        # last; the first result must arrive while later ones are still running.
        progress_at_first = []
        calls = []
        s = self.session(batch_size=2)
        it = s.solve_iter(self.puzzles, progress=lambda done, total: calls.append(done))
        first = next(it)
        progress_at_first.append(len(calls))
        rest = list(it)
        self.assertLess(calls[progress_at_first[0] - 1], len(self.puzzles))   # not everything was done yet
        self.assertEqual(len(rest) + 1, len(self.puzzles))
        self.assertEqual(first.segments, 3)

    def test_leaving_solve_iter_cancels_and_frees_the_session(self):
        s = self.long_session()
        t0 = time.monotonic()
        for r in s.solve_iter(self.puzzles[:1] + ["1x3"]):
            self.assertEqual(r.index, 1)   # the bad puzzle is reported first, at the first segment
            break                          # leaving the loop stops the 100,000-segment solve
        self.assertLess(time.monotonic() - t0, 20.0)
        self.assertEqual(len(s.solve(["1x3"])), 1)   # not busy any more

    def test_closed_session_and_busy_session(self):
        s = self.session()
        s.close()
        s.close()
        with self.assertRaises(hrm.ClosedError):
            s.solve(self.puzzles)
        s = self.session()
        errors = []

        def progress(done, total):
            try:
                s.solve(self.puzzles)   # re-entrant: refused, not a crash
            except hrm.InvalidArgumentError as e:
                errors.append(e)
            try:
                s.close()
            except hrm.InvalidArgumentError as e:
                errors.append(e)
        s.solve(self.puzzles, progress=progress)
        self.assertTrue(errors)
        self.assertTrue(all("solving" in str(e) for e in errors))

    def test_instances_closed_while_a_session_uses_them(self):
        model = self.rt.model(config=support.TINY_SUDOKU4_MODEL)
        s = self.rt.session(model=model, task=self.task, policy=self.policy, batch_size=2)
        model.close()   # deferred until the session lets go
        self.assertEqual(len(s.solve(self.puzzles[:2])), 2)
        s.close()
        self.assertIsNone(model._handle)

    def test_session_from_names_owns_its_instances(self):
        with tempfile.TemporaryDirectory() as d:
            config = os.path.join(d, "tiny.toml")
            with open(config, "w") as f:
                f.write(_toml.dumps(support.TINY_SUDOKU4_MODEL))
            with self.rt.session(model=config, task="sudoku4", policy="example-fixed",
                                 policy_config={"segments": 1}, batch_size=2, threads=1) as s:
                results = s.solve(self.puzzles[:3])
                owned = (s.model, s.task, s.policy)
        self.assertTrue(all(r.segments == 1 for r in results if r.ok))
        self.assertTrue(all(x.closed and x._handle is None for x in owned))

    def test_mismatched_model_and_task(self):
        reverse = self.rt.encoder("reverse")   # seq_len 16 but vocab 11: the model has 6
        self.addCleanup(reverse.close)
        with self.assertRaises(hrm.Error) as cm:
            self.rt.session(model=self.model, task=reverse, policy=self.policy)
        self.assertIn("vocab", str(cm.exception))


if __name__ == "__main__":
    unittest.main()
