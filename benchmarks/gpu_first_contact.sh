#!/usr/bin/env bash
# minires on a CUDA GPU, first contact (~8 min, every phase time-capped; nothing here needs the network).
#   versions -> preflight (a recorded transpose, two cold ResNet-20 steps) -> 300-iteration train + pause/resume
#   -> launches/host waits per step, ResNet-20/56 steps vs PyTorch -> one profiled step (syncs, host vs GPU
#   time, CUPTI kernel counts) -> the device's test cases -> pack the NVRTC kernel cache for the next call.
# On a GPU, from the project root:    bash benchmarks/gpu_first_contact.sh            (timeout ~590 s)
# Without one, on the simulated GPU:  DEVICE=simcuda bash benchmarks/gpu_first_contact.sh
#   (the phases that need CuPy itself -- versions, timings, the profile, the kernel cache -- are skipped)
# Next call: put $OUT/cupy-kernels.tgz at the repo root as .cupy-kernels.tgz (git-ignored) and carry it.
set -u
DEVICE=${DEVICE:-cuda}
OUT=${OUT:-/tmp/gpu-out}; mkdir -p "$OUT"
BUDGET=${BUDGET:-545}; START=$SECONDS; PY=${PY:-python3}
export PYTHONUNBUFFERED=1 MPLBACKEND=Agg PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
export CUPY_CACHE_DIR=/tmp/cupy-kernels
cap() { local left=$((BUDGET - (SECONDS - START) - 10)); if [ "$1" -lt "$left" ]; then echo "$1"; else echo $((left > 5 ? left : 5)); fi; }
phase() { echo; echo "=== [$((SECONDS - START)) s] $*"; }

main() {
[ -f .cupy-kernels.tgz ] && tar xzf .cupy-kernels.tgz -C /tmp && echo "kernel cache restored: $(find /tmp/cupy-kernels -type f | wc -l) files"

if [ "$DEVICE" = cuda ]; then
phase "versions"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader || true
$PY - <<'EOF'
import os, sys, numpy, cupy
rt = cupy.cuda.runtime
print("python", sys.version.split()[0], "| numpy", numpy.__version__, "| cupy", cupy.__version__,
      "| CUDA runtime", rt.runtimeGetVersion(), "driver", rt.driverGetVersion(),
      "| cc", cupy.cuda.Device(0).compute_capability, "| CUPY_ACCELERATORS", os.environ.get("CUPY_ACCELERATORS", "default"),
      "| CUPY_TF32", os.environ.get("CUPY_TF32", "default"))
try:
    import torch
    print("torch", torch.__version__, "cuda", torch.version.cuda, "cudnn", torch.backends.cudnn.version(),
          "| conv tf32", torch.backends.cudnn.allow_tf32, "matmul tf32", torch.backends.cuda.matmul.allow_tf32)
except Exception as e:
    print("torch not importable:", e)
import minires
print("minires", minires.__version__, "| minires.cuda.is_available():", minires.cuda.is_available())
for m in ("pytest_timeout", "matplotlib", "PIL"):
    try:
        __import__(m)
    except Exception as e:
        print("MISSING", m, e)
EOF
fi

phase "preflight: one recorded transpose (F.linear's weight.T), two cold ResNet-20 steps"
$PY - "$DEVICE" <<'EOF'
import sys, time, traceback
import numpy as np, minires
from minires import backend, models, optim
from minires.nn.functional import cross_entropy
device = sys.argv[1]
xp = backend.xp_for(device)
t = minires.randn(3, 4, device=device, requires_grad=True)
try:
    (t.T * 1.0).sum().backward()
    print("PREFLIGHT transpose: ok")
except Exception as e:
    print("PREFLIGHT transpose: FAILED,", type(e).__name__, e)
model = models.resnet20().to(device)
opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
x, y = minires.randn(128, 3, 32, 32, device=device), xp.asarray(np.arange(128) % 10)
for i in range(2):
    t0 = time.perf_counter()
    try:
        opt.zero_grad(); cross_entropy(model(x), y, check_labels=False).backward(); opt.step()
        xp.cuda.Device().synchronize()
        print(f"PREFLIGHT step {i}: {time.perf_counter() - t0:.2f} s (on a GPU step 0 includes NVRTC compiles)")
    except Exception:
        traceback.print_exc(limit=-5); break
EOF
RUNPATH="$PYTHONPATH"

phase "train: ResNet-20, embedded sample, 300 iterations (simcuda: ResNet-8, 90); whole run vs paused twice and resumed"
R=/tmp/mr-runs; rm -rf "$R"
A="--model resnet20 --data sample --device $DEVICE --iterations 300 --milestones 150 225 --eval-every 100 --checkpoint-every 100"
# on the simulated device (NumPy speed) a shorter run with the same pauses
[ "$DEVICE" = simcuda ] && A="--model resnet8 --data sample --device simcuda --batch-size 16 --iterations 90 --milestones 45 70 --eval-every 30 --checkpoint-every 30 --eval-subset 300"
PYTHONPATH=$RUNPATH timeout "$(cap 120)" $PY -m minires train $A --out $R/whole
PYTHONPATH=$RUNPATH timeout "$(cap 60)" $PY -m minires train $A --out $R/paused --time-limit 0
PYTHONPATH=$RUNPATH timeout "$(cap 60)" $PY -m minires train $A --out $R/paused --resume --time-limit 3
PYTHONPATH=$RUNPATH timeout "$(cap 120)" $PY -m minires train $A --out $R/paused --resume
$PY - "$R" <<'EOF'
import json, sys
import numpy as np
from minires import checkpoint
R = sys.argv[1]
try:
    res = {r: json.load(open(f"{R}/{r}/result.json")) for r in ("whole", "paused")}
    for r, v in res.items():
        print("RESULT", r, {k: v.get(k) for k in ("status", "iteration", "train_error", "test_error", "wall_time", "images_per_second")})
    a, b = (checkpoint.load(f"{R}/{r}/checkpoint.npz")["model"] for r in ("whole", "paused"))
    diff = {k: float(np.max(np.abs(np.asarray(a[k], np.float64) - np.asarray(b[k], np.float64)))) for k in a if not np.array_equal(a[k], b[k])}
    print("RESUME weights bitwise equal:", not diff, "| test errors equal:", res["whole"]["test_error"] == res["paused"]["test_error"])
    if diff:
        print("  largest differences:", sorted(diff.items(), key=lambda kv: -kv[1])[:5])
except Exception as e:
    print("RESUME check failed:", type(e).__name__, e)
EOF
tar czf "$OUT/runs.tgz" -C /tmp --exclude=checkpoint.npz mr-runs 2>/dev/null

phase "launches, host waits and copies per step and per evaluation batch (simulated device, benchmarks.step)"
for m in resnet20 resnet56; do
  timeout "$(cap 90)" $PY -m benchmarks.step minires $m --device simcuda | tee -a "$OUT/bench.jsonl"
done

if [ "$DEVICE" = cuda ]; then
phase "steps: minires (CuPy) vs PyTorch, batch 128, clocks read after a device sync (benchmarks.step)"
for m in resnet20 resnet56; do for fw in torch minires; do
  PYTHONPATH=$RUNPATH timeout "$(cap 90)" $PY -m benchmarks.step $fw $m --device cuda --steps 20 --warmup 3 | tee -a "$OUT/bench.jsonl"
done; done
echo '{"note": "next two lines: torch with NVIDIA_TF32_OVERRIDE=0 (fp32 without TF32, as minires), minires with CUPY_TF32=1"}' | tee -a "$OUT/bench.jsonl"
NVIDIA_TF32_OVERRIDE=0 timeout "$(cap 60)" $PY -m benchmarks.step torch resnet20 --device cuda --steps 20 --warmup 3 --no-infer | tee -a "$OUT/bench.jsonl"
CUPY_TF32=1 PYTHONPATH=$RUNPATH timeout "$(cap 60)" $PY -m benchmarks.step minires resnet20 --device cuda --steps 20 --warmup 3 --no-infer | tee -a "$OUT/bench.jsonl"

phase "one profiled step: host waits, host vs device time, kernel counts (CUPTI via torch.profiler)"
PYTHONPATH=$RUNPATH timeout "$(cap 120)" $PY - "$OUT" <<'EOF'
import gzip, json, sys, traceback, warnings
from collections import Counter
import numpy as np, cupy, cupyx
from cupyx.profiler import benchmark
import minires
from minires import models, optim
from minires.nn.functional import count_errors, cross_entropy
warnings.simplefilter("ignore")
out, lines, dev = sys.argv[1], [], cupy.cuda.Device()
def say(*a):
    s = " ".join(str(x) for x in a); print(s, flush=True); lines.append(s)
a = cupy.ones(4096, cupy.float32)
ta, tg = minires.Tensor(a), minires.Tensor(a, requires_grad=True)
say("LAUNCH cupy a + a:", benchmark(lambda: a + a, n_repeat=2000, n_warmup=100))
say("LAUNCH minires t + t (no graph):", benchmark(lambda: ta + ta, n_repeat=2000, n_warmup=100))
say("LAUNCH minires recorded t * t:", benchmark(lambda: tg * tg, n_repeat=2000, n_warmup=100))
try:
    import torch
    from torch.profiler import ProfilerActivity, profile
    torch.zeros(1, device="cuda")
except Exception as e:
    torch = None; say("torch.profiler unavailable:", e)
def kernels(fn, tag):
    if torch is None:
        return
    try:
        with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
            fn(); dev.synchronize(); torch.cuda.synchronize()
        path = f"/tmp/trace-{tag}.json"; prof.export_chrome_trace(path)
        ev = json.load(open(path))["traceEvents"]
        cats = Counter(e.get("cat") for e in ev)
        k = [e for e in ev if e.get("cat") == "kernel"]
        busy = sum(e.get("dur", 0) for e in k)
        span = max(e["ts"] + e.get("dur", 0) for e in k) - min(e["ts"] for e in k) if k else 0
        say(f"KERNELS {tag}: {len(k)} kernels, {cats.get('gpu_memcpy', 0)} copies, {cats.get('gpu_memset', 0)} memsets;"
            f" GPU busy {busy / 1e3:.2f} ms of a {span / 1e3:.2f} ms span")
        say("  kernels by name:", Counter(e["name"].split("(")[0][:50] for e in k).most_common(12))
        say("  runtime/driver calls:", Counter(e["name"] for e in ev if e.get("cat") in ("cuda_runtime", "cuda_driver")).most_common(10))
        if tag == "minires-resnet20":
            with open(path, "rb") as f, gzip.open(f"{out}/trace-minires-resnet20.json.gz", "wb") as g:
                g.write(f.read())
    except Exception:
        say("profiler failed for", tag); traceback.print_exc(limit=-3)
for name in ("resnet20", "resnet56"):
    minires.manual_seed(0)
    model = models.get(name).to("cuda")
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    rng = np.random.default_rng(0)
    x = cupy.asarray(rng.standard_normal((128, 3, 32, 32), dtype=np.float32))
    y = cupy.asarray(rng.integers(0, 10, 128))
    def step():  # what Run.step does: labels unchecked, loss and error count stay on the device
        logits = model(minires.Tensor(x)); loss = cross_entropy(logits, y, check_labels=False)
        opt.zero_grad(); loss.backward(); opt.step()
        return loss.data, count_errors(logits, y)
    def bench_step():  # what benchmarks/step.py times: labels checked once on the host, not per step
        opt.zero_grad(); cross_entropy(model(minires.Tensor(x)), y, check_labels=False).backward(); opt.step()
    for _ in range(3):
        step()
    dev.synchronize()
    if name == "resnet20":
        for label, fn in (("trainer-style step", step), ("benchmarks.step-style step", bench_step)):
            try:
                with cupyx.allow_synchronize(False):
                    fn()
                say(f"SYNC {label}: no host wait detected")
            except cupyx.DeviceSynchronized:
                say(f"SYNC {label}: the host waits for the GPU at:")
                traceback.print_exc(limit=-4)
            dev.synchronize()
    say(f"TIME {name} (CPU = host time to queue a step, GPU = its device span):", benchmark(step, n_repeat=20, n_warmup=2))
    say(f"MEMORY {name}: CuPy pool holds {cupy.get_default_memory_pool().total_bytes() / 2**20:.0f} MiB")
    kernels(step, f"minires-{name}")
    del model, opt
if torch is not None:
    from benchmarks.torch_models import build
    m = build("resnet20").cuda()
    o = torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    xt, yt = torch.randn(128, 3, 32, 32, device="cuda"), torch.randint(0, 10, (128,), device="cuda")
    def tstep():
        o.zero_grad(); torch.nn.functional.cross_entropy(m(xt), yt).backward(); o.step()
    for _ in range(3):
        tstep()
    torch.cuda.synchronize(); kernels(tstep, "torch-resnet20")
open(f"{out}/profile.txt", "w").write("\n".join(lines) + "\n")
EOF
fi

phase "the device's test cases (pytest -m cuda on a GPU, -k simcuda on the simulated one)"
TO=""; $PY -c "import pytest_timeout" 2>/dev/null && TO="--timeout=100"
SELECT="-m cuda"; [ "$DEVICE" = simcuda ] && SELECT="-k simcuda"
timeout "$(cap 400)" $PY -m pytest -q $SELECT -p no:cacheprovider $TO --tb=short -rfE --durations=10 \
  --junitxml="$OUT/cuda-tests.xml" tests/test_devices.py tests/test_tensor.py tests/test_shape.py tests/test_linear.py \
  tests/test_matmul.py tests/test_batchnorm.py tests/test_loss.py tests/test_pooling.py tests/test_conv.py \
  tests/test_elementwise.py tests/test_reduction.py
echo "pytest exit status: $?"

[ "$DEVICE" = cuda ] && phase "kernel cache" && echo "cached kernels: $(find /tmp/cupy-kernels -type f 2>/dev/null | wc -l)"
tar czf /tmp/cupy-kernels.tgz -C /tmp cupy-kernels 2>/dev/null && sz=$(stat -c %s /tmp/cupy-kernels.tgz) \
  && echo "packed: $sz bytes" && [ "$sz" -lt 15000000 ] && cp /tmp/cupy-kernels.tgz "$OUT/cupy-kernels.tgz"
true
phase "done"
}

main 2>&1 | tee "$OUT/log.txt"
