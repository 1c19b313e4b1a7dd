"""Tensor exchange: inputs converted once (or not at all), outputs written in place."""
import unittest
from unittest import mock

import support  # noqa: F401
import hrm
from hrm import _abi, _tensor


class InputTest(unittest.TestCase):
    def test_nested_lists_without_numpy(self):
        with mock.patch.object(_tensor, "np", None):
            t = _tensor.Input([[1, 2, 3], [4, 5, 6]], _abi.HRM_DTYPE_I32, "tokens")
            self.assertEqual(t.shape, (2, 3))
            self.assertEqual([t.view.shape[i] for i in range(t.view.ndim)], [2, 3])
            self.assertEqual(list(t._keep), [1, 2, 3, 4, 5, 6])
            with self.assertRaises(hrm.InvalidArgumentError):
                _tensor.Input([[1, 2], [3]], _abi.HRM_DTYPE_I32, "tokens")
            with self.assertRaises(hrm.InvalidArgumentError):
                _tensor.Input([["a"]], _abi.HRM_DTYPE_I32, "tokens")

    def test_buffer_round_trip_without_numpy(self):
        with mock.patch.object(_tensor, "np", None):
            b = _tensor.Buffer(_abi.HRM_DTYPE_F32, (2, 2))
            b._storage[3] = 1.5
            self.assertEqual(b.value(), [[0.0, 0.0], [0.0, 1.5]])
            view, _ = b.row_view(1)
            self.assertEqual(view.data, b.address + 2 * 4)
            self.assertEqual(view.ndim, 1)

    @unittest.skipUnless(_tensor.np is not None, "NumPy is not installed")
    def test_numpy_inputs_are_not_copied(self):
        np = _tensor.np
        a = np.arange(6, dtype=np.int32).reshape(2, 3)
        t = _tensor.Input(a, _abi.HRM_DTYPE_I32, "tokens")
        self.assertEqual(t.view.data, a.ctypes.data)   # the caller's memory itself
        t64 = _tensor.Input(a.astype(np.int64), _abi.HRM_DTYPE_I32, "tokens")   # converted once
        self.assertEqual(t64._keep.tolist(), a.tolist())
        with self.assertRaises(hrm.InvalidArgumentError):   # would truncate silently
            _tensor.Input(a.astype(np.float32), _abi.HRM_DTYPE_I32, "tokens")

    @unittest.skipUnless(_tensor.np is not None, "NumPy is not installed")
    def test_buffer_shares_memory_with_numpy(self):
        np = _tensor.np
        b = _tensor.Buffer(_abi.HRM_DTYPE_I32, (2, 3))
        a = b.value()
        b._storage[4] = 7   # what the C side does: write into the buffer
        self.assertEqual(a[1, 1], 7)
        self.assertEqual(a.dtype, np.int32)


if __name__ == "__main__":
    unittest.main()
