// Reads a JS EngineSpec (src/backends/onednn/spec.ts) into SpecS, validating every field's type
// before touching it. Errors name the path, e.g. "ops[3].weights.data: expected a Float32Array".
#include "parse.h"

#include <cmath>

namespace optiflow {

namespace {

[[noreturn]] void bad(const std::string &path, const std::string &what) { throw SpecError(path + ": " + what); }

Napi::Value field(const Napi::Object &o, const char *name) { return o.Get(name); }

Napi::Object asObject(const Napi::Value &v, const std::string &path) {
  if (!v.IsObject() || v.IsArray()) bad(path, "expected an object");
  return v.As<Napi::Object>();
}

double asNumber(const Napi::Value &v, const std::string &path) {
  if (!v.IsNumber()) bad(path, "expected a number");
  return v.As<Napi::Number>().DoubleValue();
}

int64_t asInt(const Napi::Value &v, const std::string &path) {
  double d = asNumber(v, path);
  if (!std::isfinite(d) || std::floor(d) != d || std::fabs(d) > 9.0e15) bad(path, "expected an integer");
  return static_cast<int64_t>(d);
}

int asIndex(const Napi::Value &v, const std::string &path, size_t nTensors) {
  int64_t i = asInt(v, path);
  if (i < 0 || i >= static_cast<int64_t>(nTensors))
    bad(path, "tensor index " + std::to_string(i) + " out of range (0.." + std::to_string(nTensors) + ")");
  return static_cast<int>(i);
}

bool asBool(const Napi::Value &v, const std::string &path) {
  if (!v.IsBoolean()) bad(path, "expected a boolean");
  return v.As<Napi::Boolean>().Value();
}

std::string asString(const Napi::Value &v, const std::string &path) {
  if (!v.IsString()) bad(path, "expected a string");
  return v.As<Napi::String>().Utf8Value();
}

Napi::Array asArray(const Napi::Value &v, const std::string &path) {
  if (!v.IsArray()) bad(path, "expected an array");
  return v.As<Napi::Array>();
}

Dims asInts(const Napi::Value &v, const std::string &path) {
  Napi::Array a = asArray(v, path);
  Dims out(a.Length());
  for (uint32_t i = 0; i < a.Length(); ++i) out[i] = asInt(a.Get(i), path + "[" + std::to_string(i) + "]");
  return out;
}

ConstS asConst(const Napi::Value &v, const std::string &path) {
  Napi::Object o = asObject(v, path);
  ConstS c;
  c.present = true;
  c.dims = asInts(field(o, "dims"), path + ".dims");
  for (int64_t d : c.dims)
    if (d < 1) bad(path + ".dims", "dims must be >= 1");
  Napi::Value data = field(o, "data");
  const bool i8 = data.IsTypedArray() && data.As<Napi::TypedArray>().TypedArrayType() == napi_int8_array;
  if (!data.IsTypedArray() || (data.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array && !i8))
    bad(path + ".data", "expected a Float32Array (or an Int8Array for int8 weights)");
  int64_t n = 1;
  for (int64_t d : c.dims) n *= d;
  size_t len = data.As<Napi::TypedArray>().ElementLength();
  if (static_cast<int64_t>(len) != n)
    bad(path + ".data", "has " + std::to_string(len) + " elements, dims need " + std::to_string(n));
  if (i8) {
    Napi::Int8Array f = data.As<Napi::Int8Array>();
    c.data.assign(f.Data(), f.Data() + len);
  } else {
    Napi::Float32Array f = data.As<Napi::Float32Array>();
    c.data.assign(f.Data(), f.Data() + len);
  }
  return c;
}

ConstS optConst(const Napi::Object &o, const char *name, const std::string &path) {
  Napi::Value v = field(o, name);
  if (v.IsUndefined() || v.IsNull()) return ConstS{};
  return asConst(v, path + "." + name);
}

// A tensor index or an EngineConst.
void tensorOrConst(const Napi::Value &v, const std::string &path, size_t nT, int &t, ConstS &c) {
  if (v.IsNumber()) t = asIndex(v, path, nT);
  else c = asConst(v, path);
}

std::vector<PostOpS> asPostOps(const Napi::Object &o, const std::string &path, size_t nT) {
  std::vector<PostOpS> out;
  Napi::Value v = field(o, "postOps");
  if (v.IsUndefined()) return out;
  Napi::Array a = asArray(v, path + ".postOps");
  for (uint32_t i = 0; i < a.Length(); ++i) {
    const std::string p = path + ".postOps[" + std::to_string(i) + "]";
    Napi::Object po = asObject(a.Get(i), p);
    std::string kind = asString(field(po, "kind"), p + ".kind");
    PostOpS s;
    if (kind == "eltwise") {
      s.kind = PostOpS::Eltwise;
      s.alg = asString(field(po, "alg"), p + ".alg");
      s.alpha = static_cast<float>(asNumber(field(po, "alpha"), p + ".alpha"));
      s.beta = static_cast<float>(asNumber(field(po, "beta"), p + ".beta"));
      // optional: the eltwise result times `scale` (oneDNN 2.6 post-op eltwise scale; int8 residual fold)
      Napi::Value sc = field(po, "scale");
      if (!sc.IsUndefined()) s.scale = static_cast<float>(asNumber(sc, p + ".scale"));
    } else if (kind == "sum") {
      s.kind = PostOpS::Sum;
      s.tensor = asIndex(field(po, "tensor"), p + ".tensor", nT);
      s.scale = static_cast<float>(asNumber(field(po, "scale"), p + ".scale"));
      // int8: the sum operand's zero point.
      Napi::Value zp = field(po, "zeroPoint");
      if (!zp.IsUndefined()) {
        const double z = asNumber(zp, p + ".zeroPoint");
        if (!(z >= -128 && z <= 255) || z != static_cast<double>(static_cast<int32_t>(z))) bad(p + ".zeroPoint", "expected an integer in -128..255");
        s.zeroPoint = static_cast<int32_t>(z);
      }
    } else if (kind == "binary") {
      s.kind = PostOpS::Binary;
      s.alg = asString(field(po, "alg"), p + ".alg");
      s.tensor = asIndex(field(po, "tensor"), p + ".tensor", nT);
    } else {
      bad(p + ".kind", "unknown post-op kind '" + kind + "'");
    }
    out.push_back(s);
  }
  return out;
}

std::vector<float> asFloats(const Napi::Value &v, const std::string &path) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) bad(path, "expected a Float32Array");
  Napi::Float32Array f = v.As<Napi::Float32Array>();
  for (size_t i = 0; i < f.ElementLength(); ++i)
    if (!std::isfinite(f[i]) || !(f[i] > 0)) bad(path + "[" + std::to_string(i) + "]", "scales must be finite and > 0");
  return std::vector<float>(f.Data(), f.Data() + f.ElementLength());
}

int32_t asZp(const Napi::Value &v, const std::string &path) {
  if (v.IsUndefined()) return 0;
  int64_t z = asInt(v, path);
  if (z < -128 || z > 255) bad(path, "expected an 8-bit zero point (-128..255)");
  return static_cast<int32_t>(z);
}

// Optional int8 fields of conv/matmul: outputScales (present = int8 mode), srcZeroPoint, dstZeroPoint.
void parseInt8(const Napi::Object &o, const std::string &p, OpS &op) {
  Napi::Value sc = field(o, "outputScales");
  if (sc.IsUndefined()) return;
  op.int8 = true;
  op.outScales = asFloats(sc, p + ".outputScales");
  if (op.outScales.empty()) bad(p + ".outputScales", "expected at least one scale");
  op.srcZp = asZp(field(o, "srcZeroPoint"), p + ".srcZeroPoint");
  op.dstZp = asZp(field(o, "dstZeroPoint"), p + ".dstZeroPoint");
}

OpS asOp(const Napi::Object &o, const std::string &p, size_t nT) {
  OpS op;
  op.kind = asString(field(o, "kind"), p + ".kind");
  const std::string &k = op.kind;
  auto idx = [&](const char *n) { return asIndex(field(o, n), p + "." + n, nT); };
  auto ints = [&](const char *n) { return asInts(field(o, n), p + "." + n); };
  auto num = [&](const char *n) { return static_cast<float>(asNumber(field(o, n), p + "." + n)); };
  auto str = [&](const char *n) { return asString(field(o, n), p + "." + n); };
  if (k != "concat" && k != "matmul" && k != "binary") op.src = idx("src");
  op.dst = idx("dst");
  if (k == "conv") {
    op.weights = asConst(field(o, "weights"), p + ".weights");
    op.bias = optConst(o, "bias", p);
    op.strides = ints("strides");
    op.padsBegin = ints("padsBegin");
    op.padsEnd = ints("padsEnd");
    op.dilations = ints("dilations");
    op.groups = asInt(field(o, "groups"), p + ".groups");
    Napi::Value alg = field(o, "algorithm");
    if (!alg.IsUndefined()) {
      std::string a = asString(alg, p + ".algorithm");
      if (a != "direct" && a != "winograd") throw SpecError(p + ".algorithm: expected 'direct' or 'winograd', got '" + a + "'");
      op.winograd = a == "winograd";
    }
    Napi::Value lay = field(o, "layout");
    if (!lay.IsUndefined()) {
      std::string l = asString(lay, p + ".layout");
      if (l != "any" && l != "blocked16") throw SpecError(p + ".layout: expected 'any' or 'blocked16', got '" + l + "'");
      op.blocked = l == "blocked16";
    }
    Napi::Value po = field(o, "plainOutput");
    if (!po.IsUndefined()) op.plainOutput = asBool(po, p + ".plainOutput");
    op.postOps = asPostOps(o, p, nT);
    parseInt8(o, p, op);
    Napi::Value dw = field(o, "depthwise");
    if (!dw.IsUndefined()) {
      const std::string q = p + ".depthwise";
      Napi::Object d = asObject(dw, q);
      op.dw = true;
      op.dwWeights = asConst(field(d, "weights"), q + ".weights");
      op.dwBias = optConst(d, "bias", q);
      op.dwStride = asInt(field(d, "stride"), q + ".stride");
      op.dwPostOps = asPostOps(d, q, nT);
    }
  } else if (k == "matmul") {
    op.a = idx("a");
    tensorOrConst(field(o, "b"), p + ".b", nT, op.b, op.bC);
    Napi::Value bt = field(o, "bTransposed");
    if (!bt.IsUndefined()) op.bTransposed = asBool(bt, p + ".bTransposed");
    op.bias = optConst(o, "bias", p);
    op.postOps = asPostOps(o, p, nT);
    parseInt8(o, p, op);
  } else if (k == "quantize" || k == "dequantize") {
    op.scales = asFloats(field(o, "scales"), p + ".scales");
    if (op.scales.empty()) bad(p + ".scales", "expected at least one scale");
    op.zeroPoint = asZp(field(o, "zeroPoint"), p + ".zeroPoint");
    Napi::Value ax = field(o, "axis");
    if (!ax.IsUndefined()) op.axis = asInt(ax, p + ".axis");
  } else if (k == "pool") {
    op.alg = str("alg");
    op.kernel = ints("kernel");
    op.strides = ints("strides");
    op.padsBegin = ints("padsBegin");
    op.padsEnd = ints("padsEnd");
  } else if (k == "eltwise") {
    op.alg = str("alg");
    op.alpha = num("alpha");
    op.beta = num("beta");
  } else if (k == "binary") {
    op.alg = str("alg");
    tensorOrConst(field(o, "a"), p + ".a", nT, op.a, op.aC);
    tensorOrConst(field(o, "b"), p + ".b", nT, op.b, op.bC);
    op.postOps = asPostOps(o, p, nT);
    Napi::Value ss = field(o, "srcScales");
    if (!ss.IsUndefined()) {
      Napi::Array a = asArray(ss, p + ".srcScales");
      if (a.Length() != 2) bad(p + ".srcScales", "expected [scale of a, scale of b]");
      for (uint32_t i = 0; i < 2; ++i) op.srcScales.push_back(static_cast<float>(asNumber(a.Get(i), p + ".srcScales[" + std::to_string(i) + "]")));
    }
  } else if (k == "softmax") {
    op.axis = asInt(field(o, "axis"), p + ".axis");
    op.log = asBool(field(o, "log"), p + ".log");
  } else if (k == "layernorm") {
    op.scale = asConst(field(o, "scale"), p + ".scale");
    op.shift = asConst(field(o, "shift"), p + ".shift");
    op.epsilon = num("epsilon");
    op.postOps = asPostOps(o, p, nT);
  } else if (k == "batchnorm") {
    op.mean = asConst(field(o, "mean"), p + ".mean");
    op.variance = asConst(field(o, "variance"), p + ".variance");
    op.scale = asConst(field(o, "scale"), p + ".scale");
    op.shift = asConst(field(o, "shift"), p + ".shift");
    op.epsilon = num("epsilon");
    op.postOps = asPostOps(o, p, nT);
  } else if (k == "concat") {
    Dims s = ints("srcs");
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] < 0 || s[i] >= static_cast<int64_t>(nT)) bad(p + ".srcs[" + std::to_string(i) + "]", "tensor index out of range");
      op.srcs.push_back(static_cast<int>(s[i]));
    }
    op.axis = asInt(field(o, "axis"), p + ".axis");
  } else if (k == "transpose") {
    op.perm = ints("perm");
  } else if (k == "reduce") {
    op.alg = str("alg");
  } else if (k != "reshape") {
    bad(p + ".kind", "unknown op kind '" + k + "'");
  }
  return op;
}

}  // namespace

SpecS parseSpec(const Napi::Value &v) {
  Napi::Object o = asObject(v, "spec");
  SpecS s;
  Napi::Array ts = asArray(field(o, "tensors"), "spec.tensors");
  for (uint32_t i = 0; i < ts.Length(); ++i) {
    const std::string p = "spec.tensors[" + std::to_string(i) + "]";
    Napi::Object t = asObject(ts.Get(i), p);
    TensorS tt;
    tt.dims = asInts(field(t, "dims"), p + ".dims");
    if (tt.dims.size() > 6) bad(p + ".dims", "rank above 6 is not supported");
    for (int64_t d : tt.dims)
      if (d < 1) bad(p + ".dims", "dims must be >= 1 (empty tensors are not supported)");
    std::string d = asString(field(t, "dtype"), p + ".dtype");
    if (d != "f32" && d != "s32" && d != "u8" && d != "s8") bad(p + ".dtype", "expected 'f32', 's32', 'u8' or 's8'");
    tt.s32 = d == "s32";
    tt.q8 = d == "u8" ? 1 : d == "s8" ? 2 : 0;
    s.tensors.push_back(tt);
  }
  const size_t nT = s.tensors.size();
  for (const char *name : {"inputs", "outputs"}) {
    Napi::Array a = asArray(field(o, name), std::string("spec.") + name);
    auto &dst = std::string(name) == "inputs" ? s.inputs : s.outputs;
    for (uint32_t i = 0; i < a.Length(); ++i)
      dst.push_back(asIndex(a.Get(i), std::string("spec.") + name + "[" + std::to_string(i) + "]", nT));
  }
  Napi::Array ops = asArray(field(o, "ops"), "spec.ops");
  for (uint32_t i = 0; i < ops.Length(); ++i) {
    const std::string p = "spec.ops[" + std::to_string(i) + "]";
    s.ops.push_back(asOp(asObject(ops.Get(i), p), p, nT));
  }
  std::string prec = asString(field(o, "precision"), "spec.precision");
  if (prec != "fp32" && prec != "bf16") bad("spec.precision", "expected 'fp32' or 'bf16'");
  s.bf16 = prec == "bf16";
  int64_t th = asInt(field(o, "threads"), "spec.threads");
  if (th < 0 || th > 1024) bad("spec.threads", "expected 0..1024");
  s.threads = static_cast<int>(th);
  return s;
}

}  // namespace optiflow
