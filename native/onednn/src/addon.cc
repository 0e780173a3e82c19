// Node-API surface of the optiflow oneDNN addon: info(), createEngine(spec) -> { run, dispose }.
// run() executes on a libuv worker thread (Napi::AsyncWorker) and returns a Promise.
#include <napi.h>

#include <memory>
#include <string>
#include <vector>

#include "engine.h"
#include "parse.h"

namespace optiflow {

namespace {

std::string isaName(dnnl::cpu_isa isa) {
  switch (isa) {
    case dnnl::cpu_isa::sse41: return "sse41";
    case dnnl::cpu_isa::avx: return "avx";
    case dnnl::cpu_isa::avx2: return "avx2";
    case dnnl::cpu_isa::avx2_vnni: return "avx2_vnni";
    case dnnl::cpu_isa::avx512_mic: return "avx512_mic";
    case dnnl::cpu_isa::avx512_mic_4ops: return "avx512_mic_4ops";
    case dnnl::cpu_isa::avx512_core: return "avx512_core";
    case dnnl::cpu_isa::avx512_core_vnni: return "avx512_core_vnni";
    case dnnl::cpu_isa::avx512_core_bf16: return "avx512_core_bf16";
    case dnnl::cpu_isa::avx512_core_amx: return "avx512_core_amx";
    default: return "all";
  }
}

Napi::Value Info(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  const dnnl::version_t *v = dnnl::version();
  dnnl::cpu_isa isa = dnnl::get_effective_cpu_isa();
  Napi::Object o = Napi::Object::New(env);
  o.Set("version", std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch));
  o.Set("isa", isaName(isa));
  o.Set("bf16", isa == dnnl::cpu_isa::avx512_core_bf16 || isa == dnnl::cpu_isa::avx512_core_amx);
  o.Set("defaultThreads", defaultThreads());
  o.Set("liveEngines", liveEngines());
  return o;
}

class RunWorker : public Napi::AsyncWorker {
 public:
  RunWorker(Napi::Env env, std::shared_ptr<Engine> engine, std::vector<void *> in, std::vector<void *> out)
      : Napi::AsyncWorker(env, "optiflow.onednn.run"),
        engine_(std::move(engine)),
        in_(std::move(in)),
        out_(std::move(out)),
        deferred_(Napi::Promise::Deferred::New(env)) {}

  void Keep(const Napi::Object &o) { refs_.push_back(Napi::Persistent(o)); }
  Napi::Promise Promise() const { return deferred_.Promise(); }

  void Execute() override {
    try {
      engine_->execute(in_, out_);
    } catch (const std::exception &e) {
      SetError(e.what());
    }
  }
  void OnOK() override { deferred_.Resolve(Env().Undefined()); }
  void OnError(const Napi::Error &e) override { deferred_.Reject(e.Value()); }

 private:
  std::shared_ptr<Engine> engine_;
  std::vector<void *> in_, out_;
  Napi::Promise::Deferred deferred_;
  std::vector<Napi::ObjectReference> refs_;  // inputs, outputs and the engine object stay alive
};

class EngineWrap : public Napi::ObjectWrap<EngineWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "OnednnEngine",
                       {InstanceMethod<&EngineWrap::Run>("run"), InstanceMethod<&EngineWrap::Dispose>("dispose")});
  }
  explicit EngineWrap(const Napi::CallbackInfo &info) : Napi::ObjectWrap<EngineWrap>(info) {}
  ~EngineWrap() override { Release(Env()); }

  // Tells V8 about the native bytes this engine holds, so the garbage collector runs soon enough
  // for engines that are never disposed.
  void Attach(Napi::Env env, std::shared_ptr<Engine> e) {
    engine = std::move(e);
    external_ = static_cast<int64_t>(engine->nativeBytes());
    int64_t ignored;
    napi_adjust_external_memory(env, external_, &ignored);
  }

  std::shared_ptr<Engine> engine;
  SpecS shape;  // tensors/inputs/outputs only, for run() validation

 private:
  Napi::Value Run(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    auto reject = [&](const std::string &msg) {
      auto d = Napi::Promise::Deferred::New(env);
      d.Reject(Napi::Error::New(env, msg).Value());
      return d.Promise();
    };
    if (!engine) return reject("onednn engine: run() after dispose()");
    if (info.Length() < 2 || !info[0].IsArray() || !info[1].IsArray())
      return reject("onednn engine: run(inputs, outputs) needs two arrays of typed arrays");
    std::vector<void *> ptrs[2];
    std::vector<Napi::Object> keep;
    for (int side = 0; side < 2; ++side) {
      Napi::Array a = info[side].As<Napi::Array>();
      const std::vector<int> &idx = side == 0 ? shape.inputs : shape.outputs;
      const char *name = side == 0 ? "inputs" : "outputs";
      if (a.Length() != idx.size())
        return reject(std::string("onednn engine: ") + name + " has " + std::to_string(a.Length()) +
                      " arrays, the engine needs " + std::to_string(idx.size()));
      for (uint32_t i = 0; i < a.Length(); ++i) {
        const TensorS &t = shape.tensors[idx[i]];
        Napi::Value v = a.Get(i);
        napi_typedarray_type want = t.q8 == 1 ? napi_uint8_array : t.q8 == 2 ? napi_int8_array
                                    : t.s32 ? napi_int32_array : napi_float32_array;
        const char *wantName = t.q8 == 1 ? "Uint8Array" : t.q8 == 2 ? "Int8Array" : t.s32 ? "Int32Array" : "Float32Array";
        std::string where = std::string("onednn engine: ") + name + "[" + std::to_string(i) + "]";
        if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != want)
          return reject(where + ": expected a " + wantName);
        Napi::TypedArray ta = v.As<Napi::TypedArray>();
        int64_t n = 1;
        for (int64_t d : t.dims) n *= d;
        if (static_cast<int64_t>(ta.ElementLength()) != n)
          return reject(where + ": has " + std::to_string(ta.ElementLength()) + " elements, expected " + std::to_string(n));
        ptrs[side].push_back(static_cast<uint8_t *>(ta.ArrayBuffer().Data()) + ta.ByteOffset());
        keep.push_back(ta);
      }
    }
    auto *w = new RunWorker(env, engine, std::move(ptrs[0]), std::move(ptrs[1]));
    for (auto &o : keep) w->Keep(o);
    w->Keep(info.This().As<Napi::Object>());
    Napi::Promise p = w->Promise();
    w->Queue();
    return p;
  }

  Napi::Value Dispose(const Napi::CallbackInfo &info) {
    Release(info.Env());
    return info.Env().Undefined();
  }

  // Drops this wrapper's share of the engine: a run in flight holds its own reference, and the
  // memory is freed when that run ends.
  void Release(napi_env env) {
    if (!engine) return;
    engine.reset();
    int64_t ignored;
    napi_adjust_external_memory(env, -external_, &ignored);
    external_ = 0;
  }

  int64_t external_ = 0;
};

struct AddonData {
  Napi::FunctionReference engineCtor;
};

Napi::Value CreateEngine(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  try {
    SpecS spec = parseSpec(info.Length() > 0 ? info[0] : env.Undefined());
    std::shared_ptr<Engine> engine = buildEngine(spec);
    Napi::Object obj = env.GetInstanceData<AddonData>()->engineCtor.New({});
    EngineWrap *w = EngineWrap::Unwrap(obj);
    w->Attach(env, std::move(engine));
    spec.ops.clear();
    w->shape = std::move(spec);
    return obj;
  } catch (const Napi::Error &) {
    throw;
  } catch (const std::exception &e) {
    throw Napi::Error::New(env, std::string("onednn createEngine: ") + e.what());
  }
}

Napi::Object InitImpl(Napi::Env env, Napi::Object exports) {
  initThreads();
  auto *data = new AddonData();
  data->engineCtor = Napi::Persistent(EngineWrap::Define(env));
  env.SetInstanceData(data);
  exports.Set("info", Napi::Function::New(env, Info, "info"));
  exports.Set("createEngine", Napi::Function::New(env, CreateEngine, "createEngine"));
  return exports;
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) { return InitImpl(env, exports); }

}  // namespace optiflow

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return optiflow::Init(env, exports); }

NODE_API_MODULE(optiflow_onednn, InitAddon)
