#include "hrm/common/torch_zip.hpp"

#include "hrm/common/checked.hpp"

#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <variant>

namespace hrm::common {

// ------------------------------------------------------------------------------------------------
// Zip central directory (APPNOTE.TXT 4.3.12-4.3.16, zip64 4.3.14/4.5.3)
// ------------------------------------------------------------------------------------------------
namespace {

std::uint64_t rd(const std::uint8_t *p, int n) {
    std::uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | p[i];
    return v;
}

struct ZipIndex {
    std::vector<ZipEntry> entries;
};

ZipIndex read_central_directory(const MappedFile &f) {
    const std::string &path = f.path();
    const std::uint8_t *p = f.data();
    const std::uint64_t size = f.size();
    if (size < 22) fail(HRM_E_FORMAT, path + ": not a zip archive (too small)");
    // The end-of-central-directory record sits in the last 22 + 65535 (comment) bytes.
    std::uint64_t eocd = UINT64_MAX;
    const std::uint64_t lo = size > 22 + 65535 ? size - 22 - 65535 : 0;
    for (std::uint64_t i = size - 22 + 1; i-- > lo;)
        if (rd(p + i, 4) == 0x06054b50) { eocd = i; break; }
    if (eocd == UINT64_MAX) fail(HRM_E_FORMAT, path + ": not a zip archive (no end-of-central-directory record; truncated?)");
    std::uint64_t n_entries = rd(p + eocd + 10, 2);
    std::uint64_t cd_size = rd(p + eocd + 12, 4);
    std::uint64_t cd_off = rd(p + eocd + 16, 4);
    // Zip64: a locator right before the EOCD points at the zip64 EOCD record.
    if (eocd >= 20 && rd(p + eocd - 20, 4) == 0x07064b50) {
        std::uint64_t z64 = rd(p + eocd - 20 + 8, 8);
        // Written as z64 > size - 56 so that a locator offset near 2^64 cannot wrap past the check.
        if (size < 56 || z64 > size - 56 || rd(p + z64, 4) != 0x06064b50) fail(HRM_E_FORMAT, path + ": bad zip64 end-of-central-directory record");
        n_entries = rd(p + z64 + 32, 8);
        cd_size = rd(p + z64 + 40, 8);
        cd_off = rd(p + z64 + 48, 8);
    }
    if (cd_off > size || cd_size > size - cd_off) fail(HRM_E_FORMAT, path + ": central directory out of range (truncated file?)");
    ZipIndex idx;
    std::uint64_t pos = cd_off;
    for (std::uint64_t e = 0; e < n_entries; ++e) {
        if (pos + 46 > cd_off + cd_size || rd(p + pos, 4) != 0x02014b50)
            fail(HRM_E_FORMAT, path + ": corrupt central directory entry " + std::to_string(e));
        ZipEntry z;
        z.method = std::uint16_t(rd(p + pos + 10, 2));
        z.compressed_size = rd(p + pos + 20, 4);
        z.size = rd(p + pos + 24, 4);
        const std::uint64_t name_len = rd(p + pos + 28, 2), extra_len = rd(p + pos + 30, 2), comment_len = rd(p + pos + 32, 2);
        z.local_header_offset = rd(p + pos + 42, 4);
        if (pos + 46 + name_len + extra_len + comment_len > cd_off + cd_size)
            fail(HRM_E_FORMAT, path + ": corrupt central directory entry " + std::to_string(e));
        z.name.assign(reinterpret_cast<const char *>(p + pos + 46), name_len);
        // Zip64 extended information: present fields replace the 0xFFFFFFFF ones, in this order.
        const std::uint8_t *x = p + pos + 46 + name_len, *xend = x + extra_len;
        while (x + 4 <= xend) {
            const std::uint64_t id = rd(x, 2), len = rd(x + 2, 2);
            if (x + 4 + len > xend) break;
            if (id == 0x0001) {
                const std::uint8_t *q = x + 4, *qend = q + len;
                auto take = [&](std::uint64_t &field) {
                    if (field == 0xFFFFFFFFu) {
                        if (q + 8 > qend) fail(HRM_E_FORMAT, path + ": bad zip64 extra field of " + z.name);
                        field = rd(q, 8);
                        q += 8;
                    }
                };
                take(z.size);
                take(z.compressed_size);
                take(z.local_header_offset);
            }
            x += 4 + len;
        }
        idx.entries.push_back(std::move(z));
        pos += 46 + name_len + extra_len + comment_len;
    }
    return idx;
}

// The bytes of a stored entry (zero-copy into the map).
std::pair<const std::uint8_t *, std::uint64_t> entry_data(const MappedFile &f, const ZipEntry &z) {
    const std::string &path = f.path();
    if (z.method != 0)
        fail(HRM_E_UNSUPPORTED, path + ": zip entry " + z.name + " is compressed (method " + std::to_string(z.method) +
                                    "); torch.save writes stored entries only");
    const std::uint64_t off = z.local_header_offset;
    if (f.size() < 30 || off > f.size() - 30 || rd(f.data() + off, 4) != 0x04034b50)   // no wrap for off near 2^64
        fail(HRM_E_FORMAT, path + ": bad local header for zip entry " + z.name);
    const std::uint64_t start = off + 30 + rd(f.data() + off + 26, 2) + rd(f.data() + off + 28, 2);
    if (start > f.size() || z.size > f.size() - start)
        fail(HRM_E_FORMAT, path + ": zip entry " + z.name + " extends past the end of the file (truncated?)");
    return {f.data() + start, z.size};
}

// ------------------------------------------------------------------------------------------------
// Minimal pickle VM (Lib/pickletools.py documents every opcode)
// ------------------------------------------------------------------------------------------------
struct Obj;
using ObjPtr = std::shared_ptr<Obj>;

struct Global { std::string module, name; };
struct Storage { DType dtype; std::string key; std::int64_t numel; };
struct Tuple { std::vector<ObjPtr> items; };
struct List { std::vector<ObjPtr> items; };
struct Dict { std::vector<std::pair<ObjPtr, ObjPtr>> items; };
struct Tensor { std::size_t index; };   // into the output vector
struct None {};
struct Mark {};

struct Obj {
    std::variant<None, bool, std::int64_t, double, std::string, Tuple, List, Dict, Global, Storage, Tensor, Mark> v;
    ~Obj();
};

// Moves the children of o out into `into`.
void take_children(Obj &o, std::vector<ObjPtr> &into) {
    auto take = [&](std::vector<ObjPtr> &items) {
        for (auto &c : items) into.push_back(std::move(c));
        items.clear();
    };
    if (auto *t = std::get_if<Tuple>(&o.v)) take(t->items);
    if (auto *l = std::get_if<List>(&o.v)) take(l->items);
    if (auto *d = std::get_if<Dict>(&o.v)) {
        for (auto &[k, v] : d->items) into.push_back(std::move(k)), into.push_back(std::move(v));
        d->items.clear();
    }
}

// Destroys nested containers with a worklist instead of recursion: a pickle of 10^6 nested lists
// overflowed the stack in the recursive destructor (issue #24).
Obj::~Obj() {
    std::vector<ObjPtr> pending;
    take_children(*this, pending);
    while (!pending.empty()) {
        ObjPtr o = std::move(pending.back());
        pending.pop_back();
        if (o && o.use_count() == 1) take_children(*o, pending);   // o dies below with no children left
    }
}

template <class T>
ObjPtr make(T x) {
    auto o = std::make_shared<Obj>();
    o->v = std::move(x);
    return o;
}

const std::map<std::string, DType> &storage_types() {
    static const std::map<std::string, DType> m = {
        {"FloatStorage", DType::F32}, {"DoubleStorage", DType::F64}, {"BFloat16Storage", DType::BF16},
        {"IntStorage", DType::I32},   {"LongStorage", DType::I64},   {"ByteStorage", DType::U8},
        {"BoolStorage", DType::BOOL}};
    return m;
}

class Unpickler {
public:
    Unpickler(const MappedFile &f, const ZipIndex &idx, const std::string &root, std::vector<TorchTensor> &out)
        : f_(f), idx_(idx), root_(root), out_(out) {}

    ObjPtr run(const std::uint8_t *p, std::size_t n) {
        p_ = p;
        n_ = n;
        for (;;) {
            const std::uint8_t op = byte();
            switch (op) {
                case 0x80: byte(); break;                                   // PROTO
                case 0x95: bytes(8); break;                                 // FRAME (protocol 4)
                case '.': {                                                 // STOP
                    if (stack_.size() != 1) error("unbalanced stack at STOP");
                    return stack_.back();
                }
                case '(': stack_.push_back(make(Mark{})); break;            // MARK
                case ')': stack_.push_back(make(Tuple{})); break;           // EMPTY_TUPLE
                case ']': stack_.push_back(make(List{})); break;            // EMPTY_LIST
                case '}': stack_.push_back(make(Dict{})); break;            // EMPTY_DICT
                case 'N': stack_.push_back(make(None{})); break;
                case 0x88: stack_.push_back(make(true)); break;             // NEWTRUE
                case 0x89: stack_.push_back(make(false)); break;            // NEWFALSE
                case 'K': stack_.push_back(make(std::int64_t(byte()))); break;              // BININT1
                case 'M': stack_.push_back(make(std::int64_t(uint(2)))); break;             // BININT2
                case 'J': stack_.push_back(make(std::int64_t(std::int32_t(uint(4))))); break; // BININT
                case 0x8a: {                                                // LONG1
                    const std::size_t len = byte();
                    if (len > 8) error("integer too large");
                    const std::uint8_t *b = bytes(len);
                    std::uint64_t v = 0;
                    for (std::size_t i = len; i-- > 0;) v = (v << 8) | b[i];
                    if (len > 0 && len < 8 && (b[len - 1] & 0x80)) v |= ~std::uint64_t(0) << (8 * len);   // sign-extend
                    stack_.push_back(make(std::int64_t(v)));
                    break;
                }
                case 'G': {                                                 // BINFLOAT (big-endian)
                    const std::uint8_t *b = bytes(8);
                    std::uint64_t u = 0;
                    for (int i = 0; i < 8; ++i) u = (u << 8) | b[i];
                    double d;
                    std::memcpy(&d, &u, 8);
                    stack_.push_back(make(d));
                    break;
                }
                case 'X': { const std::size_t len = uint(4); stack_.push_back(make(str(len))); break; }   // BINUNICODE
                case 0x8c: { const std::size_t len = byte(); stack_.push_back(make(str(len))); break; }  // SHORT_BINUNICODE
                case 'T': { const std::size_t len = uint(4); stack_.push_back(make(str(len))); break; }   // BINSTRING
                case 'U': { const std::size_t len = byte(); stack_.push_back(make(str(len))); break; }    // SHORT_BINSTRING
                case 'q': memo_[byte()] = top(); break;                     // BINPUT
                case 'r': memo_[uint(4)] = top(); break;                    // LONG_BINPUT
                case 0x94: memo_[memo_.size()] = top(); break;              // MEMOIZE
                case 'h': stack_.push_back(memo(byte())); break;            // BINGET
                case 'j': stack_.push_back(memo(uint(4))); break;           // LONG_BINGET
                case 't': { auto items = pop_mark(); stack_.push_back(make(Tuple{std::move(items)})); break; }
                case 0x85: { auto a = pop(); stack_.push_back(make(Tuple{{a}})); break; }
                case 0x86: { auto b = pop(), a = pop(); stack_.push_back(make(Tuple{{a, b}})); break; }
                case 0x87: { auto c = pop(), b = pop(), a = pop(); stack_.push_back(make(Tuple{{a, b, c}})); break; }
                case 'a': { auto v = pop(); as<List>(top(), "APPEND target").items.push_back(v); break; }
                case 'e': {                                                 // APPENDS
                    auto items = pop_mark();
                    auto &l = as<List>(top(), "APPENDS target");
                    l.items.insert(l.items.end(), items.begin(), items.end());
                    break;
                }
                case 's': { auto v = pop(), k = pop(); as<Dict>(top(), "SETITEM target").items.emplace_back(k, v); break; }
                case 'u': {                                                 // SETITEMS
                    auto items = pop_mark();
                    if (items.size() % 2) error("odd number of items in SETITEMS");
                    auto &d = as<Dict>(top(), "SETITEMS target");
                    for (std::size_t i = 0; i < items.size(); i += 2) d.items.emplace_back(items[i], items[i + 1]);
                    break;
                }
                case 'c': {                                                 // GLOBAL
                    std::string module = line(), name = line();
                    check_global(module, name);
                    stack_.push_back(make(Global{module, name}));
                    break;
                }
                case 0x93: {                                                // STACK_GLOBAL (protocol 4)
                    auto name = pop(), module = pop();
                    Global g{as<std::string>(module, "STACK_GLOBAL module"), as<std::string>(name, "STACK_GLOBAL name")};
                    check_global(g.module, g.name);
                    stack_.push_back(make(g));
                    break;
                }
                case 'Q': stack_.push_back(persistent_load(pop())); break;  // BINPERSID
                case 'R': { auto args = pop(), fn = pop(); stack_.push_back(reduce(fn, args)); break; }
                case 'b': {                                                 // BUILD
                    // Only OrderedDict state (the state dict's `_metadata` attribute) is expected;
                    // it carries no tensors, so it is dropped.
                    auto state = pop();
                    if (!std::holds_alternative<Dict>(top()->v)) error("BUILD on an object that is not a dict");
                    (void)state;
                    break;
                }
                default: {
                    char hex[8];
                    std::snprintf(hex, sizeof hex, "0x%02x", op);
                    error(std::string("unsupported pickle opcode ") + hex + " (not a plain state dict of tensors)");
                }
            }
        }
    }

private:
    const MappedFile &f_;
    const ZipIndex &idx_;
    std::string root_;
    std::vector<TorchTensor> &out_;
    const std::uint8_t *p_ = nullptr;
    std::size_t n_ = 0, pos_ = 0;
    std::vector<ObjPtr> stack_;
    std::map<std::size_t, ObjPtr> memo_;
    std::uint64_t copied_ = 0;   // bytes of all tensors so far

    [[noreturn]] void error(const std::string &m) const {
        fail(HRM_E_FORMAT, f_.path() + ": data.pkl at byte " + std::to_string(pos_) + ": " + m);
    }
    std::uint8_t byte() {
        if (pos_ >= n_) error("unexpected end of pickle (truncated?)");
        return p_[pos_++];
    }
    const std::uint8_t *bytes(std::size_t k) {
        if (k > n_ - pos_) error("unexpected end of pickle (truncated?)");
        const std::uint8_t *b = p_ + pos_;
        pos_ += k;
        return b;
    }
    std::uint64_t uint(int k) { return rd(bytes(std::size_t(k)), k); }
    std::string str(std::size_t k) { return std::string(reinterpret_cast<const char *>(bytes(k)), k); }
    std::string line() {
        std::string s;
        for (char c; (c = char(byte())) != '\n';) s += c;
        return s;
    }
    ObjPtr pop() {
        if (stack_.empty() || std::holds_alternative<Mark>(stack_.back()->v)) error("stack underflow");
        ObjPtr o = stack_.back();
        stack_.pop_back();
        return o;
    }
    ObjPtr top() {
        if (stack_.empty()) error("stack underflow");
        return stack_.back();
    }
    ObjPtr memo(std::size_t i) {
        auto it = memo_.find(i);
        if (it == memo_.end()) error("memo key " + std::to_string(i) + " not found");
        return it->second;
    }
    std::vector<ObjPtr> pop_mark() {
        std::vector<ObjPtr> items;
        for (;;) {
            if (stack_.empty()) error("MARK not found");
            ObjPtr o = stack_.back();
            stack_.pop_back();
            if (std::holds_alternative<Mark>(o->v)) break;
            items.push_back(o);
        }
        return {items.rbegin(), items.rend()};
    }
    template <class T>
    T &as(const ObjPtr &o, const char *what) {
        if (!std::holds_alternative<T>(o->v)) error(std::string(what) + " has an unexpected type");
        return std::get<T>(o->v);
    }
    std::int64_t as_int(const ObjPtr &o, const char *what) { return as<std::int64_t>(o, what); }

    void check_global(const std::string &module, const std::string &name) {
        const bool ok = (module == "collections" && name == "OrderedDict") ||
                        (module == "torch._utils" && name == "_rebuild_tensor_v2") ||
                        (module == "torch" && storage_types().count(name));
        if (!ok)
            error("refusing global " + module + "." + name +
                  ": only plain state dicts of tensors are supported (OrderedDict, _rebuild_tensor_v2, torch.*Storage)");
    }

    // ('storage', torch.<T>Storage, key, location, numel)
    ObjPtr persistent_load(const ObjPtr &pid) {
        auto &t = as<Tuple>(pid, "persistent id");
        if (t.items.size() != 5 || as<std::string>(t.items[0], "persistent id tag") != "storage")
            error("unsupported persistent id (expected a ('storage', type, key, location, numel) tuple)");
        const Global &g = as<Global>(t.items[1], "storage type");
        auto it = storage_types().find(g.name);
        if (g.module != "torch" || it == storage_types().end()) error("unsupported storage type " + g.module + "." + g.name);
        return make(Storage{it->second, as<std::string>(t.items[2], "storage key"), as_int(t.items[4], "storage size")});
    }

    ObjPtr reduce(const ObjPtr &fn, const ObjPtr &args) {
        const Global &g = as<Global>(fn, "REDUCE callable");
        auto &a = as<Tuple>(args, "REDUCE arguments").items;
        if (g.module == "collections" && g.name == "OrderedDict") {
            if (!a.empty()) error("OrderedDict with constructor arguments is not supported");
            return make(Dict{});
        }
        if (g.module == "torch._utils" && g.name == "_rebuild_tensor_v2") return rebuild_tensor(a);
        error("cannot call " + g.module + "." + g.name);
    }

    // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
    ObjPtr rebuild_tensor(const std::vector<ObjPtr> &a) {
        if (a.size() < 6) error("_rebuild_tensor_v2 with " + std::to_string(a.size()) + " arguments");
        const Storage &s = as<Storage>(a[0], "tensor storage");
        const std::int64_t offset = as_int(a[1], "storage offset");
        std::vector<std::int64_t> shape, stride;
        for (const auto &d : as<Tuple>(a[2], "tensor size").items) shape.push_back(as_int(d, "tensor size"));
        for (const auto &d : as<Tuple>(a[3], "tensor stride").items) stride.push_back(as_int(d, "tensor stride"));
        if (shape.size() != stride.size()) error("size and stride have different lengths");

        const std::string entry = root_ + "/data/" + s.key;
        const ZipEntry *z = nullptr;
        for (const auto &e : idx_.entries)
            if (e.name == entry) z = &e;
        if (!z) error("storage " + entry + " is missing from the archive");
        auto [data, nbytes] = entry_data(f_, *z);
        const std::size_t es = dtype_size(s.dtype);
        // numel * es is checked for overflow: wrapped to 0 it once passed and a 184 MB memcpy read
        // outside the file (issue #24).
        if (s.numel < 0 || checked_mul(std::uint64_t(s.numel), es, "storage " + entry) > nbytes)
            error("storage " + entry + " has " + std::to_string(nbytes) + " bytes, fewer than its " + std::to_string(s.numel) + " elements");

        TorchTensor t;
        t.dtype = s.dtype;
        t.shape = shape;
        // A state-dict tensor never has more elements than its storage (no expanded views); this
        // also bounds the allocation below whatever a corrupt pickle says.
        // The whole product first: a zero dimension anywhere makes an empty tensor, whatever the others.
        for (auto d : shape)
            if (d < 0) error("negative tensor size");
        const std::uint64_t count = checked_numel(shape, es, "tensor shape in " + entry);
        if (count > std::uint64_t(s.numel)) error("tensor of shape with more elements than its storage " + entry);
        const std::int64_t n = std::int64_t(count);   // <= s.numel: fits
        // All tensors together cannot hold more bytes than the file: many tensors viewing one
        // storage made a 4.6 MB file ask for 12 GB (issue #24).
        copied_ = checked_add(copied_, std::uint64_t(n) * es, "tensor " + entry);
        if (copied_ > f_.size())
            error("the tensors ask for more bytes (" + std::to_string(copied_) + ") than the file holds (" +
                  std::to_string(f_.size()) + "): views sharing storages are not supported");
        t.bytes.resize(std::size_t(n) * es);
        if (n == 0) {
            out_.push_back(std::move(t));
            return make(Tensor{out_.size() - 1});
        }
        // Contiguous tensors (every parameter of a state dict) are one memcpy.
        bool contiguous = true;
        std::int64_t expect = 1;
        for (std::size_t d = shape.size(); d-- > 0;) {
            if (shape[d] != 1 && stride[d] != expect) contiguous = false;
            expect *= shape[d];
        }
        if (contiguous) {
            // offset > numel - n, not offset + n > numel: the sum can overflow (and did, issue #24).
            if (offset < 0 || offset > s.numel - n) error("tensor view reaches outside its storage " + entry);
            std::memcpy(t.bytes.data(), data + std::size_t(offset) * es, t.bytes.size());
            out_.push_back(std::move(t));
            return make(Tensor{out_.size() - 1});
        }
        // Otherwise copy element by element following the strides (handles views/transposes); every element
        // index is checked against the storage size.
        std::vector<std::int64_t> idx(shape.size(), 0);
        for (std::int64_t i = 0; i < n; ++i) {
            std::int64_t src = offset;
            for (std::size_t d = 0; d < shape.size(); ++d) {
                std::int64_t step;
                if (__builtin_mul_overflow(idx[d], stride[d], &step) || __builtin_add_overflow(src, step, &src))
                    error("tensor view reaches outside its storage " + entry);
            }
            if (src < 0 || src >= s.numel) error("tensor view reaches outside its storage " + entry);
            std::memcpy(t.bytes.data() + std::size_t(i) * es, data + std::size_t(src) * es, es);
            for (std::size_t d = shape.size(); d-- > 0;) {
                if (++idx[d] < shape[d]) break;
                idx[d] = 0;
            }
        }
        out_.push_back(std::move(t));
        return make(Tensor{out_.size() - 1});
    }
};

}  // namespace

std::vector<ZipEntry> list_zip(const std::string &path) {
    MappedFile f(path);
    return read_central_directory(f).entries;
}

std::vector<TorchTensor> read_torch_state_dict(const std::string &path) {
    MappedFile f(path);
    ZipIndex idx = read_central_directory(f);
    const ZipEntry *pkl = nullptr;
    for (const auto &e : idx.entries) {
        const auto slash = e.name.find('/');
        if (slash != std::string::npos && e.name.substr(slash) == "/data.pkl") { pkl = &e; break; }
    }
    if (!pkl) fail(HRM_E_FORMAT, path + ": no <root>/data.pkl in the archive (not a torch.save zip checkpoint)");
    const std::string root = pkl->name.substr(0, pkl->name.find('/'));
    auto [data, n] = entry_data(f, *pkl);

    std::vector<TorchTensor> tensors;
    Unpickler vm(f, idx, root, tensors);
    ObjPtr result = vm.run(data, std::size_t(n));

    // The result must be a dict of str -> tensor; order is the dict's insertion order.
    if (!std::holds_alternative<Dict>(result->v))
        fail(HRM_E_FORMAT, path + ": the pickle is not a state dict (top-level object is not a dict)");
    std::vector<TorchTensor> out;
    std::vector<bool> moved(tensors.size(), false);
    for (const auto &[k, v] : std::get<Dict>(result->v).items) {
        if (!std::holds_alternative<std::string>(k->v))
            fail(HRM_E_FORMAT, path + ": the pickle is not a state dict (non-string key)");
        const std::string &key = std::get<std::string>(k->v);
        if (!std::holds_alternative<Tensor>(v->v))
            fail(HRM_E_FORMAT, path + ": the pickle is not a state dict: value of \"" + key + "\" is not a tensor");
        // The same tensor object under two keys (tied weights) does not occur in HRM checkpoints.
        const std::size_t i = std::get<Tensor>(v->v).index;
        if (moved[i])
            fail(HRM_E_FORMAT, path + ": tensor \"" + key + "\" is the same object as an earlier key (tied weights are not supported)");
        moved[i] = true;
        TorchTensor t = std::move(tensors[i]);
        t.name = key;
        out.push_back(std::move(t));
    }
    return out;
}

}  // namespace hrm::common
