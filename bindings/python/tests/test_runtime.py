"""Runtime: finding libhrm, loading plugins, listing classes, creating instances, errors."""
import os
import subprocess
import sys
import tempfile
import unittest
import zipfile

import support
import hrm


class LibraryTest(unittest.TestCase):
    def test_versions(self):
        self.assertEqual(hrm.version(), "0.1.0")
        self.assertTrue(os.path.exists(hrm.library_path()))

    def test_bad_hrm_library_is_a_clear_error(self):
        # In a child process: the library is loaded once per process.
        code = ("import support, hrm\n"
                "try:\n    hrm.Runtime()\n"
                "except hrm.LibraryNotFoundError as e:\n    print('ERR', e)\n")
        env = dict(os.environ, HRM_LIBRARY="/nonexistent/libhrm.so")
        out = subprocess.run([sys.executable, "-c", code], cwd=os.path.dirname(__file__), env=env,
                             capture_output=True, text=True, check=True).stdout
        self.assertIn("ERR HRM_LIBRARY=/nonexistent/libhrm.so: no such file", out)


class RuntimeTest(unittest.TestCase):
    def setUp(self):
        self.rt = support.runtime()
        self.addCleanup(self.rt.close)

    def test_plugins_and_classes(self):
        ids = [p.id for p in self.rt.plugins()]
        self.assertIn("org.hrm-sdk.examples.reverse", ids)
        encoders = {c.name: c for c in self.rt.classes(hrm.Kind.ENCODER)}
        self.assertEqual(encoders["reverse"].id, "org.hrm-sdk.examples.reverse")
        self.assertEqual(encoders["reverse"].plugin.id, "org.hrm-sdk.examples.reverse")
        self.assertIn("oracle", encoders["reverse"].features)
        self.assertIn("example-fixed", [c.name for c in self.rt.classes(hrm.Kind.POLICY)])
        self.assertTrue(all(c.kind == hrm.Kind.POLICY for c in self.rt.classes(hrm.Kind.POLICY)))

    def test_unknown_class_carries_the_c_message(self):
        with self.assertRaises(hrm.NotFoundError) as cm:
            self.rt.encoder("no-such-task")
        self.assertEqual(cm.exception.code, 2)
        self.assertEqual(cm.exception.code_name, "not found")
        self.assertIn("no-such-task", str(cm.exception))
        self.assertIsInstance(cm.exception, LookupError)

    def test_bad_option_is_invalid_argument(self):
        with self.assertRaises(hrm.InvalidArgumentError) as cm:
            self.rt.policy("example-fixed", config={"segments": 0})
        self.assertIn("'segments' must be an integer in [1, 1024]", str(cm.exception))

    def test_bad_plugin_file(self):
        with self.assertRaises(hrm.Error) as cm:
            self.rt.load_plugin("/nonexistent/plugin.so")
        self.assertIn("/nonexistent/plugin.so", str(cm.exception))
        with tempfile.NamedTemporaryFile(suffix=".so") as f:
            f.write(b"not a shared library")
            f.flush()
            with self.assertRaises(hrm.Error) as cm:
                self.rt.load_plugin(f.name)
            self.assertIn(f.name, str(cm.exception))

    def test_bad_plugin_path(self):
        with self.assertRaises(hrm.NotFoundError) as cm:
            hrm.Runtime(plugin_path="/nonexistent/plugins")
        self.assertIn("/nonexistent/plugins", str(cm.exception))

    def test_explicit_plugin_path_and_no_default_loading(self):
        with hrm.Runtime(plugin_path=support.PLUGIN_PATH.split(os.pathsep), load=False) as rt:
            self.assertEqual(rt.plugins(), [])
            self.assertGreater(rt.load_default(), 0)
            self.assertIn("reverse", [c.name for c in rt.classes()])

    def test_log_callback_receives_messages(self):
        lines = []
        with hrm.Runtime(log=lambda level, msg: lines.append((level, msg)), log_level="debug") as rt:
            # The example plugin logs a debug line when it is first initialised by a runtime.
            self.assertGreater(len(rt.plugins()), 0)
        self.assertTrue(lines)
        self.assertTrue(all(isinstance(m, str) for _, m in lines))

    def test_closed_runtime(self):
        self.rt.close()
        self.rt.close()   # closing twice is fine
        with self.assertRaises(hrm.ClosedError):
            self.rt.plugins()
        with self.assertRaises(ValueError):   # ClosedError is a caller error
            self.rt.encoder("reverse")

    def test_instances_outlive_their_runtime(self):
        enc = self.rt.encoder("reverse")
        self.rt.close()
        self.assertEqual(enc.solve("123"), "321")
        enc.close()



class PackageTest(unittest.TestCase):
    """What `pip install bindings/python` installs: a wheel from _build/hrm_build.py."""

    def test_installed_wheel_finds_the_build_tree(self):
        package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        sys.path.insert(0, os.path.join(package, "_build"))
        try:
            import hrm_build
        finally:
            sys.path.pop(0)
        with tempfile.TemporaryDirectory() as d:
            with zipfile.ZipFile(os.path.join(d, hrm_build.build_wheel(d))) as wheel:
                names = wheel.namelist()
                wheel.extractall(os.path.join(d, "site"))   # installing a pure-Python wheel is unpacking it
            self.assertIn("hrm/py.typed", names)   # PEP 561: type checkers use the annotations
            self.assertIn("hrm/_source.py", names)
            # Outside the source tree, with only the build folder named (or nothing, when it is the
            # tree's build/), the installed package finds libhrm and the bundled models.
            build = os.path.dirname(os.path.dirname(os.path.abspath(hrm.library_path())))
            env = {k: v for k, v in os.environ.items() if k != "HRM_LIBRARY"}
            env["PYTHONPATH"] = os.path.join(d, "site")
            if os.path.realpath(build) != os.path.realpath(os.path.join(package, "..", "..", "build")):
                env["HRM_BUILD_DIR"] = build   # the tree's build/ is found with no help (hrm/_source.py)
            code = "import hrm; print(hrm.library_path()); print(hrm.bundled_model('maze'))"
            out = subprocess.run([sys.executable, "-c", code], cwd=d, env=env, capture_output=True, text=True,
                                 check=True).stdout.split("\n")
            self.assertTrue(out[0].startswith(os.path.join(build, "lib")), out)
            self.assertTrue(out[1].endswith(os.path.join("models", "maze.safetensors")), out)


if __name__ == "__main__":
    unittest.main()
