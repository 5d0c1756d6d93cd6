// Reference timing: the same @upscalerjs ESRGAN model run by TensorFlow.js in Node (the path a web user takes).
// Uses @tensorflow/tfjs-node when it is installed, else the pure-JS CPU backend of @tensorflow/tfjs.
// Input: a .safetensors file holding "image" [1,3,H,W] float32 in [0,1] (what bench_sr reads too).
// Usage: node bench/sr_upscalerjs.mjs --model esrgan-slim --scale 4 --input img.safetensors
//        [--models-dir node_modules] [--repeat 1] [--output out.safetensors]
// Prints one JSON line: {"model","scale","backend","width","height","ms":[...],"ms_best"}.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
  if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1]]);
  return acc;
}, []));
const model = args.model ?? 'esrgan-slim';
const scale = Number(args.scale ?? 4);
const modelsDir = path.resolve(args['models-dir'] ?? path.join(here, '..', 'node_modules'));
const repeat = Number(args.repeat ?? 1);
if (!args.input) { console.error('missing --input IMAGE.safetensors'); process.exit(2); }

const require = createRequire(path.join(modelsDir, 'noop.js'));
let tf;
let backend = 'cpu (pure JS)';
try { tf = require('@tensorflow/tfjs-node'); backend = 'tensorflow (tfjs-node)'; } catch { tf = require('@tensorflow/tfjs'); }
await tf.setBackend(backend.startsWith('tensorflow') ? 'tensorflow' : 'cpu');
await tf.ready();

// The thick (RRDN) models' custom layers, as @upscalerjs/esrgan-thick defines them.
class MultiplyBeta extends tf.layers.Layer {
  constructor(cfg) { super(cfg ?? {}); this.beta = 0.2; }
  call(inputs) { return tf.mul(Array.isArray(inputs) ? inputs[0] : inputs, this.beta); }
  static className = 'MultiplyBeta';
}
class PixelShuffle extends tf.layers.Layer {
  constructor(cfg) { super(cfg ?? {}); this.scale = scale; }
  computeOutputShape(s) { return [s[0], s[1] == null ? null : s[1] * this.scale, s[2] == null ? null : s[2] * this.scale, 3]; }
  call(inputs) { return tf.depthToSpace(Array.isArray(inputs) ? inputs[0] : inputs, this.scale, 'NHWC'); }
  static get className() { return `PixelShuffle${scale}x`; }
}
tf.serialization.registerClass(MultiplyBeta);
tf.serialization.registerClass(PixelShuffle);

function readSafetensors(file) {
  const buf = fs.readFileSync(file);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
  const info = header.image;
  if (!info || info.dtype !== 'F32') throw new Error(`${file}: needs an F32 'image' tensor`);
  const [b, e] = info.data_offsets;
  const data = new Float32Array(buf.buffer.slice(buf.byteOffset + 8 + n + b, buf.byteOffset + 8 + n + e));
  return { shape: info.shape, data };
}

const dir = path.join(modelsDir, '@upscalerjs', model, 'models', `x${scale}`);
const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
const shards = json.weightsManifest[0].paths.map((p) => fs.readFileSync(path.join(dir, p)));
const weightData = new Uint8Array(Buffer.concat(shards)).buffer;
const net = await tf.loadLayersModel(tf.io.fromMemory({
  modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData,
}));
const range = model === 'esrgan-thick' ? 1 : 255;   // RDN models take [0,255], RRDN [0,1]

const img = readSafetensors(args.input);
const [, c, h, w] = img.shape;
const input = tf.tidy(() => tf.tensor4d(img.data, [1, c, h, w]).transpose([0, 2, 3, 1]).slice([0, 0, 0, 0], [1, h, w, 3]).mul(range));
tf.tidy(() => net.predict(tf.zeros([1, 8, 8, 3])).dataSync());   // warm-up
const ms = [];
let out;
for (let i = 0; i < repeat; ++i) {
  const t0 = performance.now();
  const y = net.predict(input);
  out = y.dataSync();
  ms.push(performance.now() - t0);
  if (i + 1 < repeat) y.dispose(); else out = { y, data: out };
}
if (args.output) {
  const t = tf.tidy(() => out.y.div(range).clipByValue(0, 1).transpose([0, 3, 1, 2]));
  const data = Buffer.from(t.dataSync().buffer);
  const header = Buffer.from(JSON.stringify({ image: { dtype: 'F32', shape: t.shape, data_offsets: [0, data.length] } }));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(header.length));
  fs.writeFileSync(args.output, Buffer.concat([len, header, data]));
}
console.log(JSON.stringify({ model, scale, backend, tfjs: tf.version.tfjs, width: w, height: h, ms, ms_best: Math.min(...ms) }));
