// Reads the iteration counts of a PKCS#12 file (RFC 7292) before anything derives a key with them: the
// MAC's (MacData.iterations) and every password-based encryption's (PKCS#12 PBE, PBES1 and PBKDF2
// parameters), wherever in the file they are. node-forge runs whatever count a file names; one of
// 2^31 - 1 keeps a CPU busy for most of an hour. BER as well as DER: indefinite lengths and constructed
// OCTET STRINGs occur in files written by Java's keytool.

/** What {@link readP12Iterations} found. */
export type P12Iterations =
  | { ok: true; mac?: number | undefined; encryption: number[] }
  /** The outer structure is not a PFX that can be read. */
  | { ok: false };

interface Node {
  tag: number;
  constructed: boolean;
  /** Content start and end (end excludes an end-of-contents marker). */
  start: number;
  end: number;
  /** Offset just past the node. */
  next: number;
  children?: Node[] | undefined;
}

// OIDs whose parameters hold an iteration count, DER-encoded (the bytes after tag and length).
const ITERATED = [
  // pkcs-12PbeIds 1.2.840.113549.1.12.1.1–6 (SHA-1 with RC4/3DES/2DES/RC2)
  ...[1, 2, 3, 4, 5, 6].map((n) => [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x01, n]),
  // PBES1 1.2.840.113549.1.5.{1,3,4,6,10,11} and PBKDF2 1.2.840.113549.1.5.12
  ...[1, 3, 4, 6, 10, 11, 12].map((n) => [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, n]),
].map((oid) => oid.join(","));

const MAX_DEPTH = 32;
const MAX_NODES = 50_000;

/** Shared by the readers of one file: nested OCTET STRINGs get their own reader, not their own budget. */
interface Budget {
  nodes: number;
}

class Reader {
  readonly bytes: Uint8Array;
  readonly budget: Budget;
  constructor(bytes: Uint8Array, budget: Budget = { nodes: 0 }) {
    this.bytes = bytes;
    this.budget = budget;
  }

  /** Parses one node at `offset` within `limit`; undefined when malformed. */
  node(offset: number, limit: number, depth: number): Node | undefined {
    const b = this.bytes;
    if (depth > MAX_DEPTH || ++this.budget.nodes > MAX_NODES || offset + 2 > limit)
      return undefined;
    let tag = b[offset]!;
    let at = offset + 1;
    const constructed = (tag & 0x20) !== 0;
    if ((tag & 0x1f) === 0x1f) {
      // High tag number: base-128 digits. Never in a PFX, but skip it rather than misread it.
      let n = 0;
      while (at < limit && b[at]! & 0x80 && n++ < 4) at++;
      at++;
      tag = 0xff;
    }
    if (at >= limit) return undefined;
    let length = b[at++]!;
    if (length === 0x80) {
      if (!constructed) return undefined;
      const children: Node[] = [];
      let cursor = at;
      for (;;) {
        if (cursor + 2 > limit) return undefined;
        if (b[cursor] === 0 && b[cursor + 1] === 0) break;
        const child = this.node(cursor, limit, depth + 1);
        if (!child) return undefined;
        children.push(child);
        cursor = child.next;
      }
      return { tag, constructed, start: at, end: cursor, next: cursor + 2, children };
    }
    if (length & 0x80) {
      const n = length & 0x7f;
      if (n > 4 || at + n > limit) return undefined;
      length = 0;
      for (let i = 0; i < n; i++) length = length * 256 + b[at + i]!;
      at += n;
    }
    const end = at + length;
    if (end > limit) return undefined;
    const node: Node = { tag, constructed, start: at, end, next: end };
    if (constructed) {
      node.children = [];
      let cursor = at;
      while (cursor < end) {
        const child = this.node(cursor, end, depth + 1);
        if (!child) return undefined;
        node.children.push(child);
        cursor = child.next;
      }
    }
    return node;
  }

  /** A non-negative INTEGER's value; a count too large to hold exactly is Infinity. */
  integer(node: Node): number {
    const b = this.bytes;
    if (node.end - node.start > 6) return Number.POSITIVE_INFINITY;
    let value = 0;
    for (let i = node.start; i < node.end; i++) value = value * 256 + b[i]!;
    // A negative count (top bit set) is no count at all; forge would run none.
    if (node.end > node.start && b[node.start]! & 0x80) return 0;
    return value;
  }

  contentBytes(node: Node): Uint8Array {
    if (!node.constructed) return this.bytes.subarray(node.start, node.end);
    // A constructed OCTET STRING: its primitive segments, concatenated.
    const parts = (node.children ?? []).map((c) => this.contentBytes(c));
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

function walk(reader: Reader, node: Node, depth: number, counts: number[]): void {
  if (depth > MAX_DEPTH) return;
  const children = node.children;
  if (node.tag === 0x30 && children && children.length >= 2 && children[0]!.tag === 0x06) {
    const oid = Array.from(reader.bytes.subarray(children[0]!.start, children[0]!.end)).join(",");
    const params = children[1]!;
    if (ITERATED.includes(oid) && params.tag === 0x30) {
      // pkcs-12PbeParams {salt, iterations} and PBKDF2-params {salt, iterationCount, …}: the first INTEGER.
      const count = params.children?.find((c) => c.tag === 0x02);
      if (count) counts.push(reader.integer(count));
    }
  }
  for (const child of children ?? []) walk(reader, child, depth + 1, counts);
  // OCTET STRINGs wrap the AuthenticatedSafe and each SafeContents: read inside when they hold a SEQUENCE.
  if (node.tag === 0x04 || node.tag === 0x24) {
    const inner = node.tag === 0x24 ? new Reader(reader.contentBytes(node), reader.budget) : reader;
    const start = node.tag === 0x24 ? 0 : node.start;
    const end = node.tag === 0x24 ? inner.bytes.length : node.end;
    if (end - start < 2 || inner.bytes[start] !== 0x30) return;
    const seq = inner.node(start, end, depth + 1);
    if (seq) walk(inner, seq, depth + 1, counts);
  }
}

/** Reads the MAC and encryption iteration counts of a PFX. */
export function readP12Iterations(bytes: Uint8Array): P12Iterations {
  const reader = new Reader(bytes);
  const pfx = reader.node(0, bytes.length, 0);
  if (!pfx || pfx.tag !== 0x30 || !pfx.children || pfx.children.length < 2) return { ok: false };
  const encryption: number[] = [];
  walk(reader, pfx.children[1]!, 1, encryption);
  const macData = pfx.children[2];
  if (macData?.tag !== 0x30 || !macData.children) return { ok: true, encryption };
  // MacData {mac DigestInfo, macSalt OCTET STRING, iterations INTEGER DEFAULT 1}
  const iterations = macData.children[2];
  return { ok: true, mac: iterations?.tag === 0x02 ? reader.integer(iterations) : 1, encryption };
}
