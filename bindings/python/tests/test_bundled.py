"""The bundled models (models/*.safetensors) through the bindings: found like `hrm solve` finds
them, their stored task table applied, their held-out puzzles solved."""
import os
import unittest

import support
import hrm

REPOSITORY = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
HELD_OUT = 8   # puzzles per task: enough to see a trained model at work, quick on 2 cores


def held_out(task, encoder):
    with open(os.path.join(REPOSITORY, "models", "%s-heldout.txt" % task), encoding="utf-8") as f:
        return encoder.split(f.read())[:HELD_OUT]


@unittest.skipUnless(hrm.has_sessions(), "this libhrm has no session API")
class BundledModelTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rt = support.runtime()

    @classmethod
    def tearDownClass(cls):
        cls.rt.close()

    def test_lookup(self):
        for task in ("sudoku", "maze", "gridnav"):
            path = hrm.bundled_model(task)
            self.assertTrue(os.path.samefile(path, os.path.join(REPOSITORY, "models", task + ".safetensors")))
        with self.rt.encoder("maze") as maze:   # an Encoder names its task
            self.assertEqual(hrm.bundled_model(maze), hrm.bundled_model("maze"))
        with self.assertRaises(hrm.NotFoundError) as cm:
            hrm.bundled_model("no-such-task")
        self.assertIn("no-such-task.safetensors", str(cm.exception))

    def test_held_out_puzzles_are_solved(self):
        for task in ("sudoku", "maze", "gridnav"):
            with self.subTest(task=task), \
                    self.rt.session(model=hrm.bundled_model(task), task=task, policy="q-halt",
                                    batch_size=HELD_OUT, threads=2) as s:
                results = s.solve(held_out(task, s.task))
                self.assertEqual(len(results), HELD_OUT)
                self.assertTrue(all(r.ok for r in results), [r.error for r in results])
                # 91-100% on the full sets (models/*.md): nearly all of a few puzzles.
                self.assertGreaterEqual(sum(r.verified for r in results), HELD_OUT - 2)

    def test_stored_task_config(self):
        with self.rt.model(hrm.bundled_model("maze")) as maze:
            self.assertEqual(maze.task_config.split(), ["[task]", "canvas", "=", "11"])
            self.assertEqual(maze.path, hrm.bundled_model("maze"))
        with self.rt.model(hrm.bundled_model("sudoku")) as sudoku:
            self.assertIsNone(sudoku.task_config)
        with self.rt.model(config=support.TINY_SUDOKU4_MODEL) as fresh:
            self.assertIsNone(fresh.task_config)
            self.assertIsNone(fresh.path)

    def test_an_encoder_made_without_the_stored_config_is_explained(self):
        with self.rt.model(hrm.bundled_model("maze")) as model, self.rt.encoder("maze") as task:
            with self.assertRaises(hrm.Error) as cm:
                self.rt.session(model=model, task=task)
            self.assertIn("seq_len", str(cm.exception))
            self.assertIn("config=model.task_config", str(cm.exception))
            with self.rt.encoder("maze", config=model.task_config) as fitted, \
                    self.rt.session(model=model, task=fitted) as s:
                self.assertTrue(s.solve(held_out("maze", fitted)[:1])[0].ok)

    def test_a_model_is_required(self):
        with self.assertRaises(hrm.InvalidArgumentError) as cm:
            self.rt.session(model=None, task="maze")
        self.assertIn("bundled_model('maze')", str(cm.exception))
        with self.assertRaises(hrm.InvalidArgumentError):
            self.rt.model()   # no checkpoint, no config: not a random default-size model
        with self.assertRaises(hrm.InvalidArgumentError):
            self.rt.model("hrm")


if __name__ == "__main__":
    unittest.main()
