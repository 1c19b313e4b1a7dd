"""Writes the small torch.save fixtures used by test_formats.cpp (run with a Python that has torch;
the files are committed, the tests do not need Python):
  tiny_state_dict.pt   OrderedDict of tensors: fp32, bf16, int64, a transposed (strided) view,
                       a view with a storage offset, a 0-d tensor; keys carry the
                       "_orig_mod.model." prefix like the reference checkpoints (spec 6.2)
  nested_dict.pt       {"model": {...}, "step": 3}: a pickle that is not a state dict
  custom_object.pt     a pickled instance of a user class (GLOBAL __main__.Foo): must be refused
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


if __name__ == "__main__":
    torch.save(tiny(), "tiny_state_dict.pt")
    torch.save({"model": {"w": torch.zeros(2)}, "step": 3}, "nested_dict.pt")
    torch.save(Foo(), "custom_object.pt")
