// A batch of JSON lines as the bytes a destination gets: each line encoded straight into one
// buffer, instead of joining them into one large string first and encoding that (half the cost
// per record, and no batch-sized string for the collector to copy).

/** The lines, each followed by "\n", as UTF-8. */
export function linesToBuffer(lines: readonly string[]): Buffer {
  let size = 0;
  for (const l of lines) size += l.length + 1;
  let buf = Buffer.allocUnsafe(size);
  let off = 0;
  for (const l of lines) {
    // A line with non-ASCII characters takes up to 3 bytes per UTF-16 unit.
    if (off + l.length * 3 + 1 > buf.length && off + Buffer.byteLength(l) + 1 > buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(buf.length * 2, off + Buffer.byteLength(l) + 1));
      buf.copy(bigger, 0, 0, off);
      buf = bigger;
    }
    off += buf.write(l, off, 'utf8');
    buf[off++] = 0x0a;
  }
  return buf.subarray(0, off);
}
