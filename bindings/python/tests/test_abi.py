"""The ctypes mirrors (hrm/_abi.py) against the C compiler's layout (abi_layout.c)."""
import ctypes
import json
import os
import subprocess
import unittest

import support  # noqa: F401  (puts the source tree's package first)
from hrm import _abi


@unittest.skipUnless(os.environ.get("HRM_ABI_LAYOUT"), "HRM_ABI_LAYOUT (the abi_layout program) is not set")
class AbiLayoutTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        out = subprocess.run([os.environ["HRM_ABI_LAYOUT"]], check=True, capture_output=True, text=True).stdout
        cls.layout = json.loads(out)

    def test_every_mirror_is_checked(self):
        self.assertEqual(sorted(_abi.MIRRORS), sorted(self.layout["structs"]))

    def test_struct_layouts_match(self):
        for name, c in self.layout["structs"].items():
            mirror = _abi.MIRRORS[name]
            with self.subTest(struct=name):
                self.assertEqual(ctypes.sizeof(mirror), c["size"], "sizeof")
                self.assertEqual(ctypes.alignment(mirror), c["align"], "alignment")
                fields = [f[0] for f in mirror._fields_]
                self.assertEqual(fields, list(c["members"]), "members and their order")
                for member, offset in c["members"].items():
                    self.assertEqual(getattr(mirror, member).offset, offset, "offsetof %s" % member)

    def test_constants_match(self):
        for name, value in self.layout["constants"].items():
            with self.subTest(constant=name):
                ours = {"HRM_ABI_MAJOR": _abi.ABI_MAJOR, "HRM_API_VERSION": _abi.API_VERSION}.get(name)
                self.assertEqual(ours if ours is not None else getattr(_abi, name), value)


if __name__ == "__main__":
    unittest.main()
