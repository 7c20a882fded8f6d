// eslint-disable-next-line no-control-regex -- the whole ASCII range, on purpose
const ascii = /^[\x00-\x7f]*$/;

/** UTF-8 byte length of `text` (a lone surrogate counts as U+FFFD, as TextEncoder writes it). */
export function utf8Length(text: string): number {
  if (ascii.test(text)) return text.length;
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}

const encoder = new TextEncoder();

/** `segments` (text and bytes, `bytes` long together in UTF-8) written one after another into one array. */
export function joinUtf8(
  segments: readonly (string | Uint8Array)[],
  bytes: number,
): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(bytes);
  let at = 0;
  for (const s of segments) {
    if (typeof s === "string") at += encoder.encodeInto(s, out.subarray(at)).written;
    else {
      out.set(s, at);
      at += s.length;
    }
  }
  if (at !== bytes) throw new Error(`wrote ${at} bytes, ${bytes} expected`);
  return out;
}
