// Runs a model with ONNX Runtime (the peer) on a fixed, reproducible input and writes the
// input and every output as .npy files, for edgert to be compared against.
//
//   node ort_reference.mjs MODEL.onnx DIMS OUTDIR [PATTERN]   (DIMS like 1x128x128x3)
//
// PATTERN: `smooth` (default), a smooth image-like wave; or `text`, for NCHW text
// detectors: rows of dark glyph-like blocks on a light background, which PP-OCR's detector
// answers with a probability map reaching 1 (on `smooth` its map stays below 1e-6, so a
// comparison there would show little).
//
// Writes OUTDIR/input.npy and OUTDIR/ort_<output name>.npy (name characters other than
// letters, digits, '-', '_' and '.' become '_'). Needs onnxruntime-node on NODE_PATH
// (toolchain/fetch-models.sh puts it in .cache/ort/node_modules).
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const ort = require('onnxruntime-node');

const [modelPath, dimsText, outDir, pattern = 'smooth'] = process.argv.slice(2);
if (!outDir || !['smooth', 'text'].includes(pattern)) {
  console.error('usage: node ort_reference.mjs MODEL.onnx DIMS OUTDIR [smooth|text]');
  process.exit(64);
}
const dims = dimsText.split('x').map(Number);
const count = dims.reduce((a, b) => a * b, 1);

// The same bytes on every run and machine.
const input = new Float32Array(count);
if (pattern === 'smooth') {
  // A smooth, image-like pattern in [-1, 1].
  for (let i = 0; i < count; ++i) input[i] = Math.fround(Math.sin(i * 0.0137) * 0.9 + Math.cos(i * 0.00071) * 0.1);
} else {
  if (dims.length !== 4) throw new Error('the text pattern needs NCHW dims');
  const [, channels, height, width] = dims;
  // Lines 40 pixels apart, glyphs 9 of every 14 pixels wide with gaps between words,
  // dark (-1.8) on light (1.8) as a normalized photo of print would be.
  const dark = (y, x) => {
    const line = Math.floor(y / 40);
    const inLine = y % 40 >= 10 && y % 40 < 30 && x > 40 && x < width - 40;
    const glyph = x % 14 < 9 && (x * 7 + line * 13) % 50 < 40;
    return inLine && glyph && (Math.floor(x / 14) * 31 + line * 17) % 7 !== 0;
  };
  let i = 0;
  for (let n = 0; n < dims[0]; ++n)
    for (let c = 0; c < channels; ++c)
      for (let y = 0; y < height; ++y)
        for (let x = 0; x < width; ++x) input[i++] = dark(y, x) ? -1.8 : 1.8;
}

function npy(array, shape) {
  const descr = array instanceof Float32Array ? '<f4' : array instanceof BigInt64Array ? '<i8' : null;
  if (!descr) throw new Error('unsupported output type');
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  while ((10 + header.length + 1) % 64 !== 0) header += ' ';
  header += '\n';
  const head = Buffer.alloc(10);
  Buffer.from([0x93]).copy(head, 0);
  head.write('NUMPY', 1, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  return Buffer.concat([head, Buffer.from(header, 'latin1'), Buffer.from(array.buffer, array.byteOffset, array.byteLength)]);
}

const fileName = (name) => name.replace(/[^A-Za-z0-9._-]/g, '_');

fs.mkdirSync(outDir, { recursive: true });
const session = await ort.InferenceSession.create(modelPath, {
  graphOptimizationLevel: 'all',
  intraOpNumThreads: 1,
  logSeverityLevel: 3,  // errors only: ORT warns about unused initializers in these models
});
if (session.inputNames.length !== 1) throw new Error('expected a single-input model');
fs.writeFileSync(path.join(outDir, 'input.npy'), npy(input, dims));
const results = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', input, dims) });
for (const name of session.outputNames) {
  fs.writeFileSync(path.join(outDir, `ort_${fileName(name)}.npy`), npy(results[name].data, results[name].dims));
  console.log(`${name}: ${results[name].dims.join('x')}`);
}
