"""Encoders (tasks): the example "reverse" (solve only) and "sudoku4" (every optional slot)."""
import unittest
from unittest import mock

import support
import hrm
from hrm import _tensor, _toml


class ReverseTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rt = support.runtime()
        cls.enc = cls.rt.encoder("reverse", config={"length": 8})

    @classmethod
    def tearDownClass(cls):
        cls.enc.close()
        cls.rt.close()

    def test_spec(self):
        self.assertEqual(self.enc.spec.seq_len, 8)
        self.assertEqual(self.enc.spec.vocab_size, 11)
        self.assertEqual(self.enc.spec.caps, hrm.Caps.SOLVE | hrm.Caps.MASK)

    def test_split_keeps_type(self):
        self.assertEqual(self.enc.split("123\n# comment\n\n45,54\n"), ["123", "45,54"])
        self.assertEqual(self.enc.split(b"7\n8\n"), [b"7", b"8"])
        self.assertEqual(self.enc.split(""), [])

    def test_encode(self):
        e = self.enc.encode("45,54")
        self.assertEqual(list(e.tokens), [5, 6, 0, 0, 0, 0, 0, 0])   # digit d is token d + 1
        self.assertEqual(list(e.labels), [6, 5, 0, 0, 0, 0, 0, 0])
        self.assertIsNone(self.enc.encode("45").labels)

    def test_output_mask(self):
        mask = [list(row) for row in self.enc.output_mask("12")]   # [8, 11]: digits, then PAD only
        self.assertEqual(len(mask), 8)
        self.assertEqual(mask[0], [0] + [1] * 10)
        self.assertEqual(mask[1], [0] + [1] * 10)
        self.assertEqual(mask[2], [1] + [0] * 10)
        with self.assertRaises(hrm.FormatError):
            self.enc.output_mask("1x")

    def test_decode_verify_solve(self):
        self.assertEqual(self.enc.decode("123", self.enc.encode("321").tokens), "321")
        self.assertEqual(self.enc.solve("1234"), "4321")
        solution, stats = self.enc.solve_with_stats("12")
        self.assertEqual((solution, stats.solutions), ("21", 1))
        self.assertTrue(self.enc.verify("123", "321"))
        self.assertFalse(self.enc.verify("123", "123"))
        self.assertEqual(self.enc.score("123", "321"), 1.0)

    def test_bad_puzzle_raises_with_the_c_message(self):
        with self.assertRaises(hrm.FormatError) as cm:
            self.enc.encode("12a")
        self.assertEqual(cm.exception.code, 7)
        self.assertEqual(str(cm.exception), "reverse: unexpected character 'a' at byte 2 (expected a digit)")
        self.assertIsInstance(cm.exception, ValueError)
        with self.assertRaises(hrm.FormatError):
            self.enc.solve("123456789")   # longer than length = 8

    def test_missing_optional_slot(self):
        with self.assertRaises(hrm.UnsupportedError):
            self.enc.generate(1)
        with self.assertRaises(hrm.UnsupportedError):
            self.enc.render("123")

    def test_single_string_is_not_a_batch(self):
        with self.assertRaises(TypeError):
            self.enc.encode_batch("123")

    def test_closed_encoder(self):
        enc = self.rt.encoder("reverse")
        enc.close()
        with self.assertRaises(hrm.ClosedError) as cm:
            enc.solve("1")
        self.assertIn("reverse", str(cm.exception))

    def test_lists_without_numpy(self):
        with mock.patch.object(_tensor, "np", None):
            e = self.enc.encode_batch(["12", "3,3"])
            self.assertEqual(e.tokens, [[2, 3, 0, 0, 0, 0, 0, 0], [4, 0, 0, 0, 0, 0, 0, 0]])
            self.assertEqual(e.has_labels, [False, True])
            self.assertEqual(e.labels[1], [4, 0, 0, 0, 0, 0, 0, 0])
            self.assertEqual(self.enc.decode("12", [3, 2, 0, 0, 0, 0, 0, 0]), "21")


class Sudoku4Test(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rt = support.runtime()
        cls.enc = cls.rt.encoder("sudoku4")

    @classmethod
    def tearDownClass(cls):
        cls.enc.close()
        cls.rt.close()

    def test_generate_solve_verify_render(self):
        instance = self.enc.generate(7)
        self.assertEqual(instance, self.enc.generate(7))   # deterministic in the seed
        solution = self.enc.solve(instance)
        self.assertTrue(self.enc.verify(instance, solution))
        text = self.enc.render(instance, solution)
        self.assertIn("+", text)
        self.assertIn("<svg", self.enc.render(instance, format="svg"))

    def test_labels_decode_to_the_solution(self):
        instance = self.enc.generate(3)
        solution = self.enc.decode(instance, self.enc.encode(instance).labels)
        self.assertTrue(self.enc.verify(instance, solution))

    def test_augment_round_trip(self):
        batch = self.enc.encode_batch([self.enc.generate(i) for i in range(3)])
        augmented = self.enc.augment(batch.tokens, 5)
        restored = self.enc.augment(augmented, 5, inverse=True)
        self.assertEqual(_rows(restored), _rows(batch.tokens))
        self.assertNotEqual(_rows(augmented), _rows(batch.tokens))


class TomlTest(unittest.TestCase):
    def test_dumps(self):
        text = _toml.dumps({"a": 1, "b": "x\"y", "c": [1.5, True], "model": {"arch": "hrm", "n": 2}})
        self.assertEqual(text, 'a = 1\nb = "x\\"y"\nc = [1.5, true]\n\n[model]\narch = "hrm"\nn = 2\n')
        with self.assertRaises(hrm.InvalidArgumentError):
            _toml.dumps({"a": object()})


def _rows(a):
    return [list(map(int, r)) for r in a]


if __name__ == "__main__":
    unittest.main()
