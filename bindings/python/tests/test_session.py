"""Sessions: batch solving through the scheduler, per-instance errors, progress, cancellation."""
import os
import signal
import tempfile
import threading
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

    @unittest.skipUnless(threading.current_thread() is threading.main_thread(), "signals need the main thread")
    def test_real_sigint_stops_the_solve(self):
        # SIGINT arrives while C code runs; the always-installed progress hook turns it into a
        # KeyboardInterrupt at the next segment instead of after the whole solve.
        def progress(done, total):
            if done == 0 or done >= 2:
                signal.raise_signal(signal.SIGINT)
        with self.assertRaises(KeyboardInterrupt) as cm:
            self.session(batch_size=2).solve(self.puzzles * 2, progress=progress)
        self.assertEqual(len(cm.exception.results), 12)

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
