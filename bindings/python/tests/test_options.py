"""Arguments: integers that do not fit are refused (ctypes would wrap them), option names are
checked with ValueError, unknown config keys are named, and every object says whether it is closed."""
import unittest

import support
import hrm


class OptionsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rt = support.runtime()
        cls.task = cls.rt.encoder("sudoku4")
        cls.model = cls.rt.model(config=support.TINY_SUDOKU4_MODEL)

    @classmethod
    def tearDownClass(cls):
        for x in (cls.model, cls.task, cls.rt):
            x.close()

    @unittest.skipUnless(hrm.has_sessions(), "this libhrm has no session API")
    def test_no_silent_integer_truncation(self):
        for kwargs in ({"threads": 2 ** 32 + 1}, {"batch_size": 2 ** 63}, {"seed": -1}, {"shard_size": -2 ** 64}):
            with self.subTest(**kwargs), self.assertRaises(hrm.InvalidArgumentError) as cm:
                self.rt.session(model=self.model, task=self.task, **kwargs)
            self.assertIn("out of range", str(cm.exception))
            self.assertIn(next(iter(kwargs)), str(cm.exception))
        with self.assertRaises(TypeError):
            self.rt.session(model=self.model, task=self.task, threads=2.5)
        # The message names the range hrm_runtime_create accepts (2**31 was "n_threads is negative").
        for n in (2 ** 31, -1):
            with self.subTest(n_threads=n), self.assertRaises(hrm.InvalidArgumentError) as cm:
                hrm.Runtime(n_threads=n, load=False)
            self.assertIn("n_threads = %d is out of range [0, 2147483647]" % n, str(cm.exception))
        with self.assertRaises(hrm.InvalidArgumentError):
            self.task.generate(2 ** 64)
        with self.assertRaises(hrm.InvalidArgumentError):
            self.model.state(2 ** 64)

    def test_bad_option_strings_are_value_errors(self):
        cases = [
            lambda: hrm.Runtime(log_level="loud", load=False),
            lambda: self.task.render(self.task.generate(0), format="png"),
            lambda: self.model.state(1, precision="fp16"),
        ]
        for make in cases:
            with self.assertRaises(hrm.InvalidArgumentError) as cm:
                make()
            self.assertIsInstance(cm.exception, ValueError)
            self.assertNotIsInstance(cm.exception, KeyError)
        with self.model.state(1) as state:
            with self.assertRaises(ValueError) as cm:
                state.update("M")
            self.assertIn("'l', 'h'", str(cm.exception))

    def test_unknown_config_keys_are_named(self):
        cases = [
            (lambda: self.rt.encoder("maze", config={"canvas": 11}), "canvas"),          # outside [task]
            (lambda: self.rt.encoder("maze", config={"task": {"canvass": 11}}), "canvass"),
            (lambda: self.rt.encoder("sudoku", config={"task": {"size": 9}}), "size"),
            (lambda: self.rt.encoder("sudoku", config="not = [valid"), "TOML"),
            (lambda: self.rt.encoder("gridnav", config={"window": 10}), "window"),
            (lambda: self.rt.encoder("arc", config={"identifiers": "ids.json"}), "identifiers"),
            (lambda: self.rt.policy("fixed", config={"segments": 3}), "segments"),       # outside [policy]
            (lambda: self.rt.policy("fixed", config={"policy": {"segment": 3}}), "segment"),
            (lambda: self.task.generate(0, {"givns": 5}), "givns"),
        ]
        for make, key in cases:
            with self.subTest(key=key):
                with self.assertRaises(hrm.Error) as cm:
                    make()
                self.assertIn(key, str(cm.exception))

    def test_closed(self):
        rt = support.runtime(load=False)
        self.assertFalse(rt.closed)
        rt.close()
        self.assertTrue(rt.closed)
        state = self.model.state(1)
        self.assertFalse(state.closed)
        state.close()
        self.assertTrue(state.closed)
        encoder = self.rt.encoder("sudoku4")
        self.assertFalse(encoder.closed)
        encoder.close()
        self.assertTrue(encoder.closed)
        if hrm.has_sessions():
            s = self.rt.session(model=self.model, task=self.task, policy="fixed")
            self.assertFalse(s.closed)
            s.close()
            self.assertTrue(s.closed)


if __name__ == "__main__":
    unittest.main()
