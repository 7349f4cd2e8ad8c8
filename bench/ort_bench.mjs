// ONNX Runtime (the peer) timed the way `edgert bench` times edgert: session creation,
// then warm-up, then per-run latency; prints one JSON line.
//
//   node ort_bench.mjs MODEL.onnx DIMS THREADS ITERS
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const ort = require('onnxruntime-node');
const [modelPath, dimsText, threadsText, itersText] = process.argv.slice(2);
const dims = dimsText.split('x').map(Number);
const threads = Number(threadsText);
const iters = Number(itersText);

const t0 = process.hrtime.bigint();
const session = await ort.InferenceSession.create(modelPath, {
  graphOptimizationLevel: 'all',
  intraOpNumThreads: threads,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  logSeverityLevel: 3,
});
const createMs = Number(process.hrtime.bigint() - t0) / 1e6;

const count = dims.reduce((a, b) => a * b, 1);
const x = new Float32Array(count);
for (let i = 0; i < count; ++i) x[i] = ((i * 2654435761) % 1000) / 500 - 1;
const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', x, dims) };
const t1 = process.hrtime.bigint();
await session.run(feeds);
const firstMs = Number(process.hrtime.bigint() - t1) / 1e6;
for (let i = 0; i < 10; ++i) await session.run(feeds);
const ms = [];
for (let i = 0; i < iters; ++i) {
  const t = process.hrtime.bigint();
  await session.run(feeds);
  ms.push(Number(process.hrtime.bigint() - t) / 1e6);
}
ms.sort((a, b) => a - b);
const pct = (p) => ms[Math.min(ms.length - 1, Math.round(p * (ms.length - 1)))];
console.log(JSON.stringify({
  model: modelPath, threads, iters, min_ms: ms[0], p50_ms: pct(0.5), p99_ms: pct(0.99),
  session_create_ms: createMs, first_run_ms: firstMs, peak_rss_kib: Math.round(process.resourceUsage().maxRSS),
}));
