// Engine: execution (serialized per engine, OpenMP thread count per run), lifetime, and the
// build entry point; plus the builder's buffer assignment.
#include <omp.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <exception>
#include <functional>
#include <thread>
#include <vector>

#include "builder.h"

namespace optiflow {

namespace {
int g_defaultThreads = 1;
std::atomic<int> g_live{0};

// Sets the calling thread's OpenMP thread count for its lifetime, then restores it.
struct ThreadsGuard {
  int prev;
  explicit ThreadsGuard(int n) : prev(omp_get_max_threads()) { omp_set_num_threads(n); }
  ~ThreadsGuard() { omp_set_num_threads(prev); }
};
// Long-lived native threads that run all OpenMP work (engine builds and runs). libgomp keeps one
// thread team per master thread and, once it manages more threads than there are CPUs, idle team
// threads stop spinning and sleep (a futex wake per parallel region: tens of microseconds per
// primitive). Running every engine on the same master keeps one team, whose threads wait between
// the primitives of a run as GOMP_SPINCOUNT / OMP_WAIT_POLICY say (the TypeScript loader defaults
// to a short spin: see DEFAULT_GOMP_SPINCOUNT in native.ts). A task goes to the first idle
// executor, so concurrent runs (several sessions, inter-op) still run in parallel on further
// executors (at most kMaxExecutors).
class Executors {
 public:
  static Executors &get() {
    static Executors *p = new Executors();  // never destroyed: threads outlive static destructors
    return *p;
  }
  // Runs f on an executor thread; blocks the caller until it finished; rethrows its exception.
  void run(const std::function<void()> &f) {
    Task t{&f};
    Slot *slot = pick();
    {
      std::lock_guard<std::mutex> lk(slot->mu);
      slot->queue.push_back(&t);
    }
    slot->cv.notify_one();
    std::unique_lock<std::mutex> lk(t.mu);
    t.cv.wait(lk, [&] { return t.done; });
    if (t.error) std::rethrow_exception(t.error);
  }

 private:
  static constexpr size_t kMaxExecutors = 4;
  struct Task {
    const std::function<void()> *f;
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    std::exception_ptr error;
  };
  struct Slot {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<Task *> queue;
    std::atomic<int> pending{0};  // queued or running tasks
  };
  std::mutex mu_;
  std::vector<Slot *> slots_;

  Slot *pick() {
    std::lock_guard<std::mutex> lk(mu_);
    Slot *best = nullptr;
    for (Slot *s : slots_) {
      if (s->pending.load() == 0) { best = s; break; }
      if (best == nullptr || s->pending.load() < best->pending.load()) best = s;
    }
    if ((best == nullptr || best->pending.load() > 0) && slots_.size() < kMaxExecutors) {
      best = new Slot();
      slots_.push_back(best);
      std::thread(loop, best).detach();
    }
    ++best->pending;
    return best;
  }

  static void loop(Slot *s) {
    for (;;) {
      Task *t;
      {
        std::unique_lock<std::mutex> lk(s->mu);
        s->cv.wait(lk, [&] { return !s->queue.empty(); });
        t = s->queue.front();
        s->queue.pop_front();
      }
      try {
        (*t->f)();
      } catch (...) {
        t->error = std::current_exception();
      }
      --s->pending;
      std::lock_guard<std::mutex> lk(t->mu);  // notify under the lock: the waiter owns *t and may return at once
      t->done = true;
      t->cv.notify_one();
    }
  }
};
// CPUs this process may run on (its affinity mask when the addon loads) and whether team threads
// get pinned to them (see pinTeam).
std::vector<int> g_cpus;
bool g_pin = false;

// Pins the calling master (an executor thread) and its OpenMP team threads to distinct allowed
// CPUs for teams of more than one thread: team thread k to the k-th CPU (cyclic), the master to
// the first; a master that then runs a one-thread team is unpinned again. libgomp reuses the same
// pool threads for every later parallel region of this master, so this runs only when the team
// size changes. Why: a team thread that fell asleep between two primitives is woken by the master,
// and Linux's wake-affine placement then often puts it on the master's CPU, so both halves of every
// primitive share one core (int8 ResNet-50 at 2 threads: 16.8-18.0 ms unpinned, 7.5-8.2 pinned; see
// DEFAULT_GOMP_SPINCOUNT in native.ts). Unlike OMP_PROC_BIND, which binds the process's initial
// thread and so every thread it creates later, this leaves the JavaScript thread and other
// libraries' pools unpinned. Off when OMP_PROC_BIND or OMP_PLACES is set (libgomp then binds as
// asked) or OPTIFLOW_ONEDNN_PIN=0. A failing sched_setaffinity leaves the thread as it was.
void pinCurrent(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (cpu >= 0) CPU_SET(cpu, &set);
  else
    for (int c : g_cpus) CPU_SET(c, &set);
  sched_setaffinity(0, sizeof set, &set);  // 0: the calling thread
}

void pinTeam(int n) {
  thread_local int pinned = 1;
  if (!g_pin || n == pinned) return;
  if (n <= 1) {
    pinCurrent(-1);
  } else {
#pragma omp parallel num_threads(n)
    pinCurrent(g_cpus[static_cast<size_t>(omp_get_thread_num()) % g_cpus.size()]);
  }
  pinned = n;
}
}  // namespace

void initThreads() {
  g_defaultThreads = omp_get_max_threads();
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0)
    for (int c = 0; c < CPU_SETSIZE; ++c)
      if (CPU_ISSET(c, &set)) g_cpus.push_back(c);
  const char *pin = std::getenv("OPTIFLOW_ONEDNN_PIN");
  const bool userBinds = std::getenv("OMP_PROC_BIND") != nullptr || std::getenv("OMP_PLACES") != nullptr;
  g_pin = g_cpus.size() > 1 && !userBinds && !(pin != nullptr && std::strcmp(pin, "0") == 0);
}
int defaultThreads() { return g_defaultThreads; }

// Gives internal slots physical buffers: slots whose step intervals [first use, last use] do not
// overlap share one buffer (greedy, best fit), so activations reuse a few cache-warm buffers.
void Builder::assignBuffers(const std::vector<std::vector<std::pair<int, Ref>>> &pending) {
  const size_t n = e_.slots_.size();
  std::vector<int> first(n, -1), last(n, -1);
  for (size_t k = 0; k < pending.size(); ++k) {
    for (const auto &a : pending[k]) {
      int s = a.second.slot;
      if (s < 0 || e_.slots_[s].kind != Slot::Internal) continue;
      if (first[s] < 0) first[s] = static_cast<int>(k);
      last[s] = static_cast<int>(k);
    }
  }
  std::vector<int> order;
  for (size_t s = 0; s < n; ++s)
    if (first[s] >= 0) order.push_back(static_cast<int>(s));
  std::stable_sort(order.begin(), order.end(), [&](int x, int y) { return first[x] < first[y]; });
  struct Phys {
    size_t bytes;
    int busyUntil;
  };
  std::vector<Phys> phys;
  std::vector<int> physOf(n, -1);
  for (int s : order) {
    const size_t need = (e_.slots_[s].bytes + 63) / 64 * 64 + 64;
    int best = -1;
    for (size_t p = 0; p < phys.size(); ++p) {
      if (phys[p].busyUntil >= first[s]) continue;
      if (best < 0) { best = static_cast<int>(p); continue; }
      const Phys &b = phys[best], &c = phys[p];
      bool cFits = c.bytes >= need, bFits = b.bytes >= need;
      if ((cFits && (!bFits || c.bytes < b.bytes)) || (!cFits && !bFits && c.bytes > b.bytes)) best = static_cast<int>(p);
    }
    if (best < 0) {
      phys.push_back(Phys{need, last[s]});
      best = static_cast<int>(phys.size()) - 1;
    }
    phys[best].bytes = std::max(phys[best].bytes, need);
    phys[best].busyUntil = last[s];
    physOf[s] = best;
  }
  for (const Phys &p : phys) {
    void *mem = std::aligned_alloc(64, p.bytes);
    if (mem == nullptr) throw SpecError("out of memory allocating " + std::to_string(p.bytes) + " bytes");
    std::memset(mem, 0, p.bytes);
    e_.owned_.push_back(mem);
    e_.nativeBytes_ += p.bytes;
  }
  e_.buffers_.assign(n, nullptr);
  for (size_t s = 0; s < n; ++s)
    if (physOf[s] >= 0) e_.buffers_[s] = e_.owned_[physOf[s]];
}

std::shared_ptr<Engine> buildEngine(const SpecS &spec) {
  auto e = std::make_shared<Engine>();
  e->threads_ = spec.threads > 0 ? spec.threads : defaultThreads();
  Executors::get().run([&] {
    ThreadsGuard g(e->threads_);  // jit kernels are tuned for the thread count they run with
    try {
      e->eng_ = dnnl::engine(dnnl::engine::kind::cpu, 0);
      Builder b(spec, *e);
      b.build();
    } catch (const dnnl::error &err) {
      throw SpecError(std::string("oneDNN: ") + err.what());
    }
  });
  return e;
}

int liveEngines() { return g_live.load(); }

Engine::Engine() { ++g_live; }

Engine::~Engine() {
  --g_live;
  steps_.clear();
  edges_.clear();
  for (void *p : owned_) std::free(p);
  std::free(scratch_);
}

void Engine::execute(const std::vector<void *> &inputs, const std::vector<void *> &outputs) {
  std::lock_guard<std::mutex> lk(mu_);
  Executors::get().run([&] {
    omp_set_num_threads(threads_);
    pinTeam(threads_);
    for (EdgeMem &m : edges_) m.mem.set_data_handle(m.output ? outputs[m.index] : inputs[m.index]);
    dnnl::stream s(eng_);
    for (Step &st : steps_) {
      try {
        st.prim.execute(s, st.args);
      } catch (const dnnl::error &err) {
        throw SpecError(st.label + ": oneDNN execution failed: " + err.what());
      }
    }
    s.wait();
  });
}

}  // namespace optiflow
