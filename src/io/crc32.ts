// CRC-32 (IEEE 802.3, the zlib and PNG polynomial): PNG chunks (io/png.ts), and a checkpoint's
// tensor data, so that bit rot or a damaged copy is found when the file is read rather than
// trained on. Synchronous and the same in Node and browsers; a cryptographic hash would guard
// against nothing more here.

const TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** The CRC-32 of several byte ranges taken one after another. */
export function crc32(parts: Iterable<Uint8Array>): number {
  let crc = 0xffffffff;
  for (const bytes of parts) {
    for (let i = 0; i < bytes.length; i++) crc = TABLE[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** crc32 as 8 hex digits. */
export function crc32Hex(parts: Iterable<Uint8Array>): string {
  return crc32(parts).toString(16).padStart(8, '0');
}
