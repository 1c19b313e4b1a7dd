"""Models: a fresh HRM from a config, stepped by hand through a ModelState."""
import os
import tempfile
import unittest
from unittest import mock

import support
import hrm
from hrm import _toml, _tensor


class ModelTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rt = support.runtime()
        cls.task = cls.rt.encoder("sudoku4")
        cls.model = cls.rt.model(config=support.TINY_SUDOKU4_MODEL, seed=1)
        cls.puzzles = [cls.task.generate(i) for i in range(3)]

    @classmethod
    def tearDownClass(cls):
        cls.model.close()
        cls.task.close()
        cls.rt.close()

    def test_spec(self):
        spec = self.model.spec
        self.assertEqual((spec.seq_len, spec.vocab_size, spec.hidden_size), (16, 6, 32))
        self.assertEqual((spec.h_cycles, spec.l_cycles), (2, 2))
        self.assertIn("hidden_size = 32", self.model.config)

    def _run_segment(self, precision=None):
        batch = self.task.encode_batch(self.puzzles)
        with self.model.state(len(self.puzzles), precision=precision) as state:
            state.reset()
            state.set_inputs(batch.tokens, batch.puzzle_ids)
            state.segment()
            return state.readout()

    def test_state_readout(self):
        out = self._run_segment()
        logits, predictions, q = (_tensor.np.asarray(x).tolist() if _tensor.np else x for x in out)
        self.assertEqual((len(logits), len(logits[0]), len(logits[0][0])), (3, 16, 6))
        self.assertEqual((len(predictions), len(predictions[0])), (3, 16))
        self.assertEqual((len(q), len(q[0])), (3, 2))
        for b in range(3):   # predictions are the argmax of the logits (first max wins)
            self.assertEqual(predictions[b], [row.index(max(row)) for row in logits[b]])

    def test_state_deterministic(self):
        a, b = self._run_segment(), self._run_segment()
        self.assertEqual(_list(a.logits), _list(b.logits))

    @unittest.skipUnless(_tensor.np is not None, "NumPy is not installed")
    def test_numpy_zero_copy(self):
        np = _tensor.np
        out = self._run_segment()
        self.assertIsInstance(out.logits, np.ndarray)
        self.assertEqual(out.logits.dtype, np.float32)
        self.assertEqual(out.predictions.dtype, np.int32)
        # The array wraps the buffer the C side wrote into (no copy): its base is that buffer.
        self.assertIsInstance(out.logits.base, _tensor.Buffer)
        self.assertTrue((out.logits.argmax(-1) == out.predictions).all())

    def test_lists_without_numpy(self):
        with mock.patch.object(_tensor, "np", None):
            out = self._run_segment()
        self.assertIsInstance(out.predictions, list)
        self.assertIsInstance(out.q[0][0], float)

    def test_partial_readout_and_masks(self):
        batch = self.task.encode_batch(self.puzzles)
        with self.model.state(3) as state:
            state.reset(mask=[True, False, True])   # rows 1 is uninitialised, but reset all below
            state.reset()
            state.set_inputs(batch.tokens, mask=[1, 1, 1])
            state.update("L")
            state.update(hrm.Level.H)
            out = state.readout(logits=False, q=False)
        self.assertIsNone(out.logits)
        self.assertIsNone(out.q)
        self.assertEqual(len(out.predictions), 3)

    def test_shape_errors_come_from_the_plugin(self):
        batch = self.task.encode_batch(self.puzzles[:2])
        with self.model.state(3) as state:
            state.reset()
            with self.assertRaises(hrm.InvalidArgumentError) as cm:
                state.set_inputs(batch.tokens)
            self.assertIn("tokens", str(cm.exception))
            with self.assertRaises(hrm.InvalidArgumentError):
                state.reset(mask=[1, 0])   # checked in Python: wrong length

    def test_closed_state_and_deferred_model_free(self):
        model = self.rt.model(config=support.TINY_SUDOKU4_MODEL)
        state = model.state(1)
        model.close()   # deferred: the state still uses the model
        with self.assertRaises(hrm.ClosedError):
            model.state(1)
        state.reset()   # still valid
        state.close()   # frees the state, then the model
        self.assertIsNone(model._handle)
        with self.assertRaises(hrm.ClosedError):
            state.update("L")

    def test_model_from_config_file_and_bad_config(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "tiny.toml")
            with open(path, "w") as f:
                f.write(_toml.dumps(support.TINY_SUDOKU4_MODEL))
            with self.rt.model(path) as m:
                self.assertEqual(m.spec.hidden_size, 32)
        with self.assertRaises(hrm.Error) as cm:
            self.rt.model(config={"model": {"arch": "hrm", "hidden_size": -3}})
        self.assertTrue(str(cm.exception))
        with self.assertRaises(hrm.NotFoundError):
            self.rt.model("/nonexistent/model.safetensors")


def _list(x):
    return x.tolist() if hasattr(x, "tolist") else x


if __name__ == "__main__":
    unittest.main()
