"""Writes the small torch.save fixtures used by test_formats.cpp (run with a Python that has torch;
the files are committed, the tests do not need Python):
  tiny_state_dict.pt   OrderedDict of tensors: fp32, bf16, int64, a transposed (strided) view,
                       a view with a storage offset, a 0-d tensor; keys carry the
                       "_orig_mod.model." prefix like the reference checkpoints (spec 6.2)
  nested_dict.pt       {"model": {...}, "step": 3}: a pickle that is not a state dict
  custom_object.pt     a pickled instance of a user class (GLOBAL __main__.Foo): must be refused
  tiny_state_dict_zip64.pt  tiny_state_dict.pt with a zip64 central directory (sizes and offsets
                       0xFFFFFFFF in the entries, real values in zip64 extra fields, zip64
                       end-of-central-directory record and locator), as torch.save writes for
                       checkpoints over 4 GB (ARC-2 is 2.2 GB, so this is the only way to test it)
Values are deterministic formulas so the C++ test can check them without numpy.
"""
import collections

import torch


def tiny():
    sd = collections.OrderedDict()
    sd["_orig_mod.model.inner.w"] = torch.arange(6, dtype=torch.float32).reshape(2, 3) * 0.5
    sd["_orig_mod.model.inner.H_init"] = torch.tensor([1.0, -2.0, 0.5, 3.0], dtype=torch.bfloat16)
    sd["_orig_mod.model.inner.ids"] = torch.arange(5, dtype=torch.int64) - 2
    base = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    sd["_orig_mod.model.inner.t"] = base.t()                 # [4, 3], strides (1, 4)
    sd["_orig_mod.model.inner.slice"] = base[1]              # offset 4: [4, 5, 6, 7]
    sd["_orig_mod.model.inner.scalar"] = torch.tensor(7.25)  # 0-d
    return sd


class Foo:
    def __init__(self):
        self.x = 1


def zip64_copy(src, dst):
    """Rewrite src's central directory in zip64 form (APPNOTE 4.3.14, 4.5.3); data untouched."""
    import struct
    import zipfile

    data = open(src, "rb").read()
    infos = zipfile.ZipFile(src).infolist()
    cd = b""
    for i in infos:
        name = i.filename.encode()
        extra = struct.pack("<HHQQQ", 0x0001, 24, i.file_size, i.compress_size, i.header_offset)
        cd += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, 0, 0, 0, i.CRC,
                          0xFFFFFFFF, 0xFFFFFFFF, len(name), len(extra), 0, 0, 0, 0, 0xFFFFFFFF)
        cd += name + extra
    cd_off = max(i.header_offset for i in infos)
    last = max(infos, key=lambda i: i.header_offset)
    # End of the last entry's data: local header (30 + name + extra) + data.
    n_len, x_len = struct.unpack("<HH", data[cd_off + 26:cd_off + 30])
    cd_off = cd_off + 30 + n_len + x_len + last.compress_size
    body = data[:cd_off]
    z64 = struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, len(infos), len(infos), len(cd), cd_off)
    loc = struct.pack("<IIQI", 0x07064B50, 0, cd_off + len(cd), 1)
    eocd = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    open(dst, "wb").write(body + cd + z64 + loc + eocd)


if __name__ == "__main__":
    torch.save(tiny(), "tiny_state_dict.pt")
    torch.save({"model": {"w": torch.zeros(2)}, "step": 3}, "nested_dict.pt")
    torch.save(Foo(), "custom_object.pt")
    zip64_copy("tiny_state_dict.pt", "tiny_state_dict_zip64.pt")
