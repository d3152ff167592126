type GrowableArray = Float64Array | Uint32Array | Uint8Array;

/** A typed array twice as long as `a`, with `a` at its start (for arrays that grow by doubling). */
export function doubled<T extends GrowableArray>(a: T): T {
  const out = new (a.constructor as new (length: number) => T)(a.length * 2);
  out.set(a);
  return out;
}
