// piscina's worker in `pnpm bench:pool`: a Uint8Array comes back as it is (the 32-byte echo);
// `{ id, rounds }` runs the same CPU-bound job as examples/workers/crunch.ts (kept in step by hand:
// plain JavaScript, since piscina's threads load it without a TypeScript loader).
function crunch(rounds, seed) {
  let x = seed >>> 0 || 1;
  let acc = 0;
  for (let i = 0; i < rounds; i++) {
    x = Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) >>> 0;
    acc = (acc + (x & 0xff)) | 0;
  }
  return (acc ^ x) >>> 0;
}

export default function task(input) {
  return input instanceof Uint8Array ? input : crunch(input.rounds, input.id);
}
